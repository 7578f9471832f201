"""Open311 input a client or a reader may send at its limits: values longer than the
columns they are looked up in, dates at the calendar's ends, control characters. Each
is the spec's error array, never a 500, and every XML answer stays readable."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
import xmltodict

from tests.open311_world import KAZAN, serving
from tests.test_open311 import POTHOLES, get, post
from vmeste.platform.appeals.models import Appeal, AppealStatus
from vmeste.platform.reference.attributes import check_values


async def test_values_longer_than_their_columns_are_refused_in_the_spec_shape(db):
    async with serving(db) as served:
        long_code = "r" * 65
        for path, params in ((f"services/{long_code}.json", {}),
                             ("services.json", {"jurisdiction_id": "1" * 17}),
                             ("requests.json", {"jurisdiction_id": "1" * 17}),
                             ("requests/1.json", {"jurisdiction_id": "1" * 17})):
            refused = await get(served, path, **params)
            assert refused.status_code == 404, (path, refused.text)
            assert refused.json()[0]["code"] == 404
        listed = await get(served, "requests.json", service_code=f"{POTHOLES},{long_code}")
        assert listed.status_code == 400 and listed.json()[0]["code"] == 400
        assert (await post(served, service_code=long_code, address_id=KAZAN)).status_code == 404
        assert (await post(served, address_id=KAZAN, jurisdiction_id="1" * 17)
                ).status_code == 404
        far = await post(served, address_id="1" * 17)
        assert far.status_code == 400 and "address_id" in far.json()[0]["description"]
        assert not await Appeal.exists()


@pytest.mark.parametrize("dates", [{"start_date": "9999-12-31T00:00:00Z"},
                                   {"end_date": "0001-01-01"},
                                   {"end_date": "0001-01-01T00:00:00+00:00"}])
async def test_dates_at_the_calendars_ends_are_a_400(db, dates):
    async with serving(db) as served:
        refused = await get(served, "requests.json", **dates)
    assert refused.status_code == 400 and refused.json()[0]["code"] == 400


async def test_control_characters_neither_break_xml_nor_are_filed(db):
    async with serving(db) as served:
        echoed = await get(served, "services/a%01b.xml")
        assert echoed.status_code == 404
        assert xmltodict.parse(echoed.content)["errors"]["error"]["code"] == "404"
        bell = await post(served, "xml", address_id=KAZAN, description="Яма\x07 у дома")
        assert bell.status_code == 400
        assert xmltodict.parse(bell.content)["errors"]["error"]["code"] == "400"
        async with httpx.AsyncClient() as http:
            named = await http.post(f"{served.base}/requests.json", content=(
                f"api_key={served.key.key}&service_code={POTHOLES}&address_id={KAZAN}"
                "&attribute[a%1Fb]=1"), headers={
                    "Content-Type": "application/x-www-form-urlencoded"})
        assert named.status_code == 400
        assert not await Appeal.exists()

        kept = await post(served, address_id=KAZAN,
                          description="Яма у дома\r\n\tглубокая, слева от входа")
        assert kept.status_code == 200, kept.text
        number = kept.json()[0]["service_request_id"]
        # A text stored by another channel (or before this check) still reads as XML.
        await Appeal.filter(id=number).update(text="Звонок\x07 и \x1b[0m, и \ufffe",
                                              status=AppealStatus.ROUTED)
        public = await get(served, "requests.xml")
        assert public.status_code == 200
        request = xmltodict.parse(public.content)["service_requests"]["request"]
        assert request["service_request_id"] == str(number)
        assert request["description"] == "Звонок\ufffd и \ufffd[0m, и \ufffd"


async def test_posts_without_a_valid_key_spend_the_addresss_budget(db, window_clock):
    limited = replace(db, rate_limits=True, rate_limit_anonymous="2/minute",
                      rate_limit_mutations="100/minute")
    async with serving(limited) as served:
        for key in ("", "guessed"):
            assert (await post(served, api_key=key, address_id=KAZAN)).status_code == 403
        spent = await post(served, api_key="guessed-again", address_id=KAZAN)
        assert spent.status_code == 429 and int(spent.headers["Retry-After"]) > 0
        assert (await post(served, address_id=KAZAN)).status_code == 200  # a client's own


async def test_one_request_is_read_within_its_jurisdiction_only(db):
    async with serving(db) as served:
        filed = await post(served, address_id=KAZAN)
        number = filed.json()[0]["service_request_id"]
        inside = await get(served, f"requests/{number}.json", jurisdiction_id=KAZAN)
        assert [r["service_request_id"] for r in inside.json()] == [number]
        outside = await get(served, f"requests/{number}.json", jurisdiction_id="33701000")
        assert outside.status_code == 404 and outside.json()[0]["code"] == 404
        assert (await get(served, f"requests/{2**31}.json")).status_code == 404


@pytest.mark.parametrize("given", ["nan", "inf", "-Infinity", "1_0", "1e3", "١٢", " ", "1."])
def test_a_number_attribute_takes_plain_finite_numbers_only(given):
    definition = [{"code": "depth", "datatype": "number", "variable": True,
                   "required": True, "description": "Глубина"}]
    answers, problems = check_values(definition, {"depth": [given]})
    assert answers == {} and len(problems) == 1


def test_a_number_attribute_keeps_what_people_write():
    definition = [{"code": "depth", "datatype": "number", "variable": True,
                   "required": True, "description": "Глубина"}]
    for given in ("12", "-3", "12.5", "12,5", "+7"):
        assert check_values(definition, {"depth": [given]}) == ({"depth": given}, [])
