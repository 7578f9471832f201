"""Polls: surveys with demographic breakdowns and weighting to the population."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.notifications.fanout import fan_out
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.participation.linking import ballot_key
from vmeste.platform.participation.personal_data import participation_data
from vmeste.platform.polls.models import Poll, PollParticipation, PollStatus
from vmeste.platform.polls.notify import POLL_SUBJECT, SUBJECT_TYPE
from vmeste.platform.polls.responses import Responses
from vmeste.platform.polls.services import PollServices
from vmeste.platform.polls.steps import POLL_EVENTS
from vmeste.platform.polls.watch import PollClock

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


def _services(runtime: Runtime) -> PollServices:
    settings = runtime.settings

    def clock() -> Any:
        return runtime.clock()

    responses = Responses(bands=settings.age_bands, shards=settings.tally_shards,
                          link_key=ballot_key(settings.ballot_key, settings.secret_key),
                          clock=clock)
    return PollServices(min_group_size=settings.min_group_size, bands=settings.age_bands,
                        responses=responses, clock=clock)


async def _fan_out(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    return await fan_out(runtime, SUBJECT_TYPE, int(payload["poll_id"]),
                         [int(i) for i in payload["event_ids"]])


async def _demo(runtime: Runtime) -> str:
    from vmeste.platform.polls.demo import load_demo_polls

    return await load_demo_polls(runtime)


async def _scope(payload: dict[str, Any]) -> str:
    path = await Poll.filter(id=payload.get("poll_id")).first().values_list(
        "territory_path", flat=True)
    return str(path or "")


PARTICIPATIONS = participation_data(
    "polls", "The polls you answered and the profile facts counted with your answers, "
    "never the answers.", PollParticipation, "poll", ("responded_on",), PollStatus.OPEN)


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="polls", models=("vmeste.platform.polls.models",),
        topics=(Topic(POLL_EVENTS, "vmeste.poll_fan_out", "notifications", _fan_out, _scope),),
        services=_services, notifications=(POLL_SUBJECT,), deadline_kinds=(PollClock(),),
        demo=_demo, personal_data=(PARTICIPATIONS,),
        path_copies=(("poll", "territory_path"), ("poll_participation", "territory_path"),
                     ("poll_response", "territory_path")))
