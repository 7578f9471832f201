"""The ``incidents.publish`` job: an approved answer published once from the official
page, and what its publication changes on the incident.

**Exactly once, whatever fails.** Every attempt at one reply carries the idempotency
key ``incident-reply-<id>``. VK posts one comment per key (``guid``), so an attempt
after any failure is simply sent again. A network with no such key (Telegram) keeps
the outcome in the connector's ledger, which here is the reply's own row
(:class:`ReplyLedger`): before the request the row is claimed (its ``attempts`` counted
on the value read, so of two deliveries of one job at once only one sends) and marked
``uncertain`` (a crash from there on leaves it so), and after it the row holds what the
connector learnt: the comment's id, still uncertain (the answer was lost on the way
back), or nothing (refused before sending, free to try again). So a retry, in this
process or another after a restart, asks the ledger before it posts, and an uncertain
Telegram reply waits for a person who looked at the chat (:func:`settle`) instead of
being sent twice. The comment's id is stored the moment it is known, before the incident's
bookkeeping, so a bookkeeping conflict retried never publishes again. A job that
finds its reply no longer APPROVED (published, failed, a duplicate message) does
nothing. (OK reads the discussion before sending again within one call; it keeps no
ledger, so a worker killed mid-request on OK may post once more after a restart.)

Failures: a refusal for good (a revoked token, a deleted post, a network switched
off, any refusal that is not a rate limit) makes the reply FAILED with the connector's
message, which names the network and method only; rate limits and transient failures
are raised for the outbox to retry, and on the last retry a reply known not to be out
fails too.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import DEFAULT, N_, _, translate, use_locale
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import access, sla
from vmeste.platform.incidents.lifecycle import ALLOWED_FROM, Action
from vmeste.platform.incidents.models import (
    Incident,
    IncidentReply,
    IncidentStatus,
    ReplyKind,
    ReplyStatus,
)
from vmeste.platform.incidents.replies import PUBLISH_TOPIC, publish_key
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS as STEPS
from vmeste.platform.outbox.services import emit
from vmeste.platform.outbox.topics import Topic, scope_of
from vmeste.platform.publics.connectors import (
    UNKNOWN,
    AmbiguousDelivery,
    ConnectorError,
    Published,
    RateLimited,
    Reply,
    TransientError,
)
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.reference.models import Territory

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:incidents/publish"
#: Appended to a final answer, so the author's reply can be read as its score.
FOLLOW_UP = N_("Please rate this answer: reply with a score from 1 to 5.")
#: How often the incident's bookkeeping is tried against concurrent steps.
BOOKKEEPING_TRIES = 5


class ReplyLedger(MutableMapping[str, str]):
    """The connector's ledger for one reply, read from its row: whatever key the
    connector files the reply under, the entry is this reply's (a comment id, or
    :data:`UNKNOWN`). The job writes it back to the row after the call."""

    def __init__(self, reply: IncidentReply) -> None:
        self.value: str | None = reply.comment_ref or (UNKNOWN if reply.uncertain else None)
        self.key = ""

    def __getitem__(self, key: str) -> str:
        if self.value is None:
            raise KeyError(key)
        return self.value

    def __setitem__(self, key: str, value: str) -> None:
        self.key, self.value = key, value

    def __delitem__(self, key: str) -> None:
        if self.value is None:
            raise KeyError(key)
        self.value = None

    def __iter__(self) -> Iterator[str]:
        return iter(() if self.value is None else (self.key,))

    def __len__(self) -> int:
        return 0 if self.value is None else 1


def published_text(reply: IncidentReply) -> str:
    """What goes out: the text, and for a final answer the follow-up question, in the
    platform's default language (the page's audience), the same on every attempt."""
    if reply.kind is not ReplyKind.FINAL:
        return reply.text
    with use_locale(DEFAULT):
        return f"{reply.text}\n\n{translate(FOLLOW_UP)}"


async def publish(services: IncidentServices, reply_id: int, *, last_attempt: bool = False
                  ) -> bool:
    """Publish the approved reply; True when this call recorded its publication."""
    reply = await IncidentReply.get_or_none(id=reply_id)
    if reply is None or reply.status is not ReplyStatus.APPROVED:
        return False
    if not reply.comment_ref:
        published = await _deliver(services, reply, last_attempt)
        if published is None:
            return False
        reply.comment_ref = published.comment_id
    return await record_publication(services, reply)


async def settle(services: IncidentServices, principal: Principal, reply_id: int,
                 comment_ref: str | None) -> IncidentReply:
    """A person's finding on an uncertain reply (the network cannot be asked): the
    comment's id when the answer is on the page (its publication is recorded), None
    when it is not (it is queued to be sent again)."""
    reply = await IncidentReply.get_or_none(id=reply_id)
    if reply is None:
        raise DomainError.of("replyId", _("Answer not found"), ErrorCode.NOT_FOUND)
    await access.require_approver(principal, await Incident.get(id=reply.incident_id))
    if reply.status is not ReplyStatus.APPROVED or not reply.uncertain:
        raise DomainError.of("replyId", _("Only an answer whose delivery is uncertain is "
                                          "settled by hand"), ErrorCode.ILLEGAL_TRANSITION)
    if comment_ref:
        await IncidentReply.filter(id=reply.id).update(comment_ref=comment_ref.strip()[:200],
                                                       uncertain=False)
        await publish(services, reply.id)
    else:
        async with in_transaction() as conn:
            await IncidentReply.filter(id=reply.id).using_db(conn).update(uncertain=False,
                                                                         error="")
            await emit(conn, PUBLISH_TOPIC, {"reply_id": reply.id}, publish_key(reply))
    return await IncidentReply.get(id=reply.id)


async def _deliver(services: IncidentServices, reply: IncidentReply, last_attempt: bool
                   ) -> Published | None:
    """One attempt through the page's connector; None when the reply failed for good
    or waits for a person. The row's ledger fields are written back either way."""
    incident = await Incident.get(id=reply.incident_id)
    page = (await OfficialPage.get_or_none(id=incident.official_page_id)
            if incident.official_page_id is not None else None)
    if page is None:
        await _failed(reply, incident, "the incident has no official page")
        return None
    territory = await Territory.get(id=page.territory_id)
    ledger = ReplyLedger(reply)
    # The claim: of two deliveries of one job at once, one sends; a crash from here on
    # leaves the reply uncertain.
    claimed = await IncidentReply.filter(
        id=reply.id, status=ReplyStatus.APPROVED, attempts=reply.attempts).update(
        uncertain=True, attempts=reply.attempts + 1)
    if not claimed:
        return None
    message = Reply(page_id=page.page_ref, parent_id=reply.parent_ref,
                    text=published_text(reply), idempotency_key=f"incident-reply-{reply.id}")
    try:
        async with services.hub.connector(page.network, territory.code,
                                          page.token_variable, ledger=ledger) as connector:
            published = await connector.publish(message)
    except AmbiguousDelivery as error:
        async with in_transaction() as conn:
            await _keep(conn, reply, ledger, str(error), uncertain=True)
            if not reply.uncertain:  # told once, not on every job that finds it so
                await _failure_event(conn, reply, incident, "uncertain")
        return None
    except (TransientError, RateLimited) as error:
        uncertain = ledger.value == UNKNOWN or getattr(error, "ambiguous", False)
        if last_attempt and not uncertain:
            await _failed(reply, incident, str(error))
            return None
        async with in_transaction() as conn:
            await _keep(conn, reply, ledger, str(error), uncertain=uncertain)
        raise
    except ConnectorError as error:  # refused: Unauthorized, NotFound, Unsupported, …
        await _failed(reply, incident, f"{type(error).__name__}: {error}")
        return None
    await IncidentReply.filter(id=reply.id).update(comment_ref=published.comment_id,
                                                   uncertain=False, error="")
    return published


async def _keep(conn: BaseDBAsyncClient, reply: IncidentReply, ledger: ReplyLedger,
                error: str, *, uncertain: bool) -> None:
    """The ledger's state after an attempt that published nothing known, written only
    while the row is still this attempt's claim: a later delivery of the job that has
    since published it is not undone."""
    await IncidentReply.filter(id=reply.id, status=ReplyStatus.APPROVED,
                               attempts=reply.attempts + 1).using_db(conn).update(
        uncertain=uncertain, error=error[:500],
        comment_ref="" if ledger.value in (None, UNKNOWN) else ledger.value)


async def _failed(reply: IncidentReply, incident: Incident, error: str) -> None:
    """A refusal for good: nothing went out, the body writes a new draft."""
    async with in_transaction() as conn:
        changed = await IncidentReply.filter(
            id=reply.id, status=ReplyStatus.APPROVED).using_db(conn).update(
            status=ReplyStatus.FAILED, uncertain=False, error=error[:500])
        if changed:
            await _failure_event(conn, reply, incident, "failed")


async def _failure_event(conn: BaseDBAsyncClient, reply: IncidentReply, incident: Incident,
                         stage: str) -> None:
    """PUBLICATION_FAILED on the incident's history, its status unchanged."""
    await STEPS.record(conn, incident, ACTOR, Action.PUBLICATION_FAILED, incident.status,
                       incident.status, payload={"reply_id": reply.id, "stage": stage})


async def record_publication(services: IncidentServices, reply: IncidentReply) -> bool:
    """The publication on the reply and the incident, in one transaction, tried again
    on a concurrent step: the step a delivery ends in once the network has the comment
    (``reply.comment_ref``, already kept on the row). Recorded at the services' clock,
    which is how ``vmeste demo`` records its answers without a network."""
    now = services.clock()
    for _try in range(BOOKKEEPING_TRIES):
        incident = await Incident.get(id=reply.incident_id)
        status = await _answered(services, incident, reply, now)
        try:
            async with in_transaction() as conn:
                changed = await IncidentReply.filter(
                    id=reply.id, status=ReplyStatus.APPROVED).using_db(conn).update(
                    status=ReplyStatus.PUBLISHED, published_at=now, uncertain=False,
                    error="", comment_ref=reply.comment_ref)
                if not changed:
                    return False  # a twin job recorded it
                payload = {"reply_id": reply.id, "kind": str(reply.kind)}
                if incident.status in ALLOWED_FROM[Action.PUBLISH_REPLY]:
                    await STEPS.move(conn, incident, ACTOR, Action.PUBLISH_REPLY, status,
                                     payload=payload)
                else:  # the incident moved on (closed, appealed): the history still says
                    await STEPS.record(conn, incident, ACTOR, Action.PUBLISH_REPLY,
                                       incident.status, incident.status, payload=payload)
            return True
        except DomainError as error:
            if error.errors[0].code is not ErrorCode.CONFLICT:
                raise
    raise DomainError.of(None, translate(STEPS.conflict), ErrorCode.CONFLICT)


async def _answered(services: IncidentServices, incident: Incident, reply: IncidentReply,
                    now: datetime) -> IncidentStatus:
    """The incident's fields a publication sets (in memory), and its next status."""
    if incident.status not in ALLOWED_FROM[Action.PUBLISH_REPLY]:
        return incident.status
    if incident.first_response_at is None:
        incident.first_response_at = now
        incident.first_response_seconds = int((now - incident.registered_at).total_seconds())
    if incident.status is IncidentStatus.ANSWERED:
        return incident.status  # a later answer adds to the final one, no term changes
    if reply.kind is ReplyKind.INTERIM:
        await sla.restart_answer(services, incident, now, in_days=True)
        return incident.status
    policy = await sla.policy_of(services, incident)
    incident.answered_at = now
    incident.answer_late = (incident.answer_due_at is not None
                            and now > incident.answer_due_at)
    incident.next_check_at = now + timedelta(hours=policy.satisfaction_wait_hours)
    return IncidentStatus.ANSWERED


async def _job(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    services = runtime.service(IncidentServices)
    return int(await publish(services, int(payload["reply_id"]), last_attempt=last_attempt))


PUBLISH_JOB = Topic(PUBLISH_TOPIC, "vmeste.incident_publish", "incidents", _job,
                    scope_of(Incident, "reply_id", "replies__id"),
                    safe_errors=(ConnectorError,))
