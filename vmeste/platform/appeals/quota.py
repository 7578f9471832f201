"""How many appeals a citizen may send per hour, by region policy.

The budget is the ``max_submissions_per_hour`` setting of the ``submission_quota``
policy kind (strategy ``per-hour``, on by default), resolved for the appeal's
territory like any region policy: a region can tighten it, a municipality loosen it,
or switch it off. The count comes from the database (the applicant's own
submissions of the last hour), so every API process sees the same number.

Operators entering paper mail or calls for someone (channel ``operator``) are not
counted: the quota protects against one account flooding the portal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from vmeste.platform.appeals.models import Appeal, Channel
from vmeste.platform.errors import RateLimited
from vmeste.platform.policies.services import PolicyResolver

SUBMISSION_QUOTA = "submission_quota"
SETTING = "max_submissions_per_hour"
DEFAULT_PER_HOUR = 20
WINDOW = timedelta(hours=1)


def validate_quota(settings: Mapping[str, Any]) -> list[str]:
    problems = []
    unknown = set(settings) - {SETTING}
    if unknown:
        problems.append(f"Неизвестные параметры: {', '.join(sorted(unknown))}")
    value = settings.get(SETTING, DEFAULT_PER_HOUR)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
        problems.append(f"{SETTING} — целое число от 1 до 10000")
    return problems


async def check_submission_quota(resolver: PolicyResolver, territory_code: str,
                                 applicant_id: int, now: datetime,
                                 idempotency_key: str | None) -> None:
    """Raise :class:`RateLimited` when the applicant has used up the territory's quota.

    A retry of an appeal already sent (same idempotency key) is never refused: it
    creates nothing and answers with the first appeal."""
    quotas = [int(strategy.settings[SETTING])
              for strategy in await resolver.resolve(territory_code, SUBMISSION_QUOTA)
              if SETTING in strategy.settings]
    if not quotas:
        return
    quota = min(quotas)
    recent = await (Appeal.filter(applicant_id=applicant_id, created_at__gt=now - WINDOW)
                    .exclude(channel=Channel.OPERATOR).order_by("-created_at").limit(quota)
                    .values_list("created_at", flat=True))
    if len(recent) < quota:
        return
    if idempotency_key and await Appeal.exists(applicant_id=applicant_id,
                                               idempotency_key=idempotency_key):
        return
    oldest_counted = min(recent)
    retry_after = max(1, math.ceil((oldest_counted + WINDOW - now).total_seconds()))
    raise RateLimited(f"Можно отправить не больше {quota} обращений в час: повторите через "
                      f"{math.ceil(retry_after / 60)} мин", retry_after)
