"""Territory boundaries: what the API accepts, how a point finds its territory, and
``vmeste import boundaries``."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.test_graphql_api import M_TERRITORY, errors_by_field, mutate
from tests.worlds import (
    COUNTRY,
    MUNICIPALITY_A,
    REGION_A,
    REGION_B,
    World,
    add_territory,
    count_queries,
    ok_data,
)
from vmeste.platform.appeals import geo
from vmeste.platform.appeals.geo import Area, BoundaryIndex, Location
from vmeste.platform.appeals.router import RoutingContext, RoutingRequest
from vmeste.platform.appeals.routing import RuleIndex
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.csvfiles import format_errors
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference import boundaries, geometry
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.boundaries import (
    AUDIT_ACTION,
    BoundaryImportFailed,
    BoundaryReport,
    import_boundaries,
)
from vmeste.platform.reference.geometry import BOUNDARIES_VERSION
from vmeste.platform.reference.models import Territory, TerritoryKind
from vmeste.platform.versions import REFERENCE_TREE_VERSION, bump_version, current_version
from vmeste.plugins.routing import geo_boundary

SQUARE = [[49.0, 58.0], [50.0, 58.0], [50.0, 59.0], [49.0, 59.0], [49.0, 58.0]]
BOW_TIE = [[49.0, 58.0], [50.0, 59.0], [50.0, 58.0], [49.0, 59.0], [49.0, 58.0]]
NAN = float("nan")
REGION_PATH = f"{COUNTRY}/{REGION_A}"


async def send(graphql: Any, token: str, data: dict[str, Any], update: bool = False
               ) -> dict[str, Any]:
    """Like ``mutate``, but encoded by ``json.dumps``, which (as many clients do) writes
    NaN, a literal the server's JSON parser reads back."""
    response = await graphql.http.post("/graphql", content=json.dumps({
        "query": M_TERRITORY, "variables": {"i": data, "update": update}}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = ok_data(response.json())["update" if update else "create"]
    return payload


@pytest.mark.parametrize(("boundary", "words"), [
    ("POLYGON((49 58, 50 58, 50 59, 49 58))", "объектом GeoJSON"),
    ([[49, 58], [50, 58], [50, 59], [49, 58]], "объектом GeoJSON"),
    (42, "объектом GeoJSON"),
    ({"type": "Feature", "properties": {}}, "нет геометрии"),
    ({"type": "Feature", "geometry": None, "properties": {}}, "нет геометрии"),
    ({"type": "Point", "coordinates": [49, 58]}, "Polygon или MultiPolygon"),
    ({"type": "Polygon"}, "нет колец"),
    ({"type": "Polygon", "coordinates": "49 58"}, "нет колец"),
    ({"type": "Polygon", "coordinates": SQUARE}, "список точек"),
    ({"type": "Polygon", "coordinates": [SQUARE[:3]]}, "не меньше 4 точек"),
    ({"type": "Polygon", "coordinates": [SQUARE[:4]]}, "должны совпадать"),
    ({"type": "Polygon", "coordinates": [[["49", "58"], *SQUARE[1:]]]}, "пар"),
    ({"type": "Polygon", "coordinates": [[[True, 58], *SQUARE[1:]]]}, "пар"),
    ({"type": "Polygon", "coordinates": [[[49], *SQUARE[1:]]]}, "пар"),
    ({"type": "Polygon", "coordinates": [[[49, 58], [50, NAN], *SQUARE[2:]]]}, "конечными"),
    ({"type": "Polygon", "coordinates": [[[49, 58], [250, 58], *SQUARE[2:]]]},
     "вне диапазона"),
    ({"type": "Polygon", "coordinates": [BOW_TIE]}, "пересекает сам себя"),
    ({"type": "MultiPolygon", "coordinates": []}, "нет многоугольников"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE[:2]]]},
     "Многоугольник 2, кольцо 1"),
], ids=lambda v: None if not isinstance(v, str) else v[:20])
async def test_every_bad_boundary_is_a_user_error_on_its_field(
        world: World, graphql: Any, federal: str, boundary: Any, words: str) -> None:
    """A boundary that is not a usable polygon is refused on create and on update, with
    a message saying what is wrong; nothing is written."""
    created = await send(graphql, federal, {
        "code": "33702000", "name": "Район", "kind": "MUNICIPALITY", "parentCode": "33000000",
        "boundary": boundary})
    assert created["territory"] is None
    assert errors_by_field(created) == {"boundary": "INVALID"}
    assert words in created["userErrors"][0]["message"]
    assert not await Territory.filter(code="33702000").exists()

    updated = await send(graphql, federal, {"code": MUNICIPALITY_A, "boundary": boundary},
                         update=True)
    assert errors_by_field(updated) == {"boundary": "INVALID"}
    assert (await Territory.get(code=MUNICIPALITY_A)).boundary is None


async def test_a_feature_is_stored_as_its_geometry(world: World, graphql: Any,
                                                   federal: str) -> None:
    payload = await mutate(graphql, M_TERRITORY, federal, {
        "code": MUNICIPALITY_A, "boundary": {
            "type": "Feature", "properties": {"name": "Киров"},
            "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}}, update=True)
    assert payload["userErrors"] == []
    row = await Territory.get(code=MUNICIPALITY_A)
    assert row.boundary == {"type": "Polygon", "coordinates": [SQUARE]}


async def test_a_boundary_is_parsed_once_per_edit(world: World,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Building and validating the shape is the costly part of a large boundary."""
    calls: list[object] = []
    original = ref.parse_boundary
    for module in (ref, geometry):
        monkeypatch.setattr(module, "parse_boundary", lambda value: calls.append(value) or
                            original(value))
    square = {"type": "Polygon", "coordinates": [SQUARE]}
    await ref.create_territory(SYSTEM, ref.TerritoryInput(
        code="33702000", name="Район", kind=TerritoryKind.MUNICIPALITY,
        parent_code=REGION_A, boundary=square))
    await ref.update_territory(SYSTEM, ref.TerritoryInput(code=MUNICIPALITY_A,
                                                          boundary=square))
    assert len(calls) == 2
    assert (await Territory.get(code="33702000")).boundary == square


# --- finding the territory of a point ---------------------------------------------------

WEST = [[49.0, 58.0], [49.5, 58.0], [49.5, 58.5], [49.0, 58.5], [49.0, 58.0]]
EAST = [[49.5, 58.0], [50.0, 58.0], [50.0, 58.5], [49.5, 58.5], [49.5, 58.0]]
SETTLEMENT_WEST, SETTLEMENT_EAST = "33701000002", "33701000001"


async def two_settlements() -> None:
    """Two settlements of municipality A side by side, sharing the line lon = 49.5,
    inside the municipality's own square."""
    await ref.update_territory(SYSTEM, ref.TerritoryInput(
        code=MUNICIPALITY_A, boundary={"type": "Polygon", "coordinates": [SQUARE]}))
    for code, ring in ((SETTLEMENT_WEST, WEST), (SETTLEMENT_EAST, EAST)):
        await add_territory(code, TerritoryKind.SETTLEMENT, MUNICIPALITY_A, code)
        await ref.update_territory(SYSTEM, ref.TerritoryInput(
            code=code, boundary={"type": "Polygon", "coordinates": [ring]}))


async def test_the_deepest_territory_holding_the_point_wins(world: World) -> None:
    await two_settlements()
    index = BoundaryIndex()
    west = await index.locate(REGION_PATH, 58.25, 49.25)
    assert west == Location(await area(SETTLEMENT_WEST))
    north = await index.locate(REGION_PATH, 58.75, 49.25)  # in the municipality only
    assert north is not None and north.area.code == MUNICIPALITY_A
    assert await index.locate(REGION_PATH, 10.0, 10.0) is None


async def test_a_point_on_a_shared_border_goes_to_the_smaller_code_and_says_so(
        world: World) -> None:
    await two_settlements()
    index = BoundaryIndex()
    for _ in range(3):  # the same answer every time, whatever the tree's order
        found = await index.locate(REGION_PATH, 58.25, 49.5)
        assert found == Location(await area(SETTLEMENT_EAST), (SETTLEMENT_WEST,))
    request = RoutingRequest(category_id=1, territory_id=0, territory_code=MUNICIPALITY_A,
                             territory_path=f"{REGION_PATH}/{MUNICIPALITY_A}",
                             applicant_type="person", channel="portal", on=date(2026, 12, 1),
                             point=(58.25, 49.5))
    context = RoutingContext(index=RuleIndex([], {}, {}), boundaries=index)
    outcome = await geo_boundary(request, {}, context)
    assert outcome.request is not None and outcome.request.territory_code == SETTLEMENT_EAST
    assert outcome.note["also_on_border"] == [SETTLEMENT_WEST]
    assert "общей границе" in outcome.note["outcome"]


async def test_a_lookup_below_the_region_stays_inside_its_root(world: World) -> None:
    await two_settlements()
    index = BoundaryIndex()
    settlement_root = f"{REGION_PATH}/{MUNICIPALITY_A}/{SETTLEMENT_WEST}"
    assert await index.locate(settlement_root, 58.25, 49.75) is None
    found = await index.locate(f"{REGION_PATH}/{MUNICIPALITY_A}", 58.25, 49.75)
    assert found is not None and found.area.code == SETTLEMENT_EAST


async def test_a_stored_self_intersecting_boundary_is_repaired_not_fatal(
        world: World) -> None:
    """Rows written before validation (or around it) must not break routing."""
    await add_territory(SETTLEMENT_WEST, TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "Бантик")
    await Territory.filter(code=SETTLEMENT_WEST).update(
        boundary={"type": "Polygon", "coordinates": [BOW_TIE]})
    await Territory.filter(code=MUNICIPALITY_A).update(boundary=["not", "a", "polygon"])
    index = BoundaryIndex()
    found = await index.locate(REGION_PATH, 58.5, 49.2)  # the bow-tie's western lobe
    assert found is not None and found.area.code == SETTLEMENT_WEST
    assert await index.locate(REGION_PATH, 58.9, 49.5) is None  # outside both lobes


async def test_a_boundaries_version_bump_reaches_another_process(world: World) -> None:
    await two_settlements()
    other_process = BoundaryIndex(check_seconds=0)
    before = await other_process.locate(REGION_PATH, 58.25, 49.25)
    assert before is not None and before.area.code == SETTLEMENT_WEST
    await Territory.filter(code=SETTLEMENT_WEST).update(
        boundary={"type": "Polygon", "coordinates": [EAST]})
    stale = await other_process.locate(REGION_PATH, 58.25, 49.25)
    assert stale is not None and stale.area.code == SETTLEMENT_WEST
    await bump_version(BOUNDARIES_VERSION)
    after = await other_process.locate(REGION_PATH, 58.25, 49.25)
    assert after is not None and after.area.code == MUNICIPALITY_A


async def test_a_territory_edit_bumps_only_the_versions_of_what_it_changed(
        world: World) -> None:
    """A rename must not make every process rebuild its regions (and routing index):
    the boundaries version moves with a boundary, the tree version with a move."""
    async def versions() -> tuple[int, int]:
        return (await current_version(REFERENCE_TREE_VERSION),
                await current_version(BOUNDARIES_VERSION))

    tree, bounds = await versions()
    await ref.update_territory(SYSTEM, ref.TerritoryInput(
        code=MUNICIPALITY_A, name="Город Киров", timezone="Europe/Moscow"))
    assert await versions() == (tree, bounds)
    square = {"type": "Polygon", "coordinates": [SQUARE]}
    for _ in range(2):  # the second time the boundary is the same: nothing to rebuild
        await ref.update_territory(SYSTEM, ref.TerritoryInput(code=MUNICIPALITY_A,
                                                              boundary=square))
        assert await versions() == (tree, bounds + 1)
    await ref.update_territory(SYSTEM, ref.TerritoryInput(code=MUNICIPALITY_A,
                                                          parent_code=REGION_B))
    assert await versions() == (tree + 1, bounds + 1)


async def area(code: str) -> Area:
    row = await Territory.get(code=code)
    return Area(row.id, row.code, row.path, row.path.count("/"))


# --- vmeste import boundaries ------------------------------------------------------------


def feature(code: object, ring: list[list[float]] | None, prop: str = "oktmo") -> dict:
    geometry = None if ring is None else {"type": "Polygon", "coordinates": [ring]}
    return {"type": "Feature", "properties": {prop: code, "name": "x"}, "geometry": geometry}


def geojson(tmp_path: Path, *features: object, name: str = "b.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}),
                    encoding="utf-8")
    return path


async def test_import_sets_boundaries_audits_them_and_feeds_the_lookup(
        world: World, tmp_path: Path) -> None:
    await add_territory(SETTLEMENT_WEST, TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "Запад")
    index = BoundaryIndex(check_seconds=0)
    assert await index.locate(REGION_PATH, 58.25, 49.25) is None
    source = geojson(tmp_path, feature(MUNICIPALITY_A, SQUARE),
                     feature(SETTLEMENT_WEST, WEST, prop="OKTMO"))
    calls: list[tuple[int, int]] = []

    report = await import_boundaries(source, actor="test", progress=lambda *c: calls.append(c))

    assert report == BoundaryReport(total=2, updated=2, unchanged=0)
    assert calls[-1] == (source.stat().st_size, source.stat().st_size)
    row = await Territory.get(code=SETTLEMENT_WEST)
    assert row.boundary == {"type": "Polygon", "coordinates": [WEST]}
    events = await AuditEvent.filter(action=AUDIT_ACTION).order_by("id").values(
        "object_id", "before", "after", "scope_path")
    assert [(e["object_id"], e["before"]) for e in events] == [
        (MUNICIPALITY_A, {"boundary": None}), (SETTLEMENT_WEST, {"boundary": None})]
    assert events[1]["after"] == {"boundary": row.boundary}
    assert events[1]["scope_path"] == row.path
    found = await index.locate(REGION_PATH, 58.25, 49.25)  # no restart, no invalidate()
    assert found is not None and found.area.code == SETTLEMENT_WEST

    again = await import_boundaries(source, actor="test")
    assert again == BoundaryReport(total=2, updated=0, unchanged=2)
    assert await AuditEvent.filter(action=AUDIT_ACTION).count() == 2


async def test_one_bad_feature_in_a_late_batch_rejects_the_whole_file(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches before the problem were already written inside the transaction; they are
    rolled back with it, and every problem is listed with its feature's number."""
    monkeypatch.setattr(boundaries, "BATCH_SIZE", 1)
    source = geojson(
        tmp_path,
        feature(MUNICIPALITY_A, SQUARE),
        feature("33799000", WEST),                      # 2: no such territory
        feature(REGION_A, [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]),
        feature(MUNICIPALITY_A, EAST),                  # 4: repeated code
        feature(None, EAST),                            # 5: no code
        feature(COUNTRY, None),                         # 6: no geometry
        "not a feature",                                # 7
    )
    with pytest.raises(BoundaryImportFailed) as failure:
        await import_boundaries(source, actor="test")
    assert [(e.line, e.column) for e in failure.value.errors] == [
        (2, "oktmo"), (3, "geometry"), (4, "oktmo"), (5, "properties"), (6, "geometry"),
        (7, None)]
    messages = [e.message for e in failure.value.errors]
    assert "33799000 не найдена" in messages[0] and "пересекает сам себя" in messages[1]
    assert "уже был в объекте 1" in messages[2]
    assert (await Territory.get(code=MUNICIPALITY_A)).boundary is None
    assert not await AuditEvent.filter(action=AUDIT_ACTION).exists()
    assert await current_version(BOUNDARIES_VERSION) == 0
    assert format_errors(failure.value.errors[:1], line="объект", column="поле") == (
        "объект 2, поле oktmo: Территория 33799000 не найдена")


async def test_a_named_code_property_and_numeric_codes(world: World, tmp_path: Path) -> None:
    """A spreadsheet-exported file may hold ОКТМО as numbers: 1000000 was "01000000"."""
    await add_territory("01000000", TerritoryKind.REGION, COUNTRY, "Республика Адыгея")
    source = geojson(tmp_path, feature(int(MUNICIPALITY_A), SQUARE, prop="kod"),
                     feature(1000000, EAST, prop="kod"))
    report = await import_boundaries(source, actor="test", code_property="kod")
    assert report.updated == 2
    assert (await Territory.get(code="01000000")).boundary is not None
    missing = geojson(tmp_path, feature(MUNICIPALITY_A, SQUARE), name="other.geojson")
    with pytest.raises(BoundaryImportFailed) as failure:
        await import_boundaries(missing, actor="test", code_property="kod")
    assert [(e.line, e.column) for e in failure.value.errors] == [(1, "properties")]


@pytest.mark.parametrize(("text", "words"), [
    ('{"type": "FeatureCollection", "features": [', "не читается как JSON"),
    ('{"type": "Polygon", "coordinates": []}', "нет объектов"),
    ("", "не читается как JSON"),
])
async def test_a_file_that_is_not_a_feature_collection_is_rejected(
        world: World, tmp_path: Path, text: str, words: str) -> None:
    source = tmp_path / "bad.geojson"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(BoundaryImportFailed) as failure:
        await import_boundaries(source, actor="test")
    assert words in failure.value.errors[0].message


async def test_concurrent_first_lookups_load_a_region_once(world: World) -> None:
    await two_settlements()
    index = BoundaryIndex()
    await index.area_set(COUNTRY)  # reads the versions; the region is still cold
    with count_queries() as log:
        found = await asyncio.gather(*(index.locate(REGION_PATH, 58.25, 49.25)
                                       for _ in range(5)))
    assert {f.area.code for f in found if f is not None} == {SETTLEMENT_WEST}
    assert len(log) == 1


async def test_a_cancelled_first_lookup_does_not_cancel_the_shared_load(world: World) -> None:
    await two_settlements()
    index = BoundaryIndex()
    await index.area_set(COUNTRY)
    first = asyncio.ensure_future(index.locate(REGION_PATH, 58.25, 49.25))
    second = asyncio.ensure_future(index.locate(REGION_PATH, 58.25, 49.25))
    await asyncio.sleep(0)  # both are waiting for the one load
    first.cancel()
    found = await second
    assert found is not None and found.area.code == SETTLEMENT_WEST
    assert first.cancelled()


def gate_loads(monkeypatch: pytest.MonkeyPatch, gate: asyncio.Event,
               fail_first: bool = False) -> list[str]:
    """Holds every region load until ``gate`` is set; returns the keys loaded, in order."""
    loads: list[str] = []
    original = BoundaryIndex._load

    async def gated(self: BoundaryIndex, key: str) -> Any:
        loads.append(key)
        await gate.wait()
        if fail_first and len(loads) == 1:
            raise RuntimeError("database went away")
        return await original(self, key)

    monkeypatch.setattr(BoundaryIndex, "_load", gated)
    return loads


async def test_a_caller_after_a_cancelled_one_joins_the_running_load(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await two_settlements()
    index = BoundaryIndex()
    await index.area_set(COUNTRY)
    gate = asyncio.Event()
    loads = gate_loads(monkeypatch, gate)
    first = asyncio.ensure_future(index.locate(REGION_PATH, 58.25, 49.25))
    await asyncio.sleep(0)  # the load has started
    first.cancel()
    await asyncio.sleep(0)  # the cancelled caller has gone
    late = asyncio.ensure_future(index.locate(REGION_PATH, 58.25, 49.25))
    await asyncio.sleep(0)
    gate.set()
    found = await late
    assert found is not None and found.area.code == SETTLEMENT_WEST
    assert first.cancelled()
    assert loads == [REGION_PATH]


async def test_a_failed_load_reaches_its_callers_and_the_next_lookup_retries(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await two_settlements()
    index = BoundaryIndex()
    await index.area_set(COUNTRY)
    gate = asyncio.Event()
    loads = gate_loads(monkeypatch, gate, fail_first=True)
    waiting = asyncio.ensure_future(index.locate(REGION_PATH, 58.25, 49.25))
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(RuntimeError, match="went away"):
        await waiting
    found = await index.locate(REGION_PATH, 58.25, 49.25)
    assert found is not None and found.area.code == SETTLEMENT_WEST
    assert loads == [REGION_PATH, REGION_PATH]


async def test_a_region_is_built_off_the_event_loop_thread(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a large region takes shapely about half a second (bench/): on the loop's
    thread it would stall every other request of the process."""
    await two_settlements()
    threads: list[int] = []
    original = geo.build_area_set

    def recorded(rows: Any) -> Any:
        threads.append(threading.get_ident())
        return original(rows)

    monkeypatch.setattr(geo, "build_area_set", recorded)
    found = await BoundaryIndex().locate(REGION_PATH, 58.25, 49.25)
    assert found is not None and found.area.code == SETTLEMENT_WEST
    assert threads and threading.get_ident() not in threads
