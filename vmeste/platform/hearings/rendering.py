"""The protocol and the conclusion as HTML (Jinja2, autoescaped) and as PDF (WeasyPrint).

The words of the form are message ids translated by the catalogs (the platform's default
locale is Russian, the language of the official document), passed to the templates as
``labels``; the templates in ``document_templates/`` hold the layout only. The PDF is
A4 with the document's title as the running header and page numbers, set in DejaVu
(Cyrillic), which fontconfig finds where ``fonts-dejavu-core`` is installed (the image
installs it; see the Dockerfile).

Typesetting takes tens to hundreds of milliseconds of CPU, so :func:`render_pdf` runs
WeasyPrint in a worker thread and never on the event loop that serves requests.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from vmeste.platform.hearings.frozen import embedded
from vmeste.platform.hearings.models import (
    HearingKind,
    ParticipantClass,
    ProposalChannel,
    Recommendation,
)
from vmeste.platform.hearings.protocol import Conclusion, Protocol
from vmeste.platform.i18n import _, current

TEMPLATES = Path(__file__).resolve().parent / "document_templates"
_environment = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                           autoescape=select_autoescape(["j2", "html"], default=True),
                           trim_blocks=True, lstrip_blocks=True)


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, for ``content:`` inside the <style> element
    (raw text, where HTML escapes would show as they are)."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
               .replace("\n", " "))
    return Markup(f'"{escaped}"')


def local_date(value: date | None) -> str:
    return format_date(value, "long", locale=current()) if value else "—"


def local_moment(value: datetime | None, timezone: str) -> str:
    """A moment on the territory's clock, as the document's reader there reads it."""
    if value is None:
        return "—"
    try:
        value = value.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        pass
    return f"{local_date(value.date())}, {format_time(value, 'HH:mm', locale=current())}"


_environment.filters.update(css=css_string, day=local_date)


def _titles(kind: HearingKind) -> dict[str, str]:
    if kind == HearingKind.PUBLIC_HEARING:
        return {"protocol": _("Protocol of the public hearing"),
                "conclusion": _("Conclusion on the results of the public hearing")}
    return {"protocol": _("Protocol of the public discussion"),
            "conclusion": _("Conclusion on the results of the public discussion")}


def labels(kind: HearingKind) -> dict[str, object]:
    """Every word of both forms in the current locale."""
    return {
        **_titles(kind),
        "dated": _("Date of the document"),
        "organiser": _("Organiser"),
        "legal_basis": _("Legal basis"),
        "project": _("Project"),
        "notice": _("Information from the published notice"),
        "notice_published": _("Date and source of publication of the notice"),
        "period": _("Period in which proposals and remarks were taken"),
        "territory": _("Territory within which the procedure is held"),
        "exposition": _("Exposition of the project"),
        "meeting": _("Meeting of participants"),
        "residents": _("Proposals and remarks of participants who live permanently on "
                       "the territory within which the procedure is held"),
        "others": _("Proposals and remarks of the other participants"),
        "none": _("No proposals or remarks were made"),
        "number": _("No."),
        "participant": _("Participant"),
        "section": _("Section of the draft"),
        "text": _("Proposal or remark"),
        "quote": _("Quoted passage"),
        "recommendation": _("Reasoned recommendation of the organiser"),
        "annex": _("Annex. List of the participants who took part in the consideration "
                   "of the project"),
        "annex_number": _("Participant No."),
        "annex_name": _("Full name of a person, or name of an organisation"),
        "annex_address": _("Place of residence (the territory of the registered address "
                           "in the verified profile)"),
        "annex_right": _("Land plot or building (cadastral number), document of the right"),
        "annex_none": _("No participants"),
        "participants": _("Number of participants"),
        "protocol_reference": _("Protocol the conclusion is based on"),
        "conclusions": _("Conclusions on the results"),
        "extract": _("Extract from the protocol"),
        "extract_for": _("Proposals and remarks of the participant"),
        "page": _("Page"),
        "of": _("of"),
        "summary_residents": _("From participants who live on the territory"),
        "summary_others": _("From the other participants"),
        "classes": {ParticipantClass.RESIDENT: _("resident of the territory"),
                    ParticipantClass.RIGHT_HOLDER: _("right-holder of land or a building"),
                    ParticipantClass.OTHER: _("other participant")},
        "channels": {ProposalChannel.ONLINE: _("online"),
                     ProposalChannel.MEETING: _("at the meeting"),
                     ProposalChannel.WRITTEN: _("in writing")},
        "recommendations": {Recommendation.TAKE_INTO_ACCOUNT: _("Take into account"),
                            Recommendation.DECLINE: _("Do not take into account")},
    }


def participant(number: int) -> str:
    """How the documents cite a proposal's author: by their number in the annex."""
    return _("Participant {number}", number=number)


def protocol_html(data: Protocol, *, full: bool) -> str:
    """The protocol's full copy (``full``: with the annex and its frozen data, see
    :mod:`~vmeste.platform.hearings.frozen`), or, with ``data.extract_for``, a
    participant's extract of it."""
    return _environment.get_template("protocol.html.j2").render(
        doc=data, labels=labels(data.kind), lang=current(), participant=participant,
        published=local_moment(data.notice_published_at, data.timezone),
        meeting=local_moment(data.meeting_at, data.timezone),
        extract=bool(data.extract_for), recommendations=False,
        frozen=embedded(data) if full else None)


def conclusion_html(data: Conclusion) -> str:
    """The conclusion's full copy: the form, then its frozen data."""
    return _environment.get_template("conclusion.html.j2").render(
        doc=data, labels=labels(data.kind), lang=current(), participant=participant,
        recommendations=True, frozen=embedded(data))


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported where used: it loads Pango, a native library

    return bytes(HTML(string=html, base_url=str(TEMPLATES)).write_pdf())


async def render_pdf(html: str) -> bytes:
    """The PDF of a stored document's HTML, typeset in a worker thread."""
    return await asyncio.to_thread(_pdf, html)
