"""A vote's life through the API: creation with every refusal on its field, templates
and the votes made from them, opening, closing and publishing (and the steps the state
machine refuses), and the organisers' scope. Who sees drafts: test_votes_visibility.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from strawberry import relay

from tests.vote_world import draft_vote, record_ballot
from tests.worlds import COUNTRY, MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, REGION_B, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.votes.models import Ballot, Vote, VoteEvent, VoteOption, VoteStatus
from vmeste.platform.votes.steps import VOTE_EVENTS
from vmeste.testing import GraphQLClient, TokenFactory

M_CREATE = """mutation($i: CreateVoteInput!) { createVote(input: $i) {
  vote { id status method title description winnersCount winnerRule minGroupSize minAge
         verifiedOnly allowRevote liveResults maxChoices points budget isTemplate
         template { id } territory { code }
         options { id title description cost photos latitude longitude territory { code } } }
  userErrors { field code message } } }"""
M_UPDATE = """mutation($i: UpdateVoteInput!) { updateVote(input: $i) {
  vote { id status title method maxChoices options { id title } }
  userErrors { field code } } }"""
M_STEP = """mutation($id: ID!) { %s(id: $id) {
  vote { id status openedAt closedAt publishedAt boardRoot boardSize }
  userErrors { field code } } }"""

NOW = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)


def _options(count: int = 2, **extra: Any) -> list[dict[str, Any]]:
    return [{"title": f"Сквер {n + 1}", **extra} for n in range(count)]


def _input(**changes: Any) -> dict[str, Any]:
    return {"title": "Благоустройство 2030", "territoryCode": REGION_A, "method": "SINGLE",
            "options": _options(), **changes}


async def create(graphql: GraphQLClient, token: str | None, **changes: Any) -> dict[str, Any]:
    body = await graphql(M_CREATE, {"i": _input(**changes)}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createVote"]
    return payload


async def made(graphql: GraphQLClient, token: str | None, **changes: Any) -> dict[str, Any]:
    payload = await create(graphql, token, **changes)
    assert payload["userErrors"] == [], payload
    vote: dict[str, Any] = payload["vote"]
    return vote


async def step(graphql: GraphQLClient, token: str | None, name: str, vote_id: str
                ) -> dict[str, Any]:
    body = await graphql(M_STEP % name, {"id": vote_id}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


def errors(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def pk(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


@pytest.fixture
async def admin_a(world: World, make_token: TokenFactory) -> str:
    return await make_token("regional_admin", territory=REGION_A, sub="admin-a")


@pytest.fixture
async def admin_b(world: World, make_token: TokenFactory) -> str:
    return await make_token("regional_admin", territory=REGION_B, sub="admin-b")


# --- creation --------------------------------------------------------------------------


async def test_a_regional_administrator_creates_a_draft_with_its_options(
        graphql: GraphQLClient, admin_a: str) -> None:
    vote = await made(graphql, admin_a, description=" Дворы ", options=[
        {"title": "Сквер у школы", "description": "Новые скамейки",
         "territoryCode": MUNICIPALITY_A, "photos": ["https://img.example/1.jpg"],
         "latitude": 58.6, "longitude": 49.66},
        {"title": "Набережная"}])
    assert vote["status"] == "DRAFT" and vote["method"] == "SINGLE"
    assert vote["description"] == "Дворы" and vote["territory"] == {"code": REGION_A}
    # The defaults: one winner, greedy, verified voters, no revote, groups of 10.
    assert (vote["winnersCount"], vote["winnerRule"], vote["verifiedOnly"],
            vote["allowRevote"], vote["liveResults"], vote["minGroupSize"]) == (
        1, "GREEDY", True, False, False, 10)
    first, second = vote["options"]
    assert first == {"id": first["id"], "title": "Сквер у школы",
                     "description": "Новые скамейки", "cost": None,
                     "photos": ["https://img.example/1.jpg"], "latitude": 58.6,
                     "longitude": 49.66, "territory": {"code": MUNICIPALITY_A}}
    assert second["title"] == "Набережная" and second["territory"] is None
    assert relay.GlobalID.from_id(first["id"]).type_name == "VoteOption"
    row = await Vote.get(id=pk(vote["id"]))
    assert row.created_by.endswith(":admin-a")
    events = await VoteEvent.filter(vote_id=row.id).values_list("action", "to_status")
    assert events == [("create", "draft")]
    audit = await AuditEvent.get(object_type="vote", object_id=str(row.id))
    assert audit.action == "vote.create" and audit.scope_path == row.territory_path
    assert audit.after["method"] == "single" and audit.before is None
    assert await OutboxMessage.filter(topic=VOTE_EVENTS).count() == 1


async def test_the_smallest_group_defaults_to_the_installation_setting(
        app_client: Any, world: World, make_token: TokenFactory) -> None:
    token = await make_token("regional_admin", territory=REGION_A)
    async with app_client(min_group_size=7) as (_app, graphql):
        assert (await made(graphql, token))["minGroupSize"] == 7
        assert (await made(graphql, token, minGroupSize=25))["minGroupSize"] == 25
        # No vote shows groups smaller than the installation allows.
        assert errors(await create(graphql, token, minGroupSize=6)) == [
            ("minGroupSize", "INVALID")]
        assert (await made(graphql, token, minGroupSize=7))["minGroupSize"] == 7


REFUSALS: list[tuple[str, dict[str, Any], str, str]] = [
    ("no title", {"title": "  "}, "title", "REQUIRED"),
    ("long title", {"title": "Я" * 501}, "title", "INVALID"),
    ("long description", {"description": "я" * 20_001}, "description", "INVALID"),
    ("unknown territory", {"territoryCode": "99999999"}, "territoryCode", "NOT_FOUND"),
    ("no method", {"method": None}, "method", "REQUIRED"),
    ("one option", {"options": _options(1)}, "options", "INVALID"),
    ("option without a title", {"options": [{"title": " "}, {"title": "Сквер"}]},
     "options.0.title", "REQUIRED"),
    ("option outside the territory",
     {"options": [{"title": "А"}, {"title": "Б", "territoryCode": MUNICIPALITY_B}]},
     "options.1.territoryCode", "INVALID"),
    ("option in an unknown territory",
     {"options": [{"title": "А", "territoryCode": "33999000"}, {"title": "Б"}]},
     "options.0.territoryCode", "NOT_FOUND"),
    ("negative cost", {"options": _options(2, cost=-1)}, "options.0.cost", "INVALID"),
    ("latitude alone", {"options": [{"title": "А", "latitude": 58.6}, {"title": "Б"}]},
     "options.0.latitude", "INVALID"),
    ("latitude off the globe",
     {"options": [{"title": "А", "latitude": 91.0, "longitude": 10.0}, {"title": "Б"}]},
     "options.0.latitude", "INVALID"),
    ("photo that is no address",
     {"options": [{"title": "А", "photos": ["javascript:alert(1)"]}, {"title": "Б"}]},
     "options.0.photos", "INVALID"),
    ("photo address that does not parse",
     {"options": [{"title": "А", "photos": ["http://[::1"]}, {"title": "Б"}]},
     "options.0.photos", "INVALID"),
    ("too many photos",
     {"options": [{"title": "А", "photos": ["https://i.example/p.jpg"] * 11}, {"title": "Б"}]},
     "options.0.photos", "INVALID"),
    ("closes before it opens", {"opensAt": "2030-06-01T00:00:00+00:00",
                                "closesAt": "2030-06-01T00:00:00+00:00"}, "closesAt", "INVALID"),
    ("minimum age", {"minAge": 121}, "minAge", "INVALID"),
    ("smallest group", {"minGroupSize": 0}, "minGroupSize", "INVALID"),
    ("equal shares outside budgets", {"winnerRule": "EQUAL_SHARES"}, "winnerRule", "INVALID"),
    ("more winners than options", {"winnersCount": 3}, "winnersCount", "INVALID"),
    ("points for a single vote", {"points": 5}, "points", "INVALID"),
    ("approval without its maximum", {"method": "APPROVAL"}, "maxChoices", "REQUIRED"),
    ("cumulative cap above the points", {"method": "CUMULATIVE", "points": 3,
                                         "maxPointsPerOption": 4}, "maxPointsPerOption",
     "INVALID"),
    ("budget without costs", {"method": "BUDGET", "budget": 1000}, "options.0.cost",
     "REQUIRED"),
    ("budget without a budget", {"method": "BUDGET", "options": _options(2, cost=10)},
     "budget", "REQUIRED"),
]


@pytest.mark.parametrize(("changes", "field", "code"), [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])
async def test_a_bad_input_is_refused_on_its_field(graphql: GraphQLClient, admin_a: str,
                                                   changes: dict[str, Any], field: str,
                                                   code: str) -> None:
    payload = await create(graphql, admin_a, **changes)
    assert payload["vote"] is None
    assert (field, code) in errors(payload), payload
    assert all(e["message"] for e in payload["userErrors"])
    assert not await Vote.exists()
    assert not await AuditEvent.filter(object_type="vote").exists()


async def test_every_problem_is_reported_at_once(graphql: GraphQLClient, admin_a: str) -> None:
    payload = await create(graphql, admin_a, title="", minAge=-1, options=[
        {"title": "А", "cost": -5}])
    assert errors(payload) == [("minAge", "INVALID"), ("title", "REQUIRED"),
                                ("options", "INVALID"), ("options.0.cost", "INVALID")]


async def test_a_budget_vote_with_its_rules(graphql: GraphQLClient, admin_a: str) -> None:
    vote = await made(graphql, admin_a, method="BUDGET", budget=1_000_000,
                       minBudgetShare=0.7, minProjects=1, maxProjects=3,
                       winnerRule="EQUAL_SHARES",
                       options=[{"title": f"Проект {n}", "cost": 300_000} for n in range(4)])
    row = await Vote.get(id=pk(vote["id"]))
    assert (row.method, row.budget, row.min_budget_share, row.max_projects, row.winner_rule) == (
        "budget", 1_000_000, 0.7, 3, "equal_shares")
    assert [o["cost"] for o in vote["options"]] == [300_000] * 4


async def test_a_method_switched_off_in_a_region_is_refused_there_only(
        graphql: GraphQLClient, admin_a: str, region_policy: Any, make_token: TokenFactory
        ) -> None:
    await region_policy(REGION_A, "vote_method", "single")  # region A: single only
    budget = {"method": "BUDGET", "budget": 100, "options": _options(2, cost=50)}
    payload = await create(graphql, admin_a, **budget)
    assert errors(payload) == [("method", "INVALID")]
    assert (await made(graphql, admin_a))["method"] == "SINGLE"
    federal = await make_token("federal_configurator", territory=COUNTRY)
    assert (await made(graphql, federal, territoryCode=REGION_B, **budget))["method"] == "BUDGET"


# --- scope -------------------------------------------------------------------------------


async def test_an_administrator_of_another_region_cannot_create_or_run_the_vote(
        graphql: GraphQLClient, admin_a: str, admin_b: str, make_token: TokenFactory) -> None:
    payload = await create(graphql, admin_b)
    assert errors(payload) == [(None, "FORBIDDEN")] and not await Vote.exists()
    vote = await made(graphql, admin_a)
    for name in ("openVote", "closeVote", "publishVoteResults"):
        assert errors(await step(graphql, admin_b, name, vote["id"])) == [(None, "FORBIDDEN")]
    auditor = await make_token("auditor", territory=REGION_A)
    assert errors(await create(graphql, auditor)) == [(None, "FORBIDDEN")]
    assert errors(await step(graphql, auditor, "openVote", vote["id"])) == [
        (None, "FORBIDDEN")]
    assert errors(await create(graphql, None)) == [(None, "UNAUTHENTICATED")]
    federal = await make_token("federal_configurator", territory=COUNTRY)
    assert (await made(graphql, federal, territoryCode=MUNICIPALITY_B))["status"] == "DRAFT"
    assert (await Vote.get(id=pk(vote["id"]))).status == VoteStatus.DRAFT


# --- the lifecycle ------------------------------------------------------------------------


async def test_open_close_publish(graphql: GraphQLClient, admin_a: str, clock: Any) -> None:
    clock.set(NOW)
    vote = await made(graphql, admin_a, closesAt=(NOW + timedelta(days=7)).isoformat())
    opened = await step(graphql, admin_a, "openVote", vote["id"])
    assert opened["userErrors"] == [] and opened["vote"]["status"] == "OPEN"
    row = await Vote.get(id=pk(vote["id"]))
    assert row.opened_at == NOW and row.next_check_at == NOW + timedelta(seconds=60)
    clock.advance(hours=1)
    closed = (await step(graphql, admin_a, "closeVote", vote["id"]))["vote"]
    assert closed["status"] == "CLOSED" and closed["boardSize"] == 0
    assert len(closed["boardRoot"]) == 64
    clock.advance(hours=1)
    published = (await step(graphql, admin_a, "publishVoteResults", vote["id"]))["vote"]
    assert published["status"] == "RESULTS_PUBLISHED"
    assert published["publishedAt"] == (NOW + timedelta(hours=2)).isoformat()
    events = await VoteEvent.filter(vote_id=row.id).order_by("id").values_list(
        "action", "from_status", "to_status")
    assert events == [("create", None, "draft"), ("open", "draft", "open"),
                      ("close", "open", "closed"),
                      ("publish", "closed", "results_published")]
    audits = await AuditEvent.filter(object_type="vote").order_by("id").values_list(
        "action", "before", "after")
    assert [a[0] for a in audits] == ["vote.create", "vote.open", "vote.close", "vote.publish"]
    assert [(a[1] or {}).get("status") for a in audits] == [None, "draft", "open", "closed"]
    assert [a[2]["status"] for a in audits] == ["draft", "open", "closed", "results_published"]
    assert await OutboxMessage.filter(topic=VOTE_EVENTS).count() == 4


async def test_the_watchdog_first_looks_at_closing_when_that_comes_sooner(
        graphql: GraphQLClient, admin_a: str, clock: Any) -> None:
    clock.set(NOW)
    closes = NOW + timedelta(seconds=20)
    vote = await made(graphql, admin_a, closesAt=closes.isoformat())
    await step(graphql, admin_a, "openVote", vote["id"])
    assert (await Vote.get(id=pk(vote["id"]))).next_check_at == closes


async def test_a_vote_whose_closing_has_passed_does_not_open(
        graphql: GraphQLClient, admin_a: str, clock: Any) -> None:
    clock.set(NOW)
    vote = await made(graphql, admin_a, closesAt=(NOW - timedelta(minutes=1)).isoformat())
    assert errors(await step(graphql, admin_a, "openVote", vote["id"])) == [
        ("closesAt", "INVALID")]
    assert (await Vote.get(id=pk(vote["id"]))).status == VoteStatus.DRAFT


ILLEGAL = [("closeVote", VoteStatus.DRAFT), ("publishVoteResults", VoteStatus.DRAFT),
           ("openVote", VoteStatus.OPEN), ("publishVoteResults", VoteStatus.OPEN),
           ("openVote", VoteStatus.CLOSED), ("closeVote", VoteStatus.CLOSED),
           ("closeVote", VoteStatus.RESULTS_PUBLISHED),
           ("publishVoteResults", VoteStatus.RESULTS_PUBLISHED)]


@pytest.mark.parametrize(("mutation", "status"), ILLEGAL,
                         ids=[f"{m}-{s}" for m, s in ILLEGAL])
async def test_a_step_the_status_does_not_allow_is_refused(
        graphql: GraphQLClient, admin_a: str, mutation: str, status: VoteStatus) -> None:
    vote = await made(graphql, admin_a)
    await Vote.filter(id=pk(vote["id"])).update(status=status)
    payload = await step(graphql, admin_a, mutation, vote["id"])
    assert errors(payload) == [(None, "ILLEGAL_TRANSITION")] and payload["vote"] is None
    assert (await Vote.get(id=pk(vote["id"]))).status == status
    assert await AuditEvent.filter(object_type="vote").count() == 1  # the creation only


async def test_an_unknown_or_malformed_vote_id(graphql: GraphQLClient, admin_a: str) -> None:
    missing = relay.to_base64("Vote", 999)
    assert errors(await step(graphql, admin_a, "openVote", missing)) == [("id", "NOT_FOUND")]
    other = relay.to_base64("Appeal", 1)
    assert errors(await step(graphql, admin_a, "openVote", other)) == [("id", "INVALID")]


# --- editing a draft -----------------------------------------------------------------------


async def test_a_draft_is_edited_and_checked_as_at_creation(graphql: GraphQLClient,
                                                            admin_a: str) -> None:
    vote = await made(graphql, admin_a)
    body = await graphql(M_UPDATE, {"i": {"id": vote["id"], "title": "Новое имя",
                                          "method": "APPROVAL", "maxChoices": 2,
                                          "options": _options(3)}}, token=admin_a)
    edited = body["data"]["updateVote"]
    assert edited["userErrors"] == [], edited
    assert (edited["vote"]["title"], edited["vote"]["method"], edited["vote"]["maxChoices"]) == (
        "Новое имя", "APPROVAL", 2)
    assert [o["title"] for o in edited["vote"]["options"]] == ["Сквер 1", "Сквер 2", "Сквер 3"]
    assert await VoteOption.filter(vote_id=pk(vote["id"])).count() == 3
    # The same checks as at creation, and nothing written when they fail.
    body = await graphql(M_UPDATE, {"i": {"id": vote["id"], "maxChoices": None,
                                          "options": _options(1)}}, token=admin_a)
    assert errors(body["data"]["updateVote"]) == [("options", "INVALID"),
                                                   ("maxChoices", "REQUIRED")]
    assert await VoteOption.filter(vote_id=pk(vote["id"])).count() == 3
    audits = await AuditEvent.filter(object_type="vote").values_list("action", flat=True)
    assert audits == ["vote.create", "vote.update"]
    # An open vote is no longer edited.
    await step(graphql, admin_a, "openVote", vote["id"])
    body = await graphql(M_UPDATE, {"i": {"id": vote["id"], "title": "Поздно"}}, token=admin_a)
    assert errors(body["data"]["updateVote"]) == [(None, "ILLEGAL_TRANSITION")]


# --- templates ------------------------------------------------------------------------------


async def test_a_federal_template_instantiated_by_a_region_and_a_municipality(
        graphql: GraphQLClient, admin_a: str, make_token: TokenFactory) -> None:
    federal = await make_token("federal_configurator", territory=COUNTRY)
    template = await made(graphql, federal, title="Городская среда 2030", territoryCode=COUNTRY,
                           method="APPROVAL", maxChoices=2, minAge=14, allowRevote=True,
                           isTemplate=True, options=[])
    assert template["isTemplate"] and template["options"] == []
    regional = await made(graphql, admin_a, title="Киров: общественные пространства",
                           method=None, templateId=template["id"], isTemplate=True,
                           options=[])
    municipal = await made(graphql, admin_a, title="город Киров", method=None,
                            territoryCode=MUNICIPALITY_A, templateId=regional["id"],
                            options=_options(3))
    for instance in (regional, municipal):
        assert (instance["method"], instance["maxChoices"], instance["minAge"],
                instance["allowRevote"]) == (
            "APPROVAL", 2, 14, True)
    assert municipal["template"] == {"id": regional["id"]}
    assert [o["title"] for o in municipal["options"]] == ["Сквер 1", "Сквер 2", "Сквер 3"]
    # A template is not voted on; the vote made from it is.
    assert errors(await step(graphql, federal, "openVote", template["id"])) == [
        ("id", "INVALID")]
    assert (await step(graphql, admin_a, "openVote", municipal["id"]))["vote"]["status"] == "OPEN"


async def test_a_vote_from_a_template_keeps_the_template_rules(
        graphql: GraphQLClient, admin_a: str, admin_b: str, make_token: TokenFactory) -> None:
    federal = await make_token("federal_configurator", territory=COUNTRY)
    template = await made(graphql, federal, territoryCode=REGION_A, isTemplate=True,
                           options=[])
    own_rule = await create(graphql, admin_a, method="APPROVAL", maxChoices=2,
                             templateId=template["id"])
    assert errors(own_rule) == [("method", "INVALID"), ("maxChoices", "INVALID")]
    outside = await create(graphql, federal, method=None, territoryCode=REGION_B,
                            templateId=template["id"])
    assert errors(outside) == [("territoryCode", "INVALID")]
    not_a_template = await made(graphql, admin_a)
    assert errors(await create(graphql, admin_a, method=None,
                                 templateId=not_a_template["id"])) == [("templateId", "INVALID")]
    # A template of region A is not region B's to see, let alone use.
    unseen = await create(graphql, admin_b, method=None, territoryCode=REGION_B,
                           templateId=template["id"])
    assert errors(unseen) == [("templateId", "NOT_FOUND")]
    # Its instance cannot change the rules when edited either.
    instance = await made(graphql, admin_a, method=None, territoryCode=MUNICIPALITY_A,
                          templateId=template["id"])
    body = await graphql(M_UPDATE, {"i": {"id": instance["id"], "method": "APPROVAL"}},
                         token=admin_a)
    assert errors(body["data"]["updateVote"]) == [("method", "INVALID")]
    body = await graphql(M_UPDATE, {"i": {"id": instance["id"], "title": "Переименовано"}},
                         token=admin_a)
    assert body["data"]["updateVote"]["vote"]["method"] == "SINGLE"


async def test_publication_leaves_each_ballot_its_utc_day_only(
        graphql: GraphQLClient, admin_a: str) -> None:
    """Minutes serve the integrity watch until publication; then a ballot keeps only
    the start of its UTC day (23:59 UTC on 1 May, 02:59 on 2 May in Kirov, is 1 May)."""
    vote = await draft_vote(status=VoteStatus.CLOSED)
    other = await draft_vote(status=VoteStatus.CLOSED)
    option = (await VoteOption.filter(vote_id=vote.id).first()).id
    times = [NOW, NOW + timedelta(hours=14, minutes=59), NOW + timedelta(hours=15),
             NOW + timedelta(days=2, minutes=7)]
    for at in times:
        await record_ballot(vote, [(option, 1)], minute=at)
    await record_ballot(other, [(option, 1)], minute=NOW)
    published = await step(graphql, admin_a, "publishVoteResults", relay.to_base64(
        "Vote", vote.id))
    assert published["userErrors"] == []
    day = NOW.replace(hour=0)
    assert sorted(await Ballot.filter(vote_id=vote.id).values_list(
        "cast_minute", flat=True)) == [day, day, day + timedelta(days=1),
                                       day + timedelta(days=2)]
    # Another vote's ballots keep their minutes.
    assert await Ballot.filter(vote_id=other.id).values_list("cast_minute", flat=True) == [NOW]



async def test_a_time_without_an_offset_is_utc(graphql: GraphQLClient, admin_a: str) -> None:
    """A naive opensAt beside an aware closesAt compares (no 500): naive is UTC."""
    naive = NOW.replace(tzinfo=None).isoformat()
    vote = await made(graphql, admin_a, opensAt=naive,
                      closesAt=(NOW + timedelta(hours=1)).isoformat())
    row = await Vote.get(id=pk(vote["id"]))
    assert (row.opens_at, row.closes_at) == (NOW, NOW + timedelta(hours=1))
    refused = await create(graphql, admin_a, opensAt=naive,
                           closesAt=(NOW - timedelta(hours=1)).isoformat())
    assert errors(refused) == [("closesAt", "INVALID")]
    refused = await create(graphql, admin_a, opensAt=NOW.isoformat(),
                           closesAt=(NOW - timedelta(minutes=1)).replace(tzinfo=None)
                           .isoformat())
    assert errors(refused) == [("closesAt", "INVALID")]
