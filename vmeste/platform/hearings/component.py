"""Hearings: public discussions and hearings on draft acts, and direct lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from vmeste.platform.components import Component
from vmeste.platform.hearings.hearings import HearingServices
from vmeste.platform.hearings.line_notify import LINE_SUBJECT
from vmeste.platform.hearings.line_notify import SUBJECT_TYPE as LINE_SUBJECT_TYPE
from vmeste.platform.hearings.line_watch import LineClock
from vmeste.platform.hearings.notify import HEARING_SUBJECT, SUBJECT_TYPE
from vmeste.platform.hearings.steps import HEARING_STEPS, LINE_STEPS
from vmeste.platform.hearings.watch import HearingClock
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.notifications.fanout import fan_out
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.settings import Settings
from vmeste.platform.steps import Steps

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


def _services(runtime: Runtime) -> HearingServices:
    return HearingServices(calendars=runtime.deadlines.calendars, clock=lambda: runtime.clock())


def _history_topic(steps: Steps[Any], actor: str, subject_type: str) -> Topic:
    """A history's outbox topic: its events fanned out as notifications, scoped to the
    subject's territory (the steps name the subject ``<subject>_id`` in the payload)."""
    key, model = f"{steps.subject}_id", steps.model

    async def handle(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
        return await fan_out(runtime, subject_type, int(payload[key]),
                             [int(i) for i in payload["event_ids"]])

    async def scope(payload: dict[str, Any]) -> str:
        path = await model.filter(id=payload.get(key)).first().values_list(
            "territory_path", flat=True)
        return str(path or "")

    return Topic(steps.topic, actor, "notifications", handle, scope)


async def _demo(runtime: Runtime) -> str:
    from vmeste.platform.hearings.demo import load_demo_hearings

    return await load_demo_hearings(runtime)


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="hearings",
        models=("vmeste.platform.hearings.models", "vmeste.platform.hearings.line_models"),
        topics=(_history_topic(HEARING_STEPS, "vmeste.hearing_fan_out", SUBJECT_TYPE),
                _history_topic(LINE_STEPS, "vmeste.direct_line_fan_out", LINE_SUBJECT_TYPE)),
        services=_services, notifications=(HEARING_SUBJECT, LINE_SUBJECT),
        deadline_kinds=(HearingClock(), LineClock()), demo=_demo,
        path_copies=(("procedure_template", "territory_path"), ("hearing", "territory_path"),
                     ("hearing_participant", "territory_path"),
                     ("direct_line", "territory_path"), ("line_question", "territory_path")))


@hookimpl
def vmeste_http_routes(settings: Settings) -> list[BaseRoute]:
    """The draft files (``/hearings/attachments/{id}``), and the protocol and the
    conclusion as HTML and PDF with a participant's extract (``/hearings/{id}/…``)."""
    from vmeste.platform.hearings import attachment_http, downloads
    from vmeste.platform.hearings.attachments import storage_in

    return [*attachment_http.routes(storage_in(settings.data_dir)), *downloads.routes()]
