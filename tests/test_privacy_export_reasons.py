"""The appeals' share of an export keeps the reasons an official addressed to the
citizen (an answer, a rejection, a request for clarification) and drops the body's
internal notes (a routing, a redirect)."""

from __future__ import annotations

from typing import Any

from tests.privacy_world import NOW, citizen
from vmeste.platform.appeals.models import AppealEvent, AppealStatus
from vmeste.platform.appeals.personal_data import APPEALS_DATA


async def test_the_export_keeps_only_the_reasons_addressed_to_the_citizen(
        vmeste_app: Any, clock: Any, world: Any, graphql: Any, submit_appeal: Any,
        db: Any) -> None:
    clock.set(NOW)
    person = await citizen(db, graphql, submit_appeal)
    steps = (("redirect", AppealStatus.ROUTED, "Не наш профиль, коллеги разберутся"),
             ("request_clarification", AppealStatus.CLARIFICATION_REQUESTED,
              "Уточните номер дома"),
             ("moderate", AppealStatus.REJECTED, "Текст не содержит сути обращения"))
    for action, status, reason in steps:
        await AppealEvent.create(appeal_id=person.appeal.id, at=NOW, actor="dev:official",
                                 action=action, from_status=AppealStatus.ROUTED,
                                 to_status=status, reason=reason, payload={})
    (appeal,) = await APPEALS_DATA.export(vmeste_app.state.runtime, person.user.id)
    reasons = {e["action"]: e["reason"] for e in appeal["history"] if e["by"] != "you"}
    assert reasons["redirect"] == ""
    assert reasons["request_clarification"] == "Уточните номер дома"
    assert reasons["moderate"] == "Текст не содержит сути обращения"
