"""Appeals: citizens' messages and formal appeals, from intake to the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmeste.platform.appeals import access
from vmeste.platform.appeals.identity import IDENTITY_KIND
from vmeste.platform.appeals.intake import ANSWER_FILES, APPEAL_FILES
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.appeals.moderation import MODERATION_KIND
from vmeste.platform.appeals.notify import APPEAL_SUBJECT, SUBJECT_TYPE
from vmeste.platform.appeals.quota import SUBMISSION_QUOTA_KIND
from vmeste.platform.appeals.router import ROUTING_KIND, Router
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.appeals.terms import AppealTerms
from vmeste.platform.appeals.watch import ClarificationPauses, RunningTerms
from vmeste.platform.attachments.attach import AttachmentParent
from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.identity.principal import Principal
from vmeste.platform.notifications.fanout import fan_out
from vmeste.platform.outbox.services import APPEAL_EVENTS
from vmeste.platform.outbox.topics import Topic, scope_of
from vmeste.platform.strategies import StrategyKind

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from vmeste.platform.runtime import Runtime
    from vmeste.platform.settings import Settings


def _services(runtime: Runtime) -> AppealServices:
    router = Router.cached(runtime.resolver, runtime.settings.policy_cache_seconds)
    return AppealServices(resolver=runtime.resolver, router=router,
                          terms=AppealTerms(runtime.deadlines), clock=lambda: runtime.clock(),
                          claim_days=runtime.settings.claim_code_days,
                          attachment_limit=runtime.settings.attachment_max_per_parent)


async def _may_see(principal: Principal, appeal_id: int) -> bool:
    """An appeal's files and its answer's are seen by whoever may see the appeal."""
    return await Appeal.filter(await access.readable_appeals(principal), id=appeal_id).exists()


async def _fan_out(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    return await fan_out(runtime, SUBJECT_TYPE, int(payload["appeal_id"]),
                         [int(i) for i in payload["event_ids"]])


async def _demo(runtime: Runtime) -> str:
    from vmeste.platform.appeals.demo import load_demo_appeals

    summary = await load_demo_appeals(runtime.service(AppealServices))
    statuses = ", ".join(f"{key} {value}" for key, value in sorted(summary.by_status.items()))
    return f"{summary.rules} competence rules, {summary.appeals} appeals ({statuses})"


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="appeals",
        models=("vmeste.platform.appeals.models", "vmeste.platform.appeals.desk_models"),
        topics=(Topic(APPEAL_EVENTS, "vmeste.fan_out", "notifications", _fan_out,
                      scope_of(Appeal, "appeal_id")),),
        services=_services, notifications=(APPEAL_SUBJECT,),
        deadline_kinds=(RunningTerms(), ClarificationPauses()), demo=_demo,
        attachment_parents=(AttachmentParent(APPEAL_FILES, _may_see),
                            AttachmentParent(ANSWER_FILES, _may_see)),
        path_copies=(("appeal", "territory_path"), ("competence_rule", "territory_path")))


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [ROUTING_KIND, MODERATION_KIND, SUBMISSION_QUOTA_KIND, IDENTITY_KIND]


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """Appeal statistics at stable URLs: CSV and charts."""
    from vmeste.platform.appeals.statistics_http import routes

    return routes(settings)
