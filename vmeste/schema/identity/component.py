"""Identity's part of the schema: who is asking, roles, and users as nodes."""

from __future__ import annotations

from vmeste.platform.identity.models import User
from vmeste.schema.identity.mutations import IdentityMutation
from vmeste.schema.identity.queries import IdentityQuery
from vmeste.schema.loaders import by_id
from vmeste.schema.parts import SchemaPart

SCHEMA = SchemaPart(name="identity", query=IdentityQuery, mutation=IdentityMutation,
                    loaders={"user": lambda: by_id(User, lambda row: row)})
