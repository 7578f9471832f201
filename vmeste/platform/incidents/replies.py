"""Answers to an incident: drafted by the body, approved by its responsible person, then
published once from the official page by the ``incidents.publish`` job
(:mod:`vmeste.platform.incidents.publication`).

An incident has at most one open draft: drafting again while one is open edits it
(its text and kind), so a body never has two competing answers waiting for approval.
Approval queues the publication in the approval's own transaction (the outbox message
is keyed by the reply id), so an approved answer is always published and a rejected or
unapproved one never is. An answer goes under the incident's first post on its
official page, from that page: an incident seen only elsewhere cannot be answered
there (an operator answers it in person, or makes it an appeal).
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.attachments.attach import Files, attach, check_attachable
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _, translate
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import access
from vmeste.platform.incidents.access import INCIDENT_FILES
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import (
    Incident,
    IncidentReply,
    ReplyKind,
    ReplyStatus,
    SocialPost,
)
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS as STEPS
from vmeste.platform.outbox.services import emit
from vmeste.platform.publics.models import OfficialPage, PageStatus

#: The outbox topic of a reply's publication: payload ``{"reply_id": int}``.
PUBLISH_TOPIC = "incidents.publish"
#: Longest answer a body writes: Telegram takes 4,096 characters a message, and the
#: follow-up question is added to a final answer.
TEXT_MAX = 3_500
REASON_MAX = 1_000


def publish_key(reply: IncidentReply) -> str:
    """The publication message's dedupe key: one job per approval (a reply sent back
    for publishing after a person's check counts its attempts)."""
    return f"{PUBLISH_TOPIC}:{reply.id}:{reply.attempts}"


async def draft(services: IncidentServices, principal: Principal, incident_id: int,
                text: str, kind: ReplyKind, files: Files | None = None) -> IncidentReply:
    """A new draft, or the open draft edited (see the module's docstring). Refusals
    about the incident name ``incidentId``, the field the draft is given it in. The
    drafting official's uploads (photos of the work done) join the incident's files."""
    files = files or Files()
    if not await Incident.exists(id=incident_id):
        raise DomainError.of("incidentId", translate(STEPS.not_found), ErrorCode.NOT_FOUND)
    incident = await STEPS.open(incident_id, Action.DRAFT_REPLY,
                                lambda row: access.require_staff(principal, row))
    text = _checked(text, "text", TEXT_MAX)
    await check_attachable(principal, files.ids, files.limit)
    parent_ref = await answer_target(incident)
    reply = await IncidentReply.filter(incident_id=incident.id,
                                       status=ReplyStatus.DRAFT).first()
    async with in_transaction() as conn:
        if reply is None:
            reply = await IncidentReply.create(
                incident_id=incident.id, kind=kind, text=text, parent_ref=parent_ref,
                written_by=principal.actor, using_db=conn)
        else:
            await _write_draft(conn, reply, kind=kind, text=text, parent_ref=parent_ref,
                               written_by=principal.actor)
        await attach(conn, principal, files.ids, parent=INCIDENT_FILES, parent_id=incident.id,
                     limit=files.limit, now=services.clock(),
                     scope_path=incident.territory_path)
        await STEPS.move(conn, incident, principal.actor, Action.DRAFT_REPLY, incident.status,
                         payload={"reply_id": reply.id, "kind": str(kind)})
    return reply


async def approve(services: IncidentServices, principal: Principal, reply_id: int
                  ) -> IncidentReply:
    """The responsible person's approval: the reply is APPROVED and its publication
    queued, in one transaction with the incident's event."""
    reply, incident = await _open(principal, reply_id, Action.APPROVE_REPLY)
    await answer_target(incident)  # the page may have been retired since the draft
    now = services.clock()

    async def approved(conn: BaseDBAsyncClient) -> None:
        await _write_draft(conn, reply, status=ReplyStatus.APPROVED,
                           approved_by=principal.actor, approved_at=now)
        await emit(conn, PUBLISH_TOPIC, {"reply_id": reply.id}, publish_key(reply))

    await STEPS.take(incident, principal.actor, Action.APPROVE_REPLY, incident.status,
                     payload={"reply_id": reply.id, "kind": str(reply.kind)}, within=approved)
    return reply


async def reject(services: IncidentServices, principal: Principal, reply_id: int,
                 reason: str) -> IncidentReply:
    """The responsible person sends the draft back, saying why; the body writes anew."""
    reply, incident = await _open(principal, reply_id, Action.REJECT_REPLY)
    reason = _checked(reason, "reason", REASON_MAX)

    async def rejected(conn: BaseDBAsyncClient) -> None:
        await _write_draft(conn, reply, status=ReplyStatus.REJECTED)

    await STEPS.take(incident, principal.actor, Action.REJECT_REPLY, incident.status,
                     reason=reason, payload={"reply_id": reply.id}, within=rejected)
    return reply


async def answer_target(incident: Incident) -> str:
    """The post an answer goes under: the incident's first post on its official page
    (for a comment, the post it comments). Refused when there is no such page or post."""
    page = (await OfficialPage.get_or_none(id=incident.official_page_id)
            if incident.official_page_id is not None else None)
    if page is None or page.status is PageStatus.RETIRED:
        raise DomainError.of("incidentId", _("The incident has no official page to answer "
                                             "it from"), ErrorCode.INVALID)
    first = await SocialPost.filter(incident_id=incident.id, network=page.network,
                                    page_ref=page.page_ref).order_by("posted_at", "id").first()
    if first is None:
        raise DomainError.of("incidentId", _("None of the incident's posts is on its official "
                                             "page"), ErrorCode.INVALID)
    return first.parent_ref or first.post_ref


async def _open(principal: Principal, reply_id: int, action: Action
                ) -> tuple[IncidentReply, Incident]:
    reply = await IncidentReply.get_or_none(id=reply_id)
    if reply is None:
        raise DomainError.of("replyId", _("Answer not found"), ErrorCode.NOT_FOUND)
    incident = await STEPS.open(reply.incident_id, action,
                                lambda row: access.require_approver(principal, row))
    if reply.status is not ReplyStatus.DRAFT:
        raise DomainError.of("replyId", _("Only a draft answer is approved or rejected"),
                             ErrorCode.ILLEGAL_TRANSITION)
    return reply, incident


async def _write_draft(conn: BaseDBAsyncClient, reply: IncidentReply,
                       **changes: object) -> None:
    """Change a draft on the revision it was read at (of an edit and an approval at
    once, one wins and the other is refused)."""
    changed = await IncidentReply.filter(
        id=reply.id, status=ReplyStatus.DRAFT, revision=reply.revision).using_db(conn).update(
        revision=reply.revision + 1, **changes)
    if changed != 1:
        raise DomainError.of(None, _("The answer was just changed; reload it and try again"),
                             ErrorCode.CONFLICT)
    reply.revision += 1
    for name, value in changes.items():
        setattr(reply, name, value)


def _checked(text: str, field: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise DomainError.of(field, _("Write the text"), ErrorCode.REQUIRED)
    if len(text) > limit:
        raise DomainError.of(field, _("At most {limit} characters", limit=limit),
                             ErrorCode.INVALID)
    return text
