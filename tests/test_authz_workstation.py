"""Every role × every operation of the operator's workstation, as one table (its half
of ``test_authz_matrix.py``, whose completeness check counts this table too).

The target appeal is seeded as in ``test_authz_appeals.py``: in region A at ORG_A (where
the organization roles are held), in region B at ORG_B. Bulk cells are the outcome of
the batch's one item. ``self`` filters are the caller's own; ``other`` is a filter of
someone else, shared with nobody. ``absent`` is NOT_FOUND: another's filter is not
revealed. ``claimAppeal`` on A is refused to the staff of the body that holds the
appeal (they read its code); on B the same people are anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.queue_world import listen
from tests.test_authz_appeals import AUTHOR_B, _appeal, _seed
from tests.test_authz_matrix import REFUSALS, caller_token, parse_table, result_of
from tests.worlds import ORG_A, ORG_B, ORG_FEDERAL, error_code, seed_world
from vmeste.platform.appeals.desk_models import AppealClaim, SavedFilter
from vmeste.platform.appeals.models import AppealStatus
from vmeste.platform.appeals.steps import APPEAL_STEPS
from vmeste.platform.identity.models import User
from vmeste.testing import GraphQLClient

TABLE = """
bulkAssignExecutor   A     unauth forbid ok     forbid ok     forbid forbid forbid forbid
bulkAssignExecutor   B     unauth forbid forbid forbid forbid forbid forbid forbid forbid
bulkRedirectAppeals  A     unauth forbid ok     forbid ok     ok     ok     forbid forbid
bulkRedirectAppeals  B     unauth forbid forbid forbid forbid forbid forbid forbid forbid
claimAppeal          A     unauth ok     forbid forbid forbid ok     ok     ok     ok
claimAppeal          B     unauth ok     ok     ok     ok     ok     ok     ok     ok
saveAppealFilter     self  unauth forbid ok     ok     ok     ok     ok     forbid ok
saveAppealFilter     other unauth forbid absent absent absent absent absent forbid absent
deleteAppealFilter   self  unauth forbid ok     ok     ok     ok     ok     forbid ok
deleteAppealFilter   other unauth forbid absent absent absent absent absent forbid absent
savedAppealFilters   self  unauth forbid ok     ok     ok     ok     ok     forbid ok
savedAppealFilters   other unauth forbid empty  empty  empty  empty  empty  forbid empty
appealQueue          A     unauth empty  ok     ok     ok     ok     ok     empty  ok
appealQueue          B     unauth empty  empty  empty  empty  empty  empty  empty  empty
"""
EXPECTED = parse_table(TABLE)
BULK = "{ results { userErrors { code } } userErrors { code } }"
FILTER = "{ savedFilter { id } userErrors { code } }"


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    status: AppealStatus | None
    variables: Callable[[str, dict[str, Any]], dict[str, Any]]


CASES: dict[str, Case] = {
    "bulkAssignExecutor": Case(
        "mutation", "mutation($input: BulkAssignExecutorInput!) { bulkAssignExecutor("
        f"input: $input) {BULK} }}", AppealStatus.ROUTED,
        lambda target, t: {"input": {"appealIds": [t["appeal"]], "executorIssuer": "vmeste-dev",
                                     "executorSubject": f"executor-{target.lower()}"}}),
    "bulkRedirectAppeals": Case(
        "mutation", "mutation($input: BulkRedirectAppealsInput!) { bulkRedirectAppeals("
        f"input: $input) {BULK} }}", AppealStatus.ROUTED,
        lambda target, t: {"input": {"appealIds": [t["appeal"]], "organizationOgrn": ORG_FEDERAL,
                                     "reason": "Федеральная дорога"}}),
    "claimAppeal": Case(
        "mutation", "mutation($code: String!) { claimAppeal(input: {code: $code}) "
        "{ appeal { id } userErrors { code } } }", AppealStatus.ROUTED,
        lambda target, t: {"code": t["code"]}),
    "saveAppealFilter": Case(
        "mutation", "mutation($input: SaveAppealFilterInput!) { saveAppealFilter(input: $input) "
        f"{FILTER} }}", None,
        lambda target, t: {"input": {"name": "Новое имя", "filter": {"status": ["ROUTED"]},
                                     **({"id": t["filter"]} if t["filter"] else {})}}),
    "deleteAppealFilter": Case(
        "mutation", "mutation($id: ID!) { deleteAppealFilter(id: $id) { deletedId "
        "userErrors { code } } }", None, lambda target, t: {"id": t["filter"]}),
    "savedAppealFilters": Case(
        "query", "{ savedAppealFilters { edges { node { id } } } }", None,
        lambda target, t: {}),
    "appealQueue": Case("subscription", "subscription { appealQueue { appeal { id } } }",
                        AppealStatus.ROUTED, lambda target, t: {}),
}


async def _subscribe(app: Starlette, token: str | None, appeal: Any,
                     monkeypatch: pytest.MonkeyPatch) -> tuple[str | None, bool]:
    """Whether the caller hears of a step of the target appeal taken after subscribing."""
    listening = await listen(app, token, CASES["appealQueue"].document, monkeypatch)
    if listening.first.done():
        result = await listening.result()
        return result.errors[0].extensions.get("code") if result.errors else None, True
    async with in_transaction() as conn:
        await APPEAL_STEPS.record(conn, appeal, "system:test", "remind", None, appeal.status)
    try:
        # Nothing to hear for whom the appeal is not visible: a short wait, as for
        # the incidents' feed.
        result = await listening.result(wait=1)
    except TimeoutError:
        return None, False
    return None, result.data["appealQueue"]["appeal"]["id"] == relay.to_base64(
        "Appeal", appeal.id)


def _outcome(body: dict[str, Any], operation: str) -> str:
    assert "errors" not in body, body
    payload = result_of(body, operation)
    errors = payload["userErrors"] or [e for r in payload.get("results", [])
                                       for e in r["userErrors"]]
    if not errors:
        return "ok"
    codes = {code: cell for cell, code in REFUSALS.items()}
    return codes[errors[0]["code"]]


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_workstation_authorisation_matrix(operation: str, target: str, db: Any,
                                                make_token: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        region = target if target in ("A", "B") else "A"
        async with in_transaction():
            await seed_world()
            seeded = await _seed(region)
            await make_token("executor", org=ORG_A, sub="executor-a")
            await make_token("executor", org=ORG_B, sub="executor-b")
            caller, token = await caller_token(make_token, role)
            targets: dict[str, Any] = {"filter": None, "code": "ABCDEFGHJK"}
            appeal = None
            if case.status is not None:
                appeal = await _appeal(seeded, region, case.status, {})
                targets["appeal"] = relay.to_base64("Appeal", appeal.id)
                await AppealClaim.create(appeal_id=appeal.id, code=targets["code"],
                                         expires_at=datetime.now(UTC) + timedelta(days=1))
            if target in ("self", "other") and (caller.subject or target == "other"):
                owner = (await User.get(subject=caller.subject) if target == "self"
                         else seeded["users"][AUTHOR_B])
                row = await SavedFilter.create(owner=owner, name="Мои", arguments={})
                targets["filter"] = relay.to_base64("SavedAppealFilter", row.id)
        if case.kind == "subscription":
            code, heard = await _subscribe(vmeste_app, token, appeal, monkeypatch)
            if expected in REFUSALS:
                assert code == REFUSALS[expected], (role, code)
            else:
                assert code is None and heard == (expected == "ok"), (role, code, heard)
            return
        variables = case.variables(region, targets)
        if operation == "deleteAppealFilter" and targets["filter"] is None:
            variables = {"id": relay.to_base64("SavedAppealFilter", 1)}
        body = await graphql(case.document, variables, token=token)
        if case.kind == "query":
            result = result_of(body, operation)
            if expected in REFUSALS:
                assert result is None and error_code(body) == REFUSALS[expected], body
                return
            assert "errors" not in body, body
            mine = targets["filter"] in {e["node"]["id"] for e in result["edges"]}
            assert ("ok" if mine else "empty") == expected, body
            return
        assert _outcome(body, operation) == expected, body

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
