"""Data rights' part of the schema."""

from __future__ import annotations

from vmeste.schema.parts import SchemaPart
from vmeste.schema.privacy.mutations import PrivacyMutation
from vmeste.schema.privacy.queries import PrivacyQuery

SCHEMA = SchemaPart(name="privacy", query=PrivacyQuery, mutation=PrivacyMutation)
