"""``vmeste incidents ingest FILE.jsonl [--process]`` as an operator runs it: the counts,
the bad lines by number with a failing exit code, the good lines stored all the same."""

from __future__ import annotations

import json
from pathlib import Path

from tests.incident_world import official_page, rule
from tests.test_cli import vmeste, vmeste_on
from tests.worlds import REGION_A, World
from vmeste.platform.incidents.models import Incident, PostState, SocialPost
from vmeste.platform.settings import Settings

PIT = "Огромная яма на дороге на улице Ленина"


def dump(path: Path, *rows: dict[str, object] | str) -> Path:
    path.write_text("\n".join(row if isinstance(row, str) else json.dumps(
        row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    return path


def row(post_id: str, text: str = PIT, **extra: object) -> dict[str, object]:
    return {"network": "vk", "post_id": post_id, "page_id": "-200", "text": text,
            "created_at": "2026-12-03T10:00:00+03:00", **extra}


async def test_ingest_stores_the_good_lines_and_lists_the_bad(
        world: World, db: Settings, tmp_path: Path) -> None:
    page = await official_page()
    await rule(REGION_A, pages=(page,))
    source = dump(tmp_path / "posts.jsonl", row("1"), row("2"), "{broken",
                  row("3", created_at="2026-12-03 10:00"), row("1"))
    first = vmeste_on(db, "incidents", "ingest", str(source), "--process")
    assert first.returncode == 1, first.stderr
    assert first.stdout.splitlines() == [
        "сохранено 2, повторов 1, ошибочных строк 2",
        "обработано 2: открыто инцидентов 1, публикаций в инцидентах 2, пропущено 0"]
    assert first.stderr.splitlines()[:2] == [  # the reasons in the default language
        "строка 3: -: not_json (строка не является JSON)",
        "строка 4: created_at: no_zone (у даты и времени не указан часовой пояс)"]
    assert "Traceback" not in first.stderr and "ошибочных строк 2" in first.stderr
    assert await SocialPost.filter(state=PostState.ATTACHED).count() == 2
    assert (await Incident.get()).post_count == 2

    fixed = dump(tmp_path / "fixed.jsonl", row("1"), row("3"))
    second = vmeste_on(db, "incidents", "ingest", str(fixed))
    assert (second.returncode, second.stdout) == (0, "сохранено 1, повторов 1, ошибочных строк 0\n")
    assert await SocialPost.filter(state=PostState.NEW).count() == 1


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = vmeste(tmp_path, "incidents", "ingest", "nowhere.jsonl")
    assert result.returncode == 2 and "Traceback" not in result.stderr
