"""Operating the background machinery's part of the schema."""

from __future__ import annotations

from vmeste.schema.operations.mutations import OperationsMutation
from vmeste.schema.operations.queries import OperationsQuery
from vmeste.schema.parts import SchemaPart

SCHEMA = SchemaPart(name="operations", query=OperationsQuery, mutation=OperationsMutation)
