"""What the people who asked a direct line questions hear: that their question was
published, rejected (with the reason), merged with a similar one, or answered on air,
and that the line was moved to another start or cancelled.

The subject is the line (``direct_line``). Its question events come from the line
history (:mod:`vmeste.platform.hearings.questions`), each naming its question in the
payload, and their audience is the author of that question (for a merge, the authors of
the questions merged away); the author is told even when the moderator is the author
(a moderator asking as a citizen), as appeals tell an applicant of the receipt. The
line's own events, a change of its start (an ``update`` event whose payload holds the
new and the previous start) and its cancellation, go to everyone who asked a question
still on the line (pending, published or merged into another), whoever took the step
aside. A line has no subscribers of its own: only those who asked hear of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.queryset import ValuesListQuery

from vmeste.platform.hearings.access import within_scopes
from vmeste.platform.hearings.lifecycle import LineAction
from vmeste.platform.hearings.line_models import (
    DirectLine,
    DirectLineEvent,
    LineQuestion,
    QuestionStatus,
)
from vmeste.platform.hearings.lines import DESCRIPTION_MAX
from vmeste.platform.i18n import N_
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.notifications.subjects import (
    EventSpec,
    LoadedSubject,
    NotificationSubject,
    Recipient,
    SubjectEvent,
)
from vmeste.platform.reference.models import Territory

SUBJECT_TYPE = "direct_line"
AUTHOR, ASKERS = "author", "askers"
AUDIENCES = {AUTHOR: "The author of the question (of the questions merged away, for a merge).",
             ASKERS: "Everyone who asked the line a question still on it (pending, published "
                     "or merged), whoever took the step aside."}
#: The questions whose authors hear of the line being moved or cancelled.
ON_THE_LINE = (QuestionStatus.PENDING, QuestionStatus.PUBLISHED, QuestionStatus.MERGED)
#: A line update moving its start (the payload of the update event).
RESCHEDULED = "line_rescheduled"
#: The longest excerpt of a question a notification quotes.
EXCERPT = 200

_BY_ACTION = {LineAction.PUBLISH_QUESTION: "line_question_published",
              LineAction.REJECT_QUESTION: "line_question_rejected",
              LineAction.MERGE_QUESTIONS: "line_question_merged",
              LineAction.ANSWER_QUESTION: "line_question_answered",
              LineAction.CANCEL: "line_cancelled"}

EVENTS = {
    "line_question_published": EventSpec(
        audiences=frozenset({AUTHOR}), description="The question was published.",
        subject=N_("Your question to the direct line is published"),
        body=N_("Your question to the direct line «{{ title }}» ({{ official }}) is published: "
                "others can support it. «{{ question }}»")),
    "line_question_rejected": EventSpec(
        audiences=frozenset({AUTHOR}), description="The question was rejected, with the "
                                                   "reason.",
        subject=N_("Your question to the direct line is rejected"),
        body=N_("Your question to the direct line «{{ title }}» is rejected: {{ reason }}. "
                "«{{ question }}»")),
    "line_question_merged": EventSpec(
        audiences=frozenset({AUTHOR}), description="The question was merged into a similar "
                                                   "one; its votes carried over.",
        subject=N_("Your question to the direct line is merged with a similar one"),
        body=N_("Your question to the direct line «{{ title }}» asks what another question "
                "asks; they are merged, and your support counts for «{{ target }}».")),
    "line_question_answered": EventSpec(
        audiences=frozenset({AUTHOR}), description="The question was answered on air.",
        subject=N_("Your question was answered on air"),
        body=N_("{{ official }} answered your question on the direct line «{{ title }}» on "
                "air at {{ answered_at }}. «{{ question }}»")),
    RESCHEDULED: EventSpec(
        audiences=frozenset({ASKERS}), description="The line was moved to another start.",
        subject=N_("The direct line you sent a question to is moved"),
        body=N_("The direct line «{{ title }}» ({{ official }}) is moved from "
                "{{ was_starts_at }} to {{ starts_at }}. Your questions stay on it.")),
    "line_cancelled": EventSpec(
        audiences=frozenset({ASKERS}), description="The line was cancelled, with the reason "
                                                   "when given.",
        subject=N_("The direct line you sent a question to is cancelled"),
        body=N_("The direct line «{{ title }}» ({{ official }}) is cancelled and will not go "
                "on air{% if reason %}: {{ reason }}{% endif %}.")),
}

SAMPLE_CONTEXT: dict[str, Any] = {
    "line_id": 7, "title": "Прямая линия с главой города", "official": "Иванов И. И.",
    "question": "Когда отремонтируют дорогу на улице Ленина?", "target": "Ремонт улицы Ленина",
    "reason": "Вопрос не относится к теме линии", "answered_at": "12.06.2026 15:40",
    "starts_at": "19.06.2026 15:00", "was_starts_at": "12.06.2026 15:00"}
LONGEST_CONTEXT: dict[str, Any] = {**SAMPLE_CONTEXT, "title": "Линия " * 100,
                                   "question": "в" * EXCERPT, "target": "в" * EXCERPT,
                                   "reason": "п" * DESCRIPTION_MAX}  # a cancellation's


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


def _name(event: DirectLineEvent) -> str | None:
    """The notification event of a line history event, if it is one."""
    if event.action == LineAction.UPDATE:
        return RESCHEDULED if "starts_at" in (event.payload or {}) else None
    return _BY_ACTION.get(LineAction(event.action))


def _moment(value: str | None, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(value).astimezone(zone).strftime(
        "%d.%m.%Y %H:%M") if value else ""


def _questions_of(event: DirectLineEvent) -> list[int]:
    payload = event.payload or {}
    if event.action == LineAction.MERGE_QUESTIONS:
        return [int(pk) for pk in payload.get("question_ids", [])]
    return [int(payload["question_id"])] if "question_id" in payload else []


class LineSubjects:
    """The :class:`~vmeste.platform.notifications.subjects.SubjectSource` of lines."""

    async def load(self, subject_id: int, event_ids: Sequence[int]) -> LoadedSubject | None:
        line = await DirectLine.get_or_none(id=subject_id)
        if line is None:
            return None
        rows = [event for event in await DirectLineEvent.filter(
            line_id=subject_id, id__in=sorted(set(event_ids))).order_by("id")
            if _name(event) is not None]
        wanted = {pk for event in rows for pk in _questions_of(event)}
        wanted |= {int((e.payload or {})["target_id"]) for e in rows if "target_id" in
                   (e.payload or {})}
        questions = {q.id: q for q in await LineQuestion.filter(id__in=sorted(wanted))}
        events = [SubjectEvent(id=event.id, name=str(_name(event)),
                               at=event.at, actor=event.actor,
                               data={"action": event.action,
                                     "question_ids": _questions_of(event)},
                               row=(event, questions)) for event in rows]
        territory = await Territory.get(id=line.territory_id)
        zone = ZoneInfo(territory.timezone or "UTC")
        return LoadedSubject(id=line.id, territory_path=line.territory_path, timezone=zone,
                             context={"line_id": line.id, "title": line.title,
                                      "official": line.official_name},
                             organization_id=None, data={"line_id": line.id},
                             events=events, row=line)

    def event_context(self, subject: LoadedSubject, event: SubjectEvent) -> dict[str, Any]:
        row, questions = event.row
        ids = _questions_of(row)
        question = questions.get(ids[0]) if ids else None
        target = questions.get(int((row.payload or {}).get("target_id", 0)))
        answered = question.answered_at if question is not None else None
        payload = row.payload or {}
        return {"event": event.name, "reason": row.reason,
                "starts_at": _moment(payload.get("starts_at"), subject.timezone),
                "was_starts_at": _moment(payload.get("was_starts_at"), subject.timezone),
                "question": _excerpt(question.text) if question else "",
                "target": _excerpt(target.text) if target else "",
                "answered_at": answered.astimezone(subject.timezone).strftime(
                    "%d.%m.%Y %H:%M") if answered else ""}

    async def recipients(self, subject: LoadedSubject, event: SubjectEvent,
                         audiences: frozenset[str]) -> list[Recipient]:
        row, questions = event.row
        ids: set[int] = set()
        if AUTHOR in audiences:
            ids |= {questions[pk].author_id for pk in _questions_of(row) if pk in questions}
        if ASKERS in audiences:
            ids |= set(await LineQuestion.filter(line_id=subject.id, status__in=ON_THE_LINE
                                                 ).values_list("author_id", flat=True))
        # Whoever moved or cancelled the line knows; an author hears of their question.
        return [Recipient(user, for_staff=False)
                for user in await User.filter(id__in=sorted(ids)).order_by("id")
                if ASKERS not in audiences or Principal(user).actor != event.actor]

    async def visible_ids(self, principal: Principal, territory_roles: tuple[Role, ...]
                          ) -> ValuesListQuery[Any]:
        """The delivery log of the lines on the caller's territory."""
        return DirectLine.filter(within_scopes(principal, territory_roles)).values_list(
            "id", flat=True)


LINE_SUBJECT = NotificationSubject(
    type=SUBJECT_TYPE, events=EVENTS, audiences=AUDIENCES, source=LineSubjects(),
    sample_context=SAMPLE_CONTEXT, longest_context=LONGEST_CONTEXT)
