"""Reference data's part of the schema: territories, bodies and categories, and the
loaders every area uses to show them."""

from __future__ import annotations

from vmeste.platform.reference import models
from vmeste.schema.loaders import by_id, grouped
from vmeste.schema.parts import SchemaPart
from vmeste.schema.reference import types
from vmeste.schema.reference.mutations import ReferenceMutation
from vmeste.schema.reference.queries import ReferenceQuery

SCHEMA = SchemaPart(
    name="reference", query=ReferenceQuery, mutation=ReferenceMutation,
    loaders={
        "territory": lambda: by_id(models.Territory, types.Territory.from_model),
        "organization": lambda: by_id(models.Organization, types.Organization.from_model),
        "category": lambda: by_id(models.Category, types.Category.from_model),
        "category_children": lambda: grouped(models.Category, "parent_id",
                                             types.Category.from_model),
    })
