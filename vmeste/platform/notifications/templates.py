"""Wording of notifications: Jinja2 templates, per region and locale.

Regional administrators edit templates, so they are held to a subset of Jinja2
(output, conditions and a few text filters) in its sandbox, with bounded steps, size
and time (:mod:`~vmeste.platform.notifications.sandbox`), and see only a flat context
of plain values.
Every event has a default wording, declared by its component with the event
(:class:`~vmeste.platform.notifications.subjects.EventSpec`) as English message ids,
rendered in the worker's locale through the catalogs; a stored
:class:`NotificationTemplate` of that locale overrides it for a territory and
everything below it.
A template that fails is refused when saved; one that still fails when rendering (on
a value nobody tried) falls back to the default, and the failure is recorded on the
notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError

from vmeste.platform.i18n import _, translate
from vmeste.platform.notifications.sandbox import BoundedEnvironment, RenderLimit, render_bounded
from vmeste.platform.notifications.subjects import EventSpec

SUBJECT_MAX = 500
BODY_MAX = 20_000

#: Plain text: messages go out as text/plain mail, SMS and JSON, never as HTML, so
#: there is nothing to escape (and escaping would garble quotes in SMS).
_env = BoundedEnvironment(autoescape=False, keep_trailing_newline=False)

@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    #: Where the wording came from: "default" or the territory code of an override.
    source: str
    #: Why an override was not used (empty when it was, or when there was none).
    error: str = ""


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Any:
    return _env.from_string(source)


def _render_pair(subject: str, body: str, context: Mapping[str, Any],
                 private: Mapping[str, Any]) -> tuple[str, str]:
    rendered_subject = " ".join(render_bounded(_compiled(subject), context).split())
    return rendered_subject[:SUBJECT_MAX], render_bounded(
        _compiled(body), {**context, **private})[:BODY_MAX]


def template_problems(subject: str, body: str, longest: Mapping[str, Any]) -> list[str]:
    """Why a template cannot be saved, in the current locale; empty when it renders
    with the longest values its event's notifications can carry."""
    problems = []
    for name, source in (("subject", subject), ("body", body)):
        try:
            render_bounded(_compiled(source), longest)
        except RenderLimit as error:
            problems.append(_("The template ({part}) is refused: {error}", part=name,
                              error=error))
        except TemplateError as error:
            problems.append(_("Error in the template ({part}): {error}", part=name,
                              error=error.message or error))
        except Exception as error:  # 1 // 0, a string method given a number, …
            problems.append(_("Error in the template ({part}): {error}", part=name,
                              error=type(error).__name__))
    return problems


def render_default(event: EventSpec, context: Mapping[str, Any],
                   private: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """The event's own wording, translated into the current locale."""
    return _render_pair(translate(event.subject), translate(event.body), context,
                        private or {})


def render(event: EventSpec, context: Mapping[str, Any],
           overrides: list[tuple[str, str, str]],
           private: Mapping[str, Any] | None = None) -> Rendered:
    """``overrides`` are (territory code, subject, body), most specific first; the
    first is used, and the packaged default if it fails. ``private`` values reach the
    body alone (see ``SubjectEvent.private``)."""
    if overrides:
        code, subject, body = overrides[0]
        try:
            return Rendered(*_render_pair(subject, body, context, private or {}), source=code)
        except Exception as error:  # whatever the regional wording does, the event is told
            failure = _("the template of territory {code}: {error}", code=code,
                        error=type(error).__name__)
            return Rendered(*render_default(event, context, private), source="default",
                            error=failure)
    return Rendered(*render_default(event, context, private), source="default")
