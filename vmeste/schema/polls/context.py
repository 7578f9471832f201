"""The polls component's services as a resolver reaches them."""

from __future__ import annotations

import strawberry

from vmeste.platform.polls.services import PollServices


def poll_services(info: strawberry.Info) -> PollServices:
    return info.context.runtime.service(PollServices)
