"""The plugin as a regional integrator tests it: real platform, real database, the
``vmeste.testing`` fixtures (``db``, ``graphql``, ``make_token``, ``region_policy``,
``submit_appeal``)."""

from vmeste.platform.appeals.models import Appeal, AppealStatus
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference import services as ref
from vmeste.platform.reference.models import (
    CompetenceLevel,
    Organization,
    OrganizationKind,
    TerritoryKind,
)
from vmeste.platform.reference.validators import with_inn_check_digit, with_ogrn_check_digit

DEPARTMENT = with_ogrn_check_digit("102430000001")
OFFICES = [with_ogrn_check_digit(f"10243000001{n}") for n in range(3)]
OTHER_REGION_OFFICE = with_ogrn_check_digit("102430000020")


async def seed() -> None:
    """Two regions; region 33 has a department with three district offices."""
    for code, name, kind, parent, tz in (
            ("RU", "Россия", TerritoryKind.COUNTRY, None, "Europe/Moscow"),
            ("33000000", "Кировская область", TerritoryKind.REGION, "RU", "Europe/Kirov"),
            ("33701000", "город Киров", TerritoryKind.MUNICIPALITY, "33000000", None),
            ("92000000", "Республика Татарстан", TerritoryKind.REGION, "RU", "Europe/Moscow"),
            ("92701000", "город Казань", TerritoryKind.MUNICIPALITY, "92000000", None)):
        await ref.create_territory(SYSTEM, ref.TerritoryInput(
            code=code, name=name, kind=kind, parent_code=parent, timezone=tz))
    for number, (ogrn, name, territory, parent) in enumerate((
            (DEPARTMENT, "Министерство соцразвития", "33000000", None),
            (OFFICES[0], "Отделение № 1", "33701000", DEPARTMENT),
            (OFFICES[1], "Отделение № 2", "33701000", DEPARTMENT),
            (OFFICES[2], "Отделение № 3", "33701000", DEPARTMENT),
            (OTHER_REGION_OFFICE, "Соцзащита Казани", "92701000", None))):
        await ref.create_organization(SYSTEM, ref.OrganizationInput(
            ogrn=ogrn, name=name, kind=OrganizationKind.REGIONAL, territory_code=territory,
            parent_ogrn=parent, inn=with_inn_check_digit(f"43000010{number}")))
    await ref.create_category(SYSTEM, ref.CategoryInput(
        code="social", name="Социальная поддержка",
        competence_level=CompetenceLevel.REGIONAL))
    await ref.create_category(SYSTEM, ref.CategoryInput(
        code="social.benefits", name="Пособия", parent_code="social",
        competence_level=CompetenceLevel.REGIONAL))


async def office_of(appeal: Appeal) -> str:
    return (await Organization.get(id=appeal.organization_id)).ogrn


async def test_appeals_spread_over_the_least_loaded_offices(db, region_policy, submit_appeal):
    await seed()
    await region_policy("33000000", "routing", "least-loaded",
                        {"parent_ogrn": DEPARTMENT, "category_codes": ["social"]})
    await region_policy("33000000", "routing", "moderation-queue")
    offices = []
    for number in range(6):
        appeal = await submit_appeal(category="social.benefits", territory="33701000",
                                     citizen=f"citizen-{number}",
                                     text=f"Не пришло пособие за октябрь, заявление № {number}.")
        assert appeal.status == AppealStatus.ROUTED
        offices.append(await office_of(appeal))
    assert sorted(offices) == sorted(OFFICES * 2), "two appeals per office"
    trace = appeal.routing_trace[0]
    assert trace["strategy"] == "least-loaded" and set(trace["loads"]) == set(OFFICES)


async def test_only_the_region_with_the_policy_is_affected(db, region_policy, submit_appeal):
    await seed()
    await region_policy("33000000", "routing", "least-loaded",
                        {"parent_ogrn": DEPARTMENT, "category_codes": ["social"]})
    appeal = await submit_appeal(category="social.benefits", territory="92701000")
    assert appeal.status == AppealStatus.UNROUTED
    assert [step["strategy"] for step in appeal.routing_trace] == [
        "widget-target", "geo-boundary", "competence-table", "moderation-queue"]


async def test_settings_are_validated_when_the_policy_is_saved(db, graphql, make_token):
    await seed()
    token = await make_token("regional_admin", territory="33000000")
    body = await graphql("""mutation { setRegionPolicy(input: {territoryCode: "33000000",
        kind: "routing", plugin: "least-loaded", settings: {category_codes: []}}) {
        regionPolicy { plugin } userErrors { field code message } } }""", token=token)
    errors = body["data"]["setRegionPolicy"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [("settings", "INVALID")]
