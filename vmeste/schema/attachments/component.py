"""Attachments' part of the schema: the ``Attachment`` type (reached through the objects
that hold files, and ``node(id:)``); uploads are ``POST /attachments``."""

from __future__ import annotations

from vmeste.schema.attachments.types import AttachmentNode
from vmeste.schema.parts import SchemaPart

SCHEMA = SchemaPart(name="attachments", types=(AttachmentNode,))
