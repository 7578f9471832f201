"""Stage notifications: every step tells the subscribers and the participants with an
account, each once, never the one who took it; an unsubscribed person hears nothing."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from tests.hearing_world import organised, principal, services_of
from tests.worlds import seed_world
from vmeste.platform.hearings import subscriptions
from vmeste.platform.hearings.hearings import Announcement
from vmeste.platform.hearings.models import HearingParticipant, ParticipantClass
from vmeste.platform.hearings.notify import HEARING_SUBJECT
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.notifications.models import Notification

KIROV = ZoneInfo("Europe/Kirov")


async def test_stage_steps_notify_subscribers_and_participants(
        db, vmeste_app, make_token, clock, run_background) -> None:
    await seed_world()
    clock.set(datetime(2026, 6, 1, 8, 0, tzinfo=KIROV))
    services = services_of(vmeste_app)
    hearing = await organised(services, title="Проект планировки квартала Лепсе")
    await services.announce(SYSTEM, hearing.id, Announcement(
        notice_text="Оповещение", published_where="Вестник", notice_on=date(2026, 6, 1)))
    anna = await principal(make_token, "citizen", "anna")
    boris = await principal(make_token, "citizen", "boris")
    vera = await principal(make_token, "citizen", "vera")
    await subscriptions.subscribe(anna, hearing.id)
    await subscriptions.subscribe(anna, hearing.id)  # a second tap changes nothing
    await subscriptions.subscribe(vera, hearing.id)
    await subscriptions.unsubscribe(vera, hearing.id)
    assert vera.user is not None and anna.user is not None and boris.user is not None
    await HearingParticipant.create(hearing_id=hearing.id, user_id=boris.user.id,
                                    display_name="Борис", territory_path=hearing.territory_path,
                                    participant_class=ParticipantClass.RESIDENT)
    await subscriptions.subscribe(boris, hearing.id)  # a participant who subscribed too
    await run_background()
    await Notification.all().delete()  # the notice came before the subscriptions

    await services.open_exposition(SYSTEM, hearing.id)
    await run_background()
    rows = await Notification.filter(subject_type="hearing").order_by("recipient_id")
    told = {row.recipient_id for row in rows}
    assert told == {anna.user.id, boris.user.id}
    assert {row.event for row in rows} == {"hearing_exposition_opened"}
    assert len(rows) == len({(row.recipient_id, row.channel) for row in rows}), "each once"
    assert all("Лепсе" in row.body for row in rows)


async def test_every_stage_step_is_a_notification_event() -> None:
    assert set(HEARING_SUBJECT.events) == {
        "hearing_announced", "hearing_exposition_opened", "hearing_meeting_held",
        "hearing_proposals_closed", "hearing_protocol_signed", "hearing_published",
        "hearing_cancelled"}
    for spec in HEARING_SUBJECT.events.values():
        assert spec.audiences == {"subscribers", "participants"}
