"""Dead letters and the outbox backlog through GraphQL, as an operator uses them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from tests.worlds import ok_data, user_error_codes
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.outbox.services import emit

LETTERS = """query($filter: DeadLetterFilter, $after: String) {
  deadLetters(first: 2, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id actor queue error attempts kwargs redrivenAt redrivenBy } } } }"""
REDRIVE = """mutation($ids: [ID!]!) { redriveDeadLetters(ids: $ids) {
  deadLetters { id redrivenBy } userErrors { field code message } } }"""
BACKLOG = "query { outboxBacklog { unrelayed oldestCreatedAt oldestAgeSeconds } }"


async def test_dead_letters_page_filter_and_redrive(world, graphql, make_token):
    admin = await make_token("federal_configurator", territory="RU")
    rows = [await DeadLetter.create(actor=actor, queue="vmeste.q", message_id=f"m{n}",
                                    kwargs={"notification_id": n}, attempts=9,
                                    error="DeliveryError: webhook: HTTP 503")
            for n, actor in enumerate(["vmeste.deliver", "vmeste.fan_out", "vmeste.deliver"])]
    page = ok_data(await graphql(LETTERS, {"filter": {"actor": "vmeste.deliver"}},
                                 token=admin))["deadLetters"]
    assert page["totalCount"] == 2
    assert [e["node"]["id"] for e in page["edges"]] == [str(rows[0].id), str(rows[2].id)]
    assert page["edges"][0]["node"]["kwargs"] == {"notification_id": 0}

    body = ok_data(await graphql(REDRIVE, {"ids": [str(rows[0].id)]}, token=admin))
    assert body["redriveDeadLetters"]["userErrors"] == []
    redriven = ok_data(await graphql(LETTERS, {"filter": {"redriven": True}}, token=admin))
    assert [e["node"]["id"] for e in redriven["deadLetters"]["edges"]] == [str(rows[0].id)]
    assert redriven["deadLetters"]["edges"][0]["node"]["redrivenBy"].startswith("vmeste-dev:")

    waiting = ok_data(await graphql(LETTERS, {"filter": {"redriven": False}}, token=admin))
    assert waiting["deadLetters"]["totalCount"] == 2

    for ids, code in ((["abc"], "INVALID"), ([str(rows[0].id)], "CONFLICT"),
                      (["999999"], "NOT_FOUND"), ([], "REQUIRED")):
        refused = ok_data(await graphql(REDRIVE, {"ids": ids}, token=admin))
        assert user_error_codes(refused["redriveDeadLetters"]) == [code], ids
    # All or nothing: one bad id leaves the good one waiting.
    mixed = ok_data(await graphql(REDRIVE, {"ids": [str(rows[1].id), "999999"]}, token=admin))
    assert user_error_codes(mixed["redriveDeadLetters"]) == ["NOT_FOUND"]
    assert (await DeadLetter.get(id=rows[1].id)).redriven_at is None


async def test_outbox_backlog_counts_what_is_not_relayed(world, graphql, make_token):
    admin = await make_token("regional_admin", territory="33000000")
    empty = ok_data(await graphql(BACKLOG, token=admin))["outboxBacklog"]
    assert empty == {"unrelayed": 0, "oldestCreatedAt": None, "oldestAgeSeconds": None}
    async with in_transaction() as conn:
        await emit(conn, "appeal.events", {"appeal_id": 1, "event_ids": [1]}, "a")
        await emit(conn, "appeal.events", {"appeal_id": 2, "event_ids": [2]}, "b")
    await OutboxMessage.filter(dedupe_key="a").update(
        created_at=datetime.now(UTC) - timedelta(minutes=5))
    await OutboxMessage.filter(dedupe_key="b").update(relayed_at=datetime.now(UTC))
    backlog = ok_data(await graphql(BACKLOG, token=admin))["outboxBacklog"]
    assert backlog["unrelayed"] == 1
    assert 290 < backlog["oldestAgeSeconds"] < 400
