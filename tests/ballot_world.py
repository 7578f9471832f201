"""Casting ballots in tests (with the built-in methods): the runtime at the tests'
voting day, and the GraphQL documents of the ballots API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strawberry import relay

from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.identity.services import load_principal
from vmeste.platform.runtime import Runtime
from vmeste.platform.votes.models import Vote, VoteOption

#: Noon in Kirov (UTC+3) on the tests' voting day.
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def open_box(app: Any, clock: Any, now: datetime = NOW) -> Runtime:
    """The app's runtime, its clock at ``now``."""
    clock.set(now)
    runtime: Runtime = app.state.runtime
    return runtime


def vote_id(vote: Vote) -> str:
    return relay.to_base64("Vote", vote.id)


async def option_ids(vote: Vote) -> list[int]:
    return list(await VoteOption.filter(vote_id=vote.id).order_by("position")
                .values_list("id", flat=True))


def choice(option: int, points: int | None = None) -> dict[str, Any]:
    return {"optionId": relay.to_base64("VoteOption", option), "points": points}


async def principal_of(subject: str) -> Principal:
    return await load_principal(await User.get(issuer=DEV_ISSUER, subject=subject))


CAST = ("mutation($input: CastBallotInput!) { castBallot(input: $input) "
        "{ ballot { id receipt } userErrors { field code message } } }")
PAPER = ("mutation($input: RecordPaperBallotInput!) { recordPaperBallot(input: $input) "
         "{ ballot { id receipt } userErrors { field code message } } }")
VERIFY = ("query($v: ID!, $r: String!) { verifyReceipt(voteId: $v, receipt: $r) "
          "{ included root proof { hash side } index } }")
MINE = "query($v: ID!) { myVoteParticipation(voteId: $v) { voted channel canRevote } }"


def cast_input(vote: Vote, *options: int, key: str | None = None) -> dict[str, Any]:
    return {"input": {"voteId": vote_id(vote), "choices": [choice(o) for o in options],
                      "idempotencyKey": key}}


def paper_input(vote: Vote, subject: str, *options: int) -> dict[str, Any]:
    return {"input": {"voteId": vote_id(vote), "voterSubject": subject,
                      "voterIssuer": DEV_ISSUER, "choices": [choice(o) for o in options]}}


async def payload_of(graphql: Any, document: str, variables: dict[str, Any],
                     token: str | None) -> dict[str, Any]:
    """The one mutation's payload (a mutation's refusals are never GraphQL errors)."""
    body = await graphql(document, variables, token=token)
    assert "errors" not in body, body
    [payload] = body["data"].values()
    return dict(payload)


def field_codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]
