"""Hearings: public discussions and hearings on draft acts, and direct lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from vmeste.platform.attachments.attach import AttachmentParent
from vmeste.platform.components import Component
from vmeste.platform.hearings.hearings import HearingServices
from vmeste.platform.hearings.line_notify import LINE_SUBJECT
from vmeste.platform.hearings.line_notify import SUBJECT_TYPE as LINE_SUBJECT_TYPE
from vmeste.platform.hearings.line_watch import LineClock
from vmeste.platform.hearings.notify import HEARING_SUBJECT, SUBJECT_TYPE
from vmeste.platform.hearings.personal_data import HEARINGS_DATA
from vmeste.platform.hearings.proposals import PROPOSAL_FILES, may_see_proposal_files
from vmeste.platform.hearings.steps import HEARING_STEPS, LINE_STEPS
from vmeste.platform.hearings.watch import HearingClock
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.notifications.fanout import history_topic
from vmeste.platform.settings import Settings

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


def _services(runtime: Runtime) -> HearingServices:
    return HearingServices(calendars=runtime.deadlines.calendars, clock=lambda: runtime.clock())


async def _demo(runtime: Runtime) -> str:
    from vmeste.platform.hearings.demo import load_demo_hearings

    return await load_demo_hearings(runtime)


@hookimpl
def vmeste_component() -> Component:
    return Component(
        name="hearings",
        models=("vmeste.platform.hearings.models", "vmeste.platform.hearings.line_models"),
        topics=(history_topic(HEARING_STEPS, "vmeste.hearing_fan_out", SUBJECT_TYPE),
                history_topic(LINE_STEPS, "vmeste.direct_line_fan_out", LINE_SUBJECT_TYPE)),
        services=_services, notifications=(HEARING_SUBJECT, LINE_SUBJECT),
        deadline_kinds=(HearingClock(), LineClock()), demo=_demo,
        attachment_parents=(AttachmentParent(PROPOSAL_FILES, may_see_proposal_files),),
        personal_data=(HEARINGS_DATA,),
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
