"""Publishing a protocol or a conclusion, which freezes it.

Publication records when and where the document was published (the official source,
as art. 5.1 parts 21 and 23 require) on its newest version and writes the version's
SHA-256 into the audit trail, in one transaction; from then on the kind is frozen: the
version is never changed and no version of the kind is generated again
(:class:`documents.DocumentFrozen`). Anyone can check a published file against the
trail: the hash of the stored HTML (the full copy) equals the audited ``sha256``, that of
the public copy everyone downloads the audited ``public_sha256``.

Freezing takes the hearing's row lock and checks again what generation checked
(:mod:`~vmeste.platform.hearings.readiness`), and that the version is current: the
proposals frozen in it are those the data lists now. A moderator's decision or a
recommendation recorded after the version was generated makes it stale: CONFLICT, and
the organiser generates it again.

:func:`freeze_in` is the step itself, for a caller that holds a transaction already
(the hearing's publication step); :func:`publish_document` is the organiser's own
publication of one version.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import access
from vmeste.platform.hearings.documents import (
    audited,
    document_not_found,
    kind_name,
    sha256,
    visible_hearing,
)
from vmeste.platform.hearings.frozen import as_json, frozen_data
from vmeste.platform.hearings.models import DocumentKind, Hearing, HearingDocument, HearingStatus
from vmeste.platform.hearings.protocol import current_proposals
from vmeste.platform.hearings.readiness import require_ready
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.row_locks import locked_values

MAX_WHERE = 500
#: Statuses in which a kind may be published: the protocol from its own stage on, the
#: conclusion at its stage or with the hearing's publication.
PUBLISHED_IN = {
    DocumentKind.PROTOCOL: frozenset({HearingStatus.PROTOCOL, HearingStatus.CONCLUSION,
                                      HearingStatus.PUBLISHED}),
    DocumentKind.CONCLUSION: frozenset({HearingStatus.CONCLUSION, HearingStatus.PUBLISHED}),
}


def _where(where: str) -> str:
    where = where.strip()
    if not where:
        raise DomainError.of("where", _("Say where the document is published"),
                             ErrorCode.REQUIRED)
    if len(where) > MAX_WHERE:
        raise DomainError.of("where", _("At most {count} characters", count=MAX_WHERE))
    return where


async def freeze_in(conn: BaseDBAsyncClient, hearing: Hearing, kind: DocumentKind,
                    actor: str, now: datetime, where: str, *, expected: int | None = None
                    ) -> HearingDocument:
    """Publish and freeze the newest version of ``kind`` inside the caller's
    transaction ``conn``; a version already published is returned as it is (publishing
    twice changes nothing). NOT_FOUND when no version was generated; CONFLICT when the
    newest, under the hearing's lock, is not the ``expected`` one the caller chose (a
    version generated meanwhile is one nobody has read)."""
    where = _where(where)
    await locked_values(conn, Hearing, hearing.id, ("id",), exclusive=True)
    versions = await HearingDocument.filter(hearing_id=hearing.id, kind=kind).using_db(
        conn).order_by("-version").values_list("id", flat=True)
    if not versions:
        raise DomainError.of(None, _("Generate the {kind} before publishing it",
                                     kind=kind_name(kind)), ErrorCode.NOT_FOUND)
    if expected is not None and versions[0] != expected:
        raise _newer_exists()
    await locked_values(conn, HearingDocument, versions[0], ("id",), exclusive=True)
    document = await HearingDocument.get(id=versions[0]).using_db(conn)
    if document.published_at is not None:
        return document
    if sha256(document.html) != document.sha256:  # stored HTML must be what was hashed
        raise DomainError.of(None, _("The stored document does not match its hash"),
                             ErrorCode.CONFLICT)
    await require_ready(hearing.id, kind, conn)
    await _require_current(conn, document)
    document.published_at, document.published_where = now, where
    await document.save(using_db=conn, update_fields=["published_at", "published_where"])
    await record(actor=actor, action="hearing_document.publish",
                 object_type="hearing_document", object_id=document.id,
                 before=None, after={**audited(document), "published_at": now.isoformat(),
                                     "published_where": where},
                 scope_path=hearing.territory_path, using=conn)
    return document


async def _require_current(conn: BaseDBAsyncClient, document: HearingDocument) -> None:
    """The version lists the proposals as the data does now (CONFLICT when stale)."""
    frozen = frozen_data(document.html) or {}
    now = as_json(await current_proposals(document.hearing_id, document.kind, conn))
    if frozen.get("proposals") != now:
        raise DomainError.of(None, _(
            "The {kind} (version {version}) no longer matches the proposals: moderation or "
            "a recommendation changed since it was generated. Generate it again",
            kind=kind_name(document.kind), version=document.version), ErrorCode.CONFLICT)


async def publish_document(principal: Principal, document_id: int, where: str, *,
                           now: datetime) -> HearingDocument:
    """The organiser publishes a version (the newest of its kind: an older one is a
    CONFLICT, since the newest is what the data says now)."""
    document = await HearingDocument.get_or_none(id=document_id)
    if document is None:
        raise document_not_found()
    try:
        hearing = await visible_hearing(principal, document.hearing_id)
    except DomainError:
        raise document_not_found() from None
    access.require_organiser(principal, hearing.territory_path, hearing.organiser_id)
    if hearing.status not in PUBLISHED_IN[document.kind]:
        raise DomainError.of(None, _("The {kind} cannot be published at the stage "
                                     "«{status}»", kind=kind_name(document.kind),
                                     status=hearing.status), ErrorCode.ILLEGAL_TRANSITION)
    async with in_transaction() as conn:
        newest = await HearingDocument.filter(hearing_id=hearing.id, kind=document.kind
                                              ).using_db(conn).order_by("-version").first()
        if newest is None or newest.id != document.id:
            raise _newer_exists()
        if document.published_at is not None:
            raise DomainError.of("id", _("This document is already published"),
                                 ErrorCode.CONFLICT)
        return await freeze_in(conn, hearing, document.kind, principal.actor, now, where,
                               expected=document.id)


def _newer_exists() -> DomainError:
    return DomainError.of("id", _("A newer version of this document exists: publish that "
                                  "one"), ErrorCode.CONFLICT)
