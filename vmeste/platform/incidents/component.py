"""Incidents: social-media posts turned into incidents, triaged, routed to a body,
answered from the official account, on an SLA."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from vmeste.platform.appeals.router import Router
from vmeste.platform.attachments.attach import AttachmentParent
from vmeste.platform.components import Component
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.incidents.access import INCIDENT_FILES, may_see
from vmeste.platform.incidents.fetching import FETCH_JOB, MonitoringClock
from vmeste.platform.incidents.notify import INCIDENT_SUBJECT, SUBJECT_TYPE
from vmeste.platform.incidents.policy import INCIDENT_SLA, INCIDENT_SLA_KIND, STANDARD_DESCRIPTION
from vmeste.platform.incidents.processing import PROCESS_JOB
from vmeste.platform.incidents.publication import PUBLISH_JOB
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.incidents.watch import IncidentClock
from vmeste.platform.notifications.fanout import history_topic
from vmeste.platform.publics.services import PublicsServices
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import StrategyKind

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


def _services(runtime: Runtime) -> IncidentServices:
    return IncidentServices(resolver=runtime.resolver,
                            router=Router.cached(runtime.resolver,
                                                 runtime.settings.policy_cache_seconds),
                            deadlines=runtime.deadlines,
                            hub_of=lambda: runtime.service(PublicsServices).hub,
                            clock=lambda: runtime.clock())


async def _demo(runtime: Runtime) -> str:
    from vmeste.platform.incidents.demo import load_demo_incidents

    return await load_demo_incidents(runtime.service(IncidentServices),
                                     runtime.service(PublicsServices))


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="incidents",
        models=("vmeste.platform.incidents.models",),
        services=_services,
        topics=(PROCESS_JOB, PUBLISH_JOB, FETCH_JOB,
                history_topic(INCIDENT_STEPS, "vmeste.incident_fan_out", SUBJECT_TYPE)),
        notifications=(INCIDENT_SUBJECT,),
        deadline_kinds=(IncidentClock(), MonitoringClock()), demo=_demo,
        attachment_parents=(AttachmentParent(INCIDENT_FILES, may_see),),
        path_copies=(("incident", "territory_path"), ("monitoring_rule", "territory_path")))


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [INCIDENT_SLA_KIND]


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=INCIDENT_SLA, name="standard", description=STANDARD_DESCRIPTION,
                         default=True)]


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """``/incidents/webhooks/{network}/{page_id}``: the networks' pushes."""
    from vmeste.platform.incidents import webhooks

    return webhooks.routes()
