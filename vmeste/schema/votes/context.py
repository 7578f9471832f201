"""The votes component's services as a resolver reaches them (the request context knows
no component)."""

from __future__ import annotations

import strawberry

from vmeste.platform.votes.services import VoteServices


def vote_services(info: strawberry.Info) -> VoteServices:
    return info.context.runtime.service(VoteServices)
