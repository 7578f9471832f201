"""What the incident steps run on, built once per process by the component: the
routing engine (the appeals' router, so an incident goes where an appeal on the same
category and territory would), the deadline engine's calendars and strategies, the
connector hub of the official pages, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from vmeste.platform.appeals.router import Router
from vmeste.platform.deadlines.terms import Deadlines
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.publics.hub import ConnectorHub


@dataclass
class IncidentServices:
    resolver: PolicyResolver
    router: Router
    deadlines: Deadlines
    #: The publics component's hub (one per process keeps the per-token pacing
    #: shared), asked for when used, since components build their services in turn.
    hub_of: Callable[[], ConnectorHub]
    clock: Callable[[], datetime]

    @property
    def hub(self) -> ConnectorHub:
        return self.hub_of()
