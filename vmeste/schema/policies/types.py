"""GraphQL types of region policies and the strategies plugins offer."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from vmeste.platform.policies import models
from vmeste.schema.reference.types import Territory


@strawberry.type(description="A choice of strategy for a territory, and its settings.")
class RegionPolicy:
    kind: str
    plugin: str
    settings: JSON
    active: bool
    updated_at: datetime
    territory_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.RegionPolicy) -> Self:
        return cls(kind=row.kind, plugin=row.plugin, settings=row.settings, active=row.active,
                   updated_at=row.updated_at, territory_id=row.territory_id)

    @strawberry.field
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.territory_id)


@strawberry.type(description="A strategy in force on a territory after inheritance.")
class EffectiveStrategy:
    kind: str
    plugin: str
    settings: JSON
    decided_at: str = strawberry.field(description="Code of the territory whose policy decided "
                                                   "this.")


@strawberry.type(description="A kind of strategy: the contract its strategies follow.")
class StrategyKindInfo:
    name: str
    description: str
    mode: str = strawberry.field(
        description="chain: every active strategy runs by order; first: the first active "
                    "strategy by order decides; switches: every active strategy is on.")
    handler: str | None = strawberry.field(
        description="The Protocol a strategy's handler satisfies; null when the "
                    "strategies carry settings only.")
    defaults: JSON = strawberry.field(
        description="Settings every strategy of the kind shares, with their defaults.")


@strawberry.type(description="A strategy an installed plugin offers.")
class StrategyInfo:
    kind: str
    name: str
    description: str
    defaults: JSON
