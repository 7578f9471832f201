"""The widgets in a real browser: Debian's Chromium, driven by Playwright, opens a site
on another origin that embeds the widget with its one ``<script>``, signs in through the
dev issuer's page, places a point on the map by keyboard and sends an appeal, which is
routed to the widget's body with its photo; a site the widget does not allow cannot
frame it. On another page of the same site the opinion widget lists the territory's
open poll; the citizen signs in again (a new tab) and answers it, and the answer is
recorded and counted as the widget's submission.

The platform runs under a real uvicorn on the test's database, in the test's event loop;
the sites are a second and a third uvicorn on other ports (other origins). One test
drives both widgets, so the servers and the browser start once. The screenshots are
kept as ``tests/artifacts/widget.png``, ``widget-sent.png``, ``widget-opinion-form.png``
and ``widget-opinion.png``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.attachment_world import photo_with_gps
from tests.poll_world import organised, services_of
from tests.widget_world import seed_widget_world
from tests.worlds import MUNICIPALITY_A
from vmeste.app import create_app
from vmeste.platform.appeals.intake import APPEAL_FILES
from vmeste.platform.appeals.models import Appeal, AppealStatus, Channel
from vmeste.platform.attachments.models import Attachment
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.polls.models import PollResponse
from vmeste.platform.polls.models import QuestionKind as K
from vmeste.platform.polls.questions import Choice, QuestionInput
from vmeste.platform.settings import Settings
from vmeste.platform.widgets.configuration import WidgetInput, create_widget
from vmeste.platform.widgets.models import Widget, WidgetKind, WidgetPlacement, WidgetSubmission

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run)"),
    pytest.mark.xdist_group("browser"),
]

SITE = """<!doctype html><html lang="ru"><head><meta charset="utf-8">
<title>Администрация города Кирова</title></head>
<body style="font-family: sans-serif; margin: 2rem; background: #eef1f4">
<h1>Администрация города Кирова</h1><p>Сообщите нам о проблеме в городе.</p>
{embed}
</body></html>"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server stopped while starting"
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        await task


def site(embed: str, opinion: str = "") -> Starlette:
    """A site whose home page embeds ``embed`` and whose ``/opinion`` page ``opinion``."""
    def serve(markup: str) -> Route:
        async def page(_: object) -> HTMLResponse:
            return HTMLResponse(SITE.format(embed=markup))
        return page  # type: ignore[return-value]

    return Starlette(routes=[Route("/", serve(embed)), Route("/opinion", serve(opinion))])


async def sign_in(page: object, frame: object, login: str) -> None:
    """Through the dev issuer's window, opened from the widget's "Sign in"."""
    async with page.expect_popup() as opened:  # type: ignore[attr-defined]
        await frame.get_by_role("button", name="Войти").click()  # type: ignore[attr-defined]
    popup = await opened.value
    await popup.get_by_label("Тестовый логин").fill(login)
    async with popup.expect_event("close"):
        await popup.get_by_role("button", name="Войти").click()


async def answer_the_poll(page: object, site_url: str) -> None:
    """The opinion widget on the site's other page: sign in, answer by keyboard, send."""
    await page.goto(site_url + "/opinion")  # type: ignore[attr-defined]
    frame = page.frame_locator("iframe")  # type: ignore[attr-defined]
    await playwright_api.expect(frame.get_by_role("heading", name="Двор на Ленина")
                                ).to_be_visible()
    await sign_in(page, frame, "petrova")
    square = frame.get_by_label("Сквер")
    await square.focus()
    await square.press("Space")
    await playwright_api.expect(square).to_be_checked()
    await frame.get_by_role("radio", name="4").check()
    await frame.get_by_label("Ваш ответ").fill("Больше скамеек")
    unnamed = await frame.locator("input, select, textarea").evaluate_all(
        "els => els.filter(e => !e.labels.length && !e.getAttribute('aria-label'))"
        ".map(e => e.id)")
    assert unnamed == []
    form = ARTIFACTS / "widget-opinion-form.png"
    await page.screenshot(path=str(form))  # type: ignore[attr-defined]
    print(f"opinion widget screenshot, filled in: {form}")
    async with page.expect_response(  # type: ignore[attr-defined]
            lambda r: r.url.endswith("/submissions")) as told:
        await frame.get_by_role("button", name="Отправить ответы").press("Enter")
    assert (await told.value).status == 200
    await playwright_api.expect(frame.locator(".vw-opinion .vw-status")).to_contain_text(
        "ваши ответы учтены")
    shot = ARTIFACTS / "widget-opinion.png"
    await page.screenshot(path=str(shot))  # type: ignore[attr-defined]
    print(f"opinion widget screenshot: {shot}")


async def test_a_widget_on_an_allowed_site_sends_a_routed_appeal(db: Settings, world,
                                                                 tmp_path: Path) -> None:
    platform_port, site_port, other_port = free_port(), free_port(), free_port()
    platform = f"http://127.0.0.1:{platform_port}"
    allowed, disallowed = f"http://localhost:{site_port}", f"http://localhost:{other_port}"
    widgets = await seed_widget_world(allowed)
    key = widgets.widget.public_key
    snippet = (f'<script src="{platform}/widgets/loader.js" data-widget="{key}" '
               'data-title="Сообщить о проблеме" async></script>')
    framed = f'<iframe id="direct" src="{platform}/widgets/{key}/frame"></iframe>'
    opinion = await create_widget(SYSTEM, WidgetInput(
        title="Выскажите мнение", category_codes=(), kind=WidgetKind.OPINION,
        allowed_origins=(allowed,), organization_id=widgets.widget.organization_id),
        dev_mode=True)
    opinion_snippet = (f'<script src="{platform}/widgets/loader.js" '
                       f'data-widget="{opinion.public_key}" async></script>')
    app = create_app(db, manage_database=False)
    async with serving(app, platform_port), \
            serving(site(snippet, opinion_snippet), site_port), \
            serving(site(snippet + framed), other_port), \
            playwright_api.async_playwright() as p:
        poll = await organised(services_of(app), territory=MUNICIPALITY_A, title="Двор на Ленина",
                               questions=[
            QuestionInput(K.SINGLE, "Что благоустроить?",
                          choices=(Choice("a", "Парк"), Choice("b", "Сквер"))),
            QuestionInput(K.SCALE, "Насколько вы довольны двором?", scale_min=1, scale_max=5),
            QuestionInput(K.TEXT, "Ваши предложения", required=False)])
        browser = await p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            context = await browser.new_context(locale="ru-RU",
                                                viewport={"width": 900, "height": 1700})
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(allowed)
            frame = page.frame_locator("iframe")
            await sign_in(page, frame, "ivanova")

            # Every field has an accessible name; the keyboard reaches the map and send.
            await frame.get_by_label("Категория").select_option("roads.pits")
            await frame.get_by_label("Опишите проблему").fill(
                "Большая яма на дороге у дома 5, машины бьют колёса.")
            photo = tmp_path / "яма.jpg"
            photo.write_bytes(photo_with_gps(320, 240))
            await frame.get_by_label("Фотография (необязательно)").set_input_files(photo)
            await playwright_api.expect(frame.locator("#vw-photo-preview")).to_be_visible()
            unnamed = await frame.locator("input:not([type=hidden]), select, textarea"
                                          ).evaluate_all(
                "els => els.filter(e => !e.labels.length && !e.getAttribute('aria-label'))"
                ".map(e => e.id)")
            assert unnamed == []
            map_ = frame.get_by_role("application", name="Карта территории", exact=False)
            await map_.focus()
            for key_name in ("ArrowRight", "ArrowRight", "ArrowUp", "Enter"):
                await map_.press(key_name)
            point = frame.locator("#vw-point")
            await playwright_api.expect(point).to_contain_text("Точка поставлена")
            address = frame.get_by_label("Адрес или ориентир")
            await address.fill("улица Ленина, 5")
            await address.press("Tab")
            focused = await frame.locator(":focus").get_attribute("id")
            assert focused == "vw-submit", "Tab goes from the address to the send button"
            ARTIFACTS.mkdir(exist_ok=True)
            await frame.locator("html").evaluate("() => window.scrollTo(0, 0)")
            shot = ARTIFACTS / "widget.png"
            await page.screenshot(path=str(shot))
            print(f"widget screenshot: {shot}")
            async with page.expect_response(lambda r: r.url.endswith("/submissions")) as told:
                await frame.locator(":focus").press("Enter")
            assert (await told.value).status == 200
            status = frame.locator("#vw-status")
            await playwright_api.expect(status).to_contain_text("отправлено")
            await playwright_api.expect(status).to_contain_text(
                "направлено в ответственную организацию")
            await playwright_api.expect(frame.locator("#vw-mine-list li")).to_have_count(1)

            sent = ARTIFACTS / "widget-sent.png"
            await page.screenshot(path=str(sent))
            print(f"widget screenshot after sending: {sent}")
            assert errors == [], "the widget's script ran without an error"

            # A site the widget does not allow: the browser refuses to show the frame.
            refusals: list[str] = []
            other = await context.new_page()
            other.on("console", lambda m: refusals.append(m.text))
            await other.goto(disallowed, wait_until="load")
            for child in other.frames[1:]:
                assert await child.query_selector("#vw-title") is None, child.url
            assert len(other.frames) == 3
            assert sum("frame-ancestors" in text for text in refusals) == 2, refusals

            opinion_page = await context.new_page()
            opinion_page.on("pageerror", lambda error: errors.append(str(error)))
            await answer_the_poll(opinion_page, allowed)
            assert errors == [], "the opinion widget's script ran without an error"
        finally:
            await browser.close()

    appeal = await Appeal.get(channel=Channel.WIDGET)
    await appeal.fetch_related("organization")
    assert appeal.status == AppealStatus.ROUTED
    assert appeal.organization.ogrn == widgets.city_admin
    assert appeal.routing_trace[0]["strategy"] == "widget-target"
    assert appeal.latitude is not None and appeal.address == "улица Ленина, 5"
    assert [(r.origin, r.opens, r.submissions) for r in await WidgetPlacement.filter(
        widget_id=widgets.widget.id)] == [(allowed, 1, 1)]
    (response,) = await PollResponse.filter(poll_id=poll.id)
    assert len(response.answers) == 3
    assert [(r.origin, r.opens, r.submissions) for r in await WidgetPlacement.filter(
        widget_id=opinion.id)] == [(allowed, 1, 1)]
    assert await Widget.filter(kind=WidgetKind.OPINION).count() == 1
    assert await WidgetSubmission.filter(appeal_id=appeal.id).exists()
    (attached,) = await Attachment.filter(parent_id=appeal.id, parent_kind=APPEAL_FILES)
    assert attached.content_type == "image/jpeg" and attached.name == "яма.jpg"
