"""Fan-out and delivery against real receivers: a local SMTP server and a local HTTP
endpoint started by the tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
import pytest_asyncio

from tests.appeal_world import seed_appeal_world
from tests.notification_world import (
    CITIZEN_EMAIL,
    OPERATOR_EMAIL,
    Mailbox,
    Receiver,
    fan_out_all,
    give_email,
    http_receiver,
    runtime_with_smtp,
    smtp_server,
)
from tests.worlds import MUNICIPALITY_A
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.delivery import (
    DeliveryError,
    LeaseHeld,
    deliver,
    reset_for_redrive,
)
from vmeste.platform.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    NotificationStatus,
    WebhookSubscription,
)
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.reference.models import Organization
from vmeste.plugins.notify_email import message_id

S = NotificationStatus


@pytest_asyncio.fixture
async def city(world, make_token) -> dict[str, Any]:
    """The appeal world with an operator of the city administration who has e-mail."""
    appeal_world = await seed_appeal_world()
    await make_token("operator", org=appeal_world.city_admin, sub="city-operator")
    operator = await give_email("city-operator", OPERATOR_EMAIL)
    organization = await Organization.get(ogrn=appeal_world.city_admin)
    return {"ogrn": appeal_world.city_admin, "organization": organization,
            "operator": operator}


@pytest_asyncio.fixture
async def appeal(city, submit_appeal):
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="ivanova")
    row = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                              citizen="ivanova", text="Вторая яма у дома 9, колёса бьют все.")
    applicant = await give_email("ivanova", CITIZEN_EMAIL)  # the token above resets it
    return {"row": row, "applicant": applicant}


def _email_to(address: str, rows: list[Notification]) -> list[Notification]:
    return [n for n in rows if n.channel == "email" and n.address == address]


async def test_fan_out_tells_the_applicant_and_the_body_on_the_right_channels(db, appeal):
    runtime = runtime_with_smtp(db, 2525)
    created = await fan_out_all(runtime)
    rows = await Notification.filter(subject_type="appeal", subject_id=appeal["row"].id)
    assert created >= len(rows) > 0
    mine = {(n.event, n.channel, n.status) for n in rows
            if n.recipient_id == appeal["applicant"].id}
    assert mine == {("submitted", "inbox", S.SENT), ("submitted", "email", S.PENDING),
                    ("routed", "inbox", S.SENT), ("routed", "email", S.PENDING)}
    staff = {(n.event, n.channel) for n in rows if n.recipient_id not in
             (appeal["applicant"].id,)}
    assert ("routed", "email") in staff and ("submitted", "inbox") not in staff
    routed = next(n for n in rows if n.recipient_id == appeal["applicant"].id
                  and n.event == "routed" and n.channel == "inbox")
    assert "Администрация города Кирова" in routed.subject
    assert "Тестов" not in routed.body, "no staff member is named to the applicant"
    queued = await OutboxMessage.filter(topic="notification.deliver").values_list(
        "payload", flat=True)
    pending = await Notification.filter(status=S.PENDING).values_list("id", flat=True)
    assert sorted(p["notification_id"] for p in queued) == sorted(pending)


async def test_fan_out_twice_creates_nothing_more(db, appeal):
    runtime = runtime_with_smtp(db, 2525)
    first = await fan_out_all(runtime)
    before = await Notification.all().count()
    outbox = await OutboxMessage.all().count()
    assert await fan_out_all(runtime) == 0
    assert first == before
    assert await Notification.all().count() == before
    assert await OutboxMessage.all().count() == outbox


async def test_without_an_address_or_with_an_opt_out_nothing_is_sent(db, city, submit_appeal):
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="petrov")
    petrov = await User.get(subject="petrov")
    await NotificationPreference.create(user=petrov, event="*", channel="inbox", enabled=False)
    await fan_out_all(runtime_with_smtp(db, 2525))
    statuses = {(n.channel, n.status) for n in
                await Notification.filter(recipient_id=petrov.id)}
    assert statuses == {("inbox", S.SKIPPED), ("email", S.SKIPPED)}
    pending = await Notification.filter(status=S.PENDING).count()
    assert await OutboxMessage.filter(topic="notification.deliver").count() == pending


async def test_email_reaches_a_real_smtp_server_once(db, appeal):
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        runtime = runtime_with_smtp(db, port)
        await fan_out_all(runtime)
        note = _email_to(CITIZEN_EMAIL, await Notification.filter(event="routed"))[0]
        await deliver(runtime, note.id, last_attempt=False)
        await deliver(runtime, note.id, last_attempt=False)  # a redelivered job
    assert len(mailbox.messages) == 1
    envelope = mailbox.messages[0]
    assert envelope.rcpt_tos == [CITIZEN_EMAIL]
    mail = message_from_bytes(envelope.content)
    assert mail["Message-ID"] == message_id(note.dedupe_key, "noreply@vmeste.test")
    assert mail["X-Vmeste-Event"] == "routed"
    assert "направлено" in mail.get_payload(decode=True).decode()
    note = await Notification.get(id=note.id)
    assert note.status == S.SENT and note.attempts == 1 and note.sent_at is not None
    attempts = await DeliveryAttempt.filter(notification_id=note.id)
    assert [(a.number, a.ok, a.error) for a in attempts] == [(1, True, "")]


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "554 5.7.1 Rejected"])
async def test_a_failing_smtp_server_retries_then_the_notification_dies(db, appeal, reply):
    with smtp_server(Mailbox(reply=reply)) as port:
        runtime = runtime_with_smtp(db, port)
        await fan_out_all(runtime)
        note = _email_to(CITIZEN_EMAIL, await Notification.filter(event="routed"))[0]
        for last in (False, False, True):
            with pytest.raises(DeliveryError) as failure:
                await deliver(runtime, note.id, last_attempt=last)
            assert CITIZEN_EMAIL not in str(failure.value)
            status = (await Notification.get(id=note.id)).status
            assert status == (S.DEAD if last else S.RETRYING)
        await deliver(runtime, note.id, last_attempt=False)  # dead stays dead
    code = reply.split()[0]
    attempts = await DeliveryAttempt.filter(notification_id=note.id).order_by("number")
    assert [(a.number, a.ok, a.error) for a in attempts] == [
        (n, False, f"SMTP: ответ {code}") for n in (1, 2, 3)]
    assert (await Notification.get(id=note.id)).last_error == f"SMTP: ответ {code}"


async def test_a_dead_notification_is_sent_after_redrive(db, appeal):
    mailbox = Mailbox(reply="451 later")
    with smtp_server(mailbox) as port:
        runtime = runtime_with_smtp(db, port)
        await fan_out_all(runtime)
        note = _email_to(CITIZEN_EMAIL, await Notification.filter(event="routed"))[0]
        with pytest.raises(DeliveryError):
            await deliver(runtime, note.id, last_attempt=True)
        mailbox.reply = None
        await reset_for_redrive(note.id)
        await deliver(runtime, note.id, last_attempt=False)
    assert len(mailbox.messages) == 1
    assert (await Notification.get(id=note.id)).status == S.SENT


async def test_an_unreachable_smtp_server_is_a_logged_failure(db, appeal):
    with smtp_server(Mailbox()) as port:
        pass  # the port is free again: nobody listens
    runtime = runtime_with_smtp(db, port)
    await fan_out_all(runtime)
    note = _email_to(CITIZEN_EMAIL, await Notification.filter(event="routed"))[0]
    with pytest.raises(DeliveryError, match="SMTP: ConnectionRefusedError"):
        await deliver(runtime, note.id, last_attempt=False)
    attempt = await DeliveryAttempt.get(notification_id=note.id)
    assert not attempt.ok and attempt.duration_ms >= 0


async def test_a_held_lease_refuses_a_second_worker_until_it_expires(db, appeal):
    runtime = runtime_with_smtp(db, 2525)
    await fan_out_all(runtime)
    note = _email_to(CITIZEN_EMAIL, await Notification.filter(event="routed"))[0]
    await Notification.filter(id=note.id).update(
        status=S.SENDING, lease_until=datetime.now(UTC) + timedelta(seconds=60))
    with pytest.raises(LeaseHeld, match="другой обработчик") as held:
        await deliver(runtime, note.id, last_attempt=False)
    # Not a failed attempt: the job comes back once the lease has run out.
    assert 55 < held.value.delay_seconds <= 62
    assert not await DeliveryAttempt.filter(notification_id=note.id).exists()
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        await Notification.filter(id=note.id).update(
            lease_until=datetime.now(UTC) - timedelta(seconds=1))  # the holder died
        await deliver(runtime_with_smtp(db, port), note.id, last_attempt=False)
    assert len(mailbox.messages) == 1


async def test_webhooks_are_signed_timestamped_and_retried(db, city, appeal):
    receiver = Receiver(statuses=[500])
    with http_receiver(receiver) as url:
        hook = await WebhookSubscription.create(organization=city["organization"], url=url,
                                                secret="s3cret-key", events=["routed"])
        runtime = runtime_with_smtp(db, None)
        await fan_out_all(runtime)
        notes = await Notification.filter(channel="webhook")
        assert {n.event for n in notes} == {"routed"}
        note = notes[-1]
        with pytest.raises(DeliveryError, match="HTTP 500"):
            await deliver(runtime, note.id, last_attempt=False)
        await deliver(runtime, note.id, last_attempt=False)
    assert (await Notification.get(id=note.id)).status == S.SENT
    assert len(receiver.requests) == 2
    headers, body = receiver.requests[-1]
    timestamp = headers["X-Vmeste-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(b"s3cret-key", f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Vmeste-Signature"], expected)
    assert headers["X-Vmeste-Event"] == "routed"
    assert headers["X-Vmeste-Delivery"] == note.dedupe_key
    payload = json.loads(body)
    assert payload["event"] == "routed" and payload["id"] == note.dedupe_key
    assert payload["data"]["appeal_id"] == appeal["row"].id
    assert payload["data"]["organization_ogrn"] == city["ogrn"]
    assert CITIZEN_EMAIL not in body.decode() and "s3cret" not in body.decode()
    log = await DeliveryAttempt.filter(notification_id=note.id).order_by("number")
    assert [(a.ok, a.error) for a in log] == [(False, "webhook: HTTP 500"), (True, "")]
    assert hook.id == note.webhook_id


async def test_dev_sink_records_sms_without_logging_the_number(db, appeal, caplog):
    applicant = appeal["applicant"]
    applicant.phone = "+79990001122"
    await applicant.save(update_fields=["phone"])
    await NotificationPreference.create(user=applicant, event="answered", channel="sms",
                                        enabled=True)
    await NotificationPreference.create(user=applicant, event="*", channel="sms",
                                        enabled=False)
    runtime = runtime_with_smtp(db, None)
    operator = await User.get(subject="city-operator")
    from vmeste.platform.identity.services import load_principal

    await runtime.service(AppealServices).answer(await load_principal(operator), appeal["row"].id,
                                 text="Яму заделаем до конца недели.")
    await fan_out_all(runtime)
    sms = await Notification.filter(channel="sms", recipient_id=applicant.id)
    assert {(n.event, n.status) for n in sms} == {
        ("submitted", S.SKIPPED), ("routed", S.SKIPPED), ("answered", S.PENDING)}
    answered = next(n for n in sms if n.event == "answered")
    with caplog.at_level("INFO"):
        await deliver(runtime, answered.id, last_attempt=False)
    assert "+79990001122" not in caplog.text
    lines = (db.data_dir / "dev-notifications.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1])
    assert record["to"] == "+79990001122" and record["event"] == "answered"
    assert "заделаем" in record["body"]


async def test_a_disabled_webhook_is_skipped_not_retried(db, city, appeal):
    receiver = Receiver()
    with http_receiver(receiver) as url:
        hook = await WebhookSubscription.create(organization=city["organization"], url=url,
                                                secret="k", events=["routed"])
        runtime = runtime_with_smtp(db, None)
        await fan_out_all(runtime)
        note = (await Notification.filter(channel="webhook"))[-1]
        hook.active = False
        await hook.save(update_fields=["active"])
        await deliver(runtime, note.id, last_attempt=False)  # no DeliveryError: no retry
    note = await Notification.get(id=note.id)
    assert (note.status, note.last_error, note.lease_until) == (S.SKIPPED, "подписка отключена",
                                                                None)
    assert receiver.requests == []


@contextmanager
def trickling_smtp_server() -> Iterator[tuple[int, threading.Event]]:
    """An SMTP server that never finishes its greeting: a continuation line every half
    second, each well within the client's per-read timeout. Yields the port and an
    event set once the client has hung up."""
    hung_up = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with suppress(OSError):
            client, _ = listener.accept()
            with client:
                try:
                    while True:
                        client.sendall(b"220-still greeting\r\n")
                        time.sleep(0.5)
                except OSError:
                    hung_up.set()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1], hung_up
    finally:
        listener.close()


async def test_a_trickling_server_cannot_keep_a_send_past_its_lease(db, appeal):
    with trickling_smtp_server() as (port, hung_up):
        runtime = runtime_with_smtp(replace(db, delivery_lease_seconds=4), port)
        await fan_out_all(runtime)
        note = _email_to(CITIZEN_EMAIL, await Notification.filter(event="routed"))[0]
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="не уложилась"):
            await deliver(runtime, note.id, last_attempt=False)
        assert time.monotonic() - started < 4  # cut off before the lease ran out
        assert hung_up.wait(5), "the abandoned connection is closed, not left sending"
    note = await Notification.get(id=note.id)
    assert note.status == S.RETRYING and note.lease_until is None
    attempt = await DeliveryAttempt.get(notification_id=note.id)
    assert not attempt.ok and 2500 < attempt.duration_ms < 4000


async def test_webhooks_never_reach_private_addresses_unless_allowed(db, city, appeal):
    receiver = Receiver()
    with http_receiver(receiver) as url:
        local = url.replace("127.0.0.1", "localhost")
        await WebhookSubscription.create(organization=city["organization"], url=local,
                                         secret="k", events=["routed"])
        await fan_out_all(runtime_with_smtp(db, None))
        note = (await Notification.filter(channel="webhook"))[-1]
        closed = runtime_with_smtp(replace(db, webhook_allow_private=False), None)
        with pytest.raises(DeliveryError, match="внутреннюю сеть"):
            await deliver(closed, note.id, last_attempt=False)
        assert receiver.requests == []
        await deliver(runtime_with_smtp(db, None), note.id, last_attempt=False)
    # Sent to the checked address, under the URL's own host name.
    [(headers, _)] = receiver.requests
    assert headers["Host"] == local.split("/")[2]
    assert (await Notification.get(id=note.id)).status == S.SENT


def test_a_channels_secrets_never_reach_the_delivery_log():
    """A third-party channel quoting its token in a DeliveryError: the log staff read
    (``lastError``) holds "***" instead, as it does for addresses."""
    from vmeste.platform.notifications.channels import OutgoingMessage
    from vmeste.platform.notifications.delivery import _scrub

    message = OutgoingMessage(
        notification_id=1, dedupe_key="k", event="routed", channel="messenger",
        address="+79990001122", subject="", body="", data={},
        secrets={"token": "s3cr3t-token", "unused": ""})
    text = _scrub("401 for token s3cr3t-token sending to +79990001122", None, message)
    assert text == "401 for token *** sending to ***"
