"""Hearings for the draft, participant and proposal tests, written straight to the tables
in the status a test needs (the hearing's own steps are another part's), on the shared
small world (``tests/worlds.py``).

``hearing`` makes a hearing in region A's municipality organised by region A's ministry
(with a procedure template of its own); ``published`` adds the Markdown ``DRAFT`` as a
version through the services (published at once during the exposition); ``citizen`` is
a verified person's principal registered at an address (``oktmo``); ``moved`` brings a
hearing to another status directly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.poll_world import respondent
from tests.worlds import COUNTRY, MUNICIPALITY_A, ORG_A
from vmeste.platform.hearings.drafts import VersionInput, add_version
from vmeste.platform.hearings.models import (
    DraftSection,
    DraftVersion,
    Hearing,
    HearingKind,
    HearingStatus,
    ProcedureTemplate,
)
from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.reference.models import Organization, Territory
from vmeste.platform.settings import Settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DRAFT = """# 1. Общие положения
Настоящие правила землепользования и застройки устанавливают зоны.

1.1. Правила применяются на всей территории города.
1.2. Изменения вносятся в порядке, установленном законом.

# 2. Градостроительные регламенты
Для каждой зоны устанавливаются виды разрешённого использования.

1. Жилая зона Ж-1: индивидуальные жилые дома высотой до трёх этажей.
2. Общественно-деловая зона ОД-1.
"""


async def template() -> ProcedureTemplate:
    country = await Territory.get(code=COUNTRY)
    found, _ = await ProcedureTemplate.get_or_create(
        code="land_use_rules", territory_id=country.id, version=1, defaults={
            "kind": HearingKind.PUBLIC_DISCUSSION, "document_type": "land_use_rules",
            "title": "Общественные обсуждения проекта правил землепользования",
            "legal_basis": "ст. 5.1 ГрК РФ", "territory_path": country.path,
            "stages": [], "total": {}, "created_by": "system"})
    return found


async def hearing(status: HearingStatus = HearingStatus.EXPOSITION, *,
                  territory: str = MUNICIPALITY_A, organiser: str = ORG_A,
                  **fields: Any) -> Hearing:
    where = await Territory.get(code=territory)
    body = await Organization.get(ogrn=organiser)
    fields.setdefault("title", "Проект правил землепользования и застройки")
    return await Hearing.create(
        kind=HearingKind.PUBLIC_DISCUSSION, document_type="land_use_rules",
        template=await template(), territory_id=where.id, territory_path=where.path,
        organiser_id=body.id, status=status, created_by="system", **fields)


async def published(row: Hearing, source: str = DRAFT) -> DraftVersion:
    """The draft as a new version (the hearing must allow adding one)."""
    return await add_version(SYSTEM, row.id, VersionInput("Проект", source), now=NOW)


async def sections_of(version: DraftVersion) -> list[DraftSection]:
    return list(await DraftSection.filter(version_id=version.id).order_by("position"))


async def moved(row: Hearing, status: HearingStatus) -> Hearing:
    await Hearing.filter(id=row.id).update(status=status)
    row.status = status
    return row


async def citizen(settings: Settings, sub: str, *, oktmo: str = MUNICIPALITY_A,
                  verified: bool = True) -> Principal:
    return await respondent(settings, sub, oktmo=oktmo, verified=verified)
