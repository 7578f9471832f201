"""The widget in a real browser: Debian's Chromium, driven by Playwright, opens a site on
another origin that embeds the widget with its one ``<script>``, signs in through the
dev issuer's page, places a point on the map by keyboard and sends an appeal, which is
routed to the widget's body with its photo; a site the widget does not allow cannot
frame it.

The platform runs under a real uvicorn on the test's database, in the test's event loop;
the sites are a second and a third uvicorn on other ports (other origins). The
screenshot of the widget is kept as ``tests/artifacts/widget.png``.
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
from tests.widget_world import seed_widget_world
from vmeste.app import create_app
from vmeste.platform.appeals.intake import APPEAL_FILES
from vmeste.platform.appeals.models import Appeal, AppealStatus, Channel
from vmeste.platform.attachments.models import Attachment
from vmeste.platform.settings import Settings
from vmeste.platform.widgets.models import WidgetPlacement, WidgetSubmission

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


def site(embed: str) -> Starlette:
    async def page(_: object) -> HTMLResponse:
        return HTMLResponse(SITE.format(embed=embed))

    return Starlette(routes=[Route("/", page)])


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
    async with serving(create_app(db, manage_database=False), platform_port), \
            serving(site(snippet), site_port), serving(site(snippet + framed), other_port), \
            playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            context = await browser.new_context(locale="ru-RU",
                                                viewport={"width": 900, "height": 1700})
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(allowed)
            frame = page.frame_locator("iframe")
            sign_in = frame.get_by_role("button", name="Войти")
            async with page.expect_popup() as opened:
                await sign_in.click()
            popup = await opened.value
            await popup.get_by_label("Тестовый логин").fill("ivanova")
            async with popup.expect_event("close"):
                await popup.get_by_role("button", name="Войти").click()

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
        finally:
            await browser.close()

    appeal = await Appeal.get(channel=Channel.WIDGET)
    await appeal.fetch_related("organization")
    assert appeal.status == AppealStatus.ROUTED
    assert appeal.organization.ogrn == widgets.city_admin
    assert appeal.routing_trace[0]["strategy"] == "widget-target"
    assert appeal.latitude is not None and appeal.address == "улица Ленина, 5"
    assert [(r.origin, r.opens, r.submissions) for r in await WidgetPlacement.all()] == [
        (allowed, 1, 1)]
    assert await WidgetSubmission.filter(appeal_id=appeal.id).exists()
    (attached,) = await Attachment.filter(parent_id=appeal.id, parent_kind=APPEAL_FILES)
    assert attached.content_type == "image/jpeg" and attached.name == "яма.jpg"
