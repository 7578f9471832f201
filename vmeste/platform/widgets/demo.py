"""The widgets of ``vmeste demo``: the tour's body (where the tour's pothole appeal is
routed, the body the demo's ``org_admin`` administers) has a "report a problem" widget
and a "give an opinion" one (the open polls and votes of its territory) on its site,
allowed on a page served from this machine (``http://localhost:8080``), so the embed
snippet of docs/widget.md works at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from vmeste.platform.appeals.demo import TOUR_CATEGORY, TOUR_TERRITORY
from vmeste.platform.appeals.models import Channel
from vmeste.platform.appeals.router import request_for
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference.models import Category
from vmeste.platform.widgets.configuration import WidgetInput, create_widget
from vmeste.platform.widgets.models import WidgetKind

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

DEMO_ORIGINS = ("http://localhost:8080", "http://127.0.0.1:8080")


async def load_demo_widget(runtime: Runtime) -> str:
    request = await request_for(category_code=TOUR_CATEGORY, territory_code=TOUR_TERRITORY,
                                applicant_type="person", channel=Channel.WIDGET.value,
                                on=datetime.now(UTC).date())
    decision = await runtime.service(AppealServices).router.route(request)
    if decision.organization_id is None:
        return "widgets: none (the demo rules route the tour's appeal nowhere)"
    parent = await Category.get(code=TOUR_CATEGORY)
    siblings = await Category.filter(parent_id=parent.parent_id).order_by("code").limit(
        8).values_list("code", flat=True) if parent.parent_id else []
    codes = tuple(dict.fromkeys([TOUR_CATEGORY, *map(str, siblings)]))
    widget = await create_widget(SYSTEM, WidgetInput(
        title="Сообщить о проблеме", intro="Расскажите о проблеме в городе: мы ответим.",
        category_codes=codes, allowed_origins=DEMO_ORIGINS,
        organization_id=decision.organization_id), dev_mode=True)
    opinion = await create_widget(SYSTEM, WidgetInput(
        title="Выскажите мнение", intro="Опросы и голосования о нашем городе.",
        category_codes=(), allowed_origins=DEMO_ORIGINS, kind=WidgetKind.OPINION,
        organization_id=decision.organization_id), dev_mode=True)
    return (f"widgets: 2 (public keys {widget.public_key}, opinion {opinion.public_key}, "
            f"allowed on {DEMO_ORIGINS[0]})")
