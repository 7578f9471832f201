"""The widget's configuration, its page and loader, the sign-in through the dev issuer,
and the counts of its placements, through HTTP as a site and a citizen use them."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio

from tests.appeal_world import SUBMIT, submit_input
from tests.widget_world import ALLOWED, ALSO_ALLOWED, WidgetWorld, seed_widget_world
from tests.worlds import MUNICIPALITY_A, ok_data, user_error_codes
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.widgets.configuration import normal_origin, update_widget
from vmeste.platform.widgets.models import WidgetPlacement, WidgetSubmission

CREATE = """mutation($i: CreateWidgetInput!) { createWidget(input: $i) {
  widget { id publicKey allowedOrigins categoryCodes organization { ogrn } territory { code } }
  userErrors { field code } } }"""


@pytest_asyncio.fixture
async def widgets(world) -> WidgetWorld:
    return await seed_widget_world()


def frame_url(world: WidgetWorld, origin: str = ALLOWED, **query: str) -> str:
    params = "&".join(f"{k}={v}" for k, v in {"origin": origin, **query}.items())
    return f"/widgets/{world.widget.public_key}/frame?{params}"


async def opened(client, world: WidgetWorld, origin: str = ALLOWED, *,
                 referer: str | None = None) -> Any:
    """The frame as a browser loads it into a site's iframe (the loader's Referer is the
    site's bare origin)."""
    return await client.get(frame_url(world, origin=origin), headers={
        "Referer": (referer or origin) + "/", "Sec-Fetch-Dest": "iframe"})


@pytest.mark.parametrize(("value", "expected"), [
    ("https://City.Example/", "https://city.example"),
    ("https://city.example:8443", "https://city.example:8443"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ("http://city.example", None),
    ("https://city.example/path", None),
    ("https://user@city.example", None),
    ("https://*.example", None),
    ("javascript:alert(1)", None),
    ("https://city.example:99999", None),
])
def test_an_allowed_origin_is_a_bare_https_origin(value: str, expected: str | None) -> None:
    assert normal_origin(value, dev_mode=True) == expected
    assert normal_origin("http://127.0.0.1:8123", dev_mode=False) is None


async def test_the_frame_may_be_framed_only_by_the_widgets_sites(client, widgets) -> None:
    response = await client.get(frame_url(widgets))
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    ancestors = next(p for p in policy.split(";") if "frame-ancestors" in p).split()[1:]
    assert ancestors == [ALLOWED, ALSO_ALLOWED]
    assert "x-frame-options" not in response.headers
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert 'id="vw-config"' in response.text and "Сообщить о проблеме" in response.text


async def test_the_frame_speaks_the_widgets_or_the_browsers_language(client, widgets) -> None:
    russian = await client.get(frame_url(widgets))
    assert 'lang="ru"' in russian.text and "Отправить обращение" in russian.text
    english = await client.get(frame_url(widgets, lang="en-GB"))
    assert 'lang="en"' in english.text and "Send the appeal" in english.text
    header = await client.get(frame_url(widgets), headers={"Accept-Language": "en"})
    assert "Send the appeal" in header.text
    await update_widget(SYSTEM, widgets.widget.id, {"language": "ru"}, dev_mode=True)
    fixed = await client.get(frame_url(widgets, lang="en"))
    assert "Отправить обращение" in fixed.text


async def test_every_input_of_the_form_has_a_label(client, widgets) -> None:
    text = (await client.get(frame_url(widgets))).text
    for element in ("vw-category", "vw-text", "vw-photo", "vw-address"):
        assert f'<label for="{element}">' in text, element
    assert 'aria-label="Карта территории' in text


async def test_opens_are_counted_per_allowed_site_and_day(client, widgets) -> None:
    await opened(client, widgets)
    await opened(client, widgets)
    await opened(client, widgets, ALSO_ALLOWED)
    await opened(client, widgets, "https://elsewhere.example")
    rows = {r.origin: r.opens for r in await WidgetPlacement.all()}
    assert rows == {ALLOWED: 2, ALSO_ALLOWED: 1}


async def test_a_retired_or_unknown_widget_is_not_served(client, widgets) -> None:
    assert (await client.get("/widgets/nope/frame")).status_code == 404
    await update_widget(SYSTEM, widgets.widget.id, {"status": "retired"}, dev_mode=True)
    response = await client.get(frame_url(widgets))
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_loader_and_the_assets_are_plain_files(client) -> None:
    loader = await client.get("/widgets/loader.js")
    assert loader.status_code == 200 and loader.headers["content-type"].startswith(
        "text/javascript")
    assert "data-widget" in loader.text
    assert (await client.get("/widgets/static/widget.css")).status_code == 200
    assert (await client.get("/widgets/static/frame.html")).status_code == 404


async def test_the_map_is_the_territorys_boundary_and_its_areas(client, widgets) -> None:
    body = (await client.get(f"/widgets/{widgets.widget.public_key}/map.json")).json()
    assert body["code"] == MUNICIPALITY_A and body["boundary"]["type"] == "Polygon"
    assert [a["code"] for a in body["areas"]] == ["33701000001"]


def _pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(b"v" * 32).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()
    return verifier, challenge


async def _sign_in(client, login: str = "ivanova") -> str:
    verifier, challenge = _pkce()
    redirect = "http://vmeste.test/widgets/callback"
    asked = {"response_type": "code", "client_id": "vmeste-widget", "redirect_uri": redirect,
             "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256"}
    page = await client.get("/identity/dev/authorize", params=asked)
    assert page.status_code == 200 and 'name="login"' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    answer = await client.post("/identity/dev/authorize", data={**asked, "login": login})
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    wrong = await client.post("/identity/dev/token", data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect,
        "client_id": "vmeste-widget", "code_verifier": "another-verifier"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    token = await client.post("/identity/dev/token", data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect,
        "client_id": "vmeste-widget", "code_verifier": verifier})
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


async def test_the_dev_sign_in_returns_only_to_the_platform(client) -> None:
    _, challenge = _pkce()
    response = await client.get("/identity/dev/authorize", params={
        "response_type": "code", "redirect_uri": "https://evil.example/cb",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    assert response.status_code == 400 and 'name="login"' not in response.text
    no_pkce = await client.get("/identity/dev/authorize", params={
        "response_type": "code", "redirect_uri": "http://vmeste.test/widgets/callback"})
    assert no_pkce.status_code == 400


async def test_the_dev_sign_in_exists_only_in_dev_mode(app_client) -> None:
    async with app_client(dev_mode=False) as (_, graphql):
        response = await graphql.http.get("/identity/dev/authorize")
        assert response.status_code == 404


async def _widget_appeal(graphql, token: str, world: WidgetWorld, **changes: Any) -> str:
    payload = ok_data(await graphql(SUBMIT, submit_input(
        channel="WIDGET", targetOrganizationOgrn=world.city_admin, **changes), token=token))
    assert payload["submitAppeal"]["userErrors"] == []
    return str(payload["submitAppeal"]["appeal"]["id"])


async def test_a_signed_in_citizens_widget_appeal_is_counted_once(client, graphql,
                                                                  widgets) -> None:
    token = await _sign_in(client)
    appeal = await _widget_appeal(graphql, token, widgets)
    url = f"/widgets/{widgets.widget.public_key}/submissions"
    headers = {"Authorization": f"Bearer {token}"}
    first = await client.post(url, json={"appealId": appeal, "origin": ALLOWED},
                              headers=headers)
    again = await client.post(url, json={"appealId": appeal, "origin": ALLOWED},
                              headers=headers)
    assert (first.json(), again.json()) == ({"counted": True}, {"counted": False})
    assert [(r.origin, r.submissions) for r in await WidgetPlacement.all()] == [(ALLOWED, 1)]
    assert await WidgetSubmission.all().count() == 1


async def test_a_submission_report_is_refused_for_someone_elses_appeal(client, graphql,
                                                                       widgets) -> None:
    appeal = await _widget_appeal(graphql, await _sign_in(client, "author"), widgets)
    other = await _sign_in(client, "someone")
    url = f"/widgets/{widgets.widget.public_key}/submissions"
    stranger = await client.post(url, json={"appealId": appeal, "origin": ALLOWED},
                                 headers={"Authorization": f"Bearer {other}"})
    assert stranger.status_code == 404
    anonymous = await client.post(url, json={"appealId": appeal, "origin": ALLOWED})
    assert anonymous.status_code == 401
    elsewhere = await client.post(url, json={"appealId": appeal, "origin": "https://x.example"},
                                  headers={"Authorization": f"Bearer {other}"})
    assert elsewhere.status_code == 400
    garbage = await client.post(url, content=b"not json", headers={
        "Authorization": f"Bearer {other}", "Content-Type": "application/json"})
    assert garbage.status_code == 400
    assert await WidgetPlacement.filter(submissions__gt=0).count() == 0


async def test_an_org_admin_configures_the_bodys_widget(graphql, make_token, widgets) -> None:
    admin = await make_token("org_admin", org=widgets.city_admin)
    organization = ok_data(await graphql(
        'query($o: String!) { organization(ogrn: $o) { id } }', {"o": widgets.city_admin}))
    body = ok_data(await graphql(CREATE, {"i": {
        "title": "Виджет", "categoryCodes": ["snow"], "allowedOrigins": ["https://Kirov.example"],
        "organizationId": organization["organization"]["id"]}}, token=admin))
    widget = body["createWidget"]["widget"]
    assert widget["allowedOrigins"] == ["https://kirov.example"]
    assert widget["territory"] == {"code": MUNICIPALITY_A}
    assert await AuditEvent.filter(action="widget.create").count() == 2  # the world's too
    bad = ok_data(await graphql(CREATE, {"i": {
        "title": "Виджет", "categoryCodes": ["nope"], "allowedOrigins": ["https://k.example"],
        "organizationId": organization["organization"]["id"]}}, token=admin))
    assert user_error_codes(bad["createWidget"]) == ["NOT_FOUND"]
    origins = ok_data(await graphql(CREATE, {"i": {
        "title": "Виджет", "categoryCodes": ["snow"], "allowedOrigins": ["http://k.example"],
        "organizationId": organization["organization"]["id"]}}, token=admin))
    assert [(e["field"], e["code"]) for e in origins["createWidget"]["userErrors"]] == [
        ("allowedOrigins", "INVALID")]


async def test_placements_read_through_graphql(client, graphql, make_token, widgets) -> None:
    await opened(client, widgets)
    await opened(client, widgets, ALSO_ALLOWED)
    await opened(client, widgets, ALSO_ALLOWED)
    admin = await make_token("org_admin", org=widgets.city_admin)
    body = ok_data(await graphql("""{ widgets(first: 10) { totalCount edges { node {
        id sites { origin opens submissions } } } } }""", token=admin))
    node = body["widgets"]["edges"][0]["node"]
    assert node["sites"] == [{"origin": ALSO_ALLOWED, "opens": 2, "submissions": 0},
                             {"origin": ALLOWED, "opens": 1, "submissions": 0}]
    days = ok_data(await graphql("""query($w: ID!) { widgetPlacements(widgetId: $w, first: 5)
        { edges { node { origin opens } } } }""", {"w": node["id"]}, token=admin))
    assert len(days["widgetPlacements"]["edges"]) == 2


async def test_outside_dev_mode_the_form_signs_in_through_the_provider(app_client,
                                                                       widgets) -> None:
    provider = {"oidc_authorization_url": "https://esia.example/authorize",
                "oidc_token_url": "https://esia.example/token", "oidc_client_id": "city"}
    async with app_client(dev_mode=False, **provider) as (_, graphql):
        response = await graphql.http.get(frame_url(widgets))
    config = json.loads(response.text.split('id="vw-config">', 1)[1].split("</script>")[0])
    assert config["signIn"] == {"authorize": "https://esia.example/authorize",
                                "token": "https://esia.example/token", "clientId": "city",
                                "redirectUri": "http://vmeste.test/widgets/callback"}
    policy = response.headers["content-security-policy"]
    assert "connect-src 'self' https://esia.example;" in policy
    async with app_client(dev_mode=False) as (_, graphql):
        bare = await graphql.http.get(frame_url(widgets))
    assert '"signIn": null' in bare.text
