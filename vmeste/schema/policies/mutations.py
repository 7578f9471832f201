"""Changing region policies."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from vmeste.platform.policies import services
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.policies.types import RegionPolicy


@strawberry.input
class RegionPolicyInput:
    territory_code: str
    kind: str
    plugin: str
    settings: JSON | None = None
    active: bool | None = None


@strawberry.type
class RegionPolicyPayload:
    region_policy: RegionPolicy | None
    user_errors: list[UserError]


@strawberry.type
class PoliciesMutation:
    @strawberry.mutation(description="Create or change a territory's policy (one per territory, "
                                     "kind and plugin).")
    async def set_region_policy(self, info: strawberry.Info, input: RegionPolicyInput
                                ) -> RegionPolicyPayload:
        data = services.RegionPolicyInput(
            territory_code=input.territory_code, kind=input.kind, plugin=input.plugin,
            settings=input.settings, active=input.active,
        )
        row, errors = await run_mutation(
            services.set_region_policy(info.context.principal, info.context.resolver, data))
        return RegionPolicyPayload(region_policy=RegionPolicy.from_model(row) if row else None,
                                   user_errors=errors)
