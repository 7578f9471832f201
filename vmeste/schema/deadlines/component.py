"""Deadlines' part of the schema: calendars, previews, and the loaders an appeal's term
reads."""

from __future__ import annotations

from vmeste.platform.deadlines.models import DeadlineExtension, DeadlinePause
from vmeste.schema.deadlines.mutations import DeadlinesMutation
from vmeste.schema.deadlines.queries import DeadlinesQuery
from vmeste.schema.loaders import grouped
from vmeste.schema.parts import SchemaPart

SCHEMA = SchemaPart(
    name="deadlines", query=DeadlinesQuery, mutation=DeadlinesMutation,
    loaders={"appeal_pauses": lambda: grouped(
                 DeadlinePause.filter(subject_type="appeal"), "subject_id"),
             "appeal_extensions": lambda: grouped(
                 DeadlineExtension.filter(subject_type="appeal"), "subject_id")})
