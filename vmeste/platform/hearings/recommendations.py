"""The organiser's reasoned recommendation on each proposal (art. 5.1 part 22: "the
reasoned recommendations of the organiser on whether the proposals are to be taken
into account").

A recommendation is recorded for each proposal the protocol lists while the protocol or
the conclusion is prepared, with its reason (required either way); the conclusion is
refused until every one has it (:mod:`~vmeste.platform.hearings.readiness`). It may be
revised until the conclusion is published (by the hearing's publication or on its own).
The checks are made under the hearing's row lock, so a recommendation cannot land after
the conclusion is frozen.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import access
from vmeste.platform.hearings.drafts import locked_status
from vmeste.platform.hearings.models import DocumentKind, HearingStatus, Proposal, Recommendation
from vmeste.platform.hearings.protocol import IN_DOCUMENTS
from vmeste.platform.hearings.readiness import published
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.steps import require_transition

REASON_MAX = 5_000
RECOMMEND = "recommend"
RECOMMENDING = frozenset({HearingStatus.PROTOCOL, HearingStatus.CONCLUSION})


async def recommend(principal: Principal, proposal_id: int, recommendation: Recommendation,
                    reason: str, *, now: datetime) -> Proposal:
    require_authenticated(principal)
    proposal = await Proposal.get_or_none(id=proposal_id).prefetch_related("hearing")
    if proposal is None:
        raise DomainError.of("id", _("Proposal not found"), ErrorCode.NOT_FOUND)
    hearing = proposal.hearing
    access.require_organiser(principal, hearing.territory_path, hearing.organiser_id)
    require_transition({RECOMMEND: RECOMMENDING}, RECOMMEND, hearing.status)
    # What the documents list gets one: published proposals, and those made at the
    # meeting or in writing that moderation did not reject.
    if not await Proposal.filter(IN_DOCUMENTS, id=proposal.pk).exists():
        raise DomainError.of("id", _("Only proposals the protocol lists get a "
                                     "recommendation"), ErrorCode.INVALID)
    reason = reason.strip()
    if not reason:
        raise DomainError.of("reason", _("Give the reason for the recommendation"),
                             ErrorCode.REQUIRED)
    if len(reason) > REASON_MAX:
        raise DomainError.of("reason", _("At most {limit} characters", limit=REASON_MAX),
                             ErrorCode.INVALID)
    before = {"recommendation": proposal.recommendation,
              "reason": proposal.recommendation_reason}
    async with in_transaction() as conn:
        hearing.status = await locked_status(conn, hearing)
        require_transition({RECOMMEND: RECOMMENDING}, RECOMMEND, hearing.status)
        if await published(hearing.pk, DocumentKind.CONCLUSION, conn):
            raise DomainError.of(None, _("The conclusion is published: its recommendations "
                                         "are final"), ErrorCode.ILLEGAL_TRANSITION)
        await Proposal.filter(id=proposal.pk).using_db(conn).update(
            recommendation=recommendation, recommendation_reason=reason,
            recommended_by=principal.actor, recommended_at=now)
        await record(actor=principal.actor, action="hearing.recommend",
                     object_type="hearing_proposal", object_id=proposal.pk, before=before,
                     after={"recommendation": recommendation, "reason": reason},
                     scope_path=hearing.territory_path, using=conn)
    proposal.recommendation, proposal.recommendation_reason = recommendation, reason
    proposal.recommended_by, proposal.recommended_at = principal.actor, now
    return proposal
