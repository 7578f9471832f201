"""How many appeals a citizen may send per hour, by region policy.

The budget is the ``max_submissions_per_hour`` setting of the ``submission_quota``
policy kind (strategy ``per-hour``, on by default), resolved for the appeal's
territory like any region policy: a region can tighten it, a municipality loosen it,
or switch it off. The count comes from the database (the applicant's own
submissions of the last hour), so every API process sees the same number.

Operators entering paper mail or calls for someone (channel ``operator``) are not
counted: the quota protects against one account flooding the portal.

Counting and inserting must be one step, or parallel submissions all count the same
number and all get in. ``submit`` checks once early (a refused flood then costs no
moderation or routing) and again inside its insert transaction, after
:func:`lock_applicant` has taken the applicant's user row: PostgreSQL makes a second
submission of the same citizen wait there until the first commits, and SQLite already
runs one write transaction at a time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.appeals.models import Appeal, Channel
from vmeste.platform.errors import RateLimited
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.strategies import Mode, StrategyKind

SUBMISSION_QUOTA = "submission_quota"
SETTING = "max_submissions_per_hour"
DEFAULT_PER_HOUR = 20
WINDOW = timedelta(hours=1)


def validate_quota(settings: Mapping[str, Any]) -> list[str]:
    value = settings[SETTING]
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
        return [_("{name} is an integer from {low} to {high}", name=SETTING, low=1,
                  high=10_000)]
    return []


SUBMISSION_QUOTA_KIND = StrategyKind(
    name=SUBMISSION_QUOTA,
    description="How many appeals one citizen may submit per hour: the smallest "
                f"{SETTING} among the territory's active strategies applies.",
    handler=None, mode=Mode.SWITCHES, defaults={SETTING: DEFAULT_PER_HOUR},
    validate=validate_quota)


async def lock_applicant(conn: BaseDBAsyncClient, applicant_id: int) -> None:
    """Hold the applicant's user row until ``conn``'s transaction ends, so that the
    submissions of one citizen are counted and inserted one after another."""
    await User.filter(id=applicant_id).select_for_update().using_db(conn).first()


async def check_submission_quota(resolver: PolicyResolver, territory_code: str,
                                 applicant_id: int, now: datetime,
                                 idempotency_key: str | None) -> int | None:
    """Raise :class:`RateLimited` when the applicant has used up the territory's quota;
    else return the quota (None: no quota) for :func:`enforce_quota` at insert time."""
    quotas = [int(strategy.settings[SETTING])
              for strategy in await resolver.resolve(territory_code, SUBMISSION_QUOTA)]
    if not quotas:
        return None
    quota = min(quotas)
    await enforce_quota(quota, applicant_id, now, idempotency_key)
    return quota


async def enforce_quota(quota: int, applicant_id: int, now: datetime,
                        idempotency_key: str | None,
                        conn: BaseDBAsyncClient | None = None) -> None:
    """Raise :class:`RateLimited` when the applicant sent ``quota`` appeals this hour.

    A retry of an appeal already sent (same idempotency key) is never refused: it
    creates nothing and answers with the first appeal. Inside the insert transaction
    (``conn``, after :func:`lock_applicant`) every query goes through ``conn``: a
    transaction that waits for a pool connection while others wait for its lock would
    deadlock."""
    recent = await (Appeal.filter(applicant_id=applicant_id, created_at__gt=now - WINDOW)
                    .exclude(channel=Channel.OPERATOR).order_by("-created_at").limit(quota)
                    .using_db(conn).values_list("created_at", flat=True))
    if len(recent) < quota:
        return
    if idempotency_key and await Appeal.filter(
            applicant_id=applicant_id, idempotency_key=idempotency_key).using_db(conn).exists():
        return
    oldest_counted = min(recent)
    retry_after = max(1, math.ceil((oldest_counted + WINDOW - now).total_seconds()))
    raise RateLimited(_("At most {quota} appeals may be sent an hour: try again in "
                        "{minutes} min", quota=quota, minutes=math.ceil(retry_after / 60)),
                      retry_after)
