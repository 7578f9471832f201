import io
from pathlib import Path

import pytest

from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.csvfiles import CSVImportFailed, ImportError_, format_errors
from vmeste.platform.reference.importers import import_csv
from vmeste.platform.reference.models import Category, Organization, Territory
from vmeste.platform.reference.validators import with_inn_check_digit, with_ogrn_check_digit


def csv(*lines: str) -> io.StringIO:
    return io.StringIO("\n".join(lines) + "\n")


def ogrn(n: int) -> str:
    return with_ogrn_check_digit(f"10216000{n:04d}")


def inn(n: int) -> str:
    return with_inn_check_digit(f"16550{n:04d}")


def broken_check_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


TERRITORY_HEADER = "code,name,kind,parent_code,timezone"
TERRITORIES = (
    TERRITORY_HEADER,
    "92701000001,город Казань,settlement,92701000,",  # its parent comes later in the file
    "RU,Россия,country,,Europe/Moscow",
    "92000000,Республика Татарстан,region,RU,Europe/Moscow",
    "92701000,городской округ Казань,municipality,92000000,",
    "33000000,Кировская область,region,RU,Europe/Kirov",
    "33701000,городской округ Киров,municipality,33000000,",
)

ORGANIZATION_HEADER = "ogrn,name,kind,territory_code,parent_ogrn,inn"
ORGANIZATIONS = (
    ORGANIZATION_HEADER,
    f"{ogrn(3)},Управление Роспотребнадзора по Республике Татарстан,federal,92000000,"
    f"{ogrn(1)},{inn(3)}",
    f"{ogrn(1)},Роспотребнадзор,federal,RU,,{inn(1)}",
    f"{ogrn(2)},Кабинет Министров Республики Татарстан,regional,92000000,,{inn(2)}",
    f"{ogrn(4)},Исполнительный комитет г. Казани,municipal,92701000,,{inn(4)}",
    f"{ogrn(5)},МБОУ «Школа № 1»,institution,92701000001,{ogrn(4)},{inn(5)}",
)

CATEGORY_HEADER = "code,name,parent_code,competence_level"
CATEGORIES = (
    CATEGORY_HEADER,
    "roads.potholes,Ямы на дорогах,roads,municipal",
    "roads,Дороги,,municipal",
    "roads.potholes.yards,Ямы во дворах,roads.potholes,institution",
    "health,Здравоохранение,,regional",
)


async def load_base() -> None:
    await import_csv("territories", csv(*TERRITORIES), actor="test")
    await import_csv("organizations", csv(*ORGANIZATIONS), actor="test")
    await import_csv("categories", csv(*CATEGORIES), actor="test")


async def snapshot() -> dict[str, list[tuple]]:
    """Every stored row, so "nothing changed" is checked by content, not only by count."""
    return {
        "territory": await Territory.all().values_list(
            "code", "name", "kind", "timezone", "path", "parent_id", "updated_at"),
        "organization": await Organization.all().values_list(
            "ogrn", "inn", "name", "kind", "territory_id", "parent_id", "updated_at"),
        "category": await Category.all().values_list(
            "code", "name", "competence_level", "path", "parent_id", "updated_at"),
        "audit": await AuditEvent.all().values_list("id"),
    }


async def test_territories_import_builds_paths_parents_and_inherited_timezones(db):
    report = await import_csv("territories", csv(*TERRITORIES), actor="loader")

    assert (report.total, report.created, report.updated, report.unchanged) == (6, 6, 0, 0)
    settlement = await Territory.get(code="92701000001").prefetch_related("parent")
    assert settlement.path == "RU/92000000/92701000/92701000001"
    assert settlement.parent.code == "92701000"
    assert settlement.timezone == "Europe/Moscow"
    kirov = await Territory.get(code="33701000")
    assert kirov.path == "RU/33000000/33701000"
    assert kirov.timezone == "Europe/Kirov"  # inherited from its region, not from Moscow
    assert (await Territory.get(code="RU")).parent_id is None


async def test_import_writes_one_audit_event_per_created_row(db):
    await import_csv("territories", csv(*TERRITORIES), actor="loader")

    events = await AuditEvent.filter(action="territory.import").order_by("id")
    assert len(events) == 6
    assert {e.actor for e in events} == {"loader"}
    event = next(e for e in events if e.object_id == "92701000")
    assert event.object_type == "territory"
    assert event.scope_path == "RU/92000000/92701000"
    assert event.before is None
    assert event.after["parent"] == "92000000"
    assert event.after["timezone"] == "Europe/Moscow"


async def test_reimport_reports_everything_unchanged_and_writes_nothing(db):
    await load_base()
    before = await snapshot()

    reports = [
        await import_csv("territories", csv(*TERRITORIES), actor="test"),
        await import_csv("organizations", csv(*ORGANIZATIONS), actor="test"),
        await import_csv("categories", csv(*CATEGORIES), actor="test"),
    ]

    assert [(r.created, r.updated, r.unchanged) for r in reports] == [
        (0, 0, 6), (0, 0, 5), (0, 0, 4)]
    assert await snapshot() == before


async def test_changed_row_is_updated_and_audited_with_before_and_after(db):
    await load_base()
    changed = list(CATEGORIES)
    changed[4] = "health,Здравоохранение и медицина,,regional"
    created = await Category.get(code="health")

    report = await import_csv("categories", csv(*changed), actor="editor")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    health = await Category.get(code="health")
    assert health.name == "Здравоохранение и медицина"
    assert health.updated_at > created.updated_at
    assert health.created_at == created.created_at
    event = await AuditEvent.get(actor="editor")
    assert (event.action, event.object_id, event.scope_path) == ("category.import", "health", "")
    assert event.before["name"] == "Здравоохранение"
    assert event.after["name"] == "Здравоохранение и медицина"


async def test_organizations_import_resolves_parents_in_file_and_territories(db):
    await import_csv("territories", csv(*TERRITORIES), actor="test")

    report = await import_csv("organizations", csv(*ORGANIZATIONS), actor="test")

    assert report.created == 5
    branch = await Organization.get(ogrn=ogrn(3)).prefetch_related("parent", "territory")
    assert branch.parent.name == "Роспотребнадзор"  # defined on a later line
    assert branch.territory.code == "92000000"
    school = await Organization.get(ogrn=ogrn(5)).prefetch_related("parent")
    assert school.parent.ogrn == ogrn(4)
    event = await AuditEvent.get(action="organization.import", object_id=ogrn(5))
    assert event.scope_path == "RU/92000000/92701000/92701000001"


async def test_categories_import_builds_paths_with_empty_audit_scope(db):
    report = await import_csv("categories", csv(*CATEGORIES), actor="test")

    assert report.created == 4
    deep = await Category.get(code="roads.potholes.yards")
    assert deep.path == "roads/roads.potholes/roads.potholes.yards"
    assert (await Category.get(id=deep.parent_id)).code == "roads.potholes"
    assert set(await AuditEvent.all().values_list("scope_path", flat=True)) == {""}


BAD_FILES = [
    pytest.param(
        "organizations",
        (*ORGANIZATIONS[:3], f"{broken_check_digit(ogrn(9))},Минтранс России,federal,RU,,{inn(9)}",
         *ORGANIZATIONS[3:]),
        4, "ogrn", "Неверная контрольная цифра ОГРН", id="bad-ogrn-check-digit"),
    pytest.param(
        "organizations",
        (*ORGANIZATIONS, f"{ogrn(9)},Минтранс России,federal,RU,,{broken_check_digit(inn(9))}"),
        7, "inn", "Неверная контрольная цифра ИНН", id="bad-inn-check-digit"),
    pytest.param(
        "territories",
        (*TERRITORIES, "33702000,город Котельнич,municipality,33999000,"),
        8, "parent_code", "33999000 нет ни в файле, ни в базе", id="unknown-parent"),
    pytest.param(
        "territories",
        (*TERRITORIES[:3], "33701000102,деревня Бахта,settlement,33000000,",
         *TERRITORIES[3:]),
        4, "parent_code", "должен входить в муниципальное образование", id="wrong-parent-kind"),
    pytest.param(
        "territories",
        (*TERRITORIES, "33701000,город Киров (повтор),municipality,33000000,"),
        8, "code", "уже встречается в строке 7", id="duplicate-code"),
    pytest.param(
        "territories",
        (*TERRITORIES[:5], "92730000,Набережные Челны,municipality,92000000,Europe/Kazan",
         *TERRITORIES[5:]),
        6, "timezone", "Неизвестный часовой пояс", id="bad-timezone"),
    pytest.param(
        "territories",
        (*TERRITORIES, "92730000,Набережные Челны,municipality,33000000,"),
        8, "parent_code", "первые две цифры", id="oktmo-of-another-region"),
    pytest.param(
        "organizations",
        (*ORGANIZATIONS, f"{ogrn(9)},Администрация,municipal,RU,,{inn(9)}"),
        7, "territory_code", "Орган местного самоуправления не может", id="municipal-at-country"),
    pytest.param(
        "organizations",
        (*ORGANIZATIONS, f"{ogrn(9)},Филиал,institution,99999999,,{inn(9)}"),
        7, "territory_code", "Территории 99999999 нет в базе", id="unknown-territory"),
    pytest.param(
        "categories",
        (*CATEGORIES, "snow,Снег,,county"),
        6, "competence_level", "Недопустимое значение «county»", id="bad-competence-level"),
    pytest.param(
        "categories",
        (*CATEGORIES, "Snow Removal,Снег,,municipal"),
        6, "code", "строчные латинские буквы", id="bad-category-code"),
    pytest.param(
        "categories",
        ("code,name,competence_level", "snow,Снег,municipal"),
        1, "parent_code", "Нет обязательного столбца", id="missing-column"),
    pytest.param(
        "categories",
        ("code,name,parent_code,competence_level,comment", "snow,Снег,,municipal,x"),
        1, "comment", "Лишний столбец", id="extra-column"),
    pytest.param(
        "categories",
        (*CATEGORIES[:2], "snow,Снег,municipal", *CATEGORIES[2:]),
        3, None, "Ожидалось значений: 4, найдено: 3", id="short-line"),
]


@pytest.mark.parametrize(("kind", "lines", "line", "column", "message"), BAD_FILES)
async def test_one_bad_line_rejects_the_whole_file(db, kind, lines, line, column, message):
    await load_base()
    before = await snapshot()

    with pytest.raises(CSVImportFailed) as failure:
        await import_csv(kind, csv(*lines), actor="test")

    assert [(e.line, e.column) for e in failure.value.errors] == [(line, column)]
    assert message in failure.value.errors[0].message
    assert await snapshot() == before


async def test_bad_lines_leave_an_empty_database_empty(db):
    lines = (*TERRITORIES, "33702000,город Котельнич,municipality,33999000,")

    with pytest.raises(CSVImportFailed):
        await import_csv("territories", csv(*lines), actor="test")

    assert await Territory.all().count() == 0
    assert await AuditEvent.all().count() == 0


async def test_every_bad_line_is_reported_not_only_the_first(db):
    lines = (
        TERRITORY_HEADER,
        "RU,Россия,country,,Europe/Moscow",
        "33000000,Кировская область,region,RU,Asia/Kirov",
        "33701000,,municipality,33000000,",
        "33701000001,город Киров,settlement,33701000,",
        "3370100,Котельнич,municipality,33000000,",
        "33710000,Котельнич,district,33000000,",
    )

    with pytest.raises(CSVImportFailed) as failure:
        await import_csv("territories", csv(*lines), actor="test")

    assert [(e.line, e.column) for e in failure.value.errors] == [
        (3, "timezone"), (4, "name"), (6, "code"), (7, "kind")]


async def test_parent_cycle_within_the_file_is_reported_on_every_member(db):
    lines = (
        CATEGORY_HEADER,
        "a,А,c,municipal",
        "b,Б,a,municipal",
        "c,В,b,municipal",
        "d,Г,a,municipal",
    )

    with pytest.raises(CSVImportFailed) as failure:
        await import_csv("categories", csv(*lines), actor="test")

    assert [(e.line, e.column) for e in failure.value.errors] == [
        (2, "parent_code"), (3, "parent_code"), (4, "parent_code")]
    assert "Циклическая ссылка" in failure.value.errors[0].message


async def test_cycle_through_a_stored_parent_is_detected(db):
    await import_csv("categories", csv(CATEGORY_HEADER, "a,А,,municipal", "b,Б,a,municipal"),
                     actor="test")

    with pytest.raises(CSVImportFailed) as failure:
        await import_csv("categories", csv(CATEGORY_HEADER, "a,А,b,municipal"), actor="test")

    assert [(e.line, e.message) for e in failure.value.errors] == [
        (2, "Циклическая ссылка: a → b → a")]


async def test_reparenting_a_territory_rewrites_its_descendants_paths(db):
    # Khanty-Mansi Okrug shares ОКТМО prefix 71 with Tyumen Oblast, so a district can
    # legitimately be moved between the two.
    await import_csv("territories", csv(
        TERRITORY_HEADER,
        "RU,Россия,country,,Europe/Moscow",
        "71000000,Тюменская область,region,RU,Asia/Yekaterinburg",
        "71800000,Ханты-Мансийский автономный округ — Югра,region,RU,Asia/Yekaterinburg",
        "71871000,город Сургут,municipality,71000000,",
        "71871000001,Сургут,settlement,71871000,",
        "71871000002,посёлок Снежный,settlement,71871000,",
    ), actor="test")
    audited = await AuditEvent.all().count()

    report = await import_csv("territories", csv(
        TERRITORY_HEADER, "71871000,город Сургут,municipality,71800000,",
    ), actor="mover")

    assert (report.updated, report.unchanged, report.paths_rewritten) == (1, 0, 2)
    moved = await Territory.get(code="71871000").prefetch_related("parent")
    assert moved.parent.code == "71800000"
    assert moved.path == "RU/71800000/71871000"
    paths = set(await Territory.filter(kind="settlement").values_list("path", flat=True))
    assert paths == {"RU/71800000/71871000/71871000001", "RU/71800000/71871000/71871000002"}
    events = await AuditEvent.filter(id__gt=audited, actor="mover")
    assert sorted(e.scope_path for e in events) == sorted(
        ["RU/71800000/71871000", *paths])
    assert {e.before["path"] for e in events} >= {"RU/71000000/71871000/71871000001"}


async def test_reparenting_a_category_rewrites_its_subtree(db):
    await import_csv("categories", csv(*CATEGORIES), actor="test")

    report = await import_csv("categories", csv(
        CATEGORY_HEADER, "roads.potholes,Ямы на дорогах,health,municipal"), actor="test")

    assert (report.updated, report.paths_rewritten) == (1, 1)
    assert (await Category.get(code="roads.potholes.yards")).path == (
        "health/roads.potholes/roads.potholes.yards")
    assert (await Category.get(code="roads")).path == "roads"


async def test_changing_a_kind_that_would_misplace_stored_children_is_rejected(db):
    await import_csv("territories", csv(*TERRITORIES), actor="test")

    with pytest.raises(CSVImportFailed) as failure:
        await import_csv("territories", csv(
            TERRITORY_HEADER, "92000000,Татарстан,municipality,RU,"), actor="test")

    errors = {(e.line, e.column): e.message for e in failure.value.errors}
    assert set(errors) == {(2, "parent_code"), (2, None)}  # its own parent, and its child
    assert "92701000" in errors[(2, None)]
    assert (await Territory.get(code="92000000")).kind == "region"


async def test_reads_a_utf8_file_with_byte_order_mark(db, tmp_path: Path):
    path = tmp_path / "territories.csv"
    path.write_text("\n".join(TERRITORIES) + "\n", encoding="utf-8-sig")

    report = await import_csv("territories", path, actor="test")

    assert report.created == 6


async def test_reports_the_line_of_bytes_that_are_not_utf8(db, tmp_path: Path):
    path = tmp_path / "territories.csv"
    path.write_bytes("\n".join(TERRITORIES[:3]).encode() + "\n33000000,Киров".encode("cp1251"))

    with pytest.raises(CSVImportFailed) as failure:
        await import_csv("territories", path, actor="test")

    assert [(e.line, e.column) for e in failure.value.errors] == [(4, None)]


async def test_empty_file_is_rejected(db):
    with pytest.raises(CSVImportFailed) as failure:
        await import_csv("categories", io.StringIO(""), actor="test")
    assert failure.value.errors[0].line == 1


async def test_quoted_multiline_cells_keep_real_line_numbers(db):
    lines = (
        CATEGORY_HEADER,
        '"roads","Дороги,\nмосты",,municipal',
        "snow,Снег,,nobody",
    )

    with pytest.raises(CSVImportFailed) as failure:
        await import_csv("categories", csv(*lines), actor="test")

    assert [(e.line, e.column) for e in failure.value.errors] == [(4, "competence_level")]


async def test_progress_is_monotonic_and_reaches_the_total(db):
    calls: list[tuple[int, int]] = []

    await import_csv("territories", csv(*TERRITORIES), actor="test",
                     progress=lambda done, total: calls.append((done, total)))

    assert calls[-1] == (6, 6)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert {total for _, total in calls} == {6}


def test_format_errors_reads_like_a_checklist():
    text = format_errors([
        ImportError_(5, "ogrn", "Неверная контрольная цифра ОГРН"),
        ImportError_(7, None, "Ожидалось значений: 6, найдено: 5"),
    ])

    assert text == (
        "строка 5, столбец ogrn: Неверная контрольная цифра ОГРН\n"
        "строка 7: Ожидалось значений: 6, найдено: 5"
    )


async def test_unknown_kind_is_a_programming_error(db):
    with pytest.raises(ValueError, match="unknown reference kind"):
        await import_csv("streets", csv(CATEGORY_HEADER), actor="test")  # type: ignore[arg-type]
