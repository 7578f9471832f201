"""Moderation as a chain of strategies chosen by region policy.

Each strategy looks at a submission and accepts it, rejects it with a stated reason,
or sends it to a human moderator. The first verdict that is not "accept" stands, and
the reason and the deciding strategy are recorded: no silent rejections.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from vmeste.platform.plugins import await_me_maybe
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.strategies import Mode, StrategyKind

MODERATION = "moderation"


class Verdict(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    REVIEW = "review"


@dataclass(frozen=True)
class ModerationRequest:
    text: str
    #: None on the operator channel: the named citizen's earlier appeals must not speak
    #: to the operator (a "repeated" verdict would tell that the citizen exists and what
    #: they wrote), so strategies judge the text alone there.
    applicant_id: int | None
    #: None for a text that is not an appeal (a proposal on a draft, a question to a
    #: direct line).
    category_id: int | None
    territory_code: str
    now: datetime


@dataclass(frozen=True)
class ModerationResult:
    verdict: Verdict
    reason: str = ""
    #: A machine-readable reason: too_short, obscene, repeated, manual_review, ...
    code: str = ""
    strategy: str = ""


ACCEPTED = ModerationResult(Verdict.ACCEPT)


class ModerationHandler(Protocol):
    """One check of a submission: accept it, reject it with a reason, or send it to a
    human moderator."""

    def __call__(self, request: ModerationRequest, settings: Mapping[str, Any], /
                 ) -> ModerationResult | Awaitable[ModerationResult]: ...


MODERATION_KIND = StrategyKind(
    name=MODERATION,
    description="Pre-moderation chain: strategies run by order, and the first verdict "
                "that is not accept stands, with its reason recorded.",
    handler=ModerationHandler, mode=Mode.CHAIN)


async def moderate(resolver: PolicyResolver, request: ModerationRequest) -> ModerationResult:
    for strategy, spec in await resolver.chain(request.territory_code, MODERATION):
        assert spec.handler is not None, f"moderation strategy {spec.name} has no handler"
        result: ModerationResult = await await_me_maybe(spec.handler(request,
                                                                     strategy.settings))
        if result.verdict != Verdict.ACCEPT:
            return ModerationResult(result.verdict, result.reason, result.code, strategy.plugin)
    return ACCEPTED
