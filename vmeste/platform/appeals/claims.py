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
other people's codes. The code is for the person it was filed for: the operator who
filed the appeal and the staff who read its details (and so its code) in full cannot
claim it, or they could file in their own name past what on_behalf forbids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.appeals.contacts import CONTACT_ISSUER, normalised, staff_sees
from vmeste.platform.appeals.desk_models import AppealClaim, ClaimFailure
from vmeste.platform.appeals.lifecycle import Action
from vmeste.platform.appeals.models import Appeal, AppealEvent
from vmeste.platform.appeals.quota import lock_applicant
from vmeste.platform.appeals.steps import APPEAL_STEPS as STEPS
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden, RateLimited
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal

WINDOW = timedelta(hours=1)
CODE_MAX = 64


@dataclass(frozen=True)
class ClaimRules:
    attempts_per_hour: int


async def claim(principal: Principal, code: str, rules: ClaimRules, now: datetime) -> Appeal:
    """The appeal the code names, now the caller's, with its ``claim`` event and an
    audit record in one transaction.

    The caller's user row is locked first and the wrong codes counted under it, so
    parallel guesses queue behind one another instead of all passing one count. A wrong
    code's record commits (the refusal is raised after the transaction), a right one's
    claim commits whole or not at all."""
    user = principal.user
    if user is None:
        raise DomainError.of(None, _("Sign in to claim an appeal"), ErrorCode.UNAUTHENTICATED)
    value = normalised(code)[:CODE_MAX]
    appeal = None
    async with in_transaction() as conn:
        await lock_applicant(conn, user.id)
        await _within_budget(conn, user.id, rules, now)
        found = (await AppealClaim.filter(code=value).using_db(conn).first()
                 if value else None)
        if found is None or found.claimed_at is not None or found.expires_at <= now:
            await ClaimFailure.create(user_id=user.id, at=now, using_db=conn)
        else:
            appeal = await _take(conn, principal, found, now)
    if appeal is None:
        raise DomainError.of("code", _("The code is wrong, already used or expired"),
                             ErrorCode.NOT_FOUND)
    return appeal


async def _within_budget(conn: BaseDBAsyncClient, user_id: int, rules: ClaimRules,
                         now: datetime) -> None:
    """Refuse a user past their wrong codes of the last hour; older ones count no more
    and are dropped here, so the table holds at most an hour of each guesser."""
    await ClaimFailure.filter(user_id=user_id, at__lt=now - WINDOW).using_db(conn).delete()
    failures = await ClaimFailure.filter(user_id=user_id).using_db(conn).order_by(
        "at").values_list("at", flat=True)
    if len(failures) >= rules.attempts_per_hour:
        wait = max(int((failures[-rules.attempts_per_hour] + WINDOW - now).total_seconds())
                   + 1, 1)
        raise RateLimited(_("Too many wrong codes: try again in {seconds} s", seconds=wait),
                          wait, "code")


async def _take(conn: BaseDBAsyncClient, principal: Principal, found: AppealClaim,
                now: datetime) -> Appeal:
    assert principal.user is not None
    user = principal.user
    appeal = await STEPS.open(found.appeal_id, Action.CLAIM, lambda a: None)
    if await _vouched_for_it(principal, appeal):
        # Staff who read the code would otherwise file in their own name through it,
        # past what on_behalf forbids (the quota, "verified only").
        raise Forbidden(_("The staff who handle an appeal cannot claim it"))
    stamped = await AppealClaim.filter(id=found.id, claimed_at__isnull=True).using_db(
        conn).update(claimed_at=now, claimed_by_id=user.id)
    if stamped != 1:
        raise DomainError.of("code", _("The code is wrong, already used or expired"),
                             ErrorCode.NOT_FOUND)
    previous = appeal.applicant_id
    # The applicant is not among the fields a lifecycle step writes: only a claim
    # changes it, under the same revision check the step then makes. The filer's
    # idempotency key goes with the old applicant: under the new one it could meet a
    # key of their own (the unique (applicant, key) index).
    await Appeal.filter(id=appeal.id, revision=appeal.revision).using_db(conn).update(
        applicant_id=user.id, idempotency_key=None)
    appeal.applicant_id, appeal.idempotency_key = user.id, None
    # The contact user only carried the details to the filing notice: they are the
    # appeal's (AppealContact) and the claimant's own account's now.
    await User.filter(id=previous, issuer=CONTACT_ISSUER).using_db(conn).update(
        email="", phone="")
    await STEPS.move(conn, appeal, principal.actor, Action.CLAIM, appeal.status,
                     payload={"claim_id": found.id})
    await record(actor=principal.actor, action="appeal.claim", object_type="appeal",
                 object_id=appeal.id, before={"applicant_id": previous},
                 after={"applicant_id": user.id}, scope_path=appeal.territory_path,
                 using=conn)
    return appeal


async def _vouched_for_it(principal: Principal, appeal: Appeal) -> bool:
    """The operator who filed it, or staff who see its details and code in full."""
    filer = await AppealEvent.filter(appeal_id=appeal.id, action=Action.SUBMIT).first(
        ).values_list("actor", flat=True)
    return filer == principal.actor or await staff_sees(principal, appeal)
