"""Competence rules: drafts, atomic publishing, ties, the CSV import and export, and
the routing answers built on them."""

import io

import pytest
import pytest_asyncio
from tortoise.transactions import in_transaction

from tests.appeal_world import SETTLEMENT_A, rule_row, seed_appeal_world
from tests.worlds import (
    MUNICIPALITY_A,
    ORG_A,
    ORG_A_SCHOOL,
    ORG_B,
    REGION_A,
    ok_data,
    user_error_codes,
)
from vmeste.platform.appeals.models import CompetenceRule, RuleStatus
from vmeste.platform.appeals.rules import RulesConflict
from vmeste.platform.appeals.rules_import import (
    COLUMNS,
    export_rules,
    import_rules,
    upsert_rule_rows,
)
from vmeste.platform.csvfiles import CSVImportFailed
from vmeste.platform.identity.principal import SYSTEM

UPSERT = """mutation($input: CompetenceRuleInput!) { upsertCompetenceRule(input: $input) {
  rule { id status version replacesId } userErrors { field code message } } }"""
PUBLISH = """mutation { publishCompetenceRules { published retired version
  conflicts { firstRuleId secondRuleId message } userErrors { code } } }"""
SIMULATE = """query($c: String!, $t: String!) { simulateRouting(input: {categoryCode: $c,
  territoryCode: $t}) { fallback strategy ruleId organization { ogrn } } }"""


@pytest_asyncio.fixture
async def admin(world, make_token) -> str:
    await seed_appeal_world()
    return await make_token("regional_admin", territory=REGION_A)


async def route(graphql, token, category="roads.pits", territory=MUNICIPALITY_A) -> dict:
    return ok_data(await graphql(SIMULATE, {"c": category, "t": territory},
                                 token=token))["simulateRouting"]


async def test_a_draft_routes_nothing_until_published(graphql, admin):
    draft = ok_data(await graphql(UPSERT, {"input": {
        "categoryCode": "snow", "territoryCode": REGION_A, "organizationOgrn": ORG_A}},
        token=admin))["upsertCompetenceRule"]
    assert draft["rule"]["status"] == "DRAFT"
    assert (await route(graphql, admin, "snow"))["fallback"] is True
    published = ok_data(await graphql(PUBLISH, token=admin))["publishCompetenceRules"]
    assert published["published"] == [draft["rule"]["id"]] and published["conflicts"] == []
    answer = await route(graphql, admin, "snow")
    assert answer["organization"] == {"ogrn": ORG_A} and answer["ruleId"] == \
        draft["rule"]["id"]


async def test_editing_a_published_rule_replaces_it_at_publish(graphql, admin):
    current = await CompetenceRule.get(status=RuleStatus.PUBLISHED, territory__code=REGION_A)
    edit = ok_data(await graphql(UPSERT, {"input": {
        "ruleId": current.id, "categoryCode": "roads", "territoryCode": REGION_A,
        "organizationOgrn": ORG_A_SCHOOL, "priority": 3}}, token=admin))
    rule = edit["upsertCompetenceRule"]["rule"]
    assert (rule["status"], rule["version"], rule["replacesId"]) == ("DRAFT", 2, current.id)
    result = ok_data(await graphql(PUBLISH, token=admin))["publishCompetenceRules"]
    assert result["retired"] == [current.id]
    assert (await CompetenceRule.get(id=current.id)).status == RuleStatus.RETIRED


async def test_a_tie_is_listed_and_nothing_changes(graphql, admin):
    for org in (ORG_A, ORG_A_SCHOOL):
        await graphql(UPSERT, {"input": {"categoryCode": "snow", "territoryCode": REGION_A,
                                         "organizationOgrn": org}}, token=admin)
    result = ok_data(await graphql(PUBLISH, token=admin))["publishCompetenceRules"]
    assert user_error_codes(result) == ["CONFLICT"]
    assert len(result["conflicts"]) == 1 and "snow" in result["conflicts"][0]["message"]
    assert await CompetenceRule.filter(status=RuleStatus.DRAFT).count() == 2
    assert (await route(graphql, admin, "snow"))["fallback"] is True


async def test_values_are_validated(graphql, admin):
    body = ok_data(await graphql(UPSERT, {"input": {
        "categoryCode": "nope", "territoryCode": REGION_A, "organizationOgrn": ORG_A,
        "priority": 5000, "validFrom": "2027-01-01", "validTo": "2026-01-01"}}, token=admin))
    codes = {(e["field"], e["code"]) for e in body["upsertCompetenceRule"]["userErrors"]}
    assert ("categoryCode", "NOT_FOUND") in codes


def csv_of(*rows: list[str]) -> io.StringIO:
    return io.StringIO("\n".join([",".join(COLUMNS), *[",".join(r) for r in rows]]) + "\n")


async def test_import_with_a_tie_changes_nothing(admin):
    before = await CompetenceRule.all().count()
    source = csv_of(["snow", REGION_A, ORG_A, "0", "", "", "", ""],
                    ["snow", REGION_A, ORG_A_SCHOOL, "0", "", "portal", "", ""],
                    ["snow", REGION_A, ORG_B, "0", "legal", "", "", ""])
    with pytest.raises(RulesConflict) as caught:
        await import_rules(source, principal=SYSTEM, publish=True)
    assert len(caught.value.ties) == 1
    assert await CompetenceRule.all().count() == before


async def test_import_reports_every_bad_line(admin):
    source = csv_of(["snow", REGION_A, ORG_A, "x", "", "", "", ""],
                    ["snow", "00000000", ORG_A, "0", "", "", "", ""],
                    ["snow", REGION_A, ORG_A, "0", "robot", "fax", "2026-13-01", ""],
                    ["roads", REGION_A, ORG_A, "0", "", "", "", ""])
    with pytest.raises(CSVImportFailed) as caught:
        await import_rules(source, principal=SYSTEM, publish=False)
    lines = {(e.line, e.column) for e in caught.value.errors}
    assert {(2, "priority"), (3, "territory_code"), (4, "applicant_type"), (4, "channel"),
            (4, "valid_from")} <= lines
    assert all(line != 5 for line, _ in lines), "the good line is not blamed"


async def test_reimport_of_the_export_changes_nothing(admin):
    exported = io.StringIO()
    count = await export_rules(exported)
    assert count == 3
    report = await import_rules(io.StringIO(exported.getvalue()), principal=SYSTEM,
                                publish=True)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


async def test_a_changed_line_replaces_the_published_rule(admin):
    async with in_transaction() as conn:
        report = await upsert_rule_rows(
            [rule_row(2, "roads.pits", SETTLEMENT_A, ORG_A)], principal=SYSTEM,
            publish=True, conn=conn)
    assert (report.created, report.unchanged) == (1, 0)
    assert len(report.published.retired) == 1


async def test_coverage_lists_pairs_without_rules(graphql, admin):
    body = ok_data(await graphql('{ routingCoverage(territoryCode: "33000000") { '
                                 "pairsChecked uncoveredCount uncovered { territoryCode "
                                 "categoryCode } } }", token=admin))["routingCoverage"]
    gaps = {(g["territoryCode"], g["categoryCode"]) for g in body["uncovered"]}
    assert (REGION_A, "snow") in gaps and (SETTLEMENT_A, "snow") in gaps
    assert (MUNICIPALITY_A, "roads.pits") not in gaps
    assert body["pairsChecked"] == 3 * 2 and body["uncoveredCount"] == 3


async def test_a_tie_inside_the_file_is_refused_even_next_to_a_published_twin(admin):
    before = await CompetenceRule.all().count()
    source = csv_of(["roads", REGION_A, ORG_A, "0", "", "", "", ""],
                    ["roads", REGION_A, ORG_B, "0", "", "", "", ""])
    with pytest.raises(CSVImportFailed) as caught:
        await import_rules(source, principal=SYSTEM, publish=True)
    assert [(e.line, e.message[:5]) for e in caught.value.errors] == [(3, "Ничья")]
    assert await CompetenceRule.all().count() == before


async def test_import_publishes_only_its_own_drafts(graphql, admin):
    await graphql(UPSERT, {"input": {"categoryCode": "snow", "territoryCode": MUNICIPALITY_A,
                                     "organizationOgrn": ORG_A}}, token=admin)
    report = await import_rules(csv_of(["snow", REGION_A, ORG_A, "0", "", "", "", ""]),
                                principal=SYSTEM, publish=True)
    assert len(report.published.published) == 1
    assert await CompetenceRule.filter(status=RuleStatus.DRAFT).count() == 1


async def test_a_group_rule_needs_rights_over_every_level_below_it(graphql, admin):
    from vmeste.platform.reference import services as ref
    from vmeste.platform.reference.models import CompetenceLevel

    await ref.create_category(SYSTEM, ref.CategoryInput(
        code="roads.federal", name="Федеральные трассы", parent_code="roads",
        competence_level=CompetenceLevel.FEDERAL))
    body = ok_data(await graphql(UPSERT, {"input": {
        "categoryCode": "roads", "territoryCode": MUNICIPALITY_A, "organizationOgrn": ORG_A}},
        token=admin))
    assert user_error_codes(body["upsertCompetenceRule"]) == ["FORBIDDEN"]


async def test_a_new_settlement_routes_by_its_municipalitys_rules(app_client, admin):
    from tests.worlds import add_territory
    from vmeste.platform.reference.models import TerritoryKind

    async with app_client(policy_cache_seconds=0) as (_, graphql):
        await route(graphql, admin)  # the routing index is now loaded
        await add_territory("33701000777", TerritoryKind.SETTLEMENT, MUNICIPALITY_A, "д. Новая")
        answer = await route(graphql, admin, territory="33701000777")
    assert answer["fallback"] is False and answer["strategy"] == "competence-table"
