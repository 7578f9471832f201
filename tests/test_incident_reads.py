"""Reading incidents over GraphQL: a page of incidents with everything nested costs the
same queries for 3 rows and for 12, and the statistics reproduce hand-computed figures
(the mean and median first response, the SLA shares, satisfaction, and the breakdowns by
region, body, topic and day), counting only the incidents the caller may see and never
merged ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.worlds import (
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    ORG_A,
    REGION_A,
    REGION_B,
    World,
    count_queries,
    ok_data,
)
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import (
    Incident,
    IncidentReply,
    IncidentStatus,
    PostState,
    SocialPost,
)
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.reference.models import Organization, Territory
from vmeste.testing import GraphQLClient, TokenFactory

DAY = datetime(2026, 11, 30, 9, tzinfo=UTC)

FIGURES = """incidents reacted responded meanFirstResponseSeconds medianFirstResponseSeconds
  reactionSlaShare answerSlaShare rated satisfactionMean satisfiedShare"""
STATISTICS = f"""query($scope: IncidentScope) {{
  incidentStatistics(scope: $scope) {{ {FIGURES} }}
}}"""
BREAKDOWN = f"""query($by: IncidentDimension!, $scope: IncidentScope) {{
  incidentBreakdown(by: $by, scope: $scope) {{ key name figures {{ {FIGURES} }} }}
}}"""


async def incident(territory: str, topic: str, *, days: int = 0, response: int | None = None,
                   reaction_late: bool | None = None, answer_late: bool | None = None,
                   score: int | None = None, status: IncidentStatus = IncidentStatus.ANSWERED,
                   org: str | None = ORG_A) -> Incident:
    place = await Territory.get(code=territory)
    at = DAY + timedelta(days=days)
    organization = await Organization.get(ogrn=org) if org else None
    return await Incident.create(
        status=status, topic=topic, territory=place, territory_path=place.path,
        organization=organization, first_posted_at=at, last_posted_at=at, registered_at=at,
        registered_on=at.date(), reacted_at=at if reaction_late is not None else None,
        first_response_at=at + timedelta(seconds=response) if response is not None else None,
        first_response_seconds=response, reaction_late=reaction_late, answer_late=answer_late,
        satisfaction=score, post_count=1)


async def seed() -> None:
    await incident(MUNICIPALITY_A, "road_repair", response=600, reaction_late=False,
                   answer_late=False, score=5)
    await incident(MUNICIPALITY_A, "road_repair", response=1200, reaction_late=False,
                   answer_late=True, score=2)
    await incident(MUNICIPALITY_A, "snow_removal", days=1, response=4800, reaction_late=True,
                   answer_late=False, score=4)
    await incident(MUNICIPALITY_A, "snow_removal", days=1, status=IncidentStatus.NEW)
    await incident(MUNICIPALITY_A, "snow_removal", days=1, response=10, reaction_late=False,
                   status=IncidentStatus.MERGED)
    await incident(MUNICIPALITY_B, "road_repair", days=2, response=3600, reaction_late=False,
                   answer_late=False, org=None)


LIST = """{ incidents(first: 50) { totalCount edges { node { id status topicName
  territory { code } organization { name } category { code } officialPage { pageRef }
  posts { postRef } replies { status } history { action } } } } }"""


async def detailed(n: int) -> None:
    """``n`` incidents with a page, two posts, an answer and an event each."""
    organization = await Organization.get(ogrn=ORG_A)
    place = await Territory.get(code=MUNICIPALITY_A)
    page = await OfficialPage.get_or_none(page_ref="11") or await OfficialPage.create(
        organization=organization, territory=place, territory_path=place.path, network="vk",
        page_ref="11", registered_name=organization.name, created_by="system")
    for _ in range(n):
        row = await incident(MUNICIPALITY_A, "road_repair", response=60)
        await Incident.filter(id=row.id).update(official_page_id=page.id)
        for ref in ("a", "b"):
            await SocialPost.create(network="vk", post_ref=f"{row.id}{ref}", page_ref="11",
                                    text="Яма", posted_at=DAY, ingested_at=DAY,
                                    state=PostState.ATTACHED, incident_id=row.id)
        await IncidentReply.create(incident_id=row.id, text="Заделаем", written_by="system")
        await INCIDENT_STEPS.record(_conn(), row, "system:intake", Action.CREATE, None,
                                    row.status)


def _conn() -> Any:
    from tortoise import connections

    return connections.get("default")


async def test_a_page_of_incidents_costs_the_same_queries_for_3_and_12(
        world: World, graphql: GraphQLClient, make_token: TokenFactory) -> None:
    monitor = await make_token("moderator", territory=REGION_A)
    counts = []
    for total in (3, 12):
        await detailed(total - await Incident.all().count())
        with count_queries() as log:
            body = ok_data(await graphql(LIST, {}, monitor))
        edges = body["incidents"]["edges"]
        assert len(edges) == total and body["incidents"]["totalCount"] == total
        node = edges[0]["node"]
        assert len(node["posts"]) == 2 and node["replies"] == [{"status": "DRAFT"}]
        assert node["officialPage"] == {"pageRef": "11"} and node["history"]
        counts.append(len(log))
    assert counts[0] == counts[1], counts


def figures(body: dict[str, Any]) -> dict[str, Any]:
    return dict(ok_data(body)["incidentStatistics"])


async def test_totals_reproduce_a_hand_count(world: World, graphql: GraphQLClient,
                                             make_token: TokenFactory) -> None:
    await seed()
    national = await make_token("auditor", territory="RU")
    total = figures(await graphql(STATISTICS, {}, national))
    # Five incidents (the merged one is left out); four answered: 600, 1200, 4800, 3600.
    assert total["incidents"] == 5 and total["responded"] == 4 and total["reacted"] == 4
    assert total["meanFirstResponseSeconds"] == (600 + 1200 + 4800 + 3600) / 4
    assert total["medianFirstResponseSeconds"] == (1200 + 3600) / 2
    assert total["reactionSlaShare"] == 3 / 4 and total["answerSlaShare"] == 3 / 4
    assert total["rated"] == 3 and total["satisfactionMean"] == 11 / 3
    assert total["satisfiedShare"] == 2 / 3

    regional = await make_token("regional_admin", territory=REGION_A)
    mine = figures(await graphql(STATISTICS, {}, regional))
    assert mine["incidents"] == 4 and mine["medianFirstResponseSeconds"] == 1200
    snow = figures(await graphql(STATISTICS, {"scope": {"topic": "snow_removal"}}, national))
    assert snow["incidents"] == 2 and snow["meanFirstResponseSeconds"] == 4800
    period = figures(await graphql(STATISTICS, {"scope": {"since": "2026-12-01"}}, national))
    assert period["incidents"] == 3 and period["medianFirstResponseSeconds"] == 4200
    citizen = await make_token("citizen")
    assert figures(await graphql(STATISTICS, {}, citizen))["incidents"] == 0


async def test_breakdowns_by_region_topic_body_and_day(world: World, graphql: GraphQLClient,
                                                        make_token: TokenFactory) -> None:
    await seed()
    national = await make_token("auditor", territory="RU")

    async def groups(by: str, **scope: Any) -> dict[str, dict[str, Any]]:
        body = await graphql(BREAKDOWN, {"by": by, "scope": scope}, national)
        return {g["key"]: {"name": g["name"], **g["figures"]}
                for g in ok_data(body)["incidentBreakdown"]}

    regions = await groups("REGION")
    assert list(regions) == [REGION_A, REGION_B]
    assert regions[REGION_A]["incidents"] == 4
    assert regions[REGION_A]["meanFirstResponseSeconds"] == (600 + 1200 + 4800) / 3
    assert regions[REGION_B]["medianFirstResponseSeconds"] == 3600
    assert regions[REGION_A]["name"] == (await Territory.get(code=REGION_A)).name

    topics = await groups("TOPIC")
    assert [(k, v["incidents"]) for k, v in topics.items()] == [("road_repair", 3),
                                                                 ("snow_removal", 2)]
    assert topics["road_repair"]["name"] == "Ремонт дорог"
    assert topics["road_repair"]["medianFirstResponseSeconds"] == 1200

    bodies = await groups("ORGANIZATION")
    org = await Organization.get(ogrn=ORG_A)
    assert bodies[str(org.id)]["incidents"] == 4 and bodies[""]["incidents"] == 1

    days = await groups("DAY")
    assert [(k, v["incidents"]) for k, v in days.items()] == [
        (str(date(2026, 11, 30)), 2), (str(date(2026, 12, 1)), 2), (str(date(2026, 12, 2)), 1)]
    assert days["2026-12-01"]["meanFirstResponseSeconds"] == 4800
    latest = ok_data(await graphql(BREAKDOWN.replace("scope: $scope)", "scope: $scope, limit: 2)"),
                                   {"by": "DAY"}, national))["incidentBreakdown"]
    assert [g["key"] for g in latest] == ["2026-12-01", "2026-12-02"]


async def test_a_reversed_period_is_a_typed_error(world: World, graphql: GraphQLClient,
                                                   make_token: TokenFactory) -> None:
    national = await make_token("auditor", territory="RU")
    body = await graphql(STATISTICS, {"scope": {"since": "2026-12-02", "until": "2026-12-01"}},
                         national)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    body = await graphql(BREAKDOWN.replace("scope: $scope)", "scope: $scope, limit: 0)"),
                         {"by": "TOPIC"}, national)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
