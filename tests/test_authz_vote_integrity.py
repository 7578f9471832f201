"""Every role × every operation of the votes' integrity, as one table; the authorisation
meta-test in ``test_authz_matrix.py`` counts it with the others.

The integrity log is public once a vote is open; a draft's (empty) log is its
organisers' only. Quarantines, their release and alert dismissals are the organisers':
regional administrators over the vote's territory (region A) and federal
configurators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.test_authz_matrix import (
    REFUSALS,
    assert_query_outcome,
    caller_token,
    parse_table,
    result_of,
)
from tests.vote_world import draft_vote, record_ballot
from tests.worlds import (
    MUNICIPALITY_A,
    MUNICIPALITY_B,
    REGION_A,
    REGION_B,
    seed_world,
    user_error_codes,
)
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.votes.models import (
    AlertStatus,
    Ballot,
    IntegrityAlert,
    VoteOption,
    VoteQuarantine,
    VoteStatus,
)
from vmeste.platform.votes.quarantine import quarantine
from vmeste.testing import GraphQLClient

TABLE = """
voteIntegrityLog       A       ok     ok     ok     ok     ok     ok     ok     ok     ok
voteIntegrityLog       B       ok     ok     ok     ok     ok     ok     ok     ok     ok
voteIntegrityLog       draftA  empty  empty  empty  empty  empty  empty  ok     ok     ok
voteIntegrityLog       draftB  empty  empty  empty  empty  empty  empty  empty  ok     empty
quarantineBallots      A       unauth forbid forbid forbid forbid forbid ok     ok     forbid
quarantineBallots      B       unauth forbid forbid forbid forbid forbid forbid ok     forbid
releaseQuarantine      A       unauth forbid forbid forbid forbid forbid ok     ok     forbid
releaseQuarantine      B       unauth forbid forbid forbid forbid forbid forbid ok     forbid
dismissIntegrityAlert  A       unauth forbid forbid forbid forbid forbid ok     ok     forbid
dismissIntegrityAlert  B       unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""

EXPECTED = parse_table(TABLE)
T0 = datetime(2025, 6, 12, 9, 0, tzinfo=UTC)
CITIES = {"A": MUNICIPALITY_A, "B": MUNICIPALITY_B}
REGIONS = {"A": REGION_A, "B": REGION_B}

CASES: dict[str, tuple[str, str]] = {
    "voteIntegrityLog": ("query", "query($v: ID!) { voteIntegrityLog(voteId: $v) { voteId "
                                  "alerts { totalCount } quarantines { totalCount } } }"),
    "quarantineBallots": ("mutation", "mutation($i: QuarantineBallotsInput!) { quarantineBallots("
                                      "input: $i) { quarantine { id ballots } "
                                      "userErrors { code } } }"),
    "releaseQuarantine": ("mutation", "mutation($i: ReleaseQuarantineInput!) { releaseQuarantine("
                                      "input: $i) { quarantine { id releasedAt } "
                                      "userErrors { code } } }"),
    "dismissIntegrityAlert": ("mutation", "mutation($i: DismissIntegrityAlertInput!) { "
                                          "dismissIntegrityAlert(input: $i) { alert { id status } "
                                          "userErrors { code } } }"),
}


async def _target(operation: str, target: str) -> dict[str, Any]:
    """The target's vote (with a ballot, a quarantine and an alert) and the variables."""
    region = target.removeprefix("draft")
    status = VoteStatus.DRAFT if target.startswith("draft") else VoteStatus.OPEN
    vote = await draft_vote(territory=REGIONS[region], status=status, opened_at=T0,
                            min_group_size=1)
    vote_id = relay.to_base64("Vote", vote.id)
    if operation == "voteIntegrityLog":
        return {"v": vote_id}
    option = await VoteOption.filter(vote_id=vote.id).first()
    assert option is not None
    for minute in (0, 1):
        await record_ballot(vote, [(option.id, 1)], territory_group=CITIES[region],
                            minute=T0 + timedelta(minutes=minute))
    if operation == "quarantineBallots":
        return {"i": {"voteId": vote_id, "territoryCode": CITIES[region],
                      "startsAt": T0.isoformat(), "endsAt": (T0 + timedelta(minutes=1))
                      .isoformat(), "reason": "A burst from one network"}}
    if operation == "releaseQuarantine":
        held = await quarantine(SYSTEM, vote.id, CITIES[region], T0,
                                T0 + timedelta(minutes=2), "A burst")
        return {"i": {"quarantineId": relay.to_base64("VoteQuarantine", held.id),
                      "reason": "Genuine"}}
    alert = await IntegrityAlert.create(vote_id=vote.id, territory_group=CITIES[region],
                                        minute=T0, ballots=200, baseline=5, threshold=13)
    return {"i": {"alertId": relay.to_base64("IntegrityAlert", alert.id),
                  "reason": "A genuine queue"}}


async def _changed(operation: str) -> bool:
    """Whether the mutation's change is in the database."""
    if operation == "quarantineBallots":
        return await Ballot.filter(quarantine_id__isnull=False).exists()
    if operation == "releaseQuarantine":
        return not await Ballot.filter(quarantine_id__isnull=False).exists() and (
            await VoteQuarantine.filter(released_at__isnull=False).exists())
    return await IntegrityAlert.filter(status=AlertStatus.DISMISSED).exists()


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_vote_integrity_authorisation_matrix(
        operation: str, target: str, db: Any, make_token: Any,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        kind, document = CASES[operation]
        async with in_transaction():
            await seed_world()
            _, token = await caller_token(make_token, role)
            variables = await _target(operation, target)
        events_before = await AuditEvent.all().count()
        body = await graphql(document, variables, token=token)
        if kind == "query":
            assert_query_outcome(body, operation, expected, lambda result: result is not None)
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        events_after = await AuditEvent.all().count()
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert all(value is None for key, value in payload.items() if key != "userErrors")
            assert events_after == events_before and not await _changed(operation)
            return
        assert payload["userErrors"] == [] and any(
            value for key, value in payload.items() if key != "userErrors"), payload
        assert events_after == events_before + 1 and await _changed(operation)

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
