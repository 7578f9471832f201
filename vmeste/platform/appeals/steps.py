"""How an appeal takes steps (the platform's step shape, :mod:`vmeste.platform.steps`,
for appeals), and the routing writes the submission, moderation and redirection share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.appeals.lifecycle import ALLOWED_FROM, Action
from vmeste.platform.appeals.models import Appeal, AppealEvent, AppealStatus
from vmeste.platform.appeals.router import RoutingDecision, RoutingRequest
from vmeste.platform.appeals.terms import DEADLINE_FIELDS
from vmeste.platform.i18n import N_
from vmeste.platform.outbox.services import APPEAL_EVENTS
from vmeste.platform.reference.models import Territory
from vmeste.platform.steps import Steps

#: What a lifecycle step may change on the appeal row.
MUTABLE_FIELDS = ("status", "organization_id", "executor_id", "answer", "answered_at",
                  "first_answered_at", "answer_seconds", "answered_late",
                  "rating", "rework_count", "legal_track", "routing_trace", *DEADLINE_FIELDS,
                  "reminders_sent", "overdue_at", "escalated_at", "next_check_at")
#: Event payload keys plugins hear about (ids, statuses, codes and moments; the
#: texts of clarifications, answers and reasons stay in the history).
PUBLIC = frozenset({
    "channel", "verdict", "code", "strategy", "rule_id", "organization_id", "fallback",
    "from_organization_id", "to_organization", "to_organization_id", "copies",
    "executor_id", "rating", "rework", "from", "to", "units", "due_at", "fraction",
    "timeout_at"})

APPEAL_STEPS: Steps[Appeal] = Steps(
    component="appeals", subject="appeal", model=Appeal, event=AppealEvent,
    topic=APPEAL_EVENTS, fields=MUTABLE_FIELDS, allowed=ALLOWED_FROM, public=PUBLIC,
    not_found=N_("Appeal not found"),
    conflict=N_("The appeal was just changed; reload it and try again"))


def working_status(appeal: Appeal) -> AppealStatus:
    """Back to work: with its executor if one is assigned, else waiting for one."""
    return AppealStatus.IN_PROGRESS if appeal.executor_id else AppealStatus.ROUTED


def routed_status(decision: RoutingDecision) -> AppealStatus:
    return AppealStatus.UNROUTED if decision.fallback else AppealStatus.ROUTED


def routing_payload(decision: RoutingDecision) -> dict[str, Any]:
    return {"strategy": decision.strategy, "rule_id": decision.rule_id,
            "organization_id": decision.organization_id, "fallback": decision.fallback}


async def routing_request(appeal: Appeal, now: datetime) -> RoutingRequest:
    territory = await Territory.get(id=appeal.territory_id)
    point = None
    if appeal.latitude is not None and appeal.longitude is not None:
        point = (appeal.latitude, appeal.longitude)
    return RoutingRequest(
        category_id=appeal.category_id, territory_id=territory.id,
        territory_code=territory.code, territory_path=territory.path,
        applicant_type=appeal.applicant_type.value, channel=appeal.channel.value,
        on=now.date(), point=point, target_organization_id=appeal.target_organization_id,
        complained_organization_id=appeal.complained_organization_id)


async def apply_routing(conn: BaseDBAsyncClient, appeal: Appeal, actor: str,
                        decision: RoutingDecision) -> None:
    appeal.organization_id = decision.organization_id
    appeal.routing_trace = decision.trace
    await APPEAL_STEPS.move(conn, appeal, actor, Action.ROUTE, routed_status(decision),
                            payload=routing_payload(decision))
