"""The widget's security review, each finding as a test: the dev sign-in's code is
single-use and returns only to the widget's return page, the page's policy is built
from checked origins only, a site cannot count opens as another site, the loader
checks who sends it messages, and bad input gets a typed answer, never a 500."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest_asyncio

from tests.test_widgets import _pkce, frame_url, opened
from tests.widget_world import ALLOWED, ALSO_ALLOWED, WidgetWorld, seed_widget_world
from vmeste.platform.settings import Settings
from vmeste.platform.widgets import page
from vmeste.platform.widgets.models import Widget, WidgetPlacement

CALLBACK = "http://vmeste.test/widgets/callback"


@pytest_asyncio.fixture
async def widgets(world) -> WidgetWorld:
    return await seed_widget_world()


async def _code(client, redirect: str = CALLBACK) -> tuple[str, str]:
    verifier, challenge = _pkce()
    answer = await client.post("/identity/dev/authorize", data={
        "response_type": "code", "client_id": "vmeste-widget", "redirect_uri": redirect,
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
        "login": "petrov"})
    assert answer.status_code == 303, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0], verifier


def _exchange(code: str, verifier: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
            "client_id": "vmeste-widget", "code_verifier": verifier}


async def test_a_dev_sign_in_code_is_exchanged_once(client) -> None:
    code, verifier = await _code(client)
    first = await client.post("/identity/dev/token", data=_exchange(code, verifier))
    assert first.status_code == 200
    again = await client.post("/identity/dev/token", data=_exchange(code, verifier))
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant",
                            "error_description": "the code was used already"}


async def test_a_dev_code_wants_a_real_pkce_verifier(client) -> None:
    code, _ = await _code(client)
    short = await client.post("/identity/dev/token", data=_exchange(code, "short"))
    assert short.status_code == 400 and short.json()["error"] == "invalid_grant"
    garbage = await client.post("/identity/dev/token", data=_exchange("not-a-code", "x" * 43))
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_grant"


async def test_the_dev_sign_in_returns_to_the_widgets_return_page_only(client) -> None:
    _, challenge = _pkce()
    for redirect in ("http://vmeste.test/graphql", "http://vmeste.test/widgets/callback?x=1",
                     "http://vmeste.test.evil.example/widgets/callback",
                     "//evil.example/widgets/callback"):
        response = await client.get("/identity/dev/authorize", params={
            "response_type": "code", "redirect_uri": redirect, "code_challenge": challenge,
            "code_challenge_method": "S256"})
        assert response.status_code == 400 and 'name="login"' not in response.text, redirect
    weak = await client.get("/identity/dev/authorize", params={
        "response_type": "code", "redirect_uri": CALLBACK, "code_challenge": "abc",
        "code_challenge_method": "S256"})
    assert weak.status_code == 400


async def test_frame_ancestors_names_only_checked_origins(client, widgets) -> None:
    await Widget.filter(id=widgets.widget.id).update(allowed_origins=[
        ALLOWED, "https://a.example; script-src *", "https://b.example https://c.example", "*"])
    policy = (await client.get(frame_url(widgets))).headers["content-security-policy"]
    directives = [part.strip() for part in policy.split(";")]
    assert directives[-1] == f"frame-ancestors {ALLOWED}"
    assert not any(d.startswith("script-src *") for d in directives)
    await Widget.filter(id=widgets.widget.id).update(allowed_origins=["*"])
    policy = (await client.get(frame_url(widgets))).headers["content-security-policy"]
    assert policy.endswith("frame-ancestors 'none'")


def test_the_token_endpoint_adds_only_its_origin_to_connect_src() -> None:
    widget = Widget(allowed_origins=[ALLOWED])
    settings = Settings(database_url="sqlite://:memory:", dev_mode=False,
                        oidc_token_url="https://id.example/token; script-src *")
    policy = page.frame_policy(widget, settings)
    assert "connect-src 'self' https://id.example;" in policy and "script-src *" not in policy
    fine = Settings(database_url="sqlite://:memory:", dev_mode=False,
                    oidc_token_url="https://id.example/oauth/token")
    assert "connect-src 'self' https://id.example;" in page.frame_policy(widget, fine)


async def test_a_site_cannot_count_opens_as_another_site(client, widgets) -> None:
    await opened(client, widgets, ALLOWED, referer="https://elsewhere.example")
    await opened(client, widgets, ALLOWED, referer=ALSO_ALLOWED)
    await client.get(frame_url(widgets), headers={"Referer": ALLOWED + "/",
                                                  "Sec-Fetch-Dest": "document"})
    await client.get(frame_url(widgets))
    assert await WidgetPlacement.all().count() == 0
    await opened(client, widgets, ALLOWED)
    assert [(r.origin, r.opens) for r in await WidgetPlacement.all()] == [(ALLOWED, 1)]


async def test_bad_keys_and_bodies_get_typed_answers(client, widgets) -> None:
    key = widgets.widget.public_key
    for path in ("/widgets/" + "k" * 200 + "/frame", "/widgets/%00%3B/frame",
                 "/widgets/nope/map.json"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    url = f"/widgets/{key}/submissions"
    for body in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"appealId": {"a": 1}}'):
        response = await client.post(url, content=body,
                                      headers={"Content-Type": "application/json"})
        assert response.status_code in (400, 401), body
        assert "errors" in response.json(), body


async def test_the_loader_is_small_and_checks_who_sends_it_messages(client) -> None:
    loader = (await client.get("/widgets/loader.js")).text
    assert len(loader.encode()) < 4096
    assert "event.origin !== platform" in loader and "event.source !== frame.contentWindow" in (
        loader)
    assert "document.currentScript" in loader and 'referrerPolicy = "origin"' in loader
    assert "postMessage" not in loader
    form = (await client.get("/widgets/static/widget.js")).text
    assert '"*"' not in form and "'*'" not in form
    callback = (await client.get("/widgets/static/callback.js")).text
    assert "postMessage(message, window.location.origin)" in callback
