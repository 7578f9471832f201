"""Charts of the demo's appeal statistics at their stable URLs, rendered to PNG (cairosvg,
as in ``test_vote_charts.py``) and saved under ``tests/artifacts/`` to be looked at: what
is drawn is read back from the pixels, not only from the SVG's text."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any
from xml.etree import ElementTree

from PIL import Image
from starlette.applications import Starlette

from tests.test_appeal_statistics_demo import by_hand, load
from tests.test_vote_charts import ENGLISH, SVG, assert_drawn, render, texts
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.reference.demo import DEMO_REGION_CODE
from vmeste.platform.reference.models import Organization
from vmeste.testing import Clock, TokenFactory

BAR = (0x3D, 0x6F, 0xB6)
HATCH = (0xC9, 0xCE, 0xD6)
MONTHS = {9: "September 2026", 10: "October 2026", 11: "November 2026", 12: "December 2026"}


def bar_lengths(image: Image.Image) -> list[int]:
    """The length in pixels of each bar's blue run, top to bottom (a bar is a band of
    rows with the same run)."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    pixels = rgb.load()
    runs: list[int] = []
    inside = False
    for y in range(height):
        run = sum(1 for x in range(width) if _near(pixels[x, y], BAR))
        if run > 4 and not inside:
            runs.append(run)
        inside = run > 4
    return runs


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(pixel, colour, strict=True))


async def test_the_monthly_time_to_answer_is_drawn_as_its_figures(
        vmeste_app: Starlette, clock: Clock, client: Any, make_token: TokenFactory) -> None:
    rows = await load(vmeste_app, clock)
    days = dict(await Appeal.filter(id__in=[r["id"] for r in rows]).values_list(
        "id", "received_on"))
    months: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        months[days[row["id"]].replace(day=1)].append(row)
    token = await make_token("regional_admin", territory=DEMO_REGION_CODE)
    answer = await client.get(
        f"/statistics/appeals/mean_answer_days.svg?period=month&territory={DEMO_REGION_CODE}",
        headers={**ENGLISH, "Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert answer.headers["cache-control"] == "private, no-cache", "the staff's whole view"
    root = ElementTree.fromstring(answer.text)
    assert root.findtext(f"{SVG}title") == "Mean time to the first answer"
    shown = texts(root)
    assert "All appeals" in shown and "Кировская область; by month" in shown
    expected = []
    for month in sorted(months):
        figures = by_hand(months[month])
        label = MONTHS[month.month]
        mean = figures["meanAnswerSeconds"]
        caption = "—" if mean is None else f"{mean / 86_400:.1f} days"
        at = shown.index(label)
        assert shown[at + 1] == caption, (label, shown[at:at + 2])
        expected.append(mean)
    summary = root.findtext(f"{SVG}desc") or ""
    assert summary.startswith("All appeals (September 2026: ")
    image = render(answer.text, "appeal-statistics-mean-answer-days")
    assert_drawn(image, root)
    # One blue bar per month with an answer, as long as its mean against the longest.
    lengths = bar_lengths(image)
    measured = [m for m in expected if m]
    assert len(lengths) == len(measured)
    for length, mean in zip(lengths, measured, strict=True):
        assert abs(length - max(lengths) * mean / max(measured)) <= 3, (lengths, measured)


async def test_the_public_chart_of_bodies_hatches_the_hidden_ones(
        vmeste_app: Starlette, clock: Clock, client: Any) -> None:
    rows = await load(vmeste_app, clock)
    names = dict(await Organization.all().values_list("id", "name"))
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[names.get(row["organization_id"], "Not at a body yet")] += 1
    answer = await client.get(
        f"/statistics/appeals/appeals.svg?groupBy=organization&territory={DEMO_REGION_CODE}",
        headers=ENGLISH)
    assert answer.status_code == 200
    assert answer.headers["cache-control"].startswith("public")
    root = ElementTree.fromstring(answer.text)
    shown = texts(root)
    assert "Suppressed: points under 10 appeals, with the next smallest where needed" in shown
    hidden = shown.count("suppressed")
    published = {name: n for name, n in counts.items() if n >= 10}
    assert hidden == len(counts) - len(published) > 0
    summary = root.findtext(f"{SVG}desc") or ""
    parts = summary.split("; ")
    for name, n in published.items():
        assert f"{name}: {n}" in parts, name
    assert sum(part.endswith(": suppressed") for part in parts) == hidden
    image = render(answer.text, "appeal-statistics-bodies-public")
    assert_drawn(image, root)
    assert len(bar_lengths(image)) == len(published), "no bar for a hidden body"
    rgb = image.convert("RGB")
    hatched = sum(1 for pixel in rgb.get_flattened_data() if _near(pixel, HATCH))
    assert hatched > hidden * 200, "every hidden body's track is hatched"
