"""Open311's share of data rights: what a client application sent about its user is
exported, erased with the person (the request stays with its appeal) and cleared with
the appeal's content once its retention is over, so the public reads show it no more."""

from __future__ import annotations

from datetime import timedelta

from tests.open311_world import KIROV_POINT, serving
from tests.test_open311 import get, post
from vmeste.platform.appeals.models import Appeal, AppealStatus
from vmeste.platform.components import personal_data_of
from vmeste.platform.open311.models import Open311Request
from vmeste.platform.privacy.erasure import execute
from vmeste.platform.privacy.models import ErasureRequest, ErasureStatus
from vmeste.platform.privacy.retention import sweep_retention

CONTACTS = {"email": "ivan@example.org", "first_name": "Иван", "last_name": "Петров",
            "phone": "+7 912 000-00-00", "device_id": "dev-7", "account_id": "acc-7"}


async def _filed(served, **extra: str) -> int:
    lat, lon = KIROV_POINT
    filed = await post(served, lat=str(lat), long=str(lon), address_string="ул. Ленина, 1",
                       media_url="https://img.example/1.jpg", **extra)
    assert filed.status_code == 200, filed.text
    number: int = filed.json()[0]["service_request_id"]
    return number


async def test_a_client_users_facts_are_exported_and_erased(db):
    async with serving(db) as served:
        number = await _filed(served, **CONTACTS)
        other = await _filed(served, email="other@example.org")
        appeal = await Appeal.get(id=number)
        share = next(d for d in personal_data_of(served.runtime.components)
                     if d.section == "open311")
        exported = await share.export(served.runtime, appeal.applicant_id)
        assert [(r["appeal_id"], r["email"], r["account_id"], r["address_string"])
                for r in exported] == [(number, "ivan@example.org", "acc-7", "ул. Ленина, 1")]

        now = served.runtime.clock()
        asked = await ErasureRequest.create(user_id=appeal.applicant_id, requested_at=now,
                                            execute_after=now,
                                            status=ErasureStatus.SCHEDULED)
        assert await execute(served.runtime, asked.id) == "erased"
        facts = await Open311Request.get(appeal_id=number)
        assert (facts.email, facts.first_name, facts.last_name, facts.phone,
                facts.device_id) == ("", "", "", "", "")
        assert facts.account_id.startswith("erased-")
        assert facts.address_string == "ул. Ленина, 1"  # kept with the appeal
        assert (await Open311Request.get(appeal_id=other)).email == "other@example.org"
        outcome = (await ErasureRequest.get(id=asked.id)).outcome["open311"]
        assert outcome["kept"] == 1 and outcome["pseudonymised"] == 1


async def test_past_its_retention_a_request_loses_its_place_and_content(db):
    async with serving(db) as served:
        number = await _filed(served, **CONTACTS)
        fresh = await _filed(served)
        await Open311Request.filter(appeal_id=number).update(attributes={"size": "l"})
        days = served.runtime.settings.retention_appeals_days
        now = served.runtime.clock()
        await Appeal.filter(id__in=[number, fresh]).update(status=AppealStatus.CLOSED)
        await Appeal.filter(id=number).update(updated_at=now - timedelta(days=days + 1))
        swept = await sweep_retention(served.runtime, now)
        assert swept["open311"]["removed"] == 1 and swept["appeals"]["removed"] == 1
        facts = await Open311Request.get(appeal_id=number)
        assert (facts.address_string, facts.latitude, facts.longitude, facts.media_url,
                facts.attributes, facts.email, facts.account_id) == (
            "", None, None, "", {}, "", "")
        public = (await get(served, f"requests/{number}.json")).json()[0]
        assert (public["address"], public["lat"], public["long"], public["media_url"],
                public["description"]) == (None, None, None, None, None)
        kept = (await get(served, f"requests/{fresh}.json")).json()[0]
        assert kept["address"] == "ул. Ленина, 1" and kept["lat"] == KIROV_POINT[0]
        again = await sweep_retention(served.runtime, now)
        assert again["open311"]["removed"] == 0
