"""Proposals on the draft: online from participants, or entered by staff from the
meeting and from letters; their moderation; who reads which.

A proposal is taken while the hearing takes proposals (exposition, meeting), on the
newest published version, optionally anchored to one of its sections and to a passage
of it (the quote must occur in the section, spacing aside). Its author's class is copied
onto it, so the protocol's split never changes after the fact. Proposals are numbered
1..n per hearing in the order they are taken: the number is given under the hearing's
row lock (:func:`~vmeste.platform.hearings.drafts.locked_status`), which also orders
the proposal against the step that ends proposals.

Moderation is the platform's chain, as for appeals (region policy ``moderation``): it
judges the text alone (no applicant: a participant's appeals are not a hearing's
business), and its verdict stands: accepted proposals are published, rejected ones
keep the strategy's code and reason, the rest wait for a moderator of the territory,
who publishes or rejects with a reason (required to reject).

Everyone reads the published proposals of a hearing out of draft; its organisers,
staff, moderators and auditors read every proposal (:func:`readable_proposals`, the one
definition behind the list and its compiled plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from vmeste.platform.appeals.moderation import ModerationRequest, Verdict, moderate
from vmeste.platform.attachments.attach import Files, attach, check_attachable
from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import access, participants
from vmeste.platform.hearings.drafts import current_version, hearing_of, locked_status, may_see
from vmeste.platform.hearings.lifecycle import TAKING_PROPOSALS
from vmeste.platform.hearings.models import (
    DocumentKind,
    DraftSection,
    Hearing,
    HearingParticipant,
    HearingStatus,
    ParticipantClass,
    Proposal,
    ProposalChannel,
    ProposalStatus,
)
from vmeste.platform.hearings.readiness import published
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import Territory
from vmeste.platform.steps import require_transition

TEXT_MAX = 10_000
#: The parent kind of a proposal's files.
PROPOSAL_FILES = "hearing_proposal"
QUOTE_MAX = 2_000
REASON_MAX = 2_000
PROPOSE = "propose"
MODERATE = "moderate"
#: Who reads every proposal: by territory, and by the organising body.
ALL_BY_TERRITORY = (*access.TERRITORY_READERS, Role.MODERATOR)
ALL_BY_BODY = (Role.ORG_ADMIN, Role.OPERATOR)

#: Moderation goes on while proposals are taken and until the protocol is signed.
MODERATING = TAKING_PROPOSALS | {HearingStatus.PROTOCOL}


@dataclass(frozen=True)
class ProposalInput:
    text: str
    section_id: int | None = None
    quote: str | None = None
    #: The author's (or the entering staff's) own uploads, scans of a letter.
    files: Files = field(default_factory=Files)


def _spaced(text: str) -> str:
    return " ".join(text.split()).casefold()


def _checked(data: ProposalInput) -> tuple[str, str]:
    text, quote = data.text.strip(), (data.quote or "").strip()
    if not text:
        raise DomainError.of("text", _("The proposal has no text"), ErrorCode.REQUIRED)
    if len(text) > TEXT_MAX:
        raise DomainError.of("text", _("At most {limit} characters", limit=TEXT_MAX),
                             ErrorCode.INVALID)
    if len(quote) > QUOTE_MAX:
        raise DomainError.of("quote", _("At most {limit} characters", limit=QUOTE_MAX),
                             ErrorCode.INVALID)
    if quote and data.section_id is None:
        raise DomainError.of("quote", _("A quote needs the section it is from"),
                             ErrorCode.INVALID)
    return text, quote


async def _anchor(hearing: Hearing, data: ProposalInput, quote: str
                  ) -> tuple[int, DraftSection | None]:
    """The current version's id and the section the proposal is anchored to."""
    version = await current_version(hearing.pk)
    if version is None:
        raise DomainError.of(None, _("The draft is not published yet"), ErrorCode.INVALID)
    if data.section_id is None:
        return version.pk, None
    section = await DraftSection.get_or_none(id=data.section_id, version_id=version.pk)
    if section is None:
        raise DomainError.of("sectionId", _("The current version of the draft has no such "
                                            "section"), ErrorCode.NOT_FOUND)
    if quote and _spaced(quote) not in _spaced(f"{section.heading}\n{section.text}"):
        raise DomainError.of("quote", _("The quoted passage is not in the section"),
                             ErrorCode.INVALID)
    return version.pk, section


async def _verdict(resolver: PolicyResolver, hearing: Hearing, text: str, now: datetime
                   ) -> dict[str, object]:
    """The moderation chain's verdict as the proposal's columns."""
    code = await Territory.filter(id=hearing.territory_id).first().values_list("code",
                                                                                flat=True)
    verdict = await moderate(resolver, ModerationRequest(
        text=text, applicant_id=None, category_id=None, territory_code=str(code), now=now))
    status = {Verdict.ACCEPT: ProposalStatus.PUBLISHED, Verdict.REJECT: ProposalStatus.REJECTED,
              Verdict.REVIEW: ProposalStatus.PENDING}[verdict.verdict]
    decided = verdict.verdict != Verdict.REVIEW
    return {"status": status, "moderation_code": verdict.code,
            "moderation_reason": verdict.reason,
            "moderated_by": (verdict.strategy or "moderation") if decided else "",
            "moderated_at": now if decided else None}


async def _take(principal: Principal, hearing: Hearing, participant: HearingParticipant | None,
                entered: tuple[str, ParticipantClass] | None, channel: ProposalChannel,
                data: ProposalInput, resolver: PolicyResolver, now: datetime) -> Proposal:
    """Number and store a proposal (and the participant staff enter with it) under the
    hearing's lock, once the stage is checked again there."""
    text, quote = _checked(data)
    version_id, section = await _anchor(hearing, data, quote)
    await check_attachable(principal, data.files.ids, data.files.limit)
    verdict = await _verdict(resolver, hearing, text, now)
    async with in_transaction() as conn:
        hearing.status = await locked_status(conn, hearing)
        require_transition({PROPOSE: TAKING_PROPOSALS}, PROPOSE, hearing.status)
        if participant is None:
            assert entered is not None
            participant = await participants.enter(conn, principal, hearing, *entered, channel)
        last = await Proposal.filter(hearing_id=hearing.pk).using_db(conn).order_by(
            "-number").first().values_list("number", flat=True)
        proposal = await Proposal.create(
            hearing_id=hearing.pk, number=int(last or 0) + 1, participant_id=participant.pk,
            participant_class=participant.participant_class, version_id=version_id,
            section_id=section.pk if section else None, quote=quote, text=text,
            channel=channel, entered_by="" if channel == ProposalChannel.ONLINE
            else principal.actor, **verdict, using_db=conn)
        await record(actor=principal.actor, action="hearing.propose",
                     object_type="hearing_proposal", object_id=proposal.pk, before=None,
                     after={"hearing_id": hearing.pk, "number": proposal.number,
                            "channel": channel, "participant_class": proposal.participant_class,
                            "status": proposal.status, "moderation_code": proposal.moderation_code},
                     scope_path=hearing.territory_path, using=conn)
        await attach(conn, principal, data.files.ids, parent=PROPOSAL_FILES,
                     parent_id=proposal.pk, limit=data.files.limit, now=now,
                     scope_path=hearing.territory_path)
    return proposal


async def submit(principal: Principal, resolver: PolicyResolver, hearing_id: int,
                 data: ProposalInput, *, now: datetime) -> Proposal:
    """A participant's proposal online; a first proposal registers its author (with no
    declaration: a right-holder registers first)."""
    require_authenticated(principal)
    hearing = await hearing_of(hearing_id)
    if not may_see(principal, hearing):
        raise DomainError.of("hearingId", _("Hearing not found"), ErrorCode.NOT_FOUND)
    require_transition({PROPOSE: TAKING_PROPOSALS}, PROPOSE, hearing.status)
    _text, quote = _checked(data)
    participant = await participants.registration(principal, hearing)
    if participant is None:
        # A refused proposal registers nobody: the conclusion counts the participants.
        await _anchor(hearing, data, quote)
        participant = await participants.enrol(principal, hearing)
    return await _take(principal, hearing, participant, None, ProposalChannel.ONLINE, data,
                       resolver, now)


@dataclass(frozen=True)
class StaffEntry:
    """A proposal made at the meeting or in writing: its author is a participant known
    already (``participant_id``) or entered with it (``name`` and ``participant_class``)."""

    channel: ProposalChannel
    proposal: ProposalInput
    participant_id: int | None = None
    name: str = ""
    participant_class: ParticipantClass | None = None


async def record_entry(principal: Principal, resolver: PolicyResolver, hearing_id: int,
                       entry: StaffEntry, *, now: datetime) -> Proposal:
    hearing = await hearing_of(hearing_id)
    access.require_staff(principal, hearing.territory_path, hearing.organiser_id)
    require_transition({PROPOSE: TAKING_PROPOSALS}, PROPOSE, hearing.status)
    channel = participants.staff_channel(entry.channel)
    if (entry.participant_id is None) == (entry.participant_class is None):
        raise DomainError.of("participantId", _("Name either a registered participant or a "
                                                "new one"), ErrorCode.INVALID)
    participant = None
    if entry.participant_id is not None:
        participant = await HearingParticipant.get_or_none(id=entry.participant_id,
                                                           hearing_id=hearing.pk)
        if participant is None:
            raise DomainError.of("participantId", _("The hearing has no such participant"),
                                 ErrorCode.NOT_FOUND)
    entered = None if participant else (entry.name, ParticipantClass(entry.participant_class))
    return await _take(principal, hearing, participant, entered, channel, entry.proposal,
                       resolver, now)


async def decide(principal: Principal, proposal_id: int, *, publish: bool, reason: str,
                 now: datetime) -> Proposal:
    """A moderator publishes or rejects a proposal (a decision may be changed until the
    protocol is signed or published, never after: the frozen protocol and the
    conclusion that cites it list the same proposals; each decision is recorded with
    its moderator)."""
    require_authenticated(principal)
    proposal = await Proposal.get_or_none(id=proposal_id).prefetch_related("hearing")
    if proposal is None:
        raise DomainError.of("id", _("Proposal not found"), ErrorCode.NOT_FOUND)
    hearing = proposal.hearing
    access.require_moderator(principal, hearing.territory_path)
    require_transition({MODERATE: MODERATING}, MODERATE, hearing.status)
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise DomainError.of("reason", _("At most {limit} characters", limit=REASON_MAX),
                             ErrorCode.INVALID)
    if not publish and not reason:
        raise DomainError.of("reason", _("Give the reason for the rejection"),
                             ErrorCode.REQUIRED)
    status = ProposalStatus.PUBLISHED if publish else ProposalStatus.REJECTED
    before = proposal.status
    async with in_transaction() as conn:
        hearing.status = await locked_status(conn, hearing)  # a signing meanwhile wins
        require_transition({MODERATE: MODERATING}, MODERATE, hearing.status)
        if await published(hearing.pk, DocumentKind.PROTOCOL, conn):
            raise DomainError.of(None, _("The protocol is published: the moderation of "
                                         "its proposals is over"),
                                 ErrorCode.ILLEGAL_TRANSITION)
        changed = await Proposal.filter(id=proposal.pk, status=before).using_db(conn).update(
            status=status, moderation_code="moderator", moderation_reason=reason,
            moderated_by=principal.actor, moderated_at=now)
        if changed != 1:
            raise DomainError.of(None, _("The proposal was just moderated; reload it"),
                                 ErrorCode.CONFLICT)
        await record(actor=principal.actor, action="hearing.moderate_proposal",
                     object_type="hearing_proposal", object_id=proposal.pk,
                     before={"status": before}, after={"status": status, "reason": reason},
                     scope_path=hearing.territory_path, using=conn)
    proposal.status, proposal.moderation_code, proposal.moderation_reason = (
        status, "moderator", reason)
    proposal.moderated_by, proposal.moderated_at = principal.actor, now
    return proposal


def reads_all(principal: Principal, prefix: str = "hearing__") -> Q:
    """Hearings (named from another table by ``prefix``) whose every proposal the
    caller reads."""
    return (access.within_scopes(principal, ALL_BY_TERRITORY, f"{prefix}territory_path")
            | access.of_organizations(principal, ALL_BY_BODY, f"{prefix}organiser_id"))


def may_read_all(principal: Principal, hearing: Hearing) -> bool:
    return (principal.covers_territory(hearing.territory_path, ALL_BY_TERRITORY)
            or hearing.organiser_id in principal.organization_ids(ALL_BY_BODY))


def visible_proposals(principal: Principal) -> Q:
    """Published proposals of hearings out of draft, and every proposal of the hearings
    whose every proposal the caller reads."""
    return (access.visible_hearings(principal, "hearing__")
            & (Q(status=ProposalStatus.PUBLISHED) | reads_all(principal)))


async def may_see_proposal_files(principal: Principal, proposal_id: int) -> bool:
    """Who gets a proposal's files besides their uploader: only those who read every
    proposal of the hearing. A file is not moderated as the text is, and a letter's
    scan shows the name, address and signature the public never sees."""
    return await Proposal.filter(reads_all(principal), id=proposal_id).exists()


def readable_proposals(principal: Principal, hearing_id: int, *,
                       status: ProposalStatus | None = None,
                       participant_class: ParticipantClass | None = None
                       ) -> QuerySet[Proposal]:
    """The proposals of a hearing the caller reads, by number."""
    query = Proposal.filter(visible_proposals(principal), hearing_id=hearing_id)
    if status is not None:
        query = query.filter(status=status)
    if participant_class is not None:
        query = query.filter(participant_class=participant_class)
    return query
