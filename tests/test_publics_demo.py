"""The demo's official pages: six Kirov bodies with varied compliance, each read twice,
so the shares differ by rule and one page's history shows it becoming compliant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from starlette.applications import Starlette

from tests.worlds import count_queries, ok_data
from vmeste.platform.publics.demo import PAGES, load_demo_pages
from vmeste.platform.publics.models import OfficialPage, PageSnapshot
from vmeste.platform.publics.services import PublicsServices
from vmeste.platform.publics.shares import compliance_shares
from vmeste.platform.reference.demo import load_demo_data
from vmeste.testing import GraphQLClient

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


async def test_demo_pages_have_varied_compliance_and_a_history(vmeste_app: Starlette) -> None:
    await load_demo_data()
    services = replace(vmeste_app.state.runtime.service(PublicsServices), clock=lambda: NOW)
    assert await load_demo_pages(services) == f"{len(PAGES)} official pages"
    assert await load_demo_pages(services) == "0 official pages", "loading twice adds none"
    assert await PageSnapshot.all().count() == 2 * len(PAGES)

    shares = {s.rule_code: (s.passing, s.pages) for s in await compliance_shares("33000000", NOW)
              if s.territory_code == "33000000"}
    assert shares[None] == (3, 6), "the government, social development and housing pass"
    assert shares["verified"] == (5, 6) and shares["avatar_cover"] == (5, 6)
    assert shares["posting_rate"] == (5, 6) and shares["widgets"] == (5, 6)

    housing = await OfficialPage.get(page_ref="10002")
    history = [(r.snapshot_id, r.passed) for r in await services.history(
        housing.id, "description_contacts")]
    assert history[0][1] is False and history[-1][1] is True


async def test_a_page_of_pages_with_their_results_costs_the_same_queries_for_2_and_6(
        vmeste_app: Starlette, graphql: GraphQLClient) -> None:
    await load_demo_data()
    await load_demo_pages(replace(vmeste_app.state.runtime.service(PublicsServices),
                                  clock=lambda: NOW))
    query = """query($n: Int) { officialPages(first: $n) { edges { node { compliant
      latestResults { ruleCode passed } } } } }"""
    counts = []
    for n in (2, 6):
        with count_queries() as log:
            edges = ok_data(await graphql(query, {"n": n}))["officialPages"]["edges"]
        assert len(edges) == n and all(len(e["node"]["latestResults"]) == 9 for e in edges)
        counts.append(len(log))
    assert counts[0] == counts[1], counts
