"""A citizen takes an appeal filed for them into their account with the code the
operator gave them (:mod:`vmeste.platform.appeals.contacts`).

A code is single-use (the claim is stamped under a condition on it being unstamped, so
two simultaneous claims cannot both win) and expires. Codes are ten characters of a
31-letter alphabet (about 49 bits), and every wrong one a user enters is stored: past
``VMESTE_CLAIM_ATTEMPTS_PER_HOUR`` of them in the last hour the user's claims are
refused before any code is looked up. The count lives in the database, not in the
request limiter's counters, which are per process by default and let requests through
when their store is down: a guessing budget must hold across processes and outages.
Wrong, used and expired codes get one answer, so the refusal tells nothing about
other people's codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from vmeste.platform.appeals.contacts import normalised
from vmeste.platform.appeals.desk_models import AppealClaim, ClaimFailure
from vmeste.platform.appeals.lifecycle import Action
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.appeals.steps import APPEAL_STEPS as STEPS
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode, RateLimited
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal

WINDOW = timedelta(hours=1)
CODE_MAX = 64


@dataclass(frozen=True)
class ClaimRules:
    attempts_per_hour: int


async def claim(principal: Principal, code: str, rules: ClaimRules, now: datetime) -> Appeal:
    """The appeal the code names, now the caller's, with its ``claim`` event and an
    audit record in one transaction."""
    user = principal.user
    if user is None:
        raise DomainError.of(None, _("Sign in to claim an appeal"), ErrorCode.UNAUTHENTICATED)
    since = now - WINDOW
    failures = await ClaimFailure.filter(user_id=user.id, at__gte=since).order_by(
        "at").values_list("at", flat=True)
    if len(failures) >= rules.attempts_per_hour:
        wait = int((failures[-rules.attempts_per_hour] + WINDOW - now).total_seconds()) + 1
        raise RateLimited(_("Too many wrong codes: try again in {seconds} s",
                            seconds=max(wait, 1)), max(wait, 1), "code")
    value = normalised(code)[:CODE_MAX]
    found = await AppealClaim.get_or_none(code=value) if value else None
    if found is None or found.claimed_at is not None or found.expires_at <= now:
        await ClaimFailure.create(user_id=user.id, at=now)
        raise DomainError.of("code", _("The code is wrong, already used or expired"),
                             ErrorCode.NOT_FOUND)
    appeal = await STEPS.open(found.appeal_id, Action.CLAIM, lambda a: None)
    if appeal.applicant_id == user.id:
        raise DomainError.of("code", _("This appeal is already yours"), ErrorCode.CONFLICT)
    previous = appeal.applicant_id
    async with in_transaction() as conn:
        stamped = await AppealClaim.filter(id=found.id, claimed_at__isnull=True).using_db(
            conn).update(claimed_at=now, claimed_by_id=user.id)
        if stamped != 1:
            raise DomainError.of("code", _("The code is wrong, already used or expired"),
                                 ErrorCode.NOT_FOUND)
        # The applicant is not among the fields a lifecycle step writes: only a claim
        # changes it, under the same revision check the step then makes.
        await Appeal.filter(id=appeal.id, revision=appeal.revision).using_db(conn).update(
            applicant_id=user.id)
        appeal.applicant_id = user.id
        await STEPS.move(conn, appeal, principal.actor, Action.CLAIM, appeal.status,
                         payload={"claim_id": found.id})
        await record(actor=principal.actor, action="appeal.claim", object_type="appeal",
                     object_id=appeal.id, before={"applicant_id": previous},
                     after={"applicant_id": user.id}, scope_path=appeal.territory_path,
                     using=conn)
    return appeal
