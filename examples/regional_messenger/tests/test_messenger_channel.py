"""The ``messenger`` channel as a region switches it on: off nationwide until a region
policy picks it, its region settings and the environment's token reaching the bot API,
retries, and the startup check."""

from __future__ import annotations

from dataclasses import replace

import pytest
from messenger_world import (
    CITIZEN_PHONE,
    KAZAN_CITY,
    KIROV_CITY,
    KIROV_REGION,
    OPERATOR_PHONE,
    SENDER,
    SET_POLICY,
    give_phones,
)

from vmeste.platform.notifications.channels import DeliveryError
from vmeste.platform.notifications.models import Notification, NotificationStatus
from vmeste.platform.startup import startup_problems

CHANNELS = """query($code: String) { notificationChannels(territoryCode: $code) {
  name default defaultOn personal active } }"""
WATER = "utilities.outage.water"


async def switch_on(region_policy, receiver, **settings) -> None:
    """The region keeps the in-app inbox and adds the messenger."""
    await region_policy(KIROV_REGION, "notification", "inbox")
    await region_policy(KIROV_REGION, "notification", "messenger",
                        {"api_url": receiver.url, "sender": SENDER, **settings})


async def test_the_channel_is_off_nationwide_and_on_only_where_a_policy_says(
        kirov, graphql, region_policy, receiver, messenger_token, submit_appeal,
        run_background):
    async def channels(code: str | None) -> dict[str, dict]:
        body = await graphql(CHANNELS, {"code": code})
        return {c["name"]: c for c in body["data"]["notificationChannels"]}

    before = await channels(KIROV_CITY)
    assert before["messenger"]["default"] is False and before["messenger"]["active"] is False
    assert before["inbox"]["active"] is True
    await switch_on(region_policy, receiver)
    nationwide = await channels(None)
    assert nationwide["messenger"] == {"name": "messenger", "default": False,
                                       "defaultOn": True, "personal": True, "active": None}
    assert (await channels(KIROV_CITY))["messenger"]["active"] is True
    assert (await channels(KAZAN_CITY))["messenger"]["active"] is False

    await submit_appeal(category=WATER, territory=KAZAN_CITY)
    await give_phones()
    await run_background()
    assert receiver.requests == []
    assert not await Notification.filter(channel="messenger").exists()
    await submit_appeal(category=WATER, territory=KIROV_CITY,
                        text="Третий день нет холодной воды в доме 12 по улице Ленина.")
    await give_phones()
    await run_background()
    assert {r.body["to"] for r in receiver.requests} == {CITIZEN_PHONE, OPERATOR_PHONE}
    sent = await Notification.filter(channel="messenger").values_list("status", flat=True)
    assert sent and set(sent) == {NotificationStatus.SENT}


async def test_region_settings_and_the_token_reach_the_bot(
        kirov, region_policy, receiver, messenger_token, submit_appeal, run_background):
    await switch_on(region_policy, receiver)
    appeal = await submit_appeal(category=WATER, territory=KIROV_CITY)
    await give_phones()
    await run_background()
    to_citizen = [r for r in receiver.requests if r.body["to"] == CITIZEN_PHONE]
    assert to_citizen
    request = to_citizen[0]
    assert request.path == "/bot/v1/messages"
    assert request.headers["Authorization"] == f"Bearer {messenger_token}"
    assert request.headers["X-Vmeste-Territory"] == appeal.territory_path
    assert request.body["sender"] == SENDER
    row = await Notification.get(dedupe_key=request.body["idempotency_key"])
    assert (row.channel, row.address) == ("messenger", CITIZEN_PHONE)
    assert request.body["text"] == f"{row.subject}\n\n{row.body}"
    keys = [r.body["idempotency_key"] for r in receiver.requests]
    assert len(keys) == len(set(keys)), "one key per notification"


async def test_a_policy_is_refused_when_it_carries_the_token_or_bad_settings(
        kirov, graphql, receiver):
    async def save(settings: dict) -> list[dict]:
        body = await graphql(SET_POLICY, {"input": {
            "territoryCode": KIROV_REGION, "kind": "notification", "plugin": "messenger",
            "settings": settings}}, token=kirov["admin"])
        return body["data"]["setRegionPolicy"]["userErrors"]

    good = {"api_url": receiver.url, "sender": SENDER}
    for settings, says in (({**good, "token": "leaked"}, "VMESTE_MESSENGER_TOKEN"),
                           ({**good, "api_url": "http://bot.example/api"}, "https"),
                           ({**good, "api_url": "https://user:pw@bot.example"}, "api_url"),
                           ({**good, "sender": "  "}, "sender"),
                           ({"api_url": "https://bot.example"}, "sender")):
        errors = await save(settings)
        assert [(e["field"], e["code"]) for e in errors] == [("settings", "INVALID")], settings
        assert says in errors[0]["message"], (settings, errors)
    assert await save({"api_url": "https://bot.kirov.example/v1", "sender": SENDER}) == []
    assert await save(good) == [], "plain http to the test machine is allowed"


async def first_send_answered(status: int, region_policy, receiver, submit_appeal,
                              run_background) -> DeliveryError:
    """An outage appeal in Kirov whose first message the bot answers with ``status``:
    the failure that stops that ``run_background()``."""
    await switch_on(region_policy, receiver)
    receiver.answers = [status]
    await submit_appeal(category=WATER, territory=KIROV_CITY)
    await give_phones()
    with pytest.raises(DeliveryError) as failure:
        await run_background()
    return failure.value


async def test_a_failed_send_is_retried_by_the_next_run(
        kirov, region_policy, receiver, messenger_token, submit_appeal, run_background):
    failure = await first_send_answered(503, region_policy, receiver, submit_appeal,
                                        run_background)
    assert "HTTP 503" in str(failure)
    (failed,) = await Notification.filter(channel="messenger",
                                          status=NotificationStatus.RETRYING)
    assert failed.last_error == "мессенджер: HTTP 503, повтор позже"
    assert failed.address not in failed.last_error and "воды" not in failed.last_error
    await run_background()
    assert (await Notification.get(id=failed.id)).status == NotificationStatus.SENT
    attempts = [r for r in receiver.requests if r.body["idempotency_key"] == failed.dedupe_key]
    assert len(attempts) == 2 and attempts[0].body == attempts[1].body


async def test_a_rejected_token_is_named_and_the_phone_is_not(
        kirov, region_policy, receiver, messenger_token, submit_appeal, run_background):
    failure = str(await first_send_answered(401, region_policy, receiver, submit_appeal,
                                            run_background))
    assert "VMESTE_MESSENGER_TOKEN" in failure
    assert CITIZEN_PHONE not in failure and OPERATOR_PHONE not in failure
    assert messenger_token not in failure


async def test_a_missing_token_stops_a_production_start(db, vmeste_app, monkeypatch):
    plugins = vmeste_app.state.plugins
    production = replace(db, dev_mode=False)
    monkeypatch.delenv("VMESTE_MESSENGER_TOKEN", raising=False)
    problems = await startup_problems(plugins, production)
    assert ("regional_messenger: VMESTE_MESSENGER_TOKEN is not set: the messenger channel "
            "cannot sign in to the bot API") in problems
    assert not [p for p in await startup_problems(plugins, db)
                if p.startswith("regional_messenger")], "dev mode starts offline"
    monkeypatch.setenv("VMESTE_MESSENGER_TOKEN", "t")
    assert not [p for p in await startup_problems(plugins, production)
                if p.startswith("regional_messenger")]
