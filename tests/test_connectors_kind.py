"""The ``connector`` kind and its three built-in strategies are registered, their
settings checked at save time, and secrets read only under the configured prefix."""

from __future__ import annotations

from tests.social_fakes import FakeClock, VkFake, context
from vmeste.platform.plugins import build_plugin_manager, strategy_catalog
from vmeste.platform.settings import load_settings
from vmeste.platform.strategies import kind_registry


def test_kind_connector() -> None:
    pm = build_plugin_manager(load_settings({}))
    kind = kind_registry(pm)["connector"]
    catalog = strategy_catalog(pm)
    assert {name for k, name in catalog if k == "connector"} == {"vk", "ok", "telegram"}
    vk = catalog[("connector", "vk")]
    assert kind.problems(vk, kind.settings(vk, {})) == []
    assert len(kind.problems(vk, kind.settings(vk, {"token_kind": "robot"}))) == 1
    assert len(kind.problems(vk, kind.settings(vk, {"max_attempts": 0, "colour": 1}))) == 2
    ok = catalog[("connector", "ok")]
    assert len(kind.problems(ok, kind.settings(ok, {"requests_per_second": 0}))) == 1


def test_secrets_come_from_the_prefixed_variables_only() -> None:
    fake = VkFake(clock=FakeClock())
    env = {"VMESTE_VK_TOKEN": "tok-a9", "VMESTE_VK_KIROV_TOKEN": "tok-b9", "VMESTE_SECRET_KEY": "x"}
    ctx = context(fake, fake.app(), env)
    assert ctx.secret("VMESTE_VK", "token") == "tok-a9"
    assert "tok-a9" not in repr(ctx)
    kirov = context(fake, fake.app(), env, credentials="kirov")
    assert kirov.secret("VMESTE_VK", "token") == "tok-b9"
    assert kirov.secret("VMESTE_VK", "confirmation") == ""


def test_the_networks_settings_are_read_and_checked() -> None:
    import pytest

    from vmeste.platform.settings import SettingsError

    settings = load_settings({"VMESTE_VK_API_URL": "http://localhost:9000/method",
                              "VMESTE_TELEGRAM_ENV_PREFIX": "KIROV_TG"})
    assert settings.vk_api_url == "http://localhost:9000/method"
    assert settings.ok_api_url == "https://api.ok.ru/fb.do"
    assert settings.telegram_env_prefix == "KIROV_TG"
    for env, variable in (({"VMESTE_OK_API_URL": "ftp://ok"}, "VMESTE_OK_API_URL"),
                          ({"VMESTE_VK_ENV_PREFIX": "vmeste-vk"}, "VMESTE_VK_ENV_PREFIX")):
        with pytest.raises(SettingsError) as refused:
            load_settings(env)
        assert refused.value.variable == variable
