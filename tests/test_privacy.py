"""A citizen's data rights end to end: the export archive through its signed link, the
erasure after its cooling-off period (held by an open vote, cancelable), what it keeps
and what it removes, its audited record, and the retention sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.privacy_world import (
    CANCEL,
    EMAIL,
    ERASE,
    ERASURES,
    EXPORT,
    EXPORTS,
    NOW,
    SUBJECT,
    TEXT,
    citizen,
    unzip,
)
from tests.worlds import ORG_A, ok_data, user_error_codes
from vmeste.platform.appeals.models import Appeal, AppealEvent, AppealStatus
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.components import personal_data_of
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.models import User
from vmeste.platform.notifications.models import Notification, NotificationStatus
from vmeste.platform.privacy.models import DataExport, ErasureRequest, RetentionSweep
from vmeste.platform.votes.models import Ballot, Vote, VoteParticipation, VoteStatus

COOLING_OFF = timedelta(days=14)


@pytest.fixture
def runtime(vmeste_app: Any, clock: Any, world: Any) -> Any:
    clock.set(NOW)
    return vmeste_app.state.runtime


def _keys(value: Any) -> set[str]:
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def _ready_export(graphql: Any, token: str, run_background: Any) -> dict[str, Any]:
    asked = ok_data(await graphql(EXPORT, token=token))["requestDataExport"]
    assert asked["userErrors"] == [] and asked["dataExport"]["status"] == "REQUESTED"
    await run_background()
    node: dict[str, Any] = ok_data(await graphql(EXPORTS, token=token))[
        "myDataExports"]["edges"][0]["node"]
    return node


async def test_the_export_holds_every_section_and_no_ballot_content(
        runtime: Any, graphql: Any, client: Any, submit_appeal: Any, run_background: Any,
        db: Any) -> None:
    person = await citizen(db, graphql, submit_appeal)
    node = await _ready_export(graphql, person.token, run_background)
    assert node["status"] == "READY" and node["downloadUrl"].startswith("/privacy/exports/")
    answer = await client.get(node["downloadUrl"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    files = unzip(answer.content)
    sections = [d.section for d in personal_data_of(runtime.components)]
    manifest = files["manifest.json"]
    assert manifest["schema_version"] == 1 and manifest["generated_at"].startswith("2026-03-02")
    assert sorted(s["name"] for s in manifest["sections"]) == sorted(sections)
    assert set(files) == {"manifest.json", *(f"{s}.json" for s in sections)}
    assert files["profile.json"][0]["last_name"] == person.user.last_name != ""
    assert files["profile.json"][0]["email"] == EMAIL
    assert files["appeals.json"][0]["text"] == TEXT
    assert files["appeals.json"][0]["history"][0]["by"] == "you"
    assert files["notifications.json"][0]["address"] == EMAIL
    assert files["votes.json"] == [{
        "vote_id": person.vote.id, "vote__title": person.vote.title, "vote__status": "open",
        "territory__code": files["votes.json"][0]["territory__code"],
        "territory_group": files["votes.json"][0]["territory_group"],
        "age_band": "35-44", "gender": "male", "channel": "online",
        "voted_on": files["votes.json"][0]["voted_on"], "revotes": 0}]
    ballot = await Ballot.get(vote_id=person.vote.id)
    raw = answer.content.decode("latin-1")
    # Nothing of the ballot: neither its receipt, its id, its nonce nor its content.
    assert person.receipt not in raw and str(ballot.id) not in raw and ballot.nonce not in raw
    assert not _keys(files) & {"choices", "receipt", "nonce", "voter_key", "replay_key",
                               "answers", "shard", "cast_minute"}
    assert node["sections"] == {name: len(files[f"{name}.json"]) for name in sections}


async def test_a_download_link_is_signed_and_expires(
        runtime: Any, graphql: Any, client: Any, submit_appeal: Any, run_background: Any,
        db: Any, clock: Any) -> None:
    person = await citizen(db, graphql, submit_appeal)
    url = (await _ready_export(graphql, person.token, run_background))["downloadUrl"]
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    refused = await client.get(forged)
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] \
        == "FORBIDDEN"
    other = url.replace("/exports/", "/exports/9", 1)
    assert (await client.get(other)).status_code == 403
    expires = int(url.split("expires=")[1].split("&")[0])
    assert NOW.timestamp() < expires <= (
        NOW + timedelta(minutes=runtime.settings.data_export_link_minutes)).timestamp() + 1
    # The archive's own days run out: the watchdog deletes it, the link answers 410.
    export = await DataExport.get(user_id=person.user.id)
    path = runtime.settings.data_dir / "exports" / export.file_name
    assert path.is_file()
    clock.set(NOW + timedelta(days=runtime.settings.data_export_days, minutes=1))
    run = await run_background()
    assert run.watchdog["expired"] == 1
    assert not path.exists()
    await DataExport.filter(id=export.id).update(expires_at=NOW + timedelta(days=30))
    gone = await client.get(url)
    assert gone.status_code == 410
    node = ok_data(await graphql(EXPORTS, token=person.token))["myDataExports"]["edges"][0]
    assert node["node"]["status"] == "EXPIRED" and node["node"]["downloadUrl"] is None


async def test_erasure_pseudonymises_keeps_what_the_law_keeps_and_is_audited(
        runtime: Any, graphql: Any, submit_appeal: Any, run_background: Any, db: Any,
        clock: Any) -> None:
    person = await citizen(db, graphql, submit_appeal)
    await _ready_export(graphql, person.token, run_background)
    export = await DataExport.get(user_id=person.user.id)
    archive = runtime.settings.data_dir / "exports" / export.file_name
    asked = ok_data(await graphql(ERASE, {"c": True}, token=person.token))["requestErasure"]
    assert asked["userErrors"] == [] and asked["erasureRequest"]["status"] == "SCHEDULED"
    clock.set(NOW + COOLING_OFF + timedelta(minutes=1))
    await run_background()
    request = await ErasureRequest.get(user_id=person.user.id)
    assert request.status == "done"
    user = await User.get(id=person.user.id)
    assert (user.issuer, user.last_name, user.email, user.phone, user.birth_date,
            user.address_oktmo) == ("vmeste:erased", "", "", "", None, "")
    assert user.subject.startswith("erased-")
    appeal = await Appeal.get(id=person.appeal.id)
    assert appeal.text == TEXT and appeal.applicant_id == user.id  # kept 5 years
    actors = set(await AppealEvent.filter(appeal_id=appeal.id).values_list("actor", flat=True))
    assert f"{DEV_ISSUER}:{SUBJECT}" not in actors and user.subject in actors
    assert not await Notification.filter(recipient_id=user.id).exists()
    assert await VoteParticipation.filter(user_id=user.id).count() == 1
    assert not await DataExport.filter(user_id=user.id).exists() and not archive.exists()
    assert request.outcome["profile"]["pseudonymised"] == 1
    assert request.outcome["appeals"]["kept"] == 1
    assert request.outcome["notifications"]["removed"] >= 1
    assert request.outcome["votes"]["kept"] == 1
    assert set(request.outcome) == {d.section for d in personal_data_of(runtime.components)}
    audited = await AuditEvent.get(action="privacy.erasure.execute",
                                   object_id=str(request.id))
    assert audited.after["sections"] == request.outcome
    assert person.user.last_name not in str(audited.after) and EMAIL not in str(audited.after)
    # Signing in again with the same identity makes a fresh account.
    again = ok_data(await graphql(ERASURES, token=person.token))["myErasureRequests"]
    assert again["edges"] == []
    fresh = await User.get(issuer=DEV_ISSUER, subject=SUBJECT)
    assert fresh.id != user.id and fresh.email == EMAIL


async def test_an_erasure_waits_for_its_cooling_off_and_can_be_canceled(
        runtime: Any, graphql: Any, submit_appeal: Any, run_background: Any, db: Any,
        clock: Any) -> None:
    person = await citizen(db, graphql, submit_appeal)
    unconfirmed = ok_data(await graphql(ERASE, {"c": False}, token=person.token))
    assert user_error_codes(unconfirmed["requestErasure"]) == ["REQUIRED"]
    asked = ok_data(await graphql(ERASE, {"c": True}, token=person.token))["requestErasure"]
    twice = ok_data(await graphql(ERASE, {"c": True}, token=person.token))["requestErasure"]
    assert user_error_codes(twice) == ["CONFLICT"]
    clock.set(NOW + COOLING_OFF - timedelta(hours=1))
    await run_background()
    request = await ErasureRequest.get(user_id=person.user.id)
    assert request.status == "scheduled" and request.execute_after == NOW + COOLING_OFF
    assert (await User.get(id=person.user.id)).email == EMAIL
    canceled = ok_data(await graphql(CANCEL, {"id": asked["erasureRequest"]["id"]},
                                     token=person.token))["cancelErasure"]
    assert canceled["userErrors"] == [] and canceled["erasureRequest"]["status"] == "CANCELED"
    assert (await ErasureRequest.get(user_id=person.user.id)).canceled_at == (
        NOW + COOLING_OFF - timedelta(hours=1)), "canceled on the platform's clock"
    again = ok_data(await graphql(CANCEL, {"id": asked["erasureRequest"]["id"]},
                                  token=person.token))["cancelErasure"]
    assert user_error_codes(again) == ["ILLEGAL_TRANSITION"]
    clock.set(NOW + COOLING_OFF * 2)
    await run_background()
    assert (await User.get(id=person.user.id)).email == EMAIL
    assert await AuditEvent.filter(action="privacy.erasure.cancel").count() == 1
    assert not await AuditEvent.filter(action="privacy.erasure.execute").exists()


async def test_without_a_cooling_off_an_erasure_runs_at_once(
        app_client: Any, submit_appeal: Any, world: Any, db: Any, vmeste_app: Any) -> None:
    from vmeste.testkit import Background, Clock

    async with app_client(erasure_cooling_off_days=0) as (app, graphql):
        runtime = app.state.runtime
        held = Clock()
        held.set(NOW)
        runtime.clock = vmeste_app.state.runtime.clock = held
        person = await citizen(db, graphql, submit_appeal)
        await Vote.filter(id=person.vote.id).update(status=VoteStatus.CLOSED)
        ok_data(await graphql(ERASE, {"c": True}, token=person.token))
        run = await Background(runtime, held)(watchdog=False)  # the job, not the sweep
        assert run.jobs["privacy.erasure"] == 1
        assert (await ErasureRequest.get(user_id=person.user.id)).status == "done"


async def test_an_open_vote_holds_the_erasure_until_it_closes(
        runtime: Any, graphql: Any, submit_appeal: Any, run_background: Any, db: Any,
        clock: Any) -> None:
    closes = NOW + COOLING_OFF + timedelta(days=6)
    person = await citizen(db, graphql, submit_appeal, vote_closes=closes)
    ok_data(await graphql(ERASE, {"c": True}, token=person.token))
    clock.set(NOW + COOLING_OFF + timedelta(days=1))
    await run_background()
    request = await ErasureRequest.get(user_id=person.user.id)
    assert request.status == "scheduled" and request.execute_after == closes
    node = ok_data(await graphql(ERASURES, token=person.token))["myErasureRequests"]
    assert node["edges"][0]["node"]["status"] == "SCHEDULED"


async def test_staff_are_not_erased_and_nobody_erases_another(
        runtime: Any, graphql: Any, make_token: Any, submit_appeal: Any, db: Any) -> None:
    operator = await make_token("operator", org=ORG_A)
    refused = ok_data(await graphql(ERASE, {"c": True}, token=operator))["requestErasure"]
    assert user_error_codes(refused) == ["FORBIDDEN"]
    person = await citizen(db, graphql, submit_appeal)
    asked = ok_data(await graphql(ERASE, {"c": True}, token=person.token))["requestErasure"]
    other = await make_token("citizen", sub="someone-else")
    foreign = ok_data(await graphql(CANCEL, {"id": asked["erasureRequest"]["id"]},
                                    token=other))["cancelErasure"]
    assert user_error_codes(foreign) == ["NOT_FOUND"]


async def test_the_retention_sweep_removes_what_outlived_its_period(
        runtime: Any, graphql: Any, submit_appeal: Any, run_background: Any, db: Any,
        clock: Any) -> None:
    person = await citizen(db, graphql, submit_appeal)
    old = NOW - timedelta(days=runtime.settings.retention_appeals_days + 1)
    fresh = await submit_appeal(category="roads.pits", territory=person.appeal.territory_path
                                and "33701000", citizen=SUBJECT, text="Свежая яма")
    await Appeal.filter(id=person.appeal.id).update(status=AppealStatus.CLOSED, updated_at=old)
    await Notification.filter(recipient_id=person.user.id).update(
        created_at=NOW - timedelta(days=runtime.settings.retention_notifications_days + 1),
        status=NotificationStatus.SENT)
    await RetentionSweep.get_or_create(id=1, defaults={"next_run_at": NOW})
    run = await run_background()
    assert run.by_kind["retention"]["swept"] == 1, run
    expired = await Appeal.get(id=person.appeal.id)
    assert (expired.text, expired.address, expired.answer) == ("", "", None)
    assert all(r == "" for r in await AppealEvent.filter(appeal_id=expired.id).values_list(
        "reason", flat=True))
    assert (await Appeal.get(id=fresh.id)).text == "Свежая яма"
    assert not await Notification.filter(dedupe_key="privacy:1").exists()
    audited = await AuditEvent.get(action="privacy.retention.sweep")
    assert audited.after["sections"]["appeals"]["removed"] == 1
    assert audited.after["sections"]["notifications"]["removed"] == 1
    sweep = await RetentionSweep.get(id=1)
    assert sweep.next_run_at == NOW + timedelta(hours=runtime.settings.retention_sweep_hours)
    assert (await run_background()).watchdog["swept"] == 0  # not due again before then


async def test_hearings_keep_proposals_and_questions_but_not_the_person(
        runtime: Any, graphql: Any, submit_appeal: Any, run_background: Any, db: Any,
        clock: Any, client: Any) -> None:
    from tests import line_world, proposal_world
    from vmeste.platform.hearings.line_models import LineQuestion
    from vmeste.platform.hearings.models import (
        HearingParticipant,
        HearingSubscription,
        ParticipantClass,
        Proposal,
        ProposalChannel,
    )

    person = await citizen(db, graphql, submit_appeal)
    hearing = await proposal_world.hearing()
    version = await proposal_world.published(hearing)
    participant = await HearingParticipant.create(
        hearing=hearing, user=person.user, display_name="Разумовская Анна Петровна",
        participant_class=ParticipantClass.RESIDENT, cadastral_number="43:40:000123:45",
        territory_path=hearing.territory_path)
    await Proposal.create(hearing=hearing, number=1, participant=participant,
                          participant_class=ParticipantClass.RESIDENT, version=version,
                          text="Сохранить сквер", channel=ProposalChannel.ONLINE)
    await HearingSubscription.create(hearing=hearing, user=person.user)
    question = await line_world.published(await line_world.line(), person.user)
    files = unzip((await client.get(
        (await _ready_export(graphql, person.token, run_background))["downloadUrl"])).content)
    kinds = sorted(row["kind"] for row in files["hearings.json"])
    assert kinds == ["direct_line_question", "hearing_subscription", "participant",
                     "proposal", "question_support"]
    ok_data(await graphql(ERASE, {"c": True}, token=person.token))
    clock.set(NOW + COOLING_OFF + timedelta(minutes=1))
    await run_background()
    renamed = await HearingParticipant.get(id=participant.id)
    user = await User.get(id=person.user.id)
    assert (renamed.display_name, renamed.cadastral_number) == (user.subject, "")
    assert (await Proposal.get(participant_id=participant.id)).text == "Сохранить сквер"
    assert (await LineQuestion.get(id=question.id)).text == question.text
    assert not await HearingSubscription.filter(user_id=user.id).exists()
    outcome = (await ErasureRequest.get(user_id=user.id)).outcome["hearings"]
    assert (outcome["pseudonymised"], outcome["removed"], outcome["kept"]) == (1, 1, 3)


async def test_a_network_author_linked_by_staff_loses_their_posts_and_keeps_the_appeal(
        runtime: Any, world: Any, db: Any) -> None:
    """Staff filed an appeal for a post's author (issuer ``social:vk``): the author's
    posts and the appeal filed on their behalf are theirs to export and erase."""
    from vmeste.platform.appeals.models import ApplicantType, Channel
    from vmeste.platform.incidents.models import SocialPost
    from vmeste.platform.privacy.erasure import execute
    from vmeste.platform.reference.models import Territory

    author = await User.create(issuer="social:vk", subject="id777")
    territory = await Territory.get(code="33701000")
    appeal = await Appeal.create(
        applicant=author, applicant_type=ApplicantType.PERSON, channel=Channel.OPERATOR,
        category_id=world.categories["roads.pits"], territory=territory,
        territory_path=territory.path, text=TEXT, status=AppealStatus.ROUTED)
    post = await SocialPost.create(network="vk", post_ref="1", page_ref="-100",
                                   author_ref="id777", text="Яма у дома 5", posted_at=NOW,
                                   ingested_at=NOW, latitude=58.6, longitude=49.6)
    other = await SocialPost.create(network="vk", post_ref="2", page_ref="-100",
                                    author_ref="id888", text="Другое", posted_at=NOW,
                                    ingested_at=NOW)
    sections = {d.section: d for d in personal_data_of(runtime.components)}
    exported = await sections["incidents"].export(runtime, author.id)
    assert [row["text"] for row in exported] == ["Яма у дома 5"]
    mine = await sections["appeals"].export(runtime, author.id)
    assert mine[0]["filed_on_behalf"] is True and mine[0]["text"] == TEXT
    request = await ErasureRequest.create(user=author, requested_at=NOW, execute_after=NOW)
    assert await execute(runtime, request.id) == "erased"
    erased = await SocialPost.get(id=post.id)
    assert (erased.text, erased.author_ref, erased.latitude) == ("", "", None)
    assert (await SocialPost.get(id=other.id)).text == "Другое"
    assert (await Appeal.get(id=appeal.id)).text == TEXT
    assert await sections["incidents"].export(runtime, author.id) == []
    assert await execute(runtime, request.id) == "skipped"  # a redelivered job
