"""Versions of the draft act: structured text, imported from Markdown or entered section
by section, numbered 1..n per hearing.

A version is added by the hearing's organisers while the lifecycle allows it
(``ALLOWED_FROM[ADD_VERSION]``: before proposals end). It is published with the
exposition: a version added during it is published at once, one added before it when
the exposition opens (:func:`publish_pending_versions`, called by that step). There is
no way to change a version: a correction is a new version, and proposals keep the
version they were made on. Its ``sha256`` is over :func:`canonical` (the title and every
section's depth, number, heading and text, in order), so anyone holding the text can
check it; attached files carry their own hashes.

Adding a version appends an ``ADD_VERSION`` event (no change of stage) to the hearing's
history through :data:`~vmeste.platform.hearings.steps.HEARING_STEPS`, with the audit
record, in one transaction holding the hearing's row lock, so numbers never collide and
a version cannot slip in after the step that ends proposals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import access, markdown
from vmeste.platform.hearings.lifecycle import TAKING_PROPOSALS, Action
from vmeste.platform.hearings.markdown import Section
from vmeste.platform.hearings.models import DraftSection, DraftVersion, Hearing, HearingStatus
from vmeste.platform.hearings.steps import HEARING_STEPS
from vmeste.platform.i18n import _, translate
from vmeste.platform.identity.principal import Principal
from vmeste.platform.row_locks import locked_values

TITLE_MAX = 500
MAX_DEPTH = 8


@dataclass(frozen=True)
class VersionInput:
    """Either ``markdown`` or ``sections`` (entered one by one), not both."""

    title: str
    markdown: str | None = None
    sections: Sequence[Section] | None = None


async def hearing_of(hearing_id: int, field: str = "hearingId") -> Hearing:
    row = await Hearing.get_or_none(id=hearing_id)
    if row is None:
        raise DomainError.of(field, translate(HEARING_STEPS.not_found), ErrorCode.NOT_FOUND)
    return row


async def locked_status(conn: BaseDBAsyncClient, hearing: Hearing) -> HearingStatus:
    """The hearing's status under its row lock, held until ``conn``'s transaction ends:
    the steps that change it wait, and so do other writers numbering in it."""
    found = await locked_values(conn, Hearing, hearing.pk, ("status",), exclusive=True)
    assert found is not None, "a hearing is never deleted"
    return HearingStatus(found["status"])


def canonical(title: str, sections: Sequence[Section]) -> bytes:
    """The bytes a version's hash is taken over: compact JSON, keys sorted, UTF-8."""
    return json.dumps({"title": title, "sections": [
        {"depth": s.depth, "number": s.number, "heading": s.heading, "text": s.text}
        for s in sections]}, ensure_ascii=False, sort_keys=True,
        separators=(",", ":")).encode()


def sha256_of(title: str, sections: Sequence[Section]) -> str:
    return hashlib.sha256(canonical(title, sections)).hexdigest()


def _entered(sections: Sequence[Section]) -> list[Section]:
    if not sections:
        raise DomainError.of("sections", _("The draft has no text"), ErrorCode.REQUIRED)
    if len(sections) > markdown.MAX_SECTIONS:
        raise DomainError.of("sections", _("At most {limit} sections and points",
                                           limit=markdown.MAX_SECTIONS), ErrorCode.INVALID)
    if sum(len(s.text) for s in sections) > markdown.MAX_SOURCE_CHARS:
        raise markdown.too_large("sections", markdown.MAX_SOURCE_CHARS)
    out = []
    for section in sections:
        if not 1 <= section.depth <= MAX_DEPTH:
            raise DomainError.of("sections", _("{name} is from {low} to {high}", name="depth",
                                               low=1, high=MAX_DEPTH), ErrorCode.INVALID)
        if len(section.number) > markdown.NUMBER_MAX:
            raise markdown.too_large("sections", markdown.NUMBER_MAX)
        if len(section.heading) > markdown.HEADING_MAX:
            raise markdown.too_large("sections", markdown.HEADING_MAX)
        if not (section.heading.strip() or section.text.strip()):
            raise DomainError.of("sections", _("A section needs a heading or a text"),
                                 ErrorCode.REQUIRED)
        out.append(Section(section.depth, section.number.strip(), section.heading.strip(),
                           section.text.strip()))
    return out


def structure(data: VersionInput) -> tuple[str, list[Section]]:
    """The version's title and sections, validated."""
    title = data.title.strip()
    if not title:
        raise DomainError.of("title", _("The title is required"), ErrorCode.REQUIRED)
    if len(title) > TITLE_MAX:
        raise markdown.too_large("title", TITLE_MAX)
    if (data.markdown is None) == (data.sections is None):
        raise DomainError.of("markdown", _("Give either the Markdown text or the sections"),
                             ErrorCode.INVALID)
    if data.markdown is not None:
        return title, markdown.parse(data.markdown)
    return title, _entered(data.sections or ())


async def add_version(principal: Principal, hearing_id: int, data: VersionInput, *,
                      now: datetime) -> DraftVersion:
    hearing = await hearing_of(hearing_id)
    access.require_organiser(principal, hearing.territory_path, hearing.organiser_id)
    HEARING_STEPS.require(Action.ADD_VERSION, hearing)
    title, sections = structure(data)
    digest = sha256_of(title, sections)
    async with in_transaction() as conn:
        hearing.status = await locked_status(conn, hearing)
        HEARING_STEPS.require(Action.ADD_VERSION, hearing)
        last = await DraftVersion.filter(hearing_id=hearing.pk).using_db(conn).order_by(
            "-number").first().values_list("number", flat=True)
        version = await DraftVersion.create(
            hearing_id=hearing.pk, number=int(last or 0) + 1, title=title,
            source=data.markdown or "", sha256=digest, created_by=principal.actor,
            published_at=now if hearing.status in TAKING_PROPOSALS else None, using_db=conn)
        await DraftSection.bulk_create([
            DraftSection(version_id=version.pk, position=position, depth=s.depth,
                         number=s.number, heading=s.heading, text=s.text)
            for position, s in enumerate(sections)], using_db=conn)
        await HEARING_STEPS.record(conn, hearing, principal.actor, Action.ADD_VERSION,
                                   hearing.status, hearing.status,
                                   payload={"version": version.number, "sha256": digest})
        await record(actor=principal.actor, action="hearing.add_version",
                     object_type="draft_version", object_id=version.pk, before=None,
                     after={"hearing_id": hearing.pk, "number": version.number,
                            "sha256": digest, "sections": len(sections)},
                     scope_path=hearing.territory_path, using=conn)
    return version


async def publish_pending_versions(conn: BaseDBAsyncClient, hearing_id: int,
                                   now: datetime) -> int:
    """Publish the versions added before the exposition, in the step that opens it;
    returns how many."""
    return await DraftVersion.filter(hearing_id=hearing_id, published_at=None).using_db(
        conn).update(published_at=now)


async def current_version(hearing_id: int, conn: BaseDBAsyncClient | None = None
                          ) -> DraftVersion | None:
    """The newest published version: what proposals are made on."""
    return await DraftVersion.filter(hearing_id=hearing_id, published_at__isnull=False).using_db(
        conn).order_by("-number").first()


def may_read_unpublished(principal: Principal, hearing: Hearing) -> bool:
    return access.is_reader(principal, hearing.territory_path, hearing.organiser_id)


def may_see(principal: Principal, hearing: Hearing) -> bool:
    """The hearing itself: out of draft, or read by its organisers and staff."""
    return access.public_hearing(hearing) or may_read_unpublished(principal, hearing)


async def version_for(principal: Principal, hearing_id: int, number: int | None
                      ) -> DraftVersion | None:
    """A version the caller may read (``number`` None: the newest they may), or None.
    Unpublished versions are for the organisers, staff and auditors."""
    hearing = await Hearing.get_or_none(id=hearing_id)
    if hearing is None or not may_see(principal, hearing):
        return None
    query = DraftVersion.filter(hearing_id=hearing_id)
    if not may_read_unpublished(principal, hearing):
        query = query.filter(published_at__isnull=False)
    if number is not None:
        return await query.filter(number=number).first()
    return await query.order_by("-number").first()
