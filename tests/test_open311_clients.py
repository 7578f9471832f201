"""Open311 clients: keys made, listed and revoked from the command line (audited, the
key printed alone on the last line); the channel only a client's key can use, for its
own users only; categories' attribute definitions asked and checked."""

from __future__ import annotations

import httpx
import pytest
import xmltodict

from tests.open311_world import KAZAN, serving
from tests.test_open311 import POTHOLES, get, post
from tests.test_workers_cli import vmeste
from tests.worlds import MUNICIPALITY_A, ok_data
from vmeste.platform.appeals.intake import SubmitInput
from vmeste.platform.appeals.models import Channel
from vmeste.platform.appeals.on_behalf import open311_issuer
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.open311.keys import client_of, create_key, key_hash
from vmeste.platform.open311.models import Open311Client, Open311Request
from vmeste.platform.reference.services import CategoryInput, update_category
from vmeste.testing import load_principal

DEFINITIONS = [
    {"code": "size", "datatype": "singlevaluelist", "required": True,
     "description": "Размер ямы", "values": [{"key": "s", "name": "Меньше колеса"},
                                             {"key": "l", "name": "Больше колеса"}]},
    {"code": "lanes", "datatype": "multivaluelist", "description": "Какие полосы",
     "values": [{"key": "1", "name": "Правая"}, {"key": "2", "name": "Левая"}]},
    {"code": "depth", "datatype": "number", "description": "Глубина, см"},
]


async def test_keys_are_made_listed_and_revoked_from_the_command_line(db):
    from vmeste.platform.reference.demo import load_demo_data

    await load_demo_data()
    made = vmeste(db, "open311", "keys", "create", "--name", "Городское приложение",
                  "--territory", KAZAN)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    found = await client_of(key)
    assert found is not None and found[0].name == "Городское приложение"
    client = found[0]
    assert client.key_hash == key_hash(key) and key not in str(
        await Open311Client.all().values())
    listed = vmeste(db, "open311", "keys", "list")
    assert f"{client.key_prefix}…" in listed.stdout and "active" in listed.stdout
    revoked = vmeste(db, "open311", "keys", "revoke", str(client.id))
    assert revoked.returncode == 0, revoked.stderr
    assert await client_of(key) is None
    again = vmeste(db, "open311", "keys", "revoke", str(client.id))
    assert again.returncode == 1 and "CONFLICT" in again.stderr
    assert "revoked" in vmeste(db, "open311", "keys", "list").stdout
    events = await AuditEvent.filter(object_type="open311_client").order_by("id").values_list(
        "action", "actor")
    assert events == [("open311.key_create", "system:cli"), ("open311.key_revoke", "system:cli")]
    unknown = vmeste(db, "open311", "keys", "create", "--name", "x", "--territory", "00000000")
    assert unknown.returncode == 1


async def test_only_an_administrator_makes_a_key(world, make_token):
    from vmeste.platform.identity.models import User

    await make_token("regional_admin", territory=MUNICIPALITY_A, sub="admin")
    admin = await load_principal(await User.get(subject="admin"))
    with pytest.raises(DomainError) as refused:
        await create_key(admin, "Приложение")
    assert refused.value.errors[0].code == ErrorCode.FORBIDDEN


async def test_the_open311_channel_is_a_clients_own(world, make_token, vmeste_app):
    from vmeste.platform.identity.models import User

    appeals = vmeste_app.state.runtime.service(AppealServices)
    await make_token("citizen", sub="ivan")
    citizen = await load_principal(await User.get(subject="ivan"))
    data = SubmitInput(text="Яма во дворе у дома", category_code="roads.pits",
                       channel=Channel.OPEN311, territory_code=MUNICIPALITY_A)
    with pytest.raises(DomainError) as refused:
        await appeals.submit(citizen, data)
    assert refused.value.errors[0].code == ErrorCode.FORBIDDEN
    first, second = await create_key(SYSTEM, "Первое"), await create_key(SYSTEM, "Второе")
    _client, principal = await client_of(first.key)
    data.on_behalf_of_subject = "account:1"
    data.on_behalf_of_issuer = open311_issuer(str(second.client.id))
    with pytest.raises(DomainError):  # another client's users
        await appeals.submit(principal, data)
    data.on_behalf_of_issuer = citizen.user.issuer  # a signed-in citizen's
    data.on_behalf_of_subject = "ivan"
    with pytest.raises(DomainError):
        await appeals.submit(principal, data)
    data.channel = Channel.PORTAL  # a client's key writes on its own channel only
    data.on_behalf_of_issuer = open311_issuer(str(first.client.id))
    with pytest.raises(DomainError):
        await appeals.submit(principal, data)


async def test_attributes_a_category_asks_are_defined_and_checked(db):
    async with serving(db) as served:
        await update_category(SYSTEM, CategoryInput(code=POTHOLES, attributes=DEFINITIONS,
                                                    keywords=["яма", "выбоина"]))
        listed = (await get(served, "services.json")).json()
        potholes = next(s for s in listed if s["service_code"] == POTHOLES)
        assert potholes["metadata"] is True and potholes["keywords"] == "яма, выбоина"
        definition = (await get(served, f"services/{POTHOLES}.json")).json()
        assert [a["code"] for a in definition["attributes"]] == ["size", "lanes", "depth"]
        assert definition["attributes"][0]["values"][1] == {"key": "l", "name": "Больше колеса"}
        assert [a["order"] for a in definition["attributes"]] == [1, 2, 3]

        missing = await post(served, address_id=KAZAN)
        assert missing.status_code == 400
        assert missing.json()[0]["description"].startswith("Атрибут size")
        wrong = await post(served, address_id=KAZAN, **{"attribute[size]": "xl",
                                                         "attribute[color]": "red"})
        assert wrong.status_code == 400 and len(wrong.json()) == 2
        async with httpx.AsyncClient() as http:
            filed = await http.post(f"{served.base}/requests.json", content=(
                f"api_key={served.key.key}&service_code={POTHOLES}&address_id={KAZAN}"
                "&attribute[size]=l&attribute[lanes][]=1&attribute[lanes][]=2"
                "&attribute[depth]=12"), headers={
                    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        assert filed.status_code == 200, filed.text
        facts = await Open311Request.get(appeal_id=filed.json()[0]["service_request_id"])
        assert facts.attributes == {"size": "l", "lanes": ["1", "2"], "depth": "12"}

        with pytest.raises(DomainError) as refused:
            await update_category(SYSTEM, CategoryInput(code=POTHOLES, attributes=[
                {"code": "size", "datatype": "singlevaluelist", "description": "x"}]))
        assert refused.value.errors[0].field == "attributes"


#: The spec's example POST body (GeoReport v2, "POST Service Request"), with this
#: platform's key, service, jurisdiction and a point in Kirov in place of its own.
SPEC_EXAMPLE = (
    "api_key={key}&jurisdiction_id=33000000&service_code={code}&lat=58.6035&long=49.668"
    "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111"
    "&account_id=123456&first_name=john&last_name=smith&phone=111111111"
    "&description=A+large+sinkhole+is+destroying+the+street"
    "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
    "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001")
#: The fields of the spec's example GET Service Request answer, in its order.
SPEC_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
               "description", "agency_responsible", "service_notice", "requested_datetime",
               "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
               "lat", "long", "media_url"]


async def test_the_spec_example_request_is_filed_and_read_in_its_shape(db):
    async with serving(db) as served:
        await update_category(SYSTEM, CategoryInput(code=POTHOLES, attributes=[
            {"code": "WHISPAWN", "datatype": "string", "required": True,
             "description": "Номер обращения в другой системе"},
            {"code": "WHISDORN", "datatype": "singlevaluelist", "description": "Участок",
             "values": [{"key": "COISL001", "name": "Первый"}]}]))
        async with httpx.AsyncClient() as http:
            filed = await http.post(
                f"{served.base}/requests.xml",
                content=SPEC_EXAMPLE.format(key=served.key.key, code=POTHOLES),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        assert filed.status_code == 200, filed.text
        answer = xmltodict.parse(filed.content)["service_requests"]["request"]
        assert list(answer) == ["service_request_id", "service_notice", "account_id"]
        assert answer["account_id"] == "123456"
        number = answer["service_request_id"]
        read = await get(served, f"requests/{number}.xml")
        request = xmltodict.parse(read.content)["service_requests"]["request"]
        assert list(request) == SPEC_FIELDS
        assert (request["address"], request["lat"], request["long"]) == (
            "1234 5th street", "58.6035", "49.668")
        facts = await Open311Request.get(appeal_id=int(number))
        assert facts.attributes == {"WHISPAWN": "123456", "WHISDORN": "COISL001"}
        assert (facts.first_name, facts.last_name, facts.phone, facts.device_id) == (
            "john", "smith", "111111111", "tt222111")


UPDATE = """mutation($input: CategoryInput!) { updateCategory(input: $input) {
  category { code keywords attributes } userErrors { field code } } }"""


async def test_a_category_asks_are_edited_and_read_through_graphql(graphql, federal):
    changed = ok_data(await graphql(UPDATE, {"input": {
        "code": "roads.pits", "keywords": ["яма"], "attributes": DEFINITIONS[:1]}},
        token=federal))["updateCategory"]
    assert changed["userErrors"] == []
    assert changed["category"]["keywords"] == ["яма"]
    assert changed["category"]["attributes"][0]["values"][0] == {"key": "s",
                                                                 "name": "Меньше колеса"}
    read = ok_data(await graphql('{ category(code: "roads.pits") { keywords attributes } }',
                                 token=federal))["category"]
    assert read == {"keywords": ["яма"], "attributes": changed["category"]["attributes"]}
    refused = ok_data(await graphql(UPDATE, {"input": {
        "code": "roads.pits", "keywords": ["a,b"], "attributes": [{"code": "x"}]}},
        token=federal))["updateCategory"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        ("keywords", "INVALID"), ("attributes", "INVALID")]
