"""Publics' part of the schema: official pages and their compliance."""

from __future__ import annotations

from vmeste.schema.parts import SchemaPart
from vmeste.schema.publics.mutations import PublicsMutation
from vmeste.schema.publics.queries import PublicsQuery
from vmeste.schema.publics.types import OfficialPage, PageDeclaration, PageSnapshot

SCHEMA = SchemaPart(name="publics", query=PublicsQuery, mutation=PublicsMutation,
                    types=(OfficialPage, PageSnapshot, PageDeclaration))
