"""Exports: the CSV of results and breakdowns, the Pabulib file, the stable URLs that
serve them once published, and ``vmeste votes export``."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

from tests.test_cli import vmeste_on
from tests.test_vote_results import option_ids, quarantine
from tests.vote_world import draft_vote, record_ballot
from tests.worlds import MUNICIPALITY_A
from vmeste.platform.votes import http
from vmeste.platform.votes.closing import close_vote
from vmeste.platform.votes.exports import HEADER, results_csv
from vmeste.platform.votes.models import Vote, VoteOption, VoteStatus
from vmeste.platform.votes.pabulib import pabulib


def sections(text: str) -> dict[str, list[list[str]]]:
    """A Pabulib file's sections, each as its rows (the header row first)."""
    found: dict[str, list[list[str]]] = {}
    current = ""
    for row in csv.reader(text.splitlines(), delimiter=";"):
        if row and row[0] in ("META", "PROJECTS", "VOTES"):
            current = row[0]
            found[current] = []
        else:
            found[current].append(row)
    return found


async def budget_vote() -> tuple[Vote, list[int]]:
    vote = await draft_vote(method="budget", options=0, budget=1000, min_projects=1,
                            max_projects=3, min_budget_share=0.25,
                            status=VoteStatus.RESULTS_PUBLISHED,
                            title="Бюджет; 2027\nгод")
    titles = ("Сквер у школы", "=HYPERLINK(\"x\")", "Дорожка; освещение")
    projects = [await VoteOption.create(vote=vote, position=i, title=t, cost=cost)
                for i, (t, cost) in enumerate(zip(titles, (600, 300, 200), strict=True))]
    return vote, [p.id for p in projects]


async def test_csv_holds_the_totals_and_every_breakdown(world: Any) -> None:
    vote = await draft_vote(options=2, winners_count=1, status=VoteStatus.RESULTS_PUBLISHED)
    a, b = await option_ids(vote)
    for choice, band in ((a, "18-24"),) * 12 + ((b, "25-34"),) * 11 + ((b, "14-17"),) * 2:
        await record_ballot(vote, [(choice, 1)], age_band=band)
    rows = list(csv.reader(io.StringIO(await results_csv(vote))))
    assert tuple(rows[0]) == HEADER
    table = [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]
    totals = [r for r in table if r["section"] == "total"]
    assert [(r["option_id"], r["votes"], r["points"], r["winner"]) for r in totals] == [
        (str(a), "12", "12", "false"), (str(b), "13", "13", "true")]
    assert {r["participants"] for r in totals} == {"25"}
    # Every group has a row per option; 14-17 (2) is hidden with 25-34 (11), the next
    # smallest, and 18-24 shows.
    ages = [r for r in table if r["section"] == "age_band"]
    assert [(r["group"], r["suppressed"], r["participants"], r["votes"]) for r in ages] == [
        ("14-17", "true", "", ""), ("14-17", "true", "", ""),
        ("18-24", "false", "12", "12"), ("18-24", "false", "12", "0"),
        ("25-34", "true", "", ""), ("25-34", "true", "", "")]
    assert {r["group"] for r in table if r["section"] == "territory"} == {MUNICIPALITY_A}


async def test_pabulib_of_a_budget_vote(world: Any) -> None:
    vote, (p1, p2, p3) = await budget_vote()
    for chosen in ([p1], [p1, p3], [p2, p3], [p2, p3], [p3]):
        await record_ballot(vote, [(p, 1) for p in chosen], age_band="60+", gender="female")
    held = await record_ballot(vote, [(p1, 1)])
    await quarantine(vote, [held])

    found = sections(await pabulib(vote))
    meta = dict(found["META"][1:])
    assert found["META"][0] == ["key", "value"]
    assert meta == {"description": "Бюджет; 2027 год", "country": "Russia",
                    "unit": "Кировская область", "instance": str(vote.id),
                    "num_projects": "3", "num_votes": "5", "budget": "1000",
                    "vote_type": "approval", "rule": "greedy", "language": "ru",
                    "currency": "RUB", "min_length": "1", "max_length": "3",
                    "max_sum_cost": "1000", "min_sum_cost": "250"}
    # Greedy by votes: p3 (4 votes, 200), then p1 and p2 tie on 2 (the quarantined
    # ballot does not count) and p1 stands first: 600 fits, and p2 no longer does.
    assert found["PROJECTS"] == [
        ["project_id", "cost", "votes", "name", "selected"],
        [str(p1), "600", "2", "Сквер у школы", "1"],
        [str(p2), "300", "2", "=HYPERLINK(\"x\")", "0"],
        [str(p3), "200", "4", "Дорожка; освещение", "1"]]
    # Counted ballots only, under sequential ids, and nothing about the voters.
    assert found["VOTES"][0] == ["voter_id", "vote"]
    assert [row[0] for row in found["VOTES"][1:]] == ["1", "2", "3", "4", "5"]
    assert sorted(row[1] for row in found["VOTES"][1:]) == sorted(
        [str(p1), f"{p1},{p3}", f"{p2},{p3}", f"{p2},{p3}", str(p3)])

    vote.winner_rule = "equal_shares"  # type: ignore[assignment]
    assert dict(sections(await pabulib(vote))["META"][1:])["rule"] == "equalshares"


async def test_pabulib_of_single_and_cumulative_votes(world: Any) -> None:
    single = await draft_vote(options=3, winners_count=2)
    a, b, c = await option_ids(single)
    for choice in (a, b, b, c, c, c):
        await record_ballot(single, [(choice, 1)])
    found = sections(await pabulib(single))
    meta = dict(found["META"][1:])
    # Top 2 written as Pabulib writes top-k votes: every option costs 1 of a budget of 2.
    assert (meta["vote_type"], meta["budget"], meta["rule"]) == ("choose-1", "2", "greedy")
    assert [(r[1], r[-1]) for r in found["PROJECTS"][1:]] == [("1", "0"), ("1", "1"),
                                                               ("1", "1")]

    cumulative = await draft_vote(method="cumulative", options=2, points=5,
                                  max_points_per_option=4)
    x, y = await option_ids(cumulative)
    await record_ballot(cumulative, [(x, 1), (y, 4)])
    await record_ballot(cumulative, [(x, 3)])
    found = sections(await pabulib(cumulative))
    meta = dict(found["META"][1:])
    assert (meta["vote_type"], meta["max_sum_points"], meta["max_points"]) == (
        "cumulative", "5", "4")
    assert found["PROJECTS"][0] == ["project_id", "cost", "votes", "score", "name", "selected"]
    assert [r[2:4] for r in found["PROJECTS"][1:]] == [["2", "4"], ["1", "4"]]
    assert found["VOTES"][0] == ["voter_id", "vote", "points"]
    assert sorted(tuple(r[1:]) for r in found["VOTES"][1:]) == sorted(
        [(f"{x},{y}", "1,4"), (str(x), "3")])


async def test_published_results_are_served_at_stable_urls(world: Any, client: Any) -> None:
    vote, (p1, _, p3) = await budget_vote()
    await record_ballot(vote, [(p1, 1), (p3, 1)])
    csv_url, pb_url = f"/votes/{vote.id}/results.csv", f"/votes/{vote.id}/results.pb"

    answer = await client.get(csv_url)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.text == await results_csv(vote)
    # A title that would be a spreadsheet formula is written as text.
    assert "'=HYPERLINK" in answer.text
    assert answer.headers["cache-control"].startswith("public")
    etag = answer.headers["etag"]
    again = await client.get(csv_url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    pb = await client.get(pb_url)
    assert pb.status_code == 200 and pb.text == await pabulib(vote)
    assert pb.headers["content-disposition"] == f'inline; filename="vote-{vote.id}.pb"'

    # Not published, unknown, too large, or an unknown breakdown: 404 with the
    # transport's JSON error, and nothing of the vote.
    vote.status = VoteStatus.CLOSED
    await vote.save(update_fields=["status"])
    for url in (csv_url, pb_url, f"/votes/{vote.id}/results.svg", "/votes/999999/results.csv",
                "/votes/99999999999/results.pb", f"/votes/{vote.id}/breakdown/age.svg"):
        refused = await client.get(url)
        assert refused.status_code == 404, url
        assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert "etag" not in refused.headers


async def test_the_cli_exports_to_stdout_or_a_file(world: Any, db: Any, tmp_path: Any
                                                   ) -> None:
    vote, (p1, p2, _) = await budget_vote()
    await record_ballot(vote, [(p1, 1), (p2, 1)])
    printed = await asyncio.to_thread(vmeste_on, db, "votes", "export", str(vote.id),
                                      "--format", "csv")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == await results_csv(vote)
    target = tmp_path / "vote.pb"
    written = await asyncio.to_thread(vmeste_on, db, "votes", "export", str(vote.id),
                                      "--format", "pabulib", "-o", str(target))
    assert written.returncode == 0, written.stderr
    assert target.read_text(encoding="utf-8") == await pabulib(vote)

    unknown = await asyncio.to_thread(vmeste_on, db, "votes", "export", "424242",
                                      "--format", "csv")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == ["vmeste: vote 424242 not found"]
    assert unknown.stdout == ""
    bad = await asyncio.to_thread(vmeste_on, db, "votes", "export", "first", "--format", "csv")
    assert bad.returncode == 2 and "not a vote number" in bad.stderr


async def test_a_published_answer_is_rendered_once_and_its_etag_known_before(
        world: Any, client: Any, monkeypatch: Any) -> None:
    """The process keeps a published vote's answers under its sealed board: asked
    again, nothing is rendered; asked conditionally, nothing is rendered either; each
    language and each kind is an answer of its own."""
    vote = await draft_vote(options=2, winners_count=1)
    first, _ = await option_ids(vote)
    await record_ballot(vote, [(first, 1)])
    await close_vote(vote, "system", datetime.now(UTC))
    await Vote.filter(id=vote.id).update(status=VoteStatus.RESULTS_PUBLISHED,
                                         published_at=datetime.now(UTC))
    rendered: list[str] = []

    def counted(name: str, render: Any) -> Any:
        async def wrapper(*args: Any) -> Any:
            rendered.append(name)
            return await render(*args)
        return wrapper

    monkeypatch.setattr(http, "results_csv", counted("csv", http.results_csv))
    monkeypatch.setattr(http, "vote_results", counted("results", http.vote_results))
    csv_url, svg_url = f"/votes/{vote.id}/results.csv", f"/votes/{vote.id}/results.svg"
    answer = await client.get(csv_url)
    assert answer.status_code == 200 and rendered == ["csv"]
    again = await client.get(csv_url)
    assert (again.content, again.headers["etag"]) == (answer.content, answer.headers["etag"])
    conditional = await client.get(csv_url, headers={"If-None-Match": answer.headers["etag"]})
    assert conditional.status_code == 304 and rendered == ["csv"]
    english = await client.get(svg_url, headers={"Accept-Language": "en"})
    russian = await client.get(svg_url, headers={"Accept-Language": "ru"})
    assert english.headers["etag"] != russian.headers["etag"]
    assert rendered == ["csv", "results", "results"]
    await client.get(svg_url, headers={"Accept-Language": "ru"})
    assert rendered == ["csv", "results", "results"]
