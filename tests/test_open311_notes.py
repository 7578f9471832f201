"""What GeoReport reads publish of an appeal's history: the body's answer and the
reasons addressed to the citizen as the body's word; never a citizen's or the staff's
own reasons; a moderation refusal's reason, like the text, address and point of a
request not accepted, to the filing client only."""

from __future__ import annotations

from tests.open311_world import KIROV_POINT, serving
from tests.test_open311 import get, post
from vmeste.platform.appeals.lifecycle import Action
from vmeste.platform.appeals.models import Appeal, AppealEvent, AppealStatus
from vmeste.platform.identity.principal import SYSTEM

TEXT = "Яма у дома 5, соседка Иванова из кв. 12 упала"


async def _filed(served) -> int:
    lat, lon = KIROV_POINT
    filed = await post(served, lat=str(lat), long=str(lon), address_string="ул. Ленина, 5",
                       description=TEXT)
    assert filed.status_code == 200, filed.text
    number: int = filed.json()[0]["service_request_id"]
    return number


async def _read(served, number: int, **params: str) -> dict:
    read = await get(served, f"requests/{number}.json", **params)
    assert read.status_code == 200, read.text
    found: dict = read.json()[0]
    return found


async def test_only_the_bodys_word_is_published_as_status_notes(db):
    async with serving(db) as served:
        number = await _filed(served)
        appeal = await Appeal.get(id=number)
        if appeal.status == AppealStatus.MODERATION:
            await served.appeals.moderate(SYSTEM, number, accept=True)
        await served.appeals.request_clarification(SYSTEM, number,
                                                   question="Уточните номер дома")
        assert (await _read(served, number))["status_notes"] == "Уточните номер дома"
        for action in (Action.WITHDRAW, Action.REOPEN, Action.REDIRECT, Action.ESCALATE):
            await AppealEvent.create(appeal_id=number, at=appeal.created_at, actor="x",
                                     action=action, from_status=AppealStatus.ROUTED,
                                     to_status=AppealStatus.ROUTED,
                                     reason=f"Внутренняя причина {action}")
        public = await _read(served, number)
        assert public["status_notes"] == "Уточните номер дома"


async def test_a_refused_request_shows_its_text_place_and_reason_to_its_filer_only(db):
    async with serving(db) as served:
        number = await _filed(served)
        if (await Appeal.get(id=number)).status != AppealStatus.MODERATION:
            await Appeal.filter(id=number).update(status=AppealStatus.MODERATION)
        await served.appeals.moderate(SYSTEM, number, accept=False,
                                      reason="Текст называет соседку Иванову")
        public = await _read(served, number)
        assert public["status"] == "closed"
        assert [public[k] for k in ("description", "address", "lat", "long",
                                    "status_notes")] == [None] * 5
        listed = (await get(served, "requests.json")).json()
        assert [(r["description"], r["lat"], r["status_notes"]) for r in listed] == [
            (None, None, None)]
        own = await _read(served, number, api_key=served.key.key)
        assert (own["description"], own["address"], own["lat"], own["long"]) == (
            TEXT, "ул. Ленина, 5", KIROV_POINT[0], KIROV_POINT[1])
        assert own["status_notes"] == "Текст называет соседку Иванову"
