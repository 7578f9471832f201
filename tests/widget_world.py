"""The appeals' world plus a boundary on Kirov's municipality and the city
administration's widget, allowed on two sites."""

from __future__ import annotations

from dataclasses import dataclass

from tests.appeal_world import seed_appeal_world
from tests.worlds import MUNICIPALITY_A
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.models import Organization
from vmeste.platform.widgets.configuration import WidgetInput, create_widget
from vmeste.platform.widgets.models import Widget

ALLOWED = "https://city.example"
ALSO_ALLOWED = "http://127.0.0.1:8123"
#: Kirov's municipality, larger than the settlement square inside it.
MUNICIPALITY_BOUNDARY = {"type": "Polygon", "coordinates": [[
    [49.3, 58.4], [50.0, 58.4], [50.1, 58.8], [49.4, 58.9], [49.3, 58.4]]]}


@dataclass(frozen=True)
class WidgetWorld:
    widget: Widget
    city_admin: str


async def seed_widget_world(*origins: str) -> WidgetWorld:
    """Needs ``seed_world()`` first (the ``world`` fixture)."""
    appeals = await seed_appeal_world()
    await ref.update_territory(SYSTEM, ref.TerritoryInput(code=MUNICIPALITY_A,
                                                          boundary=MUNICIPALITY_BOUNDARY))
    organization = await Organization.get(ogrn=appeals.city_admin)
    widget = await create_widget(SYSTEM, WidgetInput(
        title="Сообщить о проблеме", intro="Администрация города Кирова ответит.",
        category_codes=("roads.pits", "roads"),
        allowed_origins=origins or (ALLOWED, ALSO_ALLOWED),
        organization_id=organization.id), dev_mode=True)
    return WidgetWorld(widget=widget, city_admin=appeals.city_admin)
