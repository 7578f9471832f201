"""What must be settled before a hearing's protocol or conclusion is generated, checked
again before it is frozen (signed, published).

- The protocol lists every proposal moderation let through (art. 5.1 part 18 item 5).
  While any proposal of the hearing still awaits moderation that list is not known, so
  no protocol is generated or frozen: ``PROPOSALS_PENDING``, with the count.
- The conclusion gives the organiser's reasoned recommendation on each proposal the
  protocol lists (part 22 item 5). While one has none, no conclusion is generated or
  frozen: ``RECOMMENDATIONS_MISSING``, with the count.
- Once the protocol is frozen, moderation is over; once the conclusion is frozen, so are
  the recommendations (:func:`published`): what a frozen document says stays true.

Callers check under the hearing's row lock, which moderation and recommendations take
too, so no decision lands between the check and the write.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.hearings.models import DocumentKind, HearingDocument, Proposal, ProposalStatus
from vmeste.platform.hearings.protocol import IN_DOCUMENTS
from vmeste.platform.i18n import _


async def require_ready(hearing_id: int, kind: DocumentKind,
                        using: BaseDBAsyncClient | None = None) -> None:
    """Refuse a ``kind`` whose data is not settled yet (see the module's rules)."""
    if kind == DocumentKind.PROTOCOL:
        pending = await Proposal.filter(hearing_id=hearing_id, status=ProposalStatus.PENDING
                                        ).using_db(using).count()
        if pending:
            raise DomainError(FieldError(None, _(
                "Proposals awaiting moderation: {count}. Moderate each of them before the "
                "protocol", count=pending), ErrorCode.PROPOSALS_PENDING, pending))
        return
    missing = await Proposal.filter(IN_DOCUMENTS, hearing_id=hearing_id,
                                    recommendation__isnull=True).using_db(using).count()
    if missing:
        raise DomainError(FieldError(None, _(
            "Proposals of the protocol without a reasoned recommendation: {count}. Record "
            "one on each before the conclusion", count=missing),
            ErrorCode.RECOMMENDATIONS_MISSING, missing))


async def published(hearing_id: int, kind: DocumentKind,
                    using: BaseDBAsyncClient | None = None) -> bool:
    """Whether a version of ``kind`` is published, and so frozen."""
    return await HearingDocument.filter(hearing_id=hearing_id, kind=kind,
                                        published_at__isnull=False).using_db(using).exists()
