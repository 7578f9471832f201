"""The operator's workstation: an appeal taken by phone for a caller without an
identity (details masked outside the body, a claim code sent and claimed once), bulk
steps with per-item results, saved filters and the live queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from strawberry import relay
from tortoise.transactions import in_transaction

from tests.appeal_world import SUBMIT, seed_appeal_world, submit_input
from tests.notification_world import fan_out_all
from tests.queue_world import listen
from tests.worlds import ORG_A, ORG_B, REGION_A, count_queries, ok_data, user_error_codes
from vmeste.platform.appeals.contacts import (
    masked_address,
    masked_email,
    masked_name,
    masked_phone,
)
from vmeste.platform.appeals.desk_models import AppealClaim, ClaimFailure
from vmeste.platform.appeals.models import Appeal, AppealEvent, AppealStatus
from vmeste.platform.appeals.steps import APPEAL_STEPS
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.models import (
    Notification,
    NotificationTemplate,
    WebhookSubscription,
)
from vmeste.platform.outbox.models import OutboxMessage
from vmeste.platform.reference.models import Organization, Territory

PHONE_CALL = {"mode": "PHONE", "name": "Мария Иванова", "phone": "+7 912 345-67-89",
              "email": "maria@example.ru"}
CONTACT = """query($id: ID!) { appeal(id: $id) { contact { mode name phone email masked
  claimCode } applicant { lastName } } }"""
CLAIM = """mutation($code: String!) { claimAppeal(input: {code: $code}) {
  appeal { id } userErrors { field code } } }"""
MINE = "{ myAppeals { edges { node { id } } } }"


@pytest_asyncio.fixture
async def desk(world, make_token) -> dict[str, Any]:
    city = (await seed_appeal_world()).city_admin
    return {"city": city,
            "operator": await make_token("operator", org=city, sub="city-operator"),
            "colleague": await make_token("operator", org=city, sub="city-operator-2"),
            "stranger": await make_token("operator", org=ORG_B, sub="other-operator"),
            "moderator": await make_token("moderator", territory=REGION_A, sub="moderator"),
            "executor": await make_token("executor", org=city, sub="city-executor"),
            "citizen": await make_token("citizen", sub="maria")}


async def file_by_phone(graphql, token: str, **contact: Any) -> dict[str, Any]:
    body = await graphql(SUBMIT, submit_input(channel="OPERATOR",
                                              contact={**PHONE_CALL, **contact}), token=token)
    return ok_data(body)["submitAppeal"]


async def test_a_caller_without_an_identity_is_filed_for_told_and_claims_it(
        graphql, desk, vmeste_app):
    filed = await file_by_phone(graphql, desk["operator"])
    assert filed["userErrors"] == [] and filed["appeal"]["status"] == "ROUTED"
    appeal_id = filed["appeal"]["id"]

    staff = ok_data(await graphql(CONTACT, {"id": appeal_id}, token=desk["operator"]))
    contact = staff["appeal"]["contact"]
    assert (contact["name"], contact["phone"], contact["masked"]) == (
        "Мария Иванова", "+7 912 345-67-89", False)
    code = contact["claimCode"]
    assert code and len(code) == 10
    regional = ok_data(await graphql(CONTACT, {"id": appeal_id}, token=desk["moderator"]))
    shown = regional["appeal"]["contact"]
    assert shown["masked"] and shown["claimCode"] is None
    assert (shown["name"], shown["phone"], shown["email"]) == ("М. И.", "***89",
                                                               "m***@example.ru")

    history = str(await AppealEvent.all().values_list("payload", "reason"))
    announced = str(await OutboxMessage.all().values_list("payload", flat=True))
    leaked = [w for w in ("Иванова", "345-67", "maria@") if w in history + announced]
    assert leaked == [], "the details stay out of the history and the announcements"

    await fan_out_all(vmeste_app.state.runtime)
    notice = await Notification.get(event="filed_on_behalf").prefetch_related("recipient")
    # The applicant is reached where they said: the e-mail channel (where installed)
    # reads this address, as it does for any user.
    assert notice.recipient.email == "maria@example.ru" and code in notice.body

    # Read out on the phone with a dash, typed in lower case: still the code.
    claimed = ok_data(await graphql(CLAIM, {"code": f"{code[:5]}-{code[5:].lower()}"},
                                    token=desk["citizen"]))["claimAppeal"]
    assert claimed["userErrors"] == [] and claimed["appeal"]["id"] == appeal_id
    mine = ok_data(await graphql(MINE, token=desk["citizen"]))["myAppeals"]["edges"]
    assert [e["node"]["id"] for e in mine] == [appeal_id]
    pk = int(relay.from_base64(appeal_id)[1])
    assert await AppealEvent.filter(appeal_id=pk, action="claim").count() == 1
    audit = await AuditEvent.get(action="appeal.claim", object_id=str(pk))
    assert audit.after == {"applicant_id": (await Appeal.get(id=pk)).applicant_id}

    again = ok_data(await graphql(CLAIM, {"code": code}, token=desk["operator"]))
    assert user_error_codes(again["claimAppeal"]) == ["NOT_FOUND"], "single use"
    contact_user = await User.get(id=audit.before["applicant_id"])
    assert (contact_user.email, contact_user.phone) == ("", ""), "the details left with it"


async def test_the_staff_who_handle_an_appeal_cannot_claim_it(graphql, desk):
    """Else an operator would file in their own name through the code, past the quota
    and "verified only" that on_behalf keeps off the operator channel."""
    filed = await file_by_phone(graphql, desk["operator"])
    pk = int(relay.from_base64(filed["appeal"]["id"])[1])
    code = (await AppealClaim.get(appeal_id=pk)).code
    for who in ("colleague", "executor"):  # they read contact.claimCode
        refused = ok_data(await graphql(CLAIM, {"code": code}, token=desk[who]))
        assert user_error_codes(refused["claimAppeal"]) == ["FORBIDDEN"], who
    # Sent to another body, the filer no longer reads the code, but filed it.
    moved = ok_data(await graphql(BULK_REDIRECT, {"ids": [filed["appeal"]["id"]], "to": ORG_A},
                                  token=desk["operator"]))["bulkRedirectAppeals"]
    assert moved["succeeded"] == 1
    refused = ok_data(await graphql(CLAIM, {"code": code}, token=desk["operator"]))
    assert user_error_codes(refused["claimAppeal"]) == ["FORBIDDEN"]
    assert (await AppealClaim.get(appeal_id=pk)).claimed_at is None
    assert await ClaimFailure.all().count() == 0, "a refusal for who one is is no guess"
    claimed = ok_data(await graphql(CLAIM, {"code": code}, token=desk["citizen"]))
    assert claimed["claimAppeal"]["userErrors"] == []


async def test_a_claim_takes_no_idempotency_key_along(graphql, desk):
    """The claimant may have used the filer's key themselves: under the unique
    (applicant, key) index the claim would fail with a 500."""
    own = ok_data(await graphql(SUBMIT, submit_input(idempotencyKey="k-1"),
                                token=desk["citizen"]))["submitAppeal"]
    assert own["userErrors"] == []
    filed = ok_data(await graphql(SUBMIT, submit_input(
        channel="OPERATOR", contact=PHONE_CALL, idempotencyKey="k-1"),
        token=desk["operator"]))["submitAppeal"]
    pk = int(relay.from_base64(filed["appeal"]["id"])[1])
    code = (await AppealClaim.get(appeal_id=pk)).code
    body = await graphql(CLAIM, {"code": code}, token=desk["citizen"])
    assert ok_data(body)["claimAppeal"]["userErrors"] == []
    claimed = await Appeal.get(id=pk)
    assert claimed.idempotency_key is None
    mine = ok_data(await graphql(MINE, token=desk["citizen"]))["myAppeals"]["edges"]
    assert len(mine) == 2


async def test_parallel_guesses_share_one_budget(graphql, desk, vmeste_app):
    """Counted and recorded under the guesser's lock: many guesses at once get no more
    tries than one after another."""
    limit = vmeste_app.state.settings.claim_attempts_per_hour
    bodies = await asyncio.gather(*(
        graphql(CLAIM, {"code": f"ZZZZZZZZ{n:02d}"}, token=desk["citizen"])
        for n in range(limit * 2)))
    codes = [user_error_codes(ok_data(body)["claimAppeal"]) for body in bodies]
    assert sorted(c for [c] in codes) == ["NOT_FOUND"] * limit + ["RATE_LIMITED"] * limit
    assert await ClaimFailure.all().count() == limit


async def test_old_wrong_codes_are_dropped(graphql, desk):
    citizen = await User.get(subject="maria")
    await ClaimFailure.create(user=citizen, at=datetime.now(UTC) - timedelta(hours=2))
    wrong = ok_data(await graphql(CLAIM, {"code": "ZZZZZZZZZZ"}, token=desk["citizen"]))
    assert user_error_codes(wrong["claimAppeal"]) == ["NOT_FOUND"]
    assert await ClaimFailure.all().count() == 1, "only the last hour's are kept"


async def test_the_claim_code_reaches_the_applicant_alone(graphql, desk, vmeste_app):
    """Not the body's webhooks, not staff, not any other event's template, and not a
    subject line (the delivery log shows those)."""
    city = await Organization.get(ogrn=desk["city"])
    await WebhookSubscription.create(organization=city, url="http://127.0.0.1:9/hook",
                                     secret="s" * 32)
    region = await Territory.get(code=REGION_A)
    for event in ("routed", "filed_on_behalf"):
        await NotificationTemplate.create(
            territory=region, event=event, channel="inbox", locale="ru",
            subject="Код {{ claim_code }}", body="Код {{ claim_code }}")
    filed = await file_by_phone(graphql, desk["operator"])
    pk = int(relay.from_base64(filed["appeal"]["id"])[1])
    code = (await AppealClaim.get(appeal_id=pk)).code
    await fan_out_all(vmeste_app.state.runtime)
    applicant = (await Appeal.get(id=pk)).applicant_id
    rows = await Notification.all().values_list("event", "channel", "recipient_id",
                                                "subject", "body")
    assert {(event, channel) for event, channel, *_rest in rows} >= {
        ("filed_on_behalf", "webhook"), ("routed", "webhook"), ("routed", "inbox")}
    carrying = [(event, channel, recipient == applicant)
                for event, channel, recipient, subject, body in rows if code in body]
    assert carrying == [("filed_on_behalf", "inbox", True)]
    assert not [subject for *_rest, subject, _body in rows if code in subject]


async def test_claim_codes_expire_and_guessing_is_cut_off(graphql, desk, vmeste_app):
    filed = await file_by_phone(graphql, desk["operator"])
    pk = int(relay.from_base64(filed["appeal"]["id"])[1])
    claim = await AppealClaim.get(appeal_id=pk)
    await AppealClaim.filter(id=claim.id).update(
        expires_at=datetime.now(UTC) - timedelta(minutes=1))
    expired = ok_data(await graphql(CLAIM, {"code": claim.code}, token=desk["citizen"]))
    assert user_error_codes(expired["claimAppeal"]) == ["NOT_FOUND"]
    await AppealClaim.filter(id=claim.id).update(
        expires_at=datetime.now(UTC) + timedelta(days=1))

    limit = vmeste_app.state.settings.claim_attempts_per_hour
    for _attempt in range(limit - 1):  # the expired try counted as one
        wrong = ok_data(await graphql(CLAIM, {"code": "ZZZZZZZZZZ"}, token=desk["citizen"]))
        assert user_error_codes(wrong["claimAppeal"]) == ["NOT_FOUND"]
    assert await ClaimFailure.all().count() == limit
    right = ok_data(await graphql(CLAIM, {"code": claim.code}, token=desk["citizen"]))
    assert user_error_codes(right["claimAppeal"]) == ["RATE_LIMITED"]
    assert (await AppealClaim.get(id=claim.id)).claimed_at is None, "the code is not spent"


async def test_a_retried_filing_meets_its_first_appeal(graphql, desk):
    variables = submit_input(channel="OPERATOR", contact=PHONE_CALL, idempotencyKey="call-17")
    first = ok_data(await graphql(SUBMIT, variables, token=desk["operator"]))["submitAppeal"]
    again = ok_data(await graphql(SUBMIT, variables, token=desk["operator"]))["submitAppeal"]
    assert again["userErrors"] == [] and again["appeal"]["id"] == first["appeal"]["id"]
    other = ok_data(await graphql(SUBMIT, variables, token=desk["colleague"]))["submitAppeal"]
    assert other["appeal"]["id"] != first["appeal"]["id"], "a key is the filer's own"
    assert await Appeal.all().count() == 2


async def test_a_failed_filing_leaves_no_contact_behind(graphql, desk, monkeypatch):
    """The caller's row, with their e-mail and phone, is made with the appeal or not
    at all."""
    from vmeste.platform.appeals import intake
    from vmeste.platform.appeals.contacts import CONTACT_ISSUER
    from vmeste.platform.errors import DomainError

    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise DomainError.of(None, "moderation is down")

    monkeypatch.setattr(intake, "moderate", refused)
    payload = await file_by_phone(graphql, desk["operator"])
    assert payload["appeal"] is None and payload["userErrors"]
    assert await User.filter(issuer=CONTACT_ISSUER).count() == 0


@pytest.mark.parametrize(("contact", "field", "code"), [
    ({"mode": "LETTER"}, "contact.postalAddress", "REQUIRED"),
    ({"name": " "}, "contact.name", "REQUIRED"),
    ({"email": "not-an-address"}, "contact.email", "INVALID"),
    ({"phone": "call me"}, "contact.phone", "INVALID"),
])
async def test_details_are_checked(graphql, desk, contact, field, code):
    payload = await file_by_phone(graphql, desk["operator"], **contact)
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]
    assert await Appeal.all().count() == 0


async def test_only_the_operator_channel_takes_details(graphql, desk):
    body = await graphql(SUBMIT, submit_input(contact=PHONE_CALL), token=desk["citizen"])
    assert user_error_codes(ok_data(body)["submitAppeal"]) == ["INVALID"]


BULK_ASSIGN = """mutation($ids: [ID!]!) { bulkAssignExecutor(input: {appealIds: $ids,
  executorSubject: "city-executor", executorIssuer: "vmeste-dev"}) {
  succeeded failed userErrors { code }
  results { appealId appeal { status } userErrors { code } } } }"""
BULK_REDIRECT = """mutation($ids: [ID!]!, $to: String!) { bulkRedirectAppeals(input: {
  appealIds: $ids, organizationOgrn: $to, reason: "Федеральная трасса"}) {
  succeeded failed userErrors { code } results { appealId userErrors { code } } } }"""


async def _filed(graphql, token: str, count: int) -> list[str]:
    ids = []
    for index in range(count):
        payload = await file_by_phone(graphql, token, name=f"Заявитель {index}")
        ids.append(payload["appeal"]["id"])
    return ids


async def test_bulk_assignment_gives_each_appeal_its_own_result(graphql, desk):
    ids = await _filed(graphql, desk["operator"], 3)
    stale = int(relay.from_base64(ids[1])[1])
    await Appeal.filter(id=stale).update(status=AppealStatus.ANSWERED)

    body = ok_data(await graphql(BULK_ASSIGN, {"ids": ids}, token=desk["operator"]))
    result = body["bulkAssignExecutor"]
    assert (result["succeeded"], result["failed"], result["userErrors"]) == (2, 1, [])
    outcome = [(r["appealId"], r["appeal"] and r["appeal"]["status"],
                [e["code"] for e in r["userErrors"]]) for r in result["results"]]
    assert outcome == [(ids[0], "IN_PROGRESS", []), (ids[1], None, ["ILLEGAL_TRANSITION"]),
                       (ids[2], "IN_PROGRESS", [])]
    assigned = await AppealEvent.filter(action="assign_executor").count()
    assert assigned == 2, "each success is its own step"


async def test_bulk_redirect_refuses_what_the_caller_may_not_touch(graphql, desk, make_token):
    ids = await _filed(graphql, desk["operator"], 2)
    theirs = ok_data(await graphql(BULK_REDIRECT, {"ids": ids, "to": ORG_A},
                                   token=desk["stranger"]))["bulkRedirectAppeals"]
    assert [r["userErrors"][0]["code"] for r in theirs["results"]] == ["FORBIDDEN"] * 2
    ours = ok_data(await graphql(BULK_REDIRECT, {"ids": [*ids, ids[0]], "to": ORG_A},
                                 token=desk["operator"]))["bulkRedirectAppeals"]
    assert (ours["succeeded"], [r["appealId"] for r in ours["results"]]) == (2, ids)
    assert set(await Appeal.all().values_list("organization__ogrn", flat=True)) == {ORG_A}


async def test_a_batch_over_the_cap_or_with_a_bad_executor_runs_nothing(graphql, desk):
    ids = [relay.to_base64("Appeal", n) for n in range(1, 102)]
    body = ok_data(await graphql(BULK_ASSIGN, {"ids": ids}, token=desk["operator"]))
    assert user_error_codes(body["bulkAssignExecutor"]) == ["INVALID"]
    assert body["bulkAssignExecutor"]["results"] == []
    ours = await _filed(graphql, desk["operator"], 1)
    bad = ok_data(await graphql(
        """mutation($ids: [ID!]!) { bulkAssignExecutor(input: {appealIds: $ids,
        executorId: "QXBwZWFsOjU="}) { results { appealId } userErrors { field } } }""",
        {"ids": ours}, token=desk["operator"]))["bulkAssignExecutor"]
    assert (bad["results"], bad["userErrors"]) == ([], [{"field": "executorId"}])
    assert await AppealEvent.filter(action="assign_executor").count() == 0


LIST_CONTACTS = "{ appeals(first: 50) { edges { node { contact { name masked } } } } }"


async def test_a_page_of_contacts_costs_what_one_does(graphql, desk):
    """Whether the caller's body is above each appeal's is the principal's cache, not
    a walk up the hierarchy per appeal."""
    await _filed(graphql, desk["operator"], 1)
    counts = []
    for more in (0, 3):
        await _filed(graphql, desk["operator"], more)
        await graphql(LIST_CONTACTS, token=desk["operator"])  # the caches warmed alike
        with count_queries() as log:
            body = ok_data(await graphql(LIST_CONTACTS, token=desk["operator"]))
        assert {e["node"]["contact"]["masked"] for e in body["appeals"]["edges"]} == {False}
        counts.append(len(log))
    assert counts[0] == counts[1]


async def test_what_a_batch_names_once_is_its_own_error(graphql, desk):
    """The organization and the executor are looked up once for the batch: an unknown
    one is the batch's error, and nothing runs."""
    ids = await _filed(graphql, desk["operator"], 2)
    unknown = ok_data(await graphql(BULK_REDIRECT, {"ids": ids, "to": "1000000000000"},
                                    token=desk["operator"]))["bulkRedirectAppeals"]
    assert (unknown["results"], user_error_codes(unknown)) == ([], ["NOT_FOUND"])
    nobody = ok_data(await graphql(BULK_ASSIGN.replace("city-executor", "nobody"),
                                   {"ids": ids}, token=desk["operator"]))["bulkAssignExecutor"]
    assert (nobody["results"], user_error_codes(nobody)) == ([], ["NOT_FOUND"])
    assert await AppealEvent.filter(action__in=["redirect", "assign_executor"]).count() == 0


@pytest.mark.parametrize(("mask", "value", "shown"), [
    (masked_name, "Иванова Мария Петровна", "И. М. П."),
    (masked_phone, "8 (912) 345-67-89", "***89"),
    (masked_email, "maria.ivanova@mail.ru", "m***@mail.ru"),
    (masked_address, "г. Киров, ул. Ленина, д. 5, кв. 12", "г. Киров, ***"),
    (masked_address, "Киров", "***"),
    # Street first: the street must not show, only the part marked as the locality.
    (masked_address, "ул. Ленина д.5, г. Киров", "г. Киров, ***"),
    (masked_address, "ул. Ленина, д. 5, кв. 12", "***"),
    (masked_address, "Кировская обл., с. Красное, ул. Садовая, 3", "с. Красное, ***"),
    (masked_address, "д. Ивановка, ул. Полевая, 7", "д. Ивановка, ***"),
    (masked_phone, "", ""),
])
def test_personal_data_is_masked_to_what_recognises_it(mask, value, shown):
    assert mask(value) == shown


SAVE = """mutation($input: SaveAppealFilterInput!) { saveAppealFilter(input: $input) {
  savedFilter { id name filter mine sharedWith { ogrn } } userErrors { field code } } }"""
FILTERS = "{ savedAppealFilters { totalCount edges { node { name mine } } } }"
APPLY = """query($f: ID!) { appeals(savedFilterId: $f) { totalCount } }"""
APPLY_OVER = """query($f: ID!) { appeals(savedFilterId: $f, filter: {status: [ROUTED]}) {
  totalCount } }"""


async def test_saved_filters_are_the_owners_shared_on_request_and_applied(graphql, desk):
    ids = await _filed(graphql, desk["operator"], 2)
    await Appeal.filter(id=int(relay.from_base64(ids[0])[1])).update(
        status=AppealStatus.IN_PROGRESS)
    saved = ok_data(await graphql(SAVE, {"input": {
        "name": "В работе", "filter": {"status": ["IN_PROGRESS"], "channel": "OPERATOR"},
        "shareWithOgrn": desk["city"]}}, token=desk["operator"]))["saveAppealFilter"]
    assert saved["userErrors"] == []
    node = saved["savedFilter"]
    assert node["filter"] == {"status": ["IN_PROGRESS"], "channel": "OPERATOR"}
    assert node["sharedWith"] == {"ogrn": desk["city"]}
    applied = ok_data(await graphql(APPLY, {"f": node["id"]}, token=desk["colleague"]))
    assert applied["appeals"]["totalCount"] == 1
    overridden = ok_data(await graphql(APPLY_OVER, {"f": node["id"]}, token=desk["operator"]))
    assert overridden["appeals"]["totalCount"] == 1, "filter's status replaces the saved one"

    colleague = ok_data(await graphql(FILTERS, token=desk["colleague"]))["savedAppealFilters"]
    assert [e["node"] for e in colleague["edges"]] == [{"name": "В работе", "mine": False}]
    other = ok_data(await graphql(FILTERS, token=desk["stranger"]))["savedAppealFilters"]
    assert other["totalCount"] == 0
    hidden = await graphql(APPLY, {"f": node["id"]}, token=desk["stranger"])
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    by_node = "query($id: ID!) { node(id: $id) { ... on SavedAppealFilter { name } } }"
    seen = ok_data(await graphql(by_node, {"id": node["id"]}, token=desk["colleague"]))
    assert seen["node"] == {"name": "В работе"}
    unseen = ok_data(await graphql(by_node, {"id": node["id"]}, token=desk["stranger"]))
    assert unseen["node"] is None
    changed = ok_data(await graphql(SAVE, {"input": {"id": node["id"], "name": "Чужой",
                                                     "filter": {}}}, token=desk["colleague"]))
    assert user_error_codes(changed["saveAppealFilter"]) == ["NOT_FOUND"]
    twin = ok_data(await graphql(SAVE, {"input": {"name": "В работе", "filter": {}}},
                                 token=desk["operator"]))
    assert user_error_codes(twin["saveAppealFilter"]) == ["CONFLICT"]
    foreign = ok_data(await graphql(SAVE, {"input": {"name": "Б", "filter": {},
                                                     "shareWithOgrn": ORG_B}},
                                    token=desk["operator"]))
    assert user_error_codes(foreign["saveAppealFilter"]) == ["FORBIDDEN"]
    deleted = ok_data(await graphql(
        "mutation($id: ID!) { deleteAppealFilter(id: $id) { deletedId userErrors { code } } }",
        {"id": node["id"]}, token=desk["operator"]))["deleteAppealFilter"]
    assert deleted == {"deletedId": node["id"], "userErrors": []}
    assert await AuditEvent.filter(object_type="appeal_filter").count() == 2


async def test_a_changed_saved_filter_applies_as_changed(graphql, desk):
    """The filter is read from the database on every use: nothing keeps what it was."""
    await _filed(graphql, desk["operator"], 1)
    routed = {"name": "Очередь", "filter": {"status": ["ROUTED"]}}
    saved = ok_data(await graphql(SAVE, {"input": routed}, token=desk["operator"]))
    filter_id = saved["saveAppealFilter"]["savedFilter"]["id"]
    before = ok_data(await graphql(APPLY, {"f": filter_id}, token=desk["operator"]))
    changed = ok_data(await graphql(SAVE, {"input": {
        **routed, "id": filter_id, "filter": {"status": ["CLOSED"]}}}, token=desk["operator"]))
    assert changed["saveAppealFilter"]["userErrors"] == []
    after = ok_data(await graphql(APPLY, {"f": filter_id}, token=desk["operator"]))
    assert (before["appeals"]["totalCount"], after["appeals"]["totalCount"]) == (1, 0)


def test_a_filter_that_cannot_be_kept_is_refused_on_the_filter():
    from vmeste.platform.errors import DomainError
    from vmeste.schema.appeals.queries import AppealFilter
    from vmeste.schema.appeals.saved import restored

    with pytest.raises(DomainError) as refused:
        restored(AppealFilter, {"priority": "HIGH"}, "filter")
    assert [e.field for e in refused.value.errors] == ["filter"]


async def test_a_saved_filter_that_no_longer_fits_is_a_typed_error(graphql, desk):
    from vmeste.platform.appeals.desk_models import SavedFilter

    saved = ok_data(await graphql(SAVE, {"input": {"name": "Старый", "filter": {}}},
                                  token=desk["operator"]))["saveAppealFilter"]["savedFilter"]
    await SavedFilter.all().update(arguments={"priority": "HIGH"})
    body = await graphql(APPLY, {"f": saved["id"]}, token=desk["operator"])
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_the_live_queue_hears_its_bodys_appeals_only(graphql, desk, vmeste_app,
                                                          monkeypatch):
    ours = (await _filed(graphql, desk["operator"], 1))[0]
    mine = await Appeal.get(id=int(relay.from_base64(ours)[1]))
    organization = await Organization.get(ogrn=ORG_B)
    elsewhere = await Appeal.create(
        applicant_id=mine.applicant_id, applicant_type=mine.applicant_type,
        channel=mine.channel, category_id=mine.category_id, territory_id=mine.territory_id,
        territory_path=mine.territory_path, text="Чужая яма", status=AppealStatus.ROUTED,
        organization=organization)
    listening = await listen(vmeste_app, desk["operator"],
                             "subscription { appealQueue { action toStatus appeal { id } } }",
                             monkeypatch)
    # Another body's step first: the queue must pass it by.
    async with in_transaction() as conn:
        await APPEAL_STEPS.record(conn, elsewhere, "system:test", "remind", None,
                                  AppealStatus.ROUTED)
    body = ok_data(await graphql(BULK_ASSIGN, {"ids": [ours]}, token=desk["operator"]))
    assert body["bulkAssignExecutor"]["succeeded"] == 1
    result = await listening.result()
    assert result.errors is None
    update = result.data["appealQueue"]
    assert (update["action"], update["toStatus"], update["appeal"]["id"]) == (
        "assign_executor", "IN_PROGRESS", ours)


async def test_the_live_queue_wants_a_signed_in_caller(vmeste_app, monkeypatch):
    listening = await listen(vmeste_app, None, "subscription { appealQueue { action } }",
                             monkeypatch)
    result = await listening.result()
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"


async def test_each_update_of_the_queue_is_read_when_it_is_sent(graphql, desk, vmeste_app,
                                                               monkeypatch):
    """The subscription's context lives as long as its connection: its loaders must not
    keep what an earlier update read."""
    ours = (await _filed(graphql, desk["operator"], 1))[0]
    appeal = await Appeal.get(id=int(relay.from_base64(ours)[1]))
    listening = await listen(vmeste_app, desk["operator"],
                             "subscription { appealQueue { appeal { events { action } } } }",
                             monkeypatch)
    reminders = []
    for _round in range(2):
        async with in_transaction() as conn:
            await APPEAL_STEPS.record(conn, appeal, "system:test", "remind", None,
                                      appeal.status)
        update = await listening.following()
        assert update.errors is None
        actions = [e["action"] for e in update.data["appealQueue"]["appeal"]["events"]]
        reminders.append(actions.count("remind"))
    await listening.result()
    assert reminders == [1, 2]


async def test_a_step_committed_after_a_later_one_still_reaches_the_queue(
        graphql, desk, vmeste_app, monkeypatch):
    """Ids are given at insert, rows seen at commit: a lower id can appear after a
    higher one was sent."""
    ours = (await _filed(graphql, desk["operator"], 1))[0]
    pk = int(relay.from_base64(ours)[1])
    listening = await listen(vmeste_app, desk["operator"],
                             "subscription { appealQueue { action } }", monkeypatch)
    newest = await AppealEvent.all().order_by("-id").first()
    heard = []
    for offset, action in ((5, "remind"), (2, "overdue")):  # the later id commits first
        await AppealEvent.create(id=newest.id + offset, appeal_id=pk, actor="system:test",
                                 action=action, to_status=AppealStatus.ROUTED)
        update = await listening.following()
        heard.append(update.data["appealQueue"]["action"])
    await listening.result()
    assert heard == ["remind", "overdue"]
