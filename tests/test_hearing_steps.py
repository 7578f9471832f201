"""A hearing driven from the notice to the publication through GraphQL, the scheduler
moving its stages on the territory's dates, the refusals of the state machine, and a
calendar import moving the working-day stages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from strawberry import relay

from tests.hearing_world import HEARING, WHERE, announced, organised, services_of
from tests.worlds import MUNICIPALITY_A, ORG_A, seed_world, user_error_codes
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError
from vmeste.platform.hearings import documents
from vmeste.platform.hearings import hearings as steps
from vmeste.platform.hearings.hearings import HearingServices
from vmeste.platform.hearings.models import (
    DocumentKind,
    Hearing,
    HearingDocument,
    HearingEvent,
    HearingStatus,
)
from vmeste.platform.hearings.watch import HearingClock
from vmeste.platform.identity.principal import SYSTEM

KIROV = ZoneInfo("Europe/Kirov")

CREATE = """mutation($input: CreateHearingInput!) { createHearing(input: $input) {
  hearing { id status kind template { code version } organiser { name } }
  userErrors { code field } } }"""
ANNOUNCE = """mutation($input: AnnounceHearingInput!) { announceHearing(input: $input) {
  hearing { id status noticePublishedWhere schedule { stage startsOn endsOn length unit } }
  userErrors { code field } } }"""
STEP = """mutation($id: ID!) { %s(id: $id) { hearing { id status } userErrors { code } } }"""
PUBLISH = """mutation($input: PublishHearingInput!) { publishHearing(input: $input) {
  hearing { id status publishedAt publishedWhere } userErrors { code field } } }"""
GENERATE_PROTOCOL = """mutation($id: ID!) { generateHearingProtocol(input: {hearingId: $id}) {
  document { id } userErrors { code } } }"""
GENERATE_CONCLUSION = """mutation($id: ID!) { generateHearingConclusion(input: {
  hearingId: $id, conclusions: "Проект рекомендован к утверждению."}) {
  document { id } userErrors { code } } }"""
DETAIL = """query($id: ID!) { hearing(id: $id) { id status history { action toStatus actor } } }"""


async def test_a_public_hearing_from_the_notice_to_the_publication(
        db, graphql, make_token, vmeste_app, clock) -> None:
    await seed_world()
    clock.set(datetime(2026, 4, 20, 9, 0, tzinfo=KIROV))
    token = await make_token("org_admin", org=ORG_A, sub="organiser")
    created = (await graphql(CREATE, {"input": {
        "title": "Проект планировки квартала Лепсе", "territoryCode": MUNICIPALITY_A,
        "kind": "PUBLIC_HEARING", "documentType": "planning_project",
        "organiserOgrn": ORG_A}}, token=token))["data"]["createHearing"]
    assert created["userErrors"] == []
    hearing = created["hearing"]
    assert hearing["status"] == "DRAFT"
    assert hearing["template"] == {"code": "planning_project_hearing", "version": 1}
    assert hearing["organiser"]["name"] == "Министерство ЖКХ Кировской области"
    announced_ = (await graphql(ANNOUNCE, {"input": {
        "id": hearing["id"], "noticeText": "Оповещение", "publishedWhere": WHERE,
        "noticeOn": "2026-04-24", "stageDays": [{"stage": "PROTOCOL", "length": 3}]}},
        token=token))["data"]["announceHearing"]
    assert announced_["userErrors"] == []
    dates = {p["stage"]: (p["startsOn"], p["endsOn"]) for p in announced_["hearing"]["schedule"]}
    assert dates["EXPOSITION"] == ("2026-05-01", "2026-05-07")
    assert dates["MEETING"] == ("2026-05-08", "2026-05-08")
    # 9-11 May are days off: the three working days run to 14 May.
    assert dates["PROTOCOL"] == ("2026-05-09", "2026-05-14")
    row = await Hearing.get(id=int(relay.from_base64(hearing["id"])[1]))
    assert row.next_check_at == datetime(2026, 5, 1, tzinfo=KIROV).astimezone(UTC)

    refused = (await graphql(STEP % "signHearingProtocol", {"id": hearing["id"]},
                             token=token))["data"]["signHearingProtocol"]
    assert user_error_codes(refused) == ["ILLEGAL_TRANSITION"]

    clock.set(datetime(2026, 4, 30, 23, 59, tzinfo=KIROV))
    await run_clock(vmeste_app, clock)
    assert (await Hearing.get(id=row.id)).status is HearingStatus.NOTICE
    clock.set(datetime(2026, 5, 1, 0, 0, tzinfo=KIROV))
    await run_clock(vmeste_app, clock)
    assert (await Hearing.get(id=row.id)).status is HearingStatus.EXPOSITION
    clock.set(datetime(2026, 5, 9, 0, 1, tzinfo=KIROV))  # past the meeting's day as well
    await run_clock(vmeste_app, clock)
    row = await Hearing.get(id=row.id)
    assert row.status is HearingStatus.PROTOCOL and row.next_check_at is None

    unsigned = (await graphql(STEP % "signHearingProtocol", {"id": hearing["id"]},
                              token=token))["data"]["signHearingProtocol"]
    assert user_error_codes(unsigned) == ["NOT_FOUND"], "no protocol generated yet"
    assert not (await graphql(GENERATE_PROTOCOL, {"id": hearing["id"]}, token=token))[
        "data"]["generateHearingProtocol"]["userErrors"]
    signed = (await graphql(STEP % "signHearingProtocol", {"id": hearing["id"]},
                            token=token))["data"]["signHearingProtocol"]
    assert signed["hearing"]["status"] == "CONCLUSION"
    protocol = await HearingDocument.get(hearing_id=row.id, kind=DocumentKind.PROTOCOL)
    assert protocol.published_at is not None, "signing freezes the protocol"
    assert not (await graphql(GENERATE_CONCLUSION, {"id": hearing["id"]}, token=token))[
        "data"]["generateHearingConclusion"]["userErrors"]
    missing = (await graphql(PUBLISH, {"input": {"id": hearing["id"], "where": " "}},
                             token=token))["data"]["publishHearing"]
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [("REQUIRED", "where")]
    published = (await graphql(PUBLISH, {"input": {"id": hearing["id"], "where": WHERE}},
                               token=token))["data"]["publishHearing"]
    assert published["hearing"]["status"] == "PUBLISHED"
    assert published["hearing"]["publishedWhere"] == WHERE
    conclusion = await HearingDocument.get(hearing_id=row.id, kind=DocumentKind.CONCLUSION)
    assert conclusion.published_where == WHERE, "publishing freezes the conclusion"
    assert datetime.fromisoformat(published["hearing"]["publishedAt"]) == datetime(
        2026, 5, 9, 0, 1, tzinfo=KIROV)

    history = (await graphql(DETAIL, {"id": hearing["id"]}))["data"]["hearing"]["history"]
    assert [e["action"] for e in history] == [
        "create", "announce", "open_exposition", "hold_meeting", "close_proposals",
        "sign_protocol", "publish"]
    assert {e["actor"] for e in history} == {None}, "the public does not see who"
    audited = await AuditEvent.filter(object_type="hearing", object_id=str(row.id)).order_by(
        "id").values_list("action", flat=True)
    assert audited[-1] == "hearing.publish" and len(audited) == 7


async def run_clock(app, clock) -> None:
    kind = HearingClock()
    for row in await kind.due(clock.now):
        await kind.step(app.state.runtime, row, clock.now)


async def test_the_watchdog_moves_stages_in_run_background(
        db, vmeste_app, clock, run_background) -> None:
    await seed_world()
    clock.set(datetime(2026, 6, 1, 8, 0, tzinfo=KIROV))
    services = services_of(vmeste_app)
    hearing = await announced(services, date(2026, 6, 1))
    assert hearing.status is HearingStatus.NOTICE
    clock.set(datetime(2026, 6, 8, 0, 0, tzinfo=KIROV))
    await run_background()
    assert (await Hearing.get(id=hearing.id)).status is HearingStatus.EXPOSITION
    clock.advance(days=7)
    await run_background()
    assert (await Hearing.get(id=hearing.id)).status is HearingStatus.PROTOCOL
    actors = await HearingEvent.filter(hearing_id=hearing.id, action__in=(
        "open_exposition", "close_proposals")).values_list("actor", flat=True)
    assert set(actors) == {"system:watchdog"}


async def test_a_discussion_has_no_meeting_and_a_cancellation_needs_a_reason(
        db, vmeste_app, graphql, make_token, clock) -> None:
    await seed_world()
    clock.set(datetime(2026, 6, 1, 8, 0, tzinfo=KIROV))
    hearing = await announced(services_of(vmeste_app), date(2026, 6, 1))
    await services_of(vmeste_app).open_exposition(SYSTEM, hearing.id)
    token = await make_token("regional_admin", territory="33000000", sub="ra")
    gid = relay.to_base64("Hearing", hearing.id)
    refused = (await graphql(STEP % "holdHearingMeeting", {"id": gid}, token=token)
               )["data"]["holdHearingMeeting"]
    assert user_error_codes(refused) == ["ILLEGAL_TRANSITION"]
    cancel = """mutation($input: CancelHearingInput!) { cancelHearing(input: $input) {
      hearing { status cancelReason } userErrors { code field } } }"""
    empty = (await graphql(cancel, {"input": {"id": gid, "reason": ""}}, token=token)
             )["data"]["cancelHearing"]
    assert [(e["code"], e["field"]) for e in empty["userErrors"]] == [("REQUIRED", "reason")]
    done = (await graphql(cancel, {"input": {"id": gid, "reason": "Проект отозван"}},
                          token=token))["data"]["cancelHearing"]
    assert done["hearing"] == {"status": "CANCELLED", "cancelReason": "Проект отозван"}


async def test_a_calendar_import_moves_the_working_day_stages(db, vmeste_app, clock) -> None:
    await seed_world()
    clock.set(datetime(2026, 4, 20, 8, 0, tzinfo=KIROV))
    services = services_of(vmeste_app)
    hearing = await announced(services, date(2026, 4, 24), stage_days={"protocol": 3},
                              kind=HEARING)
    before = hearing.schedule["protocol"]
    runtime = vmeste_app.state.runtime
    calendars = await runtime.deadlines.calendars.current()
    federal = calendars.calendars["ru_federal"]
    # As if a decree made 12 May a day off too: the protocol's last day moves on by one.
    moved = type(federal).from_dict({**federal.to_dict(), "years": {
        **federal.to_dict()["years"], "2026": {
            **federal.to_dict()["years"]["2026"],
            "days_off": [*federal.to_dict()["years"]["2026"]["days_off"], "2026-05-12"]}}})
    runtime.deadlines.calendars._set = type(calendars)(
        calendars={**calendars.calendars, "ru_federal": moved}, bindings=calendars.bindings,
        documents=calendars.documents)
    runtime.deadlines.calendars._checked_at = float("inf")
    assert await HearingClock().recompute(runtime, hearing.id, clock.now) is True
    after = (await Hearing.get(id=hearing.id)).schedule["protocol"]
    assert before["ends_on"] == "2026-05-14"
    assert after["ends_on"] == "2026-05-15" and after["length"] == 3
    assert await HearingClock().recompute(runtime, hearing.id, clock.now) is False


LIST = """query($territory: String) { hearings(first: 10, territoryCode: $territory) {
  totalCount edges { node { id title status kind documentType noticePublishedWhere
  territory { code } organiser { name } template { code version } } } } }"""
ONE = """query($id: ID!) { hearing(id: $id) { id title status meetingPlace publishedAt
  organiser { name } } }"""


async def test_the_hearings_list_and_detail_run_on_the_compiled_read_path(
        db, vmeste_app, graphql, make_token, clock) -> None:
    await seed_world()
    clock.set(datetime(2026, 6, 1, 8, 0, tzinfo=KIROV))
    services = services_of(vmeste_app)
    public = await announced(services, date(2026, 6, 1))
    draft = await organised(services, title="Черновик")
    stats = vmeste_app.state.reads.stats
    before = stats.compiled
    listed = (await graphql(LIST, {"territory": MUNICIPALITY_A}))["data"]["hearings"]
    assert listed["totalCount"] == 1, "the public does not see the draft"
    node = listed["edges"][0]["node"]
    assert node["id"] == relay.to_base64("Hearing", public.id)
    assert node["template"] == {"code": "planning_project_discussion", "version": 1}
    assert node["territory"]["code"] == MUNICIPALITY_A
    token = await make_token("auditor", territory="33000000", sub="auditor")
    seen = (await graphql(ONE, {"id": relay.to_base64("Hearing", draft.id)}, token=token)
            )["data"]["hearing"]
    assert seen["status"] == "DRAFT" and seen["organiser"]["name"]
    hidden = (await graphql(ONE, {"id": relay.to_base64("Hearing", draft.id)}))["data"]
    assert hidden["hearing"] is None
    assert stats.compiled - before == 3


async def to_conclusion(services: HearingServices, hearing: Hearing, now: datetime
                        ) -> Hearing:
    """An announced hearing taken to its conclusion: the exposition, the end of proposals,
    the protocol generated and signed, the conclusion generated."""
    hearing = await services.open_exposition(SYSTEM, hearing.id)
    hearing = await services.close_proposals(SYSTEM, hearing.id)
    await documents.generate_protocol(SYSTEM, hearing.id, now=now)
    hearing = await services.sign_protocol(SYSTEM, hearing.id)
    await documents.generate_conclusion(SYSTEM, hearing.id, "Рекомендовано.", now=now)
    return hearing


async def test_publication_runs_the_callers_writes_in_its_transaction(
        db, vmeste_app, clock) -> None:
    """Helper C's hook: what ``within`` writes commits with the step, and a failure in it
    (or a lost race) leaves neither the rows nor the step."""
    await seed_world()
    clock.set(datetime(2026, 6, 1, 8, 0, tzinfo=KIROV))
    services = services_of(vmeste_app)
    hearing = await to_conclusion(services, await announced(services, date(2026, 6, 1)),
                                  clock.now)

    async def freeze(conn) -> None:
        await record(actor="system", action="hearing.freeze", object_type="hearing_document",
                     object_id=1, before=None, after={"sha256": "ab"}, using=conn)

    async def broken(conn) -> None:
        await freeze(conn)
        raise RuntimeError("the PDF failed")

    with pytest.raises(RuntimeError):
        await steps.publish(hearing, "system", clock.now, WHERE, within=broken)
    row = await Hearing.get(id=hearing.id)
    assert row.status is HearingStatus.CONCLUSION
    assert not await AuditEvent.filter(action="hearing.freeze").exists()
    stale = await Hearing.get(id=hearing.id)
    await services.cancel(SYSTEM, hearing.id, "Отозван")
    with pytest.raises(DomainError) as lost:
        await steps.publish(stale, "system", clock.now, WHERE, within=freeze)
    assert lost.value.errors[0].code.value == "CONFLICT"
    assert not await AuditEvent.filter(action="hearing.freeze").exists()
    fresh = await to_conclusion(services, await announced(services, date(2026, 6, 1)),
                                clock.now)
    done = await steps.publish(fresh, "system", clock.now, WHERE, within=freeze)
    assert done.status is HearingStatus.PUBLISHED
    assert await AuditEvent.filter(action="hearing.freeze").count() == 1


async def test_a_hearing_cancelled_before_its_notice_stays_a_draft(db, graphql, vmeste_app,
                                                                   clock) -> None:
    """Cancelling does not publish what was never announced; an announced hearing that is
    cancelled stays public, with its reason."""
    await seed_world()
    clock.set(datetime(2026, 6, 1, 8, 0, tzinfo=KIROV))
    services = services_of(vmeste_app)
    never = await organised(services, title="Не объявленные")
    await services.cancel(SYSTEM, never.id, "Передумали")
    later = await announced(services, date(2026, 6, 1))
    await services.cancel(SYSTEM, later.id, "Проект отозван")
    seen = {name: (await graphql(ONE, {"id": relay.to_base64("Hearing", row.id)}))["data"][
        "hearing"] for name, row in (("never", never), ("later", later))}
    assert seen["never"] is None
    assert seen["later"]["status"] == "CANCELLED"
    listed = (await graphql("{ hearings(first: 10) { edges { node { id } } } }"))["data"]
    assert [e["node"]["id"] for e in listed["hearings"]["edges"]] == [
        relay.to_base64("Hearing", later.id)]


async def test_a_list_says_which_hearings_the_caller_follows(db, graphql, make_token,
                                                             vmeste_app, clock) -> None:
    await seed_world()
    clock.set(datetime(2026, 6, 1, 8, 0, tzinfo=KIROV))
    services = services_of(vmeste_app)
    followed = await announced(services, date(2026, 6, 1))
    other = await announced(services, date(2026, 6, 1), title="Другие слушания")
    token = await make_token("citizen", sub="follower")
    done = (await graphql("""mutation($id: ID!) { subscribeToHearing(id: $id) {
      hearing { id subscribed } userErrors { code } } }""",
                          {"id": relay.to_base64("Hearing", followed.id)}, token=token))
    assert done["data"]["subscribeToHearing"]["hearing"]["subscribed"] is True
    page = (await graphql("{ hearings(first: 10) { edges { node { id subscribed } } } }",
                          token=token))["data"]["hearings"]["edges"]
    assert {e["node"]["id"]: e["node"]["subscribed"] for e in page} == {
        relay.to_base64("Hearing", followed.id): True,
        relay.to_base64("Hearing", other.id): False}
    anonymous = (await graphql("{ hearings(first: 10) { edges { node { subscribed } } } }"))
    assert {e["node"]["subscribed"] for e in anonymous["data"]["hearings"]["edges"]} == {False}
