"""Every role × every operation on a hearing's protocol and conclusion, as one table
(counted by the authorisation meta-test in ``test_authz_matrix.py``).

The target hearing lies in region A's municipality, organised by region A's ministry
(where organisation roles are held; territory roles are held on region A), or in region
B's, organised by region B's department. It is seeded straight into the stage the
operation needs, with a protocol generated: at the protocol stage to read its
documents, generate a protocol or publish it; at the conclusion stage to generate a
conclusion. ``A-published``: its protocol is published, which everyone reads;
``A-draft``: a hearing (with its protocol) put back before its announcement, which only
its readers know of: to anyone else it does not exist. ``A-annex``, ``B-annex``: the
published protocol's full copy, with the participants' annex: ``ok`` when the caller
gets it, ``empty`` when they get the public copy only (no names, 152-FZ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.authz_roles import each_role
from tests.document_world import recommend_the_rest, seed_hearing
from tests.test_authz_matrix import (
    REFUSALS,
    assert_query_outcome,
    caller_token,
    parse_table,
    result_of,
)
from tests.worlds import seed_world, user_error_codes
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.hearings import documents, publication
from vmeste.platform.hearings.models import HearingDocument, HearingStatus
from vmeste.platform.identity.principal import SYSTEM
from vmeste.testing import GraphQLClient

TABLE = """
hearingDocuments          A           empty  empty  ok     empty  ok     empty  ok     ok     ok
hearingDocuments          B           empty  empty  empty  empty  empty  empty  empty  ok     empty
hearingDocuments          A-published ok     ok     ok     ok     ok     ok     ok     ok     ok
hearingDocuments          A-draft     absent absent ok     absent ok     absent ok     ok     ok
hearingDocuments          A-annex     empty  empty  ok     empty  ok     empty  ok     ok     ok
hearingDocuments          B-annex     empty  empty  empty  empty  empty  empty  empty  ok     empty
generateHearingProtocol   A           unauth forbid forbid forbid ok     forbid ok     ok     forbid
generateHearingProtocol   B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
generateHearingConclusion A           unauth forbid forbid forbid ok     forbid ok     ok     forbid
generateHearingConclusion B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
publishHearingDocument    A           unauth forbid forbid forbid ok     forbid ok     ok     forbid
publishHearingDocument    B           unauth forbid forbid forbid forbid forbid forbid ok     forbid
"""

EXPECTED = parse_table(TABLE)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PAYLOAD = "document { id kind version sha256 publishedAt } userErrors { code field message }"


@dataclass(frozen=True)
class Case:
    kind: str
    document: str
    #: The stage the target hearing is seeded in.
    status: HearingStatus
    #: Variables from the hearing's and its protocol's global ids.
    variables: Any
    visible: Any = lambda result, document: result is not None


def _listed(result: Any, document: str) -> bool:
    return document in {item["id"] for item in result}


def _full_copy(result: Any, document: str) -> bool:
    return document in {item["id"] for item in result if item["fullCopy"]}


#: Targets whose probe is another than the case's.
VISIBLE = {"A-annex": _full_copy, "B-annex": _full_copy}


CASES: dict[str, Case] = {
    "hearingDocuments": Case(
        "query", "query($id: ID!) { hearingDocuments(hearingId: $id) { id kind version dated "
        "sha256 fullCopy publishedAt publishedWhere htmlUrl pdfUrl } }", HearingStatus.PROTOCOL,
        lambda hearing, document: {"id": hearing}, _listed),
    "generateHearingProtocol": Case(
        "mutation", "mutation($input: GenerateHearingProtocolInput!) { "
        f"generateHearingProtocol(input: $input) {{ {PAYLOAD} }} }}", HearingStatus.PROTOCOL,
        lambda hearing, document: {"input": {"hearingId": hearing}}),
    "generateHearingConclusion": Case(
        "mutation", "mutation($input: GenerateHearingConclusionInput!) { "
        f"generateHearingConclusion(input: $input) {{ {PAYLOAD} }} }}",
        HearingStatus.CONCLUSION,
        lambda hearing, document: {"input": {"hearingId": hearing,
                                             "conclusions": "Рекомендовать к утверждению."}}),
    "publishHearingDocument": Case(
        "mutation", "mutation($input: PublishHearingDocumentInput!) { "
        f"publishHearingDocument(input: $input) {{ {PAYLOAD} }} }}", HearingStatus.PROTOCOL,
        lambda hearing, document: {"input": {"id": document, "where": "газета № 48"}}),
}


async def _target(case: Case, target: str) -> tuple[int, HearingDocument]:
    """The hearing with a protocol generated (at the protocol stage, then moved on to
    the case's stage, where every proposal gets its recommendation), published for
    ``A-published`` and the annex targets, not announced for ``A-draft``."""
    world = await seed_hearing(HearingStatus.PROTOCOL, region=target[0])
    protocol = await documents.generate_protocol(SYSTEM, world.hearing.id, now=NOW)
    if target in ("A-published", *VISIBLE):
        protocol = await publication.publish_document(SYSTEM, protocol.id, "сайт", now=NOW)
    status = HearingStatus.DRAFT if target == "A-draft" else case.status
    await world.hearing.filter(id=world.hearing.id).update(status=status)
    if status == HearingStatus.CONCLUSION:
        await recommend_the_rest(world)
    return world.hearing.id, protocol


@pytest.mark.parametrize(("operation", "target"), list(EXPECTED))
async def test_hearing_documents_authorisation_matrix(
        operation: str, target: str, db: Any, make_token: Any,
) -> None:
    async def check(role: str, expected: str, vmeste_app: Starlette,
                    graphql: GraphQLClient) -> None:
        case = CASES[operation]
        async with in_transaction():
            await seed_world()
            _, token = await caller_token(make_token, role)
        hearing_id, protocol = await _target(case, target)
        hearing = relay.to_base64("Hearing", hearing_id)
        document = relay.to_base64("HearingDocument", protocol.id)
        versions = await HearingDocument.filter(hearing_id=hearing_id).values_list(
            "id", "published_at")
        events = await AuditEvent.all().count()

        body = await graphql(case.document, case.variables(hearing, document), token=token)
        if case.kind == "query":
            visible = VISIBLE.get(target, case.visible)
            assert_query_outcome(body, operation, expected,
                                 lambda result: visible(result, document))
            return
        assert "errors" not in body, body
        payload = result_of(body, operation)
        if expected in REFUSALS:
            assert user_error_codes(payload) == [REFUSALS[expected]], payload
            assert payload["document"] is None
            assert await HearingDocument.filter(hearing_id=hearing_id).values_list(
                "id", "published_at") == versions, "nothing changed"
            assert await AuditEvent.all().count() == events, "a refused change is not audited"
            return
        assert expected == "ok" and payload["userErrors"] == [], payload
        assert payload["document"]["sha256"]
        assert await AuditEvent.all().count() == events + 1

    await each_role(db, (operation, target), EXPECTED[(operation, target)], check)
