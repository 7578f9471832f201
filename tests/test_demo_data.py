import random
import re
from collections import Counter

import shapely

from vmeste.platform.appeals.geo import BoundaryIndex
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.reference.demo import (
    DEMO_REGION_CODE,
    build_demo_dataset,
    load_demo_data,
)
from vmeste.platform.reference.demo_boundaries import MUNICIPALITIES, REGIONS, demo_features
from vmeste.platform.reference.models import (
    Category,
    Organization,
    OrganizationKind,
    Territory,
)
from vmeste.platform.reference.validators import (
    inn_problem,
    ogrn_problem,
    territory_code_problem,
    timezone_problem,
)

EMAIL = re.compile(r"[a-z0-9.-]+@[a-z0-9.-]+\.example")
PHONE = re.compile(r"\+7 \(\d{3,5}\) \d{1,3}-\d\d-\d\d")


def test_same_seed_gives_identical_data_and_leaves_global_random_alone():
    state = random.getstate()

    first, second = build_demo_dataset(), build_demo_dataset()

    assert first == second
    assert random.getstate() == state
    assert build_demo_dataset(seed=7) != first


def test_demo_region_has_the_promised_tree():
    dataset = build_demo_dataset()
    rows = {row.cells["code"]: row.cells for row in dataset.territories}

    municipalities = [c for c in rows.values()
                      if c["kind"] == "municipality" and c["parent_code"] == DEMO_REGION_CODE]
    settlements = [c for c in rows.values() if c["kind"] == "settlement"
                   and rows[c["parent_code"]]["parent_code"] == DEMO_REGION_CODE]

    assert rows[DEMO_REGION_CODE]["timezone"] == "Europe/Kirov"
    assert len(municipalities) >= 12
    assert len(settlements) >= 60
    for cells in (*municipalities, *settlements):
        assert territory_code_problem(cells["code"], cells["kind"]) is None
    assert all(c["code"].startswith(c["parent_code"]) for c in settlements)
    assert all(c["code"][:2] == DEMO_REGION_CODE[:2] for c in municipalities)
    assert all(timezone_problem(c["timezone"]) is None for c in rows.values() if c["timezone"])


def test_organizations_cover_every_kind_with_valid_registry_numbers_and_contacts():
    dataset = build_demo_dataset()
    cells = [row.cells for row in dataset.organizations]
    territories = {row.cells["code"] for row in dataset.territories}

    kinds = Counter(c["kind"] for c in cells)
    assert len(cells) >= 300
    assert set(kinds) == {kind.value for kind in OrganizationKind}
    assert all(ogrn_problem(c["ogrn"]) is None for c in cells)
    assert all(inn_problem(c["inn"]) is None for c in cells)
    assert len({c["ogrn"] for c in cells}) == len(cells)
    assert len({c["inn"] for c in cells}) == len(cells)
    assert all(c["territory_code"] in territories for c in cells)
    ogrns = {c["ogrn"] for c in cells}
    assert all(c["parent_ogrn"] in ogrns for c in cells if c["parent_ogrn"])
    assert all(c["parent_ogrn"] for c in cells if c["kind"] == "institution")
    names = {c["name"] for c in cells}
    assert {"Минтранс России", "Минздрав России", "МЧС России", "Роскомнадзор",
            "ОАО «РЖД»", "АО «Почта России»"} <= names

    connected = sum(row.extra["connected"] for row in dataset.organizations)
    assert len(cells) * 0.75 < connected < len(cells)
    for row in dataset.organizations:
        contacts = row.extra["contacts"]
        assert EMAIL.fullmatch(contacts["email"]), contacts
        assert PHONE.fullmatch(contacts["phone"]), contacts
        assert contacts["site"].startswith("https://") and contacts["site"].endswith(".example")
        assert re.match(r"\d{6}, ", contacts["address"]), contacts


def test_rubricator_has_groups_with_topics():
    dataset = build_demo_dataset()
    cells = [row.cells for row in dataset.categories]
    groups = [c["code"] for c in cells if not c["parent_code"]]
    topics = Counter(c["parent_code"] for c in cells if c["parent_code"])

    assert len(cells) >= 50
    assert len(groups) >= 10
    assert all(topics[group] >= 3 for group in groups)
    assert {"roads", "snow", "garbage", "social", "transport", "health", "education",
            "housing", "culture", "employment"} <= set(groups)
    assert "roads.potholes" in {c["code"] for c in cells}


async def test_loading_stores_everything_with_paths_and_parents(db):
    dataset = build_demo_dataset()

    summary = await load_demo_data()

    assert summary.territories.created == len(dataset.territories)
    assert summary.organizations.created == len(dataset.organizations)
    assert summary.categories.created == len(dataset.categories)
    assert await Organization.all().count() == len(dataset.organizations)
    settlement = await Territory.get(code="33701000001")
    assert settlement.path == "RU/33000000/33701000/33701000001"
    assert settlement.timezone == "Europe/Kirov"
    assert (await Category.get(code="roads.potholes")).path == "roads/roads.potholes"
    school = await Organization.filter(name__startswith="МБОУ").first().prefetch_related(
        "parent")
    assert school is not None and school.parent.name.startswith("Управление образования")
    assert school.contacts["email"].endswith(".example")
    assert summary.boundaries.updated == len(demo_features()["features"])
    assert await AuditEvent.filter(actor="demo").count() == (
        len(dataset.territories) + len(dataset.organizations) + len(dataset.categories)
        + summary.boundaries.updated)


async def test_loading_twice_changes_nothing(db):
    await load_demo_data()
    rows = await Organization.all().values_list("id", "ogrn", "connected", "contacts",
                                                "updated_at")
    events = await AuditEvent.all().count()

    summary = await load_demo_data()

    for report in (summary.territories, summary.organizations, summary.categories):
        assert (report.created, report.updated, report.unchanged) == (0, 0, report.total)
    assert summary.boundaries.updated == 0
    assert await AuditEvent.all().count() == events
    assert await Organization.all().values_list(
        "id", "ogrn", "connected", "contacts", "updated_at") == rows


async def test_reloading_restores_a_demo_row_edited_by_hand(db):
    await load_demo_data()
    body = await Organization.get(name="Минтранс России")
    body.connected = not body.connected
    body.contacts = {}
    await body.save()

    summary = await load_demo_data(actor="reset")

    assert (summary.organizations.updated, summary.territories.updated) == (1, 0)
    restored = await Organization.get(id=body.id)
    assert restored.contacts["site"] == "https://mintrans.example"
    assert await AuditEvent.filter(actor="reset").count() == 1


async def test_a_point_in_a_demo_municipality_locates_it_and_none_overlap(db):
    await load_demo_data()
    index = BoundaryIndex()
    for code, (lat, lon, _half) in MUNICIPALITIES.items():
        found = await index.locate("RU", lat, lon)
        assert found is not None and found.area.code == code, code
    # Off the city's centre, still in the city.
    assert (await index.locate("RU", 58.55, 49.58)).area.code == "33701000"
    # Between the districts, still in the Kirov region; and outside both regions.
    assert (await index.locate("RU", 60.5, 47.0)).area.code == "33000000"
    assert await index.locate("RU", 40.0, 40.0) is None
    shapes = {f["properties"]["oktmo"]: shapely.geometry.shape(f["geometry"])
              for f in demo_features()["features"]}
    municipalities = [shapes[code] for code in MUNICIPALITIES]
    assert not any(a.intersects(b) for i, a in enumerate(municipalities)
                   for b in municipalities[i + 1:])
    assert all(any(shapes[region].contains(shapes[code]) for region in REGIONS)
               for code in MUNICIPALITIES)
