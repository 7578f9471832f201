import pytest

from vmeste.platform.settings import SettingsError, load_settings


def test_defaults_run_embedded():
    settings = load_settings({})
    assert settings.database_url == "sqlite://var/vmeste.sqlite3"
    assert settings.broker_url == "memory://"
    assert not settings.dev_mode
    assert (settings.default_page_size, settings.max_page_size) == (20, 100)


def test_data_dir_moves_the_default_database():
    assert load_settings({"VMESTE_DATA_DIR": "/srv/v"}).database_url == "sqlite:///srv/v/vmeste.sqlite3"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"VMESTE_DATABASE_URL": "mysql://x"}, "VMESTE_DATABASE_URL"),
        ({"VMESTE_BROKER_URL": "kafka://x"}, "VMESTE_BROKER_URL"),
        ({"VMESTE_MAX_PAGE_SIZE": "many"}, "VMESTE_MAX_PAGE_SIZE"),
        ({"VMESTE_MAX_PAGE_SIZE": "0"}, "VMESTE_MAX_PAGE_SIZE"),
        ({"VMESTE_DEFAULT_PAGE_SIZE": "50", "VMESTE_MAX_PAGE_SIZE": "10"},
         "VMESTE_DEFAULT_PAGE_SIZE"),
        ({"VMESTE_DEV_MODE": "maybe"}, "VMESTE_DEV_MODE"),
        ({"VMESTE_SECRET_KEY": "short"}, "VMESTE_SECRET_KEY"),
        ({"VMESTE_OIDC_JWKS_URL": "ftp://idp/keys"}, "VMESTE_OIDC_JWKS_URL"),
        ({"VMESTE_ALLOWED_ORIGINS": "example.org"}, "VMESTE_ALLOWED_ORIGINS"),
    ],
)
def test_bad_values_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)


def test_secret_key_is_never_in_repr():
    settings = load_settings({"VMESTE_SECRET_KEY": "s" * 40})
    assert "s" * 40 not in repr(settings)


def test_lists_and_flags():
    settings = load_settings({"VMESTE_PLUGINS": "a, b,", "VMESTE_DISABLE_PLUGINS": "c",
                              "VMESTE_DEV_MODE": "yes", "VMESTE_INTROSPECTION": "off",
                              "VMESTE_ALLOWED_ORIGINS": "https://a.example,https://b.example"})
    assert settings.plugins == ("a", "b")
    assert settings.disable_plugins == ("c",)
    assert settings.dev_mode and not settings.introspection
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert load_settings({}).plugins is None
