"""Wording of notifications: Jinja2 templates, per region, Russian first.

Regional administrators edit templates, so they are held to a subset of Jinja2
(output, conditions and a few text filters) in its sandbox, with bounded steps, size
and time (:mod:`~vmeste.platform.notifications.sandbox`), and see only a flat context
of plain values.
The platform ships a default for every event (``default_templates.json``); a stored
:class:`NotificationTemplate` overrides it for a territory and everything below it.
A template that fails is refused when saved; one that still fails when rendering (on
a value nobody tried) falls back to the default, and the failure is recorded on the
notification.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import TemplateError

from vmeste.platform.notifications.sandbox import BoundedEnvironment, RenderLimit, render_bounded

SUBJECT_MAX = 500
BODY_MAX = 20_000
LOCALE = "ru"

#: Plain text: messages go out as text/plain mail, SMS and JSON, never as HTML, so
#: there is nothing to escape (and escaping would garble quotes in SMS).
_env = BoundedEnvironment(autoescape=False, keep_trailing_newline=False)

DEFAULTS: dict[str, dict[str, str]] = json.loads(
    resources.files("vmeste.platform.notifications").joinpath("default_templates.json")
    .read_text(encoding="utf-8"))

#: Values a template can use, with an example of each: the save-time check renders
#: with these, and the admin documentation lists them.
SAMPLE_CONTEXT: dict[str, Any] = {
    "event": "routed", "appeal_id": 123, "status": "routed", "category": "Ямы на дорогах",
    "territory": "город Киров", "organization": "Администрация города Кирова",
    "reason": "Уточните адрес", "answer": "Яму заделаем до 1 июня.", "rating": 5,
    "rework": False, "due_at": "01.06.2026", "legal_track": "message", "for_staff": False,
}


#: The save-time check renders with the longest texts a notification can carry, so a
#: template that stays within its limits on short samples cannot exceed them later.
LONGEST_CONTEXT: dict[str, Any] = {
    **SAMPLE_CONTEXT, "reason": "Уточните адрес. " * 250, "answer": "Яму заделаем. " * 1500}


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


def _render_pair(subject: str, body: str, context: dict[str, Any]) -> tuple[str, str]:
    rendered_subject = " ".join(render_bounded(_compiled(subject), context).split())
    return rendered_subject[:SUBJECT_MAX], render_bounded(_compiled(body), context)[:BODY_MAX]


def template_problems(subject: str, body: str) -> list[str]:
    """Why a template cannot be saved, in Russian; empty when it renders."""
    problems = []
    for name, source in (("subject", subject), ("body", body)):
        try:
            render_bounded(_compiled(source), LONGEST_CONTEXT)
        except RenderLimit as error:
            problems.append(f"Шаблон ({name}) не принят: {error}")
        except TemplateError as error:
            problems.append(f"Ошибка в шаблоне ({name}): {error.message or error}")
        except Exception as error:  # 1 // 0, a string method given a number, …
            problems.append(f"Ошибка в шаблоне ({name}): {type(error).__name__}")
    return problems


def render_default(event: str, context: dict[str, Any]) -> tuple[str, str]:
    wording = DEFAULTS[event]
    return _render_pair(wording["subject"], wording["body"], context)


def render(event: str, context: dict[str, Any],
           overrides: list[tuple[str, str, str]]) -> Rendered:
    """``overrides`` are (territory code, subject, body), most specific first; the
    first is used, and the packaged default if it fails."""
    if overrides:
        code, subject, body = overrides[0]
        try:
            return Rendered(*_render_pair(subject, body, context), source=code)
        except Exception as error:  # whatever the regional wording does, the event is told
            failure = f"шаблон территории {code}: {type(error).__name__}"
            return Rendered(*render_default(event, context), source="default", error=failure)
    return Rendered(*render_default(event, context), source="default")

