"""The appeals of ``vmeste demo`` (twelve replayed weeks), counted by hand in plain Python
from the raw rows, against ``appealStatistics`` over GraphQL and the CSV: the totals of
the demo region, its months, its bodies in the public view (small ones hidden, with
their complements)."""

from __future__ import annotations

import csv
import io
import statistics as python_statistics
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette

from vmeste.platform.appeals.demo import load_demo_appeals
from vmeste.platform.appeals.models import Appeal, AppealStatus
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.reference.demo import DEMO_REGION_CODE, load_demo_data
from vmeste.platform.reference.models import Organization
from vmeste.testing import Clock, GraphQLClient, TokenFactory

#: A Friday noon in Kirov.
NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)
FIGURES = ("appeals byStatus { status count } registered answered meanAnswerSeconds "
           "medianAnswerSeconds answeredOnTime answeredLate overdueOpen onTimeShare rated "
           "ratingMean ratingCounts reworked reworkShare")
#: Open with the clock running (a clarification pauses it).
CLOCK_RUNNING = {"unrouted", "routed", "in_progress"}
QUERY = """query($f: AppealStatisticsFilter, $by: AppealStatisticsDimension,
  $period: StatisticsPeriod, $published: Boolean!) {
  appealStatistics(filter: $f, groupBy: $by, period: $period, published: $published) {
    published minGroupSize csvUrl chartUrl(figure: "mean_answer_days")
    series { key name } points { key periodStart periodEnd suppressed figures { FIGURES } }
  } }""".replace("FIGURES", FIGURES)


def by_hand(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of some appeal rows, from their raw columns."""
    seconds = [int((r["first_answered_at"] - r["registered_at"]).total_seconds())
               for r in rows if r["first_answered_at"] is not None]
    on_time = [r for r in rows if r["first_answered_at"] is not None and r["due_at"]
               and r["first_answered_at"] <= r["due_at"]]
    late = [r for r in rows if r["first_answered_at"] is not None and r["due_at"]
            and r["first_answered_at"] > r["due_at"]]
    overdue = [r for r in rows if r["first_answered_at"] is None
               and r["status"] in CLOCK_RUNNING and r["due_at"] and r["due_at"] < NOW]
    ratings = [r["rating"] for r in rows if r["rating"] is not None]
    reworked = sum(1 for r in rows if r["rework_count"] > 0)
    statuses = Counter(r["status"] for r in rows)
    judged = len(on_time) + len(late) + len(overdue)
    return {
        "appeals": len(rows),
        "byStatus": [{"status": s.name, "count": statuses[s.value]} for s in AppealStatus],
        "registered": sum(1 for r in rows if r["registered_at"] is not None),
        "answered": len(seconds),
        "meanAnswerSeconds": sum(seconds) / len(seconds) if seconds else None,
        "medianAnswerSeconds": python_statistics.median(seconds) if seconds else None,
        "answeredOnTime": len(on_time), "answeredLate": len(late), "overdueOpen": len(overdue),
        "onTimeShare": len(on_time) / judged if judged else None,
        "rated": len(ratings), "ratingMean": sum(ratings) / len(ratings) if ratings else None,
        "ratingCounts": [ratings.count(n) for n in range(1, 6)],
        "reworked": reworked, "reworkShare": reworked / len(seconds) if seconds else None,
    }


async def load(vmeste_app: Starlette, clock: Clock) -> list[dict[str, Any]]:
    clock.set(NOW)
    await load_demo_data()
    services = vmeste_app.state.runtime.service(AppealServices)
    await load_demo_appeals(replace(services, clock=lambda: NOW))
    rows = await Appeal.filter(territory_path__startswith=f"RU/{DEMO_REGION_CODE}/").values(
        "id", "status", "registered_at", "first_answered_at", "due_at", "rating",
        "rework_count", "organization_id")
    for row in rows:
        row["status"] = str(row["status"])
    return rows


async def test_the_region_month_by_month_is_the_hand_count(
        vmeste_app: Starlette, clock: Clock, graphql: GraphQLClient,
        make_token: TokenFactory) -> None:
    rows = await load(vmeste_app, clock)
    days = dict(await Appeal.filter(id__in=[r["id"] for r in rows]).values_list(
        "id", "received_on"))
    token = await make_token("regional_admin", territory=DEMO_REGION_CODE)
    body = await graphql(QUERY, {"f": {"territoryCode": DEMO_REGION_CODE}, "published": False},
                         token=token)
    assert "errors" not in body, body
    found = body["data"]["appealStatistics"]
    assert found["published"] is False, "the region's own staff see it whole"
    assert [s["key"] for s in found["series"]] == [""]
    (total,) = found["points"]
    assert total["figures"] == by_hand(rows)
    figures = total["figures"]
    assert figures["answered"] > 30 and figures["answeredLate"] > 0 and figures["rated"] > 10
    assert 3 * 86_400 < figures["meanAnswerSeconds"] < 20 * 86_400

    monthly = await graphql(QUERY, {"f": {"territoryCode": DEMO_REGION_CODE},
                                    "period": "MONTH", "published": False}, token=token)
    points = monthly["data"]["appealStatistics"]["points"]
    months: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        months[days[row["id"]].replace(day=1)].append(row)
    assert [p["periodStart"] for p in points] == [m.isoformat() for m in sorted(months)]
    for point in points:
        assert point["figures"] == by_hand(months[date.fromisoformat(point["periodStart"])])
        assert not point["suppressed"]


async def test_the_public_view_of_bodies_hides_small_ones_with_a_complement(
        vmeste_app: Starlette, clock: Clock, graphql: GraphQLClient, client: Any) -> None:
    rows = await load(vmeste_app, clock)
    ogrns = dict(await Organization.all().values_list("id", "ogrn"))
    bodies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        bodies[ogrns.get(row["organization_id"], "")].append(row)
    size = vmeste_app.state.runtime.settings.min_group_size
    body = await graphql(QUERY, {"f": {"territoryCode": DEMO_REGION_CODE}, "by": "ORGANIZATION",
                                 "published": False})  # anonymous: the public view
    found = body["data"]["appealStatistics"]
    assert found["published"] is True and found["minGroupSize"] == size
    shown = {p["key"]: p for p in found["points"]}
    assert set(shown) == set(bodies)
    hidden = {key for key, point in shown.items() if point["suppressed"]}
    small = {key for key, group in bodies.items() if len(group) < size}
    assert small and small <= hidden, "every small body is hidden"
    assert sum(len(bodies[k]) for k in hidden) >= size and len(hidden) >= 2, (
        "and enough with it that the total gives none of them back")
    for key, point in shown.items():
        if key not in hidden:
            assert point["figures"] == by_hand(bodies[key]), key
        else:
            assert point["figures"] is None

    answer = await client.get(found["csvUrl"])
    assert answer.status_code == 200 and answer.headers["cache-control"].startswith("public")
    table = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["group"] for r in table if r["suppressed"] == "true"} == hidden
    assert all(r["appeals"] == "" for r in table if r["suppressed"] == "true")
    for r in table:
        if r["suppressed"] == "false":
            assert int(r["appeals"]) == len(bodies[r["group"]])
    again = await client.get(found["csvUrl"], headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


async def test_bad_parameters_are_typed_errors(vmeste_app: Starlette, client: Any) -> None:
    for query, field in (("period=fortnight", "period"), ("from=2026-13-01", "from"),
                         ("colour=red", "colour"), ("from=2026-12-02&to=2026-12-01", "to")):
        answer = await client.get(f"/statistics/appeals.csv?{query}")
        assert answer.status_code == 400, query
        assert answer.json()["errors"][0]["extensions"] == {"code": "INVALID", "field": field}
    answer = await client.get("/statistics/appeals.csv?organization=1234567890123")
    assert answer.status_code == 404
    assert (await client.get("/statistics/appeals/nothing.svg")).status_code == 404
