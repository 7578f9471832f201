"""Answers to incidents: drafted, approved, published exactly once through the fake VK
and Telegram even when the network fails mid-request, a job runs twice or a worker
restarts; a refusal for good; an interim answer then a final one; who may do what."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette

from tests.incident_answer_world import (
    NOW,
    TELEGRAM_CHAT,
    VK_GROUP,
    Clock,
    incident,
    page,
    person,
    services_on,
    telegram,
    vk,
)
from tests.worlds import ORG_A, ORG_B, World
from vmeste.platform.deadlines.clock import WorkingDays, due_at
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import publication, replies
from vmeste.platform.incidents.models import (
    Incident,
    IncidentEvent,
    IncidentReply,
    IncidentStatus,
    ReplyKind,
    ReplyStatus,
)
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.publics.connectors import TransientError

FINAL_TAIL = "Оцените, пожалуйста, ответ: напишите в ответ оценку от 1 до 5."


async def staff(world: World) -> tuple[Principal, Principal]:
    """An executor of the ministry (writes) and its org_admin (approves)."""
    body = world.organizations[ORG_A]
    return (await person("executor", Role.EXECUTOR, organization_id=body),
            await person("head", Role.ORG_ADMIN, organization_id=body))


async def approved(services: IncidentServices, world: World, row: Incident,
                   kind: ReplyKind = ReplyKind.FINAL, text: str = "Яму заделаем до пятницы."
                   ) -> IncidentReply:
    writer, head = await staff(world)
    reply = await replies.draft(services, writer, row.id, text, kind)
    return await replies.approve(services, head, reply.id)


async def queued(reply: IncidentReply) -> int:
    """The reply id the publication job was queued with (the approval's own message)."""
    message = await OutboxMessage.get(topic=replies.PUBLISH_TOPIC)
    assert message.dedupe_key == f"incidents.publish:{reply.id}:0"
    return int(message.payload["reply_id"])


async def test_vk_publishes_once_when_the_connection_drops_after_the_comment(
        world: World, vmeste_app: Starlette) -> None:
    fake, clock = vk(), Clock()
    services = services_on(vmeste_app, fake, clock)
    row = await incident(world, await page(world, "vk", VK_GROUP))
    reply = await approved(services, world, row)
    fake.inject("wall.createComment", "drop")
    clock.now = NOW + timedelta(minutes=30)
    assert await publication.publish(services, await queued(reply))
    assert [c["post_id"] for c in fake.comments] == [7], "one comment, under the first post"
    assert fake.comments[0]["text"] == f"Яму заделаем до пятницы.\n\n{FINAL_TAIL}"
    assert len(fake.called("wall.createComment")) == 2, "sent again with the same guid"
    stored = await IncidentReply.get(id=reply.id)
    assert (stored.status, stored.comment_ref, stored.uncertain, stored.attempts) == (
        ReplyStatus.PUBLISHED, "1", False, 1)
    assert stored.published_at == clock.now
    # A duplicated job, and one after a restart (a fresh hub), find it published.
    assert not await publication.publish(services, reply.id)
    assert not await publication.publish(services_on(vmeste_app, fake, clock), reply.id)
    assert len(fake.comments) == 1 and len(fake.called("wall.createComment")) == 2


async def test_vk_after_every_attempt_failed_a_restarted_worker_still_posts_once(
        world: World, vmeste_app: Starlette) -> None:
    fake, clock = vk(), Clock()
    row = await incident(world, await page(world, "vk", VK_GROUP))
    reply = await approved(services_on(vmeste_app, fake, clock), world, row)
    fake.inject("wall.createComment", *["500"] * 5)
    with pytest.raises(TransientError):
        await publication.publish(services_on(vmeste_app, fake, clock), reply.id)
    stored = await IncidentReply.get(id=reply.id)
    assert (stored.status, stored.uncertain) == (ReplyStatus.APPROVED, True)
    assert stored.error == "vk wall.createComment: HTTP 500"
    assert len(fake.comments) == 1, "the network took it, the answers were lost"
    assert await publication.publish(services_on(vmeste_app, fake, clock), reply.id)
    assert len(fake.comments) == 1
    assert (await IncidentReply.get(id=reply.id)).status is ReplyStatus.PUBLISHED


async def test_telegram_never_sends_twice_after_a_lost_answer(
        world: World, vmeste_app: Starlette) -> None:
    fake, clock = telegram(), Clock()
    services = services_on(vmeste_app, fake, clock)
    row = await incident(world, await page(world, "telegram", TELEGRAM_CHAT), post_ref="10")
    reply = await approved(services, world, row)
    fake.inject("sendMessage", "drop")
    assert not await publication.publish(services, reply.id)
    stored = await IncidentReply.get(id=reply.id)
    assert (stored.status, stored.uncertain, stored.comment_ref) == (
        ReplyStatus.APPROVED, True, "")
    assert "telegram sendMessage" in stored.error and "123:" not in stored.error
    # The job again, then a restarted worker: the row says uncertain, nothing is sent.
    assert not await publication.publish(services, reply.id)
    assert not await publication.publish(services_on(vmeste_app, fake, clock), reply.id)
    assert len(fake.sent) == 1 and len(fake.called("sendMessage")) == 1
    stages = await IncidentEvent.filter(incident_id=row.id, action="publication_failed"
                                        ).values_list("payload", flat=True)
    assert [p["stage"] for p in stages] == ["uncertain"], "told once"
    # A person found it in the chat.
    _writer, head = await staff(world)
    settled = await publication.settle(services, head, reply.id, "1000")
    assert (settled.status, settled.comment_ref) == (ReplyStatus.PUBLISHED, "1000")
    assert (await Incident.get(id=row.id)).status is IncidentStatus.ANSWERED
    assert len(fake.sent) == 1


async def test_telegram_uncertain_and_not_in_the_chat_is_sent_again_once(
        world: World, vmeste_app: Starlette) -> None:
    fake, clock = telegram(), Clock()
    services = services_on(vmeste_app, fake, clock)
    row = await incident(world, await page(world, "telegram", TELEGRAM_CHAT), post_ref="10")
    reply = await approved(services, world, row)
    # A worker died mid-request: the row was marked before sending, nothing was sent.
    await IncidentReply.filter(id=reply.id).update(uncertain=True, attempts=1)
    assert not await publication.publish(services, reply.id)
    assert fake.sent == []
    _writer, head = await staff(world)
    await publication.settle(services, head, reply.id, None)
    requeued = await OutboxMessage.get(dedupe_key=f"incidents.publish:{reply.id}:2")
    assert await publication.publish(services, int(requeued.payload["reply_id"]))
    assert [m["reply_parameters"]["message_id"] for m in fake.sent] == [10]
    with pytest.raises(DomainError) as refused:
        await publication.settle(services, head, reply.id, None)
    assert refused.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION


async def test_telegram_two_deliveries_of_one_job_at_once_send_once(
        world: World, vmeste_app: Starlette) -> None:
    fake, clock = telegram(), Clock()
    row = await incident(world, await page(world, "telegram", TELEGRAM_CHAT), post_ref="10")
    reply = await approved(services_on(vmeste_app, fake, clock), world, row)
    results = await asyncio.gather(
        publication.publish(services_on(vmeste_app, fake, clock), reply.id),
        publication.publish(services_on(vmeste_app, fake, clock), reply.id))
    assert sorted(results) == [False, True]
    assert len(fake.sent) == 1
    assert await IncidentEvent.filter(incident_id=row.id, action="publish_reply").count() == 1


async def test_telegram_restart_between_the_send_and_the_bookkeeping(
        world: World, vmeste_app: Starlette, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, clock = telegram(), Clock()
    row = await incident(world, await page(world, "telegram", TELEGRAM_CHAT), post_ref="10")
    reply = await approved(services_on(vmeste_app, fake, clock), world, row)

    async def crash(*_args: object) -> bool:
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(publication, "record_publication", crash)
        with pytest.raises(RuntimeError):
            await publication.publish(services_on(vmeste_app, fake, clock), reply.id)
    assert await publication.publish(services_on(vmeste_app, fake, clock), reply.id)
    assert len(fake.sent) == 1 and len(fake.called("sendMessage")) == 1
    assert (await IncidentReply.get(id=reply.id)).comment_ref == "1000"


async def test_a_revoked_token_fails_the_reply_for_good(
        world: World, vmeste_app: Starlette) -> None:
    fake, clock = vk(), Clock()
    services = services_on(vmeste_app, fake, clock)
    row = await incident(world, await page(world, "vk", VK_GROUP))
    reply = await approved(services, world, row)
    fake.inject("wall.createComment", 15)
    assert not await publication.publish(services, reply.id)
    stored = await IncidentReply.get(id=reply.id)
    assert (stored.status, stored.error, stored.uncertain) == (
        ReplyStatus.FAILED, "Unauthorized: vk wall.createComment: error 15", False)
    assert "vk-group-token" not in stored.error
    assert await IncidentEvent.filter(incident_id=row.id, action="publication_failed").count() == 1
    assert (await Incident.get(id=row.id)).status is IncidentStatus.ROUTED
    assert not await publication.publish(services, reply.id), "a failed reply stays failed"
    assert fake.comments == []


async def test_transient_failures_on_the_last_attempt_fail_a_reply_never_sent(
        world: World, vmeste_app: Starlette) -> None:
    fake, clock = telegram(), Clock()
    services = services_on(vmeste_app, fake, clock)
    row = await incident(world, await page(world, "telegram", TELEGRAM_CHAT), post_ref="10")
    reply = await approved(services, world, row)
    fake.inject("sendMessage", *[1] * 5)  # 429 five times: Telegram did nothing
    assert not await publication.publish(services, reply.id, last_attempt=True)
    stored = await IncidentReply.get(id=reply.id)
    assert (stored.status, stored.uncertain) == (ReplyStatus.FAILED, False)
    assert fake.sent == []


async def test_interim_then_final(world: World, vmeste_app: Starlette) -> None:
    fake, clock = vk(), Clock()
    services = services_on(vmeste_app, fake, clock)
    row = await incident(world, await page(world, "vk", VK_GROUP))
    interim = await approved(services, world, row, ReplyKind.INTERIM,
                             "Передали в дорожную службу, ответим подробно.")
    clock.now = NOW + timedelta(minutes=40)
    assert await publication.publish(services, interim.id)
    after = await Incident.get(id=row.id)
    calendar = await services.deadlines.calendars.for_path(after.territory_path)
    assert after.status is IncidentStatus.ROUTED
    assert (after.first_response_at, after.first_response_seconds) == (clock.now, 100 * 60)
    assert after.answer_due_at == due_at(WorkingDays(7), clock.now, calendar,
                                         ZoneInfo("Europe/Kirov"))
    assert after.answer_due_at > clock.now + timedelta(days=8), "working days, a weekend"
    assert fake.comments[0]["text"] == "Передали в дорожную службу, ответим подробно."

    final = await approved(services, world, row)
    clock.now = NOW + timedelta(days=2)
    assert await publication.publish(services, final.id)
    done = await Incident.get(id=row.id)
    assert done.status is IncidentStatus.ANSWERED
    assert (done.answered_at, done.answer_late) == (clock.now, False)
    assert done.next_check_at == clock.now + timedelta(hours=72)
    assert done.first_response_seconds == 100 * 60, "the first response stays the first"
    assert [c["text"].endswith(FINAL_TAIL) for c in fake.comments] == [False, True]
    actions = await IncidentEvent.filter(incident_id=row.id).values_list("action", flat=True)
    assert actions == ["draft_reply", "approve_reply", "publish_reply"] * 2


async def test_a_final_answer_past_its_term_is_late(world: World, vmeste_app: Starlette
                                                    ) -> None:
    fake, clock = vk(), Clock()
    services = services_on(vmeste_app, fake, clock)
    row = await incident(world, await page(world, "vk", VK_GROUP))
    reply = await approved(services, world, row)
    clock.now = NOW + timedelta(hours=9)
    assert await publication.publish(services, reply.id)
    assert (await Incident.get(id=row.id)).answer_late is True


async def test_one_open_draft_edited_and_rejection(world: World, vmeste_app: Starlette
                                                   ) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    row = await incident(world, await page(world, "vk", VK_GROUP))
    writer, head = await staff(world)
    first = await replies.draft(services, writer, row.id, "Черновик", ReplyKind.FINAL)
    edited = await replies.draft(services, writer, row.id, "  Исправлено  ", ReplyKind.INTERIM)
    assert edited.id == first.id
    stored = await IncidentReply.get(id=first.id)
    assert (stored.text, stored.kind, stored.parent_ref) == ("Исправлено", ReplyKind.INTERIM, "7")
    await replies.reject(services, head, first.id, "Не указан срок")
    assert (await IncidentReply.get(id=first.id)).status is ReplyStatus.REJECTED
    event = await IncidentEvent.get(incident_id=row.id, action="reject_reply")
    assert event.reason == "Не указан срок"
    assert not await OutboxMessage.filter(topic=replies.PUBLISH_TOPIC).exists()
    with pytest.raises(DomainError) as again:
        await replies.approve(services, head, first.id)
    assert again.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION


async def test_who_may_draft_and_approve(world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    row = await incident(world, await page(world, "vk", VK_GROUP))
    writer, head = await staff(world)
    stranger = await person("other", Role.EXECUTOR, organization_id=world.organizations[ORG_B])
    with pytest.raises(Forbidden):
        await replies.draft(services, stranger, row.id, "Ответ", ReplyKind.FINAL)
    reply = await replies.draft(services, writer, row.id, "Ответ", ReplyKind.FINAL)
    with pytest.raises(Forbidden):
        await replies.approve(services, writer, reply.id)
    with pytest.raises(Forbidden):
        await replies.reject(services, writer, reply.id, "нет")
    for text, code in (("   ", ErrorCode.REQUIRED), ("я" * 3_501, ErrorCode.INVALID)):
        with pytest.raises(DomainError) as refused:
            await replies.draft(services, writer, row.id, text, ReplyKind.FINAL)
        assert refused.value.errors[0].code is code
    await replies.approve(services, head, reply.id)
    assert await OutboxMessage.filter(topic=replies.PUBLISH_TOPIC).count() == 1


async def test_no_official_page_and_not_routed_are_refused(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    writer, _head = await staff(world)
    pageless = await incident(world, None)
    with pytest.raises(DomainError) as refused:
        await replies.draft(services, writer, pageless.id, "Ответ", ReplyKind.FINAL)
    assert refused.value.errors[0].code is ErrorCode.INVALID
    fresh = await incident(world, await page(world, "vk", VK_GROUP), post_ref="8",
                           status=IncidentStatus.NEW)
    with pytest.raises(DomainError) as early:
        await replies.draft(services, writer, fresh.id, "Ответ", ReplyKind.FINAL)
    assert early.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION


def test_the_publication_topic_is_registered(vmeste_app: Starlette) -> None:
    topic = vmeste_app.state.runtime.topics[replies.PUBLISH_TOPIC]
    assert topic is publication.PUBLISH_JOB
