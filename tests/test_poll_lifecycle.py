"""A poll's lifecycle with its history, audit records, notifications and closing clock,
and poll lists read by compiled plans as the resolvers read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry import relay

from tests.poll_world import answers_for, organised, questions_of, respondent, services_of
from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, REGION_B, World
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.notifications.models import Notification
from vmeste.platform.polls.models import Poll, PollEvent, PollResponse, PollStatus

CREATE = """mutation($input: CreatePollInput!) { createPoll(input: $input) {
  poll { id status } userErrors { field code message } } }"""
STEP = """mutation($id: ID!) { %s(id: $id) { poll { id status } userErrors { field code } } }"""


def gid(poll: Poll) -> str:
    return str(relay.GlobalID("Poll", str(poll.id)))


async def test_open_close_publish_with_history_audit_and_notifications(
        world: World, db: Any, graphql: Any, make_token: Any, vmeste_app: Any,
        run_background: Any) -> None:
    author = await make_token("regional_admin", territory=REGION_A, sub="author")
    await make_token("regional_admin", territory=MUNICIPALITY_A, sub="colleague")
    await make_token("regional_admin", territory=REGION_B, sub="stranger")
    await make_token("federal_configurator", territory="RU", sub="federal")
    created = (await graphql(CREATE, {"input": {
        "title": "Опрос", "territoryCode": MUNICIPALITY_A, "questions": [
            {"kind": "SCALE", "title": "Оценка", "scaleMin": 1, "scaleMax": 5}]}},
        token=author))["data"]["createPoll"]["poll"]
    poll_id = created["id"]
    publish_early = (await graphql(STEP % "publishPollResults", {"id": poll_id},
                                   token=author))["data"]["publishPollResults"]
    assert publish_early["userErrors"] == [{"field": None, "code": "ILLEGAL_TRANSITION"}]
    for operation, status in (("openPoll", "OPEN"), ("closePoll", "CLOSED"),
                              ("publishPollResults", "RESULTS_PUBLISHED")):
        payload = (await graphql(STEP % operation, {"id": poll_id}, token=author))["data"][
            operation]
        assert payload == {"poll": {"id": poll_id, "status": status}, "userErrors": []}
    pk = int(relay.GlobalID.from_id(poll_id).node_id)
    assert await PollEvent.filter(poll_id=pk).order_by("id").values_list(
        "action", "to_status") == [("create", "draft"), ("open", "open"), ("close", "closed"),
                                   ("publish", "results_published")]
    assert await AuditEvent.filter(object_type="poll", object_id=str(pk)).order_by(
        "id").values_list("action", flat=True) == [
        "poll.create", "poll.open", "poll.close", "poll.publish"]
    run = await run_background(watchdog=False)
    assert run.jobs["poll.events"] == 4
    told = await Notification.filter(subject_type="poll", channel="inbox").values_list(
        "event", "recipient__subject")
    # The colleague of the territory hears; the author took the steps, the stranger and
    # the federal configurator who did not write the poll are not organisers of it.
    assert sorted(told) == [("poll_closed", "colleague"), ("poll_opened", "colleague"),
                            ("poll_results_published", "colleague")]


async def test_the_watchdog_closes_a_poll_at_its_closing_moment(
        world: World, db: Any, vmeste_app: Any, clock: Any, run_background: Any) -> None:
    clock.set(datetime(2026, 5, 1, tzinfo=UTC))
    services = services_of(vmeste_app)
    closing = datetime(2026, 5, 3, tzinfo=UTC)
    poll = await organised(services, closes_at=closing)
    endless = await organised(services)
    await services.responses.submit(await respondent(db, "ivanov"), poll.id,
                                    answers_for(await questions_of(poll)), "retry-1")
    clock.set(closing - timedelta(minutes=1))
    await run_background()
    assert (await Poll.get(id=poll.id)).status == PollStatus.OPEN
    clock.set(closing)
    run = await run_background()
    closed = await Poll.get(id=poll.id)
    assert (closed.status, closed.closed_at, closed.next_check_at) == (
        PollStatus.CLOSED, closing, None)
    assert (await Poll.get(id=endless.id)).status == PollStatus.OPEN
    assert run.by_kind["poll_clock"]["closed"] == 1
    event = await PollEvent.filter(poll_id=poll.id).order_by("-id").first()
    assert event is not None and (event.action, event.actor) == ("close", "system:watchdog")
    assert event.payload == {"total_responses": 1}
    # The watchdog's closing forgets the retries' keys as the organiser's does.
    assert await PollResponse.filter(poll_id=poll.id).values_list("replay_key",
                                                                  flat=True) == [None]
    assert (await run_background()).by_kind["poll_clock"]["closed"] == 0


# --- reading polls --------------------------------------------------------------------

POLLS = """query($f: PollFilter) { polls(filter: $f, first: 10) { totalCount edges { node {
  id title status minAge verifiedOnly minGroupSize opensAt closesAt territory { code } } } } }"""


async def test_poll_lists_are_compiled_reads_that_agree_with_the_resolvers(
        world: World, db: Any, app_client: Any, make_token: Any, vmeste_app: Any) -> None:
    services = services_of(vmeste_app)
    open_a = await organised(services, territory=MUNICIPALITY_A, min_age=14)
    await organised(services, territory=MUNICIPALITY_A, open_it=False)
    open_b = await organised(services, territory=MUNICIPALITY_B)
    admin = await make_token("regional_admin", territory=REGION_A)
    answers = {}
    for compiled in (True, False):
        async with app_client(compiled_reads=compiled) as (app, graphql):
            answers[compiled] = [
                await graphql(POLLS, variables, token=token)
                for token in (None, admin)
                for variables in ({"f": None}, {"f": {"territoryCode": REGION_B}},
                                  {"f": {"status": ["DRAFT"]}})]
            stats = app.state.reads.stats
            assert (stats.compiled, stats.interpreted) == ((6, 0) if compiled else (0, 6))
    assert answers[True] == answers[False]
    anonymous, only_b, no_drafts = answers[True][:3]
    assert [e["node"]["id"] for e in anonymous["data"]["polls"]["edges"]] == [
        gid(open_a), gid(open_b)]
    assert anonymous["data"]["polls"]["edges"][0]["node"]["territory"] == {
        "code": MUNICIPALITY_A}
    assert only_b["data"]["polls"]["totalCount"] == 1
    assert no_drafts["data"]["polls"]["totalCount"] == 0
    assert answers[True][5]["data"]["polls"]["totalCount"] == 1  # the organiser's draft
