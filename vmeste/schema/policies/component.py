"""Region policies' part of the schema."""

from __future__ import annotations

from vmeste.schema.parts import SchemaPart
from vmeste.schema.policies.mutations import PoliciesMutation
from vmeste.schema.policies.queries import PoliciesQuery

SCHEMA = SchemaPart(name="policies", query=PoliciesQuery, mutation=PoliciesMutation)
