"""Appeals' part of the schema."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from vmeste.platform.appeals.models import AppealEvent
from vmeste.schema.appeals.desk_types import load_contacts
from vmeste.schema.appeals.mutations import AppealsMutation
from vmeste.schema.appeals.queries import AppealsQuery
from vmeste.schema.loaders import grouped
from vmeste.schema.parts import SchemaPart

SCHEMA = SchemaPart(name="appeals", query=AppealsQuery, mutation=AppealsMutation,
                    loaders={"appeal_events": lambda: grouped(AppealEvent, "appeal_id"),
                             "appeal_contact": lambda: DataLoader(load_fn=load_contacts)})
