"""What the protocol and the conclusion of a hearing hold, gathered from the database.

The Town Planning Code lists both (art. 5.1):

- part 18, the protocol: (1) its date; (2) the organiser; (3) the content of the
  published notice, with the date and the source of its publication; (4) the period in
  which proposals were taken and the territory of the hearing; (5) all proposals and
  remarks of the participants, split into those of citizens who are participants and
  live permanently on that territory, and those of the other participants;
- part 22, the conclusion: (1) its date; (2) the project and the number of participants;
  (3) the reference to the protocol it rests on; (4) the proposals split the same way;
  (5) the organiser's reasoned recommendations on taking them into account; (6) the
  conclusions.

The split follows the letter of part 18 item 5: only the participants who live on the
territory (:attr:`ParticipantClass.RESIDENT`, a registered address inside it) are in
the first group. A right-holder of land or a building there is a participant by part 2
(that is why they may take part at all), but the law does not count them with those who
live there, so :attr:`ParticipantClass.RIGHT_HOLDER` goes with the other participants,
their class named beside each proposal.

Neither document names anybody in its body: a proposal cites its author as "Participant
N", N being the participant's place in the annex (part 19: the list of the participants
with their personal data), which only the protocol's full copy carries
(:mod:`vmeste.platform.hearings.frozen`). Both documents number the participants the
same way, in the order they registered or were entered (the list is closed by then:
registration ends with proposals).

Each document is a few queries whatever the number of proposals: the hearing with its
organiser and territory, the draft's newest version, the participants, their address
territories (the protocol's annex), the proposals with their section in one join.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from vmeste.platform.hearings.models import (
    DocumentKind,
    DraftVersion,
    Hearing,
    HearingDocument,
    HearingKind,
    HearingParticipant,
    ParticipantClass,
    Proposal,
    ProposalChannel,
    ProposalStatus,
    Recommendation,
)
from vmeste.platform.reference.models import Territory

#: Proposals entered by the organising body (at the meeting, in writing) count unless
#: moderation rejected them; those sent online once moderation published them.
ENTERED = (ProposalChannel.MEETING, ProposalChannel.WRITTEN)
IN_DOCUMENTS = Q(status=ProposalStatus.PUBLISHED) | (
    Q(channel__in=ENTERED) & ~Q(status=ProposalStatus.REJECTED))
#: The first group of part 18 item 5: those who live on the territory.
LIVING_THERE = frozenset({ParticipantClass.RESIDENT})


@dataclass(frozen=True)
class ProposalLine:
    number: int
    #: The author's number in the annex: the documents print "Participant N".
    participant: int
    participant_class: ParticipantClass
    channel: ProposalChannel
    text: str
    section: str
    quote: str
    recommendation: Recommendation | None
    recommendation_reason: str


@dataclass(frozen=True)
class AnnexEntry:
    """A participant as the annex to the protocol lists them (art. 5.1 part 19): the
    name and the address as the platform knows them (the territory of the registered
    address from the verified profile), a right-holder's declaration."""

    number: int
    participant_id: int
    name: str
    participant_class: ParticipantClass
    channel: ProposalChannel
    address: str
    cadastral_number: str
    right_document: str


@dataclass(frozen=True)
class Split:
    """Proposals of participants living on the territory, and of the others."""

    residents: tuple[ProposalLine, ...] = ()
    others: tuple[ProposalLine, ...] = ()

    @property
    def total(self) -> int:
        return len(self.residents) + len(self.others)


@dataclass(frozen=True)
class Protocol:
    hearing_id: int
    kind: HearingKind
    title: str
    dated: date
    organiser: str
    notice_text: str
    notice_published_at: datetime | None
    notice_published_where: str
    proposals_from: date | None
    proposals_to: date | None
    territory: str
    timezone: str
    meeting_at: datetime | None
    meeting_place: str
    exposition_place: str
    legal_basis: str
    proposals: Split
    #: The participants with their personal data (the full copy's annex).
    annex: tuple[AnnexEntry, ...] = ()
    #: An extract: only these participants' proposals (their names, for the heading).
    extract_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProtocolReference:
    dated: date
    version: int


@dataclass(frozen=True)
class Conclusion:
    hearing_id: int
    kind: HearingKind
    title: str
    dated: date
    organiser: str
    project: str
    participants: int
    protocol: ProtocolReference
    territory: str
    legal_basis: str
    proposals: Split
    conclusions: str
    #: Counted per group, for the summary lines of the form.
    counts: dict[str, int] = field(default_factory=dict)


def _iso(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def proposal_period(schedule: dict) -> tuple[date | None, date | None]:
    """The exposition's dates from the hearing's schedule (proposals are taken then,
    and at the meeting, which falls inside it)."""
    stage = schedule.get("exposition") or {}  # as schedule.as_json stores it
    return _iso(stage.get("starts_on")), _iso(stage.get("ends_on"))


async def _hearing(hearing_id: int, using: BaseDBAsyncClient | None) -> Hearing | None:
    return await Hearing.filter(id=hearing_id).using_db(using).select_related(
        "organiser", "territory", "template").first()


async def numbered_participants(hearing_id: int, *, annex: bool,
                                using: BaseDBAsyncClient | None = None
                                ) -> tuple[dict[int, int], tuple[AnnexEntry, ...]]:
    """Each participant's number (id → N, in registration order) and, with ``annex``,
    the annex's entries (one more query, for the address territories' names)."""
    rows = await HearingParticipant.filter(hearing_id=hearing_id).using_db(using).order_by(
        "id").values("id", "display_name", "participant_class", "channel",
                     "territory_path", "cadastral_number", "right_document")
    numbers = {r["id"]: n for n, r in enumerate(rows, start=1)}
    if not annex:
        return numbers, ()
    paths = {r["territory_path"] for r in rows if r["territory_path"]}
    places = dict(await Territory.filter(path__in=sorted(paths)).using_db(using).values_list(
        "path", "name")) if paths else {}
    return numbers, tuple(AnnexEntry(
        number=numbers[r["id"]], participant_id=r["id"], name=r["display_name"],
        participant_class=ParticipantClass(r["participant_class"]),
        channel=ProposalChannel(r["channel"]), address=str(places.get(r["territory_path"], "")),
        cadastral_number=r["cadastral_number"], right_document=r["right_document"])
        for r in rows)


async def split_proposals(hearing_id: int, numbers: dict[int, int], *, recommendations: bool,
                          using: BaseDBAsyncClient | None = None) -> Split:
    """Every proposal the documents hold, in their numbering order, split by the class
    copied onto each proposal when it was made (one query); the organiser's
    recommendations only for the conclusion (the protocol states none)."""
    rows = await Proposal.filter(IN_DOCUMENTS, hearing_id=hearing_id).using_db(using).order_by(
        "number").values(
        "number", "participant_id", "participant_class", "channel", "text", "quote",
        "recommendation", "recommendation_reason", section_number="section__number",
        section_heading="section__heading")
    lines = [ProposalLine(
        number=r["number"], participant=numbers[r["participant_id"]],
        participant_class=ParticipantClass(r["participant_class"]),
        channel=ProposalChannel(r["channel"]), text=r["text"],
        section=" ".join(p for p in (r["section_number"] or "", r["section_heading"] or "")
                         if p),
        quote=r["quote"],
        recommendation=Recommendation(r["recommendation"])
        if recommendations and r["recommendation"] else None,
        recommendation_reason=r["recommendation_reason"] if recommendations else "")
        for r in rows]
    return Split(residents=tuple(p for p in lines if p.participant_class in LIVING_THERE),
                 others=tuple(p for p in lines if p.participant_class not in LIVING_THERE))


async def current_proposals(hearing_id: int, kind: DocumentKind,
                            using: BaseDBAsyncClient | None = None) -> Split:
    """The proposals as a document of ``kind`` generated now would list them."""
    numbers, _ = await numbered_participants(hearing_id, annex=False, using=using)
    return await split_proposals(hearing_id, numbers, using=using,
                                 recommendations=kind == DocumentKind.CONCLUSION)


async def gather_protocol(hearing_id: int, dated: date, *,
                          using: BaseDBAsyncClient | None = None) -> Protocol | None:
    """The protocol's data as of now, with its annex (None for an unknown hearing)."""
    hearing = await _hearing(hearing_id, using)
    if hearing is None:
        return None
    starts, ends = proposal_period(hearing.schedule or {})
    numbers, annex = await numbered_participants(hearing_id, annex=True, using=using)
    return Protocol(
        hearing_id=hearing.id, kind=hearing.kind, title=hearing.title, dated=dated,
        organiser=hearing.organiser.name, notice_text=hearing.notice_text,
        notice_published_at=hearing.notice_published_at,
        notice_published_where=hearing.notice_published_where,
        proposals_from=starts, proposals_to=ends, territory=hearing.territory.name,
        timezone=hearing.territory.timezone, meeting_at=hearing.meeting_at,
        meeting_place=hearing.meeting_place, exposition_place=hearing.exposition_place,
        legal_basis=hearing.template.legal_basis,
        proposals=await split_proposals(hearing_id, numbers, recommendations=False,
                                        using=using),
        annex=annex)


async def protocol_reference(hearing_id: int, using: BaseDBAsyncClient | None = None
                             ) -> ProtocolReference | None:
    """The protocol a conclusion rests on: the published one, else the newest version."""
    rows = await HearingDocument.filter(
        hearing_id=hearing_id, kind=DocumentKind.PROTOCOL).using_db(using).order_by(
        "-published_at", "-version").values("dated", "version", "published_at")
    published = [r for r in rows if r["published_at"] is not None]
    chosen = (published or rows or [None])[0]
    return ProtocolReference(chosen["dated"], chosen["version"]) if chosen else None


async def gather_conclusion(hearing_id: int, dated: date, conclusions: str, *,
                            using: BaseDBAsyncClient | None = None) -> Conclusion | None:
    """The conclusion's data (None for an unknown hearing or one without a protocol)."""
    hearing = await _hearing(hearing_id, using)
    reference = await protocol_reference(hearing_id, using)
    if hearing is None or reference is None:
        return None
    version = await DraftVersion.filter(hearing_id=hearing_id).using_db(using).order_by(
        "-number").first().values_list("title", flat=True)
    numbers, _ = await numbered_participants(hearing_id, annex=False, using=using)
    split = await split_proposals(hearing_id, numbers, recommendations=True, using=using)
    recommended = (*split.residents, *split.others)
    return Conclusion(
        hearing_id=hearing.id, kind=hearing.kind, title=hearing.title, dated=dated,
        organiser=hearing.organiser.name, project=str(version or hearing.title),
        participants=len(numbers),
        protocol=reference, territory=hearing.territory.name,
        legal_basis=hearing.template.legal_basis, proposals=split,
        conclusions=conclusions,
        counts={"residents": len(split.residents), "others": len(split.others),
                "taken": sum(p.recommendation == Recommendation.TAKE_INTO_ACCOUNT
                             for p in recommended),
                "declined": sum(p.recommendation == Recommendation.DECLINE
                                for p in recommended)})
