"""The appeals component's services as a resolver reaches them: the request context
knows no component, so each area finds its own in the runtime."""

from __future__ import annotations

import strawberry

from vmeste.platform.appeals.services import AppealServices


def appeal_services(info: strawberry.Info) -> AppealServices:
    return info.context.runtime.service(AppealServices)
