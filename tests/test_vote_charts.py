"""The SVG charts at their public URLs, rendered to PNG as a browser would show them
(cairosvg, a test-only dependency, on the machine's libcairo), and saved under
``tests/artifacts/`` to be looked at."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import cairosvg
import pytest
from PIL import Image, ImageStat

from tests.test_vote_results import ballots_in_groups, option_ids
from tests.vote_world import draft_vote, record_ballot
from tests.worlds import MUNICIPALITY_A
from vmeste.platform.votes.models import Vote, VoteStatus
from vmeste.platform.votes.results import Dimension

ARTIFACTS = Path(__file__).parent / "artifacts"
SVG = "{http://www.w3.org/2000/svg}"
WIDTH = 760
#: The words are English ids translated by the catalogs; English keeps the assertions
#: independent of the translations.
ENGLISH = {"Accept-Language": "en"}


async def urban_vote() -> Vote:
    vote = await draft_vote(options=4, winners_count=1, status=VoteStatus.RESULTS_PUBLISHED,
                            title="Какую общественную территорию благоустроить в 2027 году "
                                  "в городе Кирове: голосование жителей")
    ids = await option_ids(vote)
    long_title = ("Набережная реки Вятки от Александровского сада до Динамовского моста "
                  "с велодорожкой и освещением")
    await vote.options.filter(id=ids[3]).update(title=long_title)
    for n, choice in enumerate([ids[0]] * 31 + [ids[1]] * 47 + [ids[2]] * 9 + [ids[3]] * 25):
        band = ("18-24", "25-34", "35-44", "60+")[n % 4]
        await record_ballot(vote, [(choice, 1)], age_band=band if n > 2 else "14-17",
                            gender=("male", "female")[n % 2])
    return vote


def render(svg: str, name: str) -> Image.Image:
    png = cairosvg.svg2png(bytestring=svg.encode(), output_width=WIDTH * 2)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(png)
    return Image.open(io.BytesIO(png)).convert("RGB")


def texts(root: ElementTree.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def assert_drawn(image: Image.Image, svg: ElementTree.Element) -> None:
    height = int(svg.get("height", "0"))
    assert image.size == (WIDTH * 2, height * 2)
    # Not blank: ink and colour in a white page, in both halves.
    for box in ((0, 0, WIDTH, image.height), (WIDTH, 0, WIDTH * 2, image.height)):
        part = image.crop(box)
        assert max(ImageStat.Stat(part).stddev) > 20
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 50


async def test_results_chart(world: Any, client: Any) -> None:
    vote = await urban_vote()
    answer = await client.get(f"/votes/{vote.id}/results.svg", headers=ENGLISH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert "etag" in answer.headers and "Accept-Language" in answer.headers["vary"]
    root = ElementTree.fromstring(answer.text)
    assert root.get("role") == "img" and root.get("aria-label", "").startswith("Какую")
    assert "DejaVu Sans" in root.get("font-family", "")
    assert (root.findtext(f"{SVG}title") or "").startswith("Какую")
    summary = root.findtext(f"{SVG}desc") or ""
    assert "Объект 2: 47 · 42.0% (winner)" in summary
    shown = texts(root)
    assert "★ Объект 2" in shown  # the winner, marked
    assert any(t.endswith("…") for t in shown)  # the long title is cut to fit
    assert_drawn(render(answer.text, "results"), root)


@pytest.mark.parametrize("by", list(Dimension))
async def test_breakdown_charts_draw_suppressed_groups_without_numbers(world: Any, client: Any,
                                                                      by: Dimension) -> None:
    vote = await urban_vote() if by is not Dimension.TERRITORY else await draft_vote(
        options=3, status=VoteStatus.RESULTS_PUBLISHED, title="Благоустройство дворов")
    if by is Dimension.TERRITORY:
        await ballots_in_groups(vote, by, {MUNICIPALITY_A: 40, "33702000": 3, "33703000": 25})
    answer = await client.get(f"/votes/{vote.id}/breakdown/{by.value}.svg", headers=ENGLISH)
    assert answer.status_code == 200
    root = ElementTree.fromstring(answer.text)
    shown = texts(root)
    summary = root.findtext(f"{SVG}desc") or ""
    if by is Dimension.TERRITORY:
        # 3 is hidden, and 25 with it; the municipality shows under its name.
        assert "город Киров: 40 participants" in shown
        assert shown.count("suppressed: too few participants to publish") == 2
        for hidden in ("33702000", "33703000"):  # no territory of the world: the code
            at = shown.index(hidden)
            assert shown[at + 1] == "suppressed: too few participants to publish"
            # What follows is the next group, not a number of this one.
            assert shown[at + 2:at + 3] in ([], ["33703000"]), shown
        assert summary.count("suppressed") == 2
    elif by is Dimension.AGE_BAND:
        # 14-17 has 3, hidden with the next smallest band.
        assert "14-17" in shown and summary.startswith("14-17: suppressed")
    else:
        assert "Men: 56 participants" in shown and "Women: 56 participants" in shown
    assert_drawn(render(answer.text, f"breakdown-{by.value}"), root)
