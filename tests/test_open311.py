"""Open311 GeoReport v2 against a running server: the PyPI client ``georeport`` lists
services and reads requests back; requests are posted form-encoded with httpx, in
JSON and XML, as the spec's examples do."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import xmltodict
from georeport import GeoReport

from tests.open311_world import KAZAN, KIROV_POINT, NOLINSK_POINT, Served, serving
from vmeste.platform.appeals.models import Appeal, AppealStatus, Channel
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.open311.keys import create_key, revoke_key
from vmeste.platform.open311.models import Open311Request

POTHOLES = "roads.potholes"


async def post(served: Served, fmt: str = "json", **fields: str) -> httpx.Response:
    form = {"api_key": served.key.key, "service_code": POTHOLES,
            "description": "Глубокая яма на проезжей части у остановки", **fields}
    async with httpx.AsyncClient() as http:
        return await http.post(f"{served.base}/requests.{fmt}", data=form)


async def get(served: Served, path: str, **params: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(f"{served.base}/{path}", params=params)


def iso(moment, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


async def test_a_client_library_reads_back_requests_posted_in_json_and_xml(db):
    async with serving(db) as served:
        client = GeoReport(served.base)
        services = await asyncio.to_thread(client.get_service_list)
        potholes = next(s for s in services if s["service_code"] == POTHOLES)
        assert potholes["group"] == "Дороги" and potholes["type"] == "realtime"
        assert potholes["metadata"] is False
        in_xml = await asyncio.to_thread(GeoReport(served.base, output_format="xml")
                                         .get_service_list)
        assert [s["service_code"] for s in in_xml] == [s["service_code"] for s in services]

        lat, lon = KIROV_POINT
        by_point = await post(served, lat=str(lat), long=str(lon),
                              address_string="ул. Ленина, 1", email="Ivan@Example.org",
                              first_name="Иван", media_url="https://img.example/1.jpg")
        assert by_point.status_code == 200, by_point.text
        assert by_point.headers["content-type"] == "application/json; charset=utf-8"
        first = by_point.json()[0]["service_request_id"]
        by_code = await post(served, "xml", address_id=KAZAN, account_id="u-42")
        assert by_code.status_code == 200, by_code.text
        assert by_code.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests>')
        filed = xmltodict.parse(by_code.content)["service_requests"]["request"]
        assert filed["account_id"] == "u-42"
        second = int(filed["service_request_id"])

        for number, territory in ((first, "33701000"), (second, KAZAN)):
            appeal = await Appeal.get(id=number).prefetch_related("organization", "territory",
                                                                 "applicant")
            assert appeal.channel == Channel.OPEN311 and appeal.territory.code == territory
            assert appeal.applicant.issuer == f"open311:{served.key.client.id}"
            zone = appeal.territory.timezone
            for fmt in ("json", "xml"):
                read = await asyncio.to_thread(
                    GeoReport(served.base, output_format=fmt).get_service_request, str(number))
                assert read["status"] == "open"
                assert read["agency_responsible"] == appeal.organization.name
                assert read["expected_datetime"] == iso(appeal.due_at, zone)
                assert read["requested_datetime"] == iso(appeal.created_at, zone)
                assert read["service_code"] == POTHOLES
        facts = await Open311Request.get(appeal_id=first)
        assert (facts.address_string, facts.media_url, facts.email) == (
            "ул. Ленина, 1", "https://img.example/1.jpg", "Ivan@Example.org")
        assert (await Appeal.get(id=first).prefetch_related("applicant")).applicant.subject \
            == "email:ivan@example.org"

        both = await asyncio.to_thread(client.get_service_requests,
                                       service_request_id=f"{first},{second}")
        assert sorted(r["service_request_id"] for r in both) == sorted([first, second])
        by_number = {r["service_request_id"]: r for r in both}
        assert (by_number[first]["lat"], by_number[first]["long"]) == KIROV_POINT
        assert (by_number[second]["lat"], by_number[second]["long"]) == (None, None)

        await served.appeals.answer(SYSTEM, first, text="Яма заделана 5 декабря.")
        closed = await asyncio.to_thread(client.get_service_requests, status="closed")
        assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in closed] == [
            (first, "closed", "Яма заделана 5 декабря.")]
        still_open = await asyncio.to_thread(client.get_service_requests, status="open",
                                             service_code=POTHOLES)
        assert [r["service_request_id"] for r in still_open] == [second]


async def test_refusals_are_the_spec_error_arrays(db):
    async with serving(db) as served:
        missing_key = await post(served, api_key="", address_id=KAZAN)
        assert missing_key.status_code == 403
        assert missing_key.json()[0]["code"] == 403
        unknown = await post(served, service_code="no.such", address_id=KAZAN)
        assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404
        nowhere = await post(served)
        assert nowhere.status_code == 400
        assert "address_id" in nowhere.json()[0]["description"]
        too_long = await post(served, address_id=KAZAN, description="я" * 4001)
        assert too_long.status_code == 400
        far = await post(served, lat="0", long="0")
        assert far.status_code == 400
        span = await get(served, "requests.json", start_date="2026-01-01T00:00:00Z",
                         end_date="2026-06-01T00:00:00Z")
        assert span.status_code == 400
        absent = await get(served, "requests/999999.xml")
        assert absent.status_code == 404
        assert xmltodict.parse(absent.content)["errors"]["error"]["code"] == "404"
        assert (await get(served, "services/no.such.json")).status_code == 404
        assert (await get(served, "services.yaml")).status_code == 404

        await revoke_key(SYSTEM, served.key.client.id)
        revoked = await post(served, "xml", address_id=KAZAN)
        assert revoked.status_code == 403
        assert revoked.headers["content-type"] == "text/xml; charset=utf-8"
        assert await AuditEvent.filter(action__startswith="open311.key_").count() == 2


async def test_english_descriptions_follow_accept_language(db):
    async with serving(db) as served:
        async with httpx.AsyncClient() as http:
            english = await http.post(f"{served.base}/requests.json",
                                      data={"service_code": POTHOLES},
                                      headers={"Accept-Language": "en"})
            russian = await http.post(f"{served.base}/requests.json",
                                      data={"service_code": POTHOLES})
        assert english.json()[0]["description"] == \
            "A valid api_key is required to file a request"
        assert russian.json()[0]["description"] != english.json()[0]["description"]


async def test_a_point_in_a_district_is_filed_there_and_dates_filter(db):
    async with serving(db) as served:
        lat, lon = NOLINSK_POINT
        posted = await post(served, lat=str(lat), long=str(lon))
        number = posted.json()[0]["service_request_id"]
        appeal = await Appeal.get(id=number).prefetch_related("territory")
        assert appeal.territory.code == "33626000"
        day = appeal.created_at
        inside = await get(served, "requests.json",
                           start_date=(day - timedelta(hours=1)).isoformat(),
                           end_date=(day + timedelta(hours=1)).isoformat())
        assert [r["service_request_id"] for r in inside.json()] == [number]
        before = await get(served, "requests.json",
                           end_date=(day - timedelta(days=1)).isoformat())
        assert before.json() == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_discovery_names_the_endpoint_and_formats(db, fmt):
    async with serving(db) as served:
        found = await get(served, f"discovery.{fmt}")
    assert found.status_code == 200
    if fmt == "json":
        assert found.json()["endpoints"][0]["url"] == served.base
    else:
        endpoint = xmltodict.parse(found.content)["discovery"]["endpoints"]["endpoint"]
        assert endpoint["formats"]["format"] == ["text/xml", "application/json"]


async def test_a_clients_requests_spend_its_budget(db, window_clock):
    limited = replace(db, rate_limits=True, rate_limit_mutations="2/minute")
    async with serving(limited) as served:
        for _ in range(2):
            assert (await post(served, address_id=KAZAN)).status_code == 200
        spent = await post(served, "xml", address_id=KAZAN)
        assert spent.status_code == 429 and int(spent.headers["Retry-After"]) > 0
        assert xmltodict.parse(spent.content)["errors"]["error"]["code"] == "429"
        assert (await get(served, "services.json")).status_code == 200


async def test_windows_statuses_and_jurisdictions_narrow_the_list(db):
    async with serving(db) as served:
        lat, lon = KIROV_POINT
        kirov = (await post(served, lat=str(lat), long=str(lon))).json()[0][
            "service_request_id"]
        kazan = (await post(served, address_id=KAZAN)).json()[0]["service_request_id"]
        old = (await post(served, address_id=KAZAN)).json()[0]["service_request_id"]
        now = (await Appeal.get(id=kirov)).created_at
        await Open311Request.filter(appeal_id=old).update(
            requested_at=now - timedelta(days=91))
        await served.appeals.answer(SYSTEM, kazan, text="Сделано.")

        def numbers(response: httpx.Response) -> list[int]:
            assert response.status_code == 200, response.text
            return sorted(r["service_request_id"] for r in response.json())

        # Without dates: the last 90 days, so the request of 91 days ago is not listed.
        assert numbers(await get(served, "requests.json")) == sorted([kirov, kazan])
        # start_date alone: 90 days from it.
        start = (now - timedelta(days=92)).isoformat()
        assert numbers(await get(served, "requests.json", start_date=start)) == [old]
        both = await get(served, "requests.json", status="open,closed")
        assert numbers(both) == sorted([kirov, kazan])
        assert numbers(await get(served, "requests.json", status="closed")) == [kazan]
        assert numbers(await get(served, "requests.json", jurisdiction_id=KAZAN)) == [kazan]
        assert numbers(await get(served, "requests.json", jurisdiction_id="33000000")) == [
            kirov]


async def test_unmoderated_text_is_the_filers_only(db):
    async with serving(db) as served:
        filed = await post(served, address_id=KAZAN, media_url="https://img.example/2.jpg")
        number = filed.json()[0]["service_request_id"]
        await Appeal.filter(id=number).update(status=AppealStatus.MODERATION)
        other = await create_key(SYSTEM, "Другое приложение")
        for key in ("", other.key):
            read = (await get(served, f"requests/{number}.json", api_key=key)).json()[0]
            assert (read["description"], read["media_url"]) == (None, None)
        own = (await get(served, f"requests/{number}.json", api_key=served.key.key)).json()[0]
        assert own["description"] == "Глубокая яма на проезжей части у остановки"
        assert own["media_url"] == "https://img.example/2.jpg"
