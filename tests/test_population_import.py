"""``vmeste import population FILE.csv``: an idempotent upsert, every problem of a bad
file on its line and column with nothing written; and a territory's population, its
own or summed from the nearest territories below it with rows."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import vmeste_on
from tests.worlds import COUNTRY, MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, REGION_B, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.csvfiles import CSVImportFailed
from vmeste.platform.participation.models import PopulationGroup
from vmeste.platform.participation.population import import_population, population_of
from vmeste.platform.reference.models import Territory

HEADER = "territory_code,age_band,gender,count\n"
POPULATION = """query($c: String!) { population(territoryCode: $c) {
  territoryCode source total groups { ageBand gender count } } }"""


async def _cells() -> dict[tuple[str, str, str], int]:
    rows = await PopulationGroup.all().values("territory__code", "age_band", "gender", "count")
    return {(r["territory__code"], r["age_band"], r["gender"]): r["count"] for r in rows}


async def test_the_command_imports_and_reimports_idempotently(world: World, db: Any,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "population.csv"
    path.write_text(HEADER + f"{MUNICIPALITY_A},18-24,male,1200\n"
                    f"{MUNICIPALITY_A},18-24,female,1300\n{MUNICIPALITY_B},60+,female,900\n",
                    encoding="utf-8")
    first = await asyncio.to_thread(vmeste_on, db, "import", "population", str(path))
    assert first.returncode == 0, first.stderr
    assert "created 3, updated 0, unchanged 0" in first.stdout
    assert await _cells() == {(MUNICIPALITY_A, "18-24", "male"): 1200,
                              (MUNICIPALITY_A, "18-24", "female"): 1300,
                              (MUNICIPALITY_B, "60+", "female"): 900}
    again = await asyncio.to_thread(vmeste_on, db, "import", "population", str(path))
    assert "created 0, updated 0, unchanged 3" in again.stdout
    path.write_text(HEADER + f"{MUNICIPALITY_A},18-24,male,1250\n", encoding="utf-8")
    changed = await asyncio.to_thread(vmeste_on, db, "import", "population", str(path))
    assert "created 0, updated 1, unchanged 0" in changed.stdout
    assert (await _cells())[(MUNICIPALITY_A, "18-24", "male")] == 1250
    # One audit event per territory changed, in its territory's scope, with the cells.
    audits = await AuditEvent.filter(action="population.import").order_by("id").values(
        "scope_path", "before", "after")
    assert audits[-1] == {"scope_path": f"{COUNTRY}/{REGION_A}/{MUNICIPALITY_A}",
                          "before": {"18-24|male": 1200}, "after": {"18-24|male": 1250}}
    assert len(audits) == 3


async def test_a_bad_file_reports_every_problem_and_writes_nothing(world: World, db: Any,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + f"{MUNICIPALITY_A},18-24,male,100\n"
                    "99999999,18-24,male,100\n"
                    f"{MUNICIPALITY_A},20-29,female,100\n"
                    f"{MUNICIPALITY_A},25-34,other,100\n"
                    f"{MUNICIPALITY_A},25-34,male,-5\n"
                    f"{MUNICIPALITY_A},18-24,male,7\n"
                    f"{MUNICIPALITY_A},25-34\n", encoding="utf-8")
    result = await asyncio.to_thread(vmeste_on, db, "import", "population", str(path))
    assert result.returncode == 1
    assert "6 error(s); nothing was written" in result.stderr
    places = [line.split(":")[0] for line in result.stderr.splitlines()
              if line.startswith("строка")]
    assert places == ["строка 3, столбец territory_code", "строка 4, столбец age_band",
                      "строка 5, столбец gender", "строка 6, столбец count", "строка 7",
                      "строка 8"], result.stderr
    assert not await PopulationGroup.exists()


async def test_a_missing_column_is_refused_before_any_line(world: World, db: Any) -> None:
    with pytest.raises(CSVImportFailed) as failed:
        await import_population(io.StringIO("territory_code,age_band,count\n"),
                                bands=db.age_bands, actor="test")
    assert [(e.line, e.column) for e in failed.value.errors] == [(1, "gender")]


async def test_a_territorys_population_is_its_own_or_its_nearest_descendants(
        world: World, db: Any, graphql: Any) -> None:
    settlement = await Territory.create(
        code="33701000001", name="посёлок", kind="settlement", timezone="Europe/Kirov",
        parent_id=world.territories[MUNICIPALITY_A],
        path=f"{COUNTRY}/{REGION_A}/{MUNICIPALITY_A}/33701000001")
    await import_population(io.StringIO(
        HEADER + f"{MUNICIPALITY_A},18-24,male,1000\n{MUNICIPALITY_A},60+,female,500\n"
        f"{settlement.code},18-24,male,40\n{MUNICIPALITY_B},18-24,male,7\n"),
        bands=db.age_bands, actor="test")
    municipality = await population_of(f"{COUNTRY}/{REGION_A}/{MUNICIPALITY_A}")
    assert (municipality.source, municipality.cells) == (
        "own", {"18-24|male": 1000, "60+|female": 500})
    # The region has no rows: its municipality counts, and the settlement inside it is
    # already counted there.
    region = await population_of(f"{COUNTRY}/{REGION_A}")
    assert (region.source, region.total) == ("descendants", 1500)
    country = await population_of(COUNTRY)
    assert country.cells == {"18-24|male": 1007, "60+|female": 500}
    nothing = await population_of(f"{COUNTRY}/{REGION_B}/{MUNICIPALITY_B}/x")
    assert (nothing.source, nothing.cells) == ("none", {})
    body = await graphql(POPULATION, {"c": REGION_A})
    assert body["data"]["population"] == {
        "territoryCode": REGION_A, "source": "descendants", "total": 1500,
        "groups": [{"ageBand": "18-24", "gender": "male", "count": 1000},
                   {"ageBand": "60+", "gender": "female", "count": 500}]}
    unknown = await graphql(POPULATION, {"c": "99999999"})
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
