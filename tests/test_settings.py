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
        ({"VMESTE_BROKER_URL": "redis://[::1:6379"}, "VMESTE_BROKER_URL"),
        ({"VMESTE_DATABASE_URL": "postgres://[::1:5432/x"}, "VMESTE_DATABASE_URL"),
        ({"VMESTE_DATABASE_URL": "postgres://postgres@127.0.0.1:99999/x"},
         "VMESTE_DATABASE_URL"),
        ({"VMESTE_DATABASE_URL": "postgres://postgres@127.0.0.1:0/x"}, "VMESTE_DATABASE_URL"),
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


def test_worker_settings_and_embedded_default_follow_the_broker():
    embedded = load_settings({})
    assert (embedded.job_max_retries, embedded.relay_interval_ms,
            embedded.watchdog_interval_seconds, embedded.queue_prefix) == (8, 500, 60, "vmeste")
    assert embedded.embedded_workers
    rabbit = load_settings({"VMESTE_BROKER_URL": "amqp://guest:guest@mq:5672/",
                            "VMESTE_JOB_MIN_BACKOFF_MS": "5", "VMESTE_JOB_MAX_BACKOFF_MS": "50",
                            "VMESTE_QUEUE_PREFIX": "staging.vmeste"})
    assert not rabbit.embedded_workers
    assert (rabbit.job_min_backoff_ms, rabbit.job_max_backoff_ms) == (5, 50)
    assert rabbit.queue_prefix == "staging.vmeste"
    assert load_settings({"VMESTE_BROKER_URL": "redis://r/0",
                          "VMESTE_EMBEDDED_WORKERS": "1"}).embedded_workers


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"VMESTE_JOB_MIN_BACKOFF_MS": "100", "VMESTE_JOB_MAX_BACKOFF_MS": "10"},
         "VMESTE_JOB_MIN_BACKOFF_MS"),
        ({"VMESTE_JOB_MAX_RETRIES": "-1"}, "VMESTE_JOB_MAX_RETRIES"),
        ({"VMESTE_RELAY_INTERVAL_MS": "1"}, "VMESTE_RELAY_INTERVAL_MS"),
        ({"VMESTE_QUEUE_PREFIX": "a b"}, "VMESTE_QUEUE_PREFIX"),
        ({"VMESTE_EMBEDDED_WORKERS": "sometimes"}, "VMESTE_EMBEDDED_WORKERS"),
    ],
)
def test_bad_worker_settings_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.variable == variable


def test_notification_settings_and_the_smtp_password_stays_out_of_repr():
    settings = load_settings({"VMESTE_SMTP_URL": "smtp://mailer:pa55@mail.example:587?starttls=1",
                              "VMESTE_SMTP_FROM": "Вместе <noreply@example.org>",
                              "VMESTE_DELIVERY_LEASE_SECONDS": "30",
                              "VMESTE_NOTIFY_TIMEOUT_SECONDS": "3"})
    assert settings.smtp_url.startswith("smtp://mailer:")
    assert (settings.smtp_from, settings.delivery_lease_seconds,
            settings.notify_timeout_seconds) == ("Вместе <noreply@example.org>", 30, 3)
    assert "pa55" not in repr(settings)
    defaults = load_settings({})
    assert (defaults.smtp_url, defaults.delivery_lease_seconds,
            defaults.notify_timeout_seconds) == ("", 60, 10)
    assert not defaults.webhook_allow_private
    assert load_settings({"VMESTE_WEBHOOK_ALLOW_PRIVATE": "true"}).webhook_allow_private


def test_the_outbox_redelivers_lost_jobs_after_an_hour_by_default():
    assert load_settings({}).outbox_redeliver_seconds == 3600
    assert load_settings({"VMESTE_OUTBOX_REDELIVER_SECONDS": "600"}
                         ).outbox_redeliver_seconds == 600
    assert load_settings({}).outbox_retention_days == 7
    assert load_settings({"VMESTE_OUTBOX_RETENTION_DAYS": "30"}).outbox_retention_days == 30


@pytest.mark.parametrize(("env", "variable"), [
    ({"VMESTE_SMTP_URL": "http://mail.example"}, "VMESTE_SMTP_URL"),
    ({"VMESTE_SMTP_URL": "smtp://:secret@"}, "VMESTE_SMTP_URL"),
    ({"VMESTE_DELIVERY_LEASE_SECONDS": "1"}, "VMESTE_DELIVERY_LEASE_SECONDS"),
    ({"VMESTE_NOTIFY_TIMEOUT_SECONDS": "0"}, "VMESTE_NOTIFY_TIMEOUT_SECONDS"),
    # A send that may outlast its lease lets a second worker send the same message.
    ({"VMESTE_DELIVERY_LEASE_SECONDS": "15", "VMESTE_NOTIFY_TIMEOUT_SECONDS": "10"},
     "VMESTE_DELIVERY_LEASE_SECONDS"),
    ({"VMESTE_WEBHOOK_ALLOW_PRIVATE": "perhaps"}, "VMESTE_WEBHOOK_ALLOW_PRIVATE"),
    ({"VMESTE_OUTBOX_REDELIVER_SECONDS": "5"}, "VMESTE_OUTBOX_REDELIVER_SECONDS"),
    ({"VMESTE_OUTBOX_RETENTION_DAYS": "0"}, "VMESTE_OUTBOX_RETENTION_DAYS"),
    # Retries that can wait longer than the redelivery would run twice in parallel.
    ({"VMESTE_JOB_MAX_RETRIES": "20", "VMESTE_OUTBOX_REDELIVER_SECONDS": "3600"},
     "VMESTE_OUTBOX_REDELIVER_SECONDS"),
])
def test_bad_notification_settings_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert error.value.variable == variable
    assert "secret" not in str(error.value)


def test_hardening_defaults():
    settings = load_settings({})
    assert settings.auth_max_token_lifetime_seconds == 86_400
    assert settings.ws_max_connections_per_principal == 5
    assert settings.ws_recheck_seconds == 30
    assert settings.rate_limits
    assert (settings.rate_limit_anonymous, settings.rate_limit_reads,
            settings.rate_limit_mutations) == ("120/minute", "600/minute", "120/minute")
    assert settings.rate_limit_storage_url == "" and settings.trusted_proxies == ()
    assert (settings.health_port, settings.health_interval_seconds) == (0, 5)


@pytest.mark.parametrize(("raw", "seconds"), [
    ("3600", 3600), ("90m", 5400), ("24h", 86_400), ("2d", 172_800), (" 12H ", 43_200)])
def test_token_lifetime_takes_seconds_or_a_duration(raw, seconds):
    settings = load_settings({"VMESTE_AUTH_MAX_TOKEN_LIFETIME": raw})
    assert settings.auth_max_token_lifetime_seconds == seconds


def test_rate_limit_settings_are_read():
    settings = load_settings({
        "VMESTE_RATE_LIMITS": "off", "VMESTE_RATE_LIMIT_READS": "10 per second",
        "VMESTE_RATE_LIMIT_STORAGE_URL": "redis://:secret@cache:6379/2",
        "VMESTE_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5"})
    assert not settings.rate_limits and settings.rate_limit_reads == "10 per second"
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.5")
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(("env", "variable"), [
    ({"VMESTE_AUTH_MAX_TOKEN_LIFETIME": "forever"}, "VMESTE_AUTH_MAX_TOKEN_LIFETIME"),
    ({"VMESTE_AUTH_MAX_TOKEN_LIFETIME": "10"}, "VMESTE_AUTH_MAX_TOKEN_LIFETIME"),
    ({"VMESTE_AUTH_MAX_TOKEN_LIFETIME": "365d"}, "VMESTE_AUTH_MAX_TOKEN_LIFETIME"),
    ({"VMESTE_RATE_LIMIT_ANONYMOUS": "lots"}, "VMESTE_RATE_LIMIT_ANONYMOUS"),
    ({"VMESTE_RATE_LIMIT_MUTATIONS": "0/minute"}, "VMESTE_RATE_LIMIT_MUTATIONS"),
    ({"VMESTE_RATE_LIMIT_READS": "5/fortnight"}, "VMESTE_RATE_LIMIT_READS"),
    ({"VMESTE_RATE_LIMIT_STORAGE_URL": "memcached://x"}, "VMESTE_RATE_LIMIT_STORAGE_URL"),
    ({"VMESTE_RATE_LIMITS": "sometimes"}, "VMESTE_RATE_LIMITS"),
    ({"VMESTE_TRUSTED_PROXIES": "proxy.local"}, "VMESTE_TRUSTED_PROXIES"),
    ({"VMESTE_WS_MAX_CONNECTIONS_PER_PRINCIPAL": "0"}, "VMESTE_WS_MAX_CONNECTIONS_PER_PRINCIPAL"),
    ({"VMESTE_HEALTH_PORT": "70000"}, "VMESTE_HEALTH_PORT"),
])
def test_bad_hardening_settings_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.variable == variable
