"""Versions of a hearing's protocol and conclusion: generating them, and which one a
caller reads.

Organisers generate a document from the data in its stage: the protocol while the
hearing is at the protocol stage, the conclusion at the conclusion stage and only once
a protocol exists. Each generation stores a new version (n + 1 per kind) with the HTML
and its SHA-256, and is audited. Once a version of a kind is published it is frozen
(:mod:`vmeste.platform.hearings.publication`): generating that kind again is refused
with :class:`DocumentFrozen`.

Generation refuses what is not settled yet (:mod:`~vmeste.platform.hearings.readiness`:
proposals awaiting moderation, recommendations missing), under the hearing's row lock.

Everyone reads the published version of a hearing out of draft, as its public copy; the
hearing's readers (organisers, the organising body's operators, auditors of the
territory, as :func:`access.is_reader` says) read the full copy, with the participants'
annex, and every unpublished version (:mod:`~vmeste.platform.hearings.frozen`). A
participant gets an extract of the published protocol with their own proposals only,
rendered from the data frozen in it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.hearings import access
from vmeste.platform.hearings.frozen import frozen_data, protocol_of, public_copy
from vmeste.platform.hearings.models import (
    DocumentKind,
    Hearing,
    HearingDocument,
    HearingParticipant,
    HearingStatus,
)
from vmeste.platform.hearings.protocol import Split, gather_conclusion, gather_protocol
from vmeste.platform.hearings.readiness import require_ready
from vmeste.platform.hearings.rendering import conclusion_html, protocol_html
from vmeste.platform.hearings.schedule import zone_of
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import ANONYMOUS, Principal
from vmeste.platform.row_locks import locked_values

#: The stage in which each kind is generated.
GENERATED_IN = {DocumentKind.PROTOCOL: HearingStatus.PROTOCOL,
                DocumentKind.CONCLUSION: HearingStatus.CONCLUSION}
AUDITED = ("hearing_id", "kind", "version", "dated", "sha256")
#: Versions of one kind a hearing may hold (a list that cannot grow without bound).
MAX_VERSIONS = 50


class DocumentFrozen(DomainError):
    """A kind whose version was published is never generated or changed again."""

    def __init__(self, kind: DocumentKind) -> None:
        super().__init__(FieldError(None, _(
            "The {kind} is published and frozen: it is never generated again",
            kind=kind_name(kind)), ErrorCode.CONFLICT))


def kind_name(kind: DocumentKind) -> str:
    return _("protocol") if kind == DocumentKind.PROTOCOL else _("conclusion")


def sha256(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def hearing_not_found() -> DomainError:
    return DomainError.of("hearingId", _("Hearing not found"), ErrorCode.NOT_FOUND)


def document_not_found() -> DomainError:
    return DomainError.of(None, _("No such document of this hearing"), ErrorCode.NOT_FOUND)


async def visible_hearing(principal: Principal, hearing_id: int) -> Hearing:
    """The hearing if the caller may see it (a draft only its readers see), else
    NOT_FOUND, so an id says nothing of a hearing the caller cannot see."""
    hearing = await Hearing.get_or_none(id=hearing_id)
    if hearing is None or (not access.public_hearing(hearing) and not access.is_reader(
            principal, hearing.territory_path, hearing.organiser_id)):
        raise hearing_not_found()
    return hearing


def reads_drafts(principal: Principal, hearing: Hearing) -> bool:
    """The hearing's readers: every version, each as its full copy."""
    return access.is_reader(principal, hearing.territory_path, hearing.organiser_id)


@dataclass(frozen=True)
class Copy:
    """A version as one caller reads it: the full copy or the public one."""

    document: HearingDocument
    full: bool

    @cached_property  # a download reads both: the public copy is cut and hashed once
    def html(self) -> str:
        return self.document.html if self.full else public_copy(self.document.html)

    @cached_property
    def sha256(self) -> str:
        return self.document.sha256 if self.full else sha256(self.html)


async def documents_of(principal: Principal, hearing_id: int) -> list[Copy]:
    """Every version the caller reads, by kind and version."""
    hearing = await visible_hearing(principal, hearing_id)
    query = HearingDocument.filter(hearing_id=hearing.id)
    full = reads_drafts(principal, hearing)
    if not full:
        query = query.filter(published_at__not_isnull=True)
    return [Copy(row, full) for row in await query.order_by("kind", "version")]


async def readable(principal: Principal, hearing_id: int, kind: DocumentKind,
                   version: int | None = None) -> Copy:
    """The version asked for (default: the published one to everyone, the newest to
    the hearing's readers); NOT_FOUND when there is none the caller reads."""
    hearing = await visible_hearing(principal, hearing_id)
    query = HearingDocument.filter(hearing_id=hearing.id, kind=kind)
    full = reads_drafts(principal, hearing)
    if not full:
        query = query.filter(published_at__not_isnull=True)
    if version is not None:
        query = query.filter(version=version)
    found = await query.order_by("-version").first()
    if found is None:
        raise document_not_found()
    return Copy(found, full)


async def newest(hearing_id: int, kind: DocumentKind) -> HearingDocument | None:
    """The operator's copy (the CLI): the newest version, published or not."""
    return await HearingDocument.filter(hearing_id=hearing_id, kind=kind).order_by(
        "-version").first()


async def _locked_hearing(conn: BaseDBAsyncClient, hearing_id: int) -> Hearing:
    """The hearing, locked against a concurrent generation or step until commit."""
    if await locked_values(conn, Hearing, hearing_id, ("id",), exclusive=True) is None:
        raise hearing_not_found()
    return await Hearing.get(id=hearing_id).using_db(conn)


async def _store(conn: BaseDBAsyncClient, principal: Principal, hearing: Hearing,
                 kind: DocumentKind, dated: date, html: str) -> HearingDocument:
    versions = await HearingDocument.filter(hearing_id=hearing.id, kind=kind).using_db(
        conn).values_list("version", "published_at")
    if any(published is not None for _, published in versions):
        raise DocumentFrozen(kind)
    if len(versions) >= MAX_VERSIONS:
        raise DomainError.of(None, _("A hearing holds at most {count} versions of a document",
                                     count=MAX_VERSIONS), ErrorCode.INVALID)
    document = await HearingDocument.create(
        hearing_id=hearing.id, kind=kind, version=max((v for v, _ in versions), default=0) + 1,
        dated=dated, html=html, sha256=sha256(html), created_by=principal.actor,
        using_db=conn)
    await record(actor=principal.actor, action="hearing_document.generate",
                 object_type="hearing_document", object_id=document.id, before=None,
                 after=audited(document), scope_path=hearing.territory_path, using=conn)
    return document


def audited(document: HearingDocument) -> dict[str, object]:
    """The version as the audit trail keeps it: both copies' hashes among the rest."""
    after: dict[str, object] = {name: getattr(document, name) for name in AUDITED}
    after["dated"] = document.dated.isoformat()
    after["kind"] = str(document.kind)
    after["public_sha256"] = sha256(public_copy(document.html))
    return after


def _require_stage(hearing: Hearing, kind: DocumentKind) -> None:
    if hearing.status != GENERATED_IN[kind]:
        raise DomainError.of(None, _(
            "The {kind} is generated when the hearing is at the stage «{stage}», not "
            "«{status}»", kind=kind_name(kind), stage=GENERATED_IN[kind],
            status=hearing.status), ErrorCode.ILLEGAL_TRANSITION)


async def _generate(principal: Principal, hearing_id: int, kind: DocumentKind, now: datetime,
                    conclusions: str = "") -> HearingDocument:
    hearing = await visible_hearing(principal, hearing_id)
    access.require_organiser(principal, hearing.territory_path, hearing.organiser_id)
    dated = now.astimezone(await zone_of(hearing)).date()  # the territory's day, not UTC's
    try:
        async with in_transaction() as conn:
            hearing = await _locked_hearing(conn, hearing_id)
            _require_stage(hearing, kind)
            if kind == DocumentKind.PROTOCOL:
                await require_ready(hearing.id, kind, conn)
                data = await gather_protocol(hearing.id, dated, using=conn)
                assert data is not None  # the hearing is locked
                html = protocol_html(data, full=True)
            else:
                found = await gather_conclusion(hearing.id, dated, conclusions, using=conn)
                if found is None:
                    raise DomainError.of(None, _("Generate the protocol before the "
                                                 "conclusion"), ErrorCode.ILLEGAL_TRANSITION)
                await require_ready(hearing.id, kind, conn)
                html = conclusion_html(found)
            return await _store(conn, principal, hearing, kind, dated, html)
    except IntegrityError:  # a concurrent generation took the number (no row lock there)
        raise DomainError.of(None, _("The hearing was just changed; reload it and try "
                                     "again"), ErrorCode.CONFLICT) from None


async def generate_protocol(principal: Principal, hearing_id: int, *, now: datetime
                            ) -> HearingDocument:
    """A new version of the protocol (art. 5.1 part 18) from the data as of ``now``."""
    return await _generate(principal, hearing_id, DocumentKind.PROTOCOL, now)


async def generate_conclusion(principal: Principal, hearing_id: int, conclusions: str, *,
                              now: datetime) -> HearingDocument:
    """A new version of the conclusion (art. 5.1 part 22) with the organiser's
    ``conclusions``."""
    if not conclusions.strip():
        raise DomainError.of("conclusions", _("The conclusions are required"),
                             ErrorCode.REQUIRED)
    return await _generate(principal, hearing_id, DocumentKind.CONCLUSION, now,
                           conclusions.strip())


async def protocol_extract(principal: Principal, hearing_id: int) -> str:
    """The signed-in participant's extract of the published protocol (art. 5.1 part 20):
    its heading and every element of part 18, with only the caller's own proposals
    (HTML), rendered from the data frozen in the published version, so it says what the
    published text says whatever changed since."""
    require_authenticated(principal)
    published = await readable(ANONYMOUS, hearing_id, DocumentKind.PROTOCOL)
    user_id = principal.user.id if principal.user else None
    mine = await HearingParticipant.filter(hearing_id=hearing_id, user_id=user_id).values_list(
        "id", flat=True) if user_id is not None else []
    if not mine:
        raise DomainError.of(None, _("You are not a participant of this hearing"),
                             ErrorCode.NOT_FOUND)
    frozen = frozen_data(published.document.html)
    if frozen is None:  # a version stored without its data has nothing to cut from
        raise document_not_found()
    data = protocol_of(frozen)
    entries = [e for e in data.annex if e.participant_id in mine]
    numbers = {e.number for e in entries}
    return protocol_html(replace(
        data, annex=(), extract_for=tuple(e.name for e in entries),
        proposals=Split(
            residents=tuple(p for p in data.proposals.residents if p.participant in numbers),
            others=tuple(p for p in data.proposals.others if p.participant in numbers))),
        full=False)
