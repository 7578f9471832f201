"""Every role × every data-rights operation, as one table (the privacy part of
``test_authz_matrix.py``, whose completeness check counts this table too).

Target ``self`` seeds an export and an erasure request of the caller; ``B`` seeds them
for someone else. Data rights are a person's own: nobody lists, cancels or downloads
another's, whatever their role, and an account holding staff roles is not erased.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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
from tests.worlds import seed_world, user_error_codes
from vmeste.platform.identity.dev_tokens import dev_claims
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.services import upsert_user
from vmeste.platform.identity.tokens import claims_to_identity
from vmeste.platform.privacy.models import DataExport, ErasureRequest, ErasureStatus
from vmeste.testing import GraphQLClient

TABLE = """
myDataExports       self unauth ok     ok     ok     ok     ok     ok     ok     ok
myDataExports       B    unauth empty  empty  empty  empty  empty  empty  empty  empty
myErasureRequests   self unauth ok     ok     ok     ok     ok     ok     ok     ok
myErasureRequests   B    unauth empty  empty  empty  empty  empty  empty  empty  empty
requestDataExport   self unauth ok     ok     ok     ok     ok     ok     ok     ok
requestErasure      self unauth ok     forbid forbid forbid forbid forbid forbid forbid
cancelErasure       self unauth ok     ok     ok     ok     ok     ok     ok     ok
cancelErasure       B    unauth absent absent absent absent absent absent absent absent
"""

EXPECTED = parse_table(TABLE)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    export: str
    erasure: str
    erasure_id: int


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    variables: Callable[[Seeded], dict[str, Any]]
    visible: Callable[[Any, Seeded], bool] = lambda result, _: bool(result)


def _ids(result: Any) -> set[str]:
    return {edge["node"]["id"] for edge in result["edges"]}


CASES: dict[str, Case] = {
    "myDataExports": Case("query", "{ myDataExports { edges { node { id } } } }",
                          lambda s: {}, lambda r, s: s.export in _ids(r)),
    "myErasureRequests": Case("query", "{ myErasureRequests { edges { node { id } } } }",
                              lambda s: {}, lambda r, s: s.erasure in _ids(r)),
    "requestDataExport": Case(
        "mutation", "mutation { requestDataExport { dataExport { id } userErrors { code } } }",
        lambda s: {}, lambda r, s: r["dataExport"] is not None),
    "requestErasure": Case(
        "mutation", "mutation { requestErasure(input: {confirm: true}) { erasureRequest { id } "
        "userErrors { code } } }", lambda s: {}, lambda r, s: r["erasureRequest"] is not None),
    "cancelErasure": Case(
        "mutation", "mutation($id: ID!) { cancelErasure(id: $id) { erasureRequest { status } "
        "userErrors { code } } }", lambda s: {"id": s.erasure},
        lambda r, s: r["erasureRequest"]["status"] == "CANCELED"),
}


async def _seed(owner: str, operation: str) -> Seeded:
    user = await upsert_user(claims_to_identity(dev_claims(owner, Role.CITIZEN)))
    export = await DataExport.create(user=user, requested_at=NOW)
    # requestErasure is tried on a caller without a scheduled one.
    status = ErasureStatus.CANCELED if operation == "requestErasure" else ErasureStatus.SCHEDULED
    erasure = await ErasureRequest.create(user=user, requested_at=NOW, execute_after=NOW,
                                          status=status)
    await DataExport.filter(id=export.id).update(status="ready")
    return Seeded(relay.to_base64("DataExport", export.id),
                  relay.to_base64("ErasureRequest", erasure.id), erasure.id)


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_privacy_authorisation_matrix(operation: str, target: str, db: Any,
                                           make_token: Any) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        async with in_transaction():
            await seed_world()
            caller, token = await caller_token(make_token, role)
            owner = caller.subject if target == "self" and caller.subject else "someone-else"
            seeded = await _seed(owner, operation)
        body = await graphql(case.document, case.variables(seeded), token=token)
        result = result_of(body, operation)
        if case.kind == "query":
            assert_query_outcome(body, operation, expected,
                                 lambda found: case.visible(found, seeded))
            return
        assert "errors" not in body, body
        if expected in REFUSALS:
            assert user_error_codes(result) == [REFUSALS[expected]], result
            if operation == "cancelErasure":
                assert (await ErasureRequest.get(id=seeded.erasure_id)).status == "scheduled"
            return
        assert result["userErrors"] == [], result
        assert ("ok" if case.visible(result, seeded) else "empty") == expected, result
        assert await User.filter(subject=owner).exists()

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
