"""Appeals' part of the schema."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from vmeste.platform.appeals.intake import ANSWER_FILES, APPEAL_FILES
from vmeste.platform.appeals.models import AppealEvent
from vmeste.schema.appeals.desk_types import load_contacts
from vmeste.schema.appeals.mutations import AppealsMutation
from vmeste.schema.appeals.queries import AppealsQuery
from vmeste.schema.appeals.statistics import AppealStatisticsQuery
from vmeste.schema.attachments.types import files_of
from vmeste.schema.loaders import grouped
from vmeste.schema.parts import SchemaPart


class AppealsQueries(AppealsQuery, AppealStatisticsQuery):
    """Every query of appeals."""


SCHEMA = SchemaPart(name="appeals", query=AppealsQueries, mutation=AppealsMutation,
                    loaders={"appeal_events": lambda: grouped(AppealEvent, "appeal_id"),
                             "appeal_contact": lambda: DataLoader(load_fn=load_contacts),
                             "appeal_attachments": lambda: files_of(APPEAL_FILES),
                             "answer_attachments": lambda: files_of(ANSWER_FILES)})
