"""Hearings for the hearings tests, on the shared small world (``tests/worlds.py``).

``organised`` creates a hearing through the services as the platform would (a planning
project's public discussion in region A's municipality, organised by region A's
ministry, unless told otherwise); ``announced`` creates and announces one on a notice
day; ``principal`` is a role holder's principal, as a request would carry it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.worlds import MUNICIPALITY_A, ORG_A
from vmeste.platform.hearings.hearings import Announcement, HearingInput, HearingServices
from vmeste.platform.hearings.models import Hearing, HearingKind
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.identity.services import load_principal

DISCUSSION, HEARING = HearingKind.PUBLIC_DISCUSSION, HearingKind.PUBLIC_HEARING
WHERE = "Вестник города Кирова, № 12"


def services_of(app: Any) -> HearingServices:
    return app.state.runtime.service(HearingServices)  # type: ignore[no-any-return]


async def organised(services: HearingServices, *, territory: str = MUNICIPALITY_A,
                    organiser: str = ORG_A, kind: HearingKind = DISCUSSION,
                    document_type: str = "planning_project", **fields: Any) -> Hearing:
    return await services.create(fields.pop("principal", SYSTEM), HearingInput(
        title=fields.pop("title", "Проект планировки квартала Лепсе"),
        territory_code=territory, kind=kind, document_type=document_type,
        organiser_ogrn=organiser, exposition_place="ул. Воровского, 39",
        exposition_hours="пн–пт 9:00–17:00", meeting_place="Зал заседаний, ул. Воровского, 39",
        **fields))


async def announced(services: HearingServices, notice_on: date, *,
                    stage_days: dict[str, int] | None = None, **fields: Any) -> Hearing:
    hearing = await organised(services, **fields)
    return await services.announce(SYSTEM, hearing.id, Announcement(
        notice_text="Оповещение о начале общественных обсуждений", published_where=WHERE,
        notice_on=notice_on, stage_days=stage_days or {}))


async def principal(make_token: Any, role: str, sub: str, **scope: str) -> Principal:
    await make_token(role, sub=sub, **scope)
    return await load_principal(await User.get(issuer=DEV_ISSUER, subject=sub))
