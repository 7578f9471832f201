"""The audit trail's part of the schema: its history, and its live subscription."""

from __future__ import annotations

from vmeste.schema.audit.queries import AuditQuery
from vmeste.schema.audit.subscriptions import AuditSubscription
from vmeste.schema.parts import SchemaPart

SCHEMA = SchemaPart(name="audit", query=AuditQuery, subscription=AuditSubscription)
