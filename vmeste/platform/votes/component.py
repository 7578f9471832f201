"""Votes: on objects, projects and budgets, with secret, verifiable ballots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from vmeste.platform.components import Component
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.notifications.fanout import fan_out
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.participation.personal_data import participation_data
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import StrategyKind
from vmeste.platform.votes.counting import SUBJECT_TYPE
from vmeste.platform.votes.methods import VOTE_METHOD_KIND
from vmeste.platform.votes.models import Vote, VoteParticipation, VoteStatus
from vmeste.platform.votes.notify import VOTE_SUBJECT
from vmeste.platform.votes.open_votes import OpenVotes
from vmeste.platform.votes.services import VoteServices
from vmeste.platform.votes.steps import VOTE_EVENTS
from vmeste.platform.votes.watch import VoteClock

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


def _services(runtime: Runtime) -> VoteServices:
    return VoteServices(resolver=runtime.resolver,
                        min_group_size=runtime.settings.min_group_size,
                        clock=lambda: runtime.clock(),
                        open_votes=OpenVotes(seconds=runtime.settings.policy_cache_seconds))


async def _fan_out(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    return await fan_out(runtime, SUBJECT_TYPE, int(payload["vote_id"]),
                         [int(i) for i in payload["event_ids"]])


async def _demo(runtime: Runtime) -> str:
    from vmeste.platform.votes.demo import load_demo_votes

    return await load_demo_votes(runtime)


async def _scope(payload: dict[str, Any]) -> str:
    path = await Vote.filter(id=payload.get("vote_id")).first().values_list(
        "territory_path", flat=True)
    return str(path or "")


PARTICIPATIONS = participation_data(
    "votes", "The votes you took part in and the profile facts counted with your ballot, "
    "never what you chose.", VoteParticipation, "vote", ("channel", "voted_on", "revotes"),
    VoteStatus.OPEN)


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="votes", models=("vmeste.platform.votes.models",), services=_services,
        topics=(Topic(VOTE_EVENTS, "vmeste.vote_fan_out", "notifications", _fan_out, _scope),),
        notifications=(VOTE_SUBJECT,), deadline_kinds=(VoteClock(),), demo=_demo,
        personal_data=(PARTICIPATIONS,),
        path_copies=(("vote", "territory_path"), ("vote_option", "territory_path"),
                     ("vote_participation", "territory_path"),
                     ("vote_quarantine", "territory_path"), ("vote_ballot", "territory_path")))


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [VOTE_METHOD_KIND]


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """Published results at stable URLs: charts, CSV and Pabulib."""
    from vmeste.platform.votes.http import routes

    return routes()
