"""The operator's workstation: bulk steps, saved filters, the live queue and claims."""

from __future__ import annotations

import strawberry

from vmeste.schema.parts import SchemaPart
from vmeste.schema.workstation.bulk import BulkMutation
from vmeste.schema.workstation.claims import ClaimMutation
from vmeste.schema.workstation.filters import FiltersMutation, FiltersQuery
from vmeste.schema.workstation.queue import QueueSubscription


@strawberry.type
class WorkstationMutation(BulkMutation, FiltersMutation, ClaimMutation):
    pass


SCHEMA = SchemaPart(name="workstation", query=FiltersQuery, mutation=WorkstationMutation,
                    subscription=QueueSubscription)
