"""The author's score of a final answer, and what it does to the incident.

A final answer ends by asking the author for a score from 1 to 5. The intake hands
over the comments that answer a published reply; the one written by the author of the
incident's first post that holds a score (a digit 1–5 standing alone, or a word such as
«пять», «четвёрка», «отлично») is the incident's satisfaction. Staff may record one
read from the reactions instead. Only the first score counts. A score at or below the
region's ``low_score`` reopens the incident (back to the body, with a new answer term
of ``answer_hours`` working hours, its reminders and escalation reset); any other
closes it. The SLA clock closes an answered incident nobody scored after the wait.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import access, sla
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import (
    Incident,
    IncidentStatus,
    PostState,
    SatisfactionSource,
    SocialPost,
)
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS as STEPS

AUTHOR_ACTOR = "system:incidents/satisfaction"
#: Words read as a score (lower case, «ё» as «е»).
WORDS = {
    "один": 1, "единица": 1, "кол": 1, "ужасно": 1,
    "два": 2, "двойка": 2, "плохо": 2,
    "три": 3, "тройка": 3, "удовлетворительно": 3,
    "четыре": 4, "четверка": 4, "хорошо": 4,
    "пять": 5, "пятерка": 5, "отлично": 5,
}
_TOKENS = re.compile(r"(?<![\w.,])[1-5](?![\w.,]*\d)|[а-я]+")


def score_of(text: str) -> int | None:
    """The first score in a comment: a digit 1–5 standing alone («5», «5!», «на 4»,
    not «15» or «4.5»), or a word of :data:`WORDS`; None when it holds none."""
    for token in _TOKENS.findall(text.lower().replace("ё", "е")):
        if token.isdigit():
            return int(token)
        if token in WORDS:
            return WORDS[token]
    return None


async def read_scores(services: IncidentServices, pairs: Iterable[tuple[int, int]],
                      now: datetime) -> list[int]:
    """The scores among comments answering published replies (incident id, post id);
    returns the incidents scored."""
    scored = []
    for incident_id, post_id in pairs:
        incident = await Incident.get_or_none(id=incident_id)
        post = await SocialPost.get_or_none(id=post_id)
        if incident is None or post is None or incident.status is not IncidentStatus.ANSWERED \
                or incident.satisfaction is not None:
            continue
        score = score_of(post.text)
        if score is None or not post.author_ref or post.author_ref != await _author(incident):
            continue
        try:
            await rate(services, incident, score, SatisfactionSource.AUTHOR, AUTHOR_ACTOR, now,
                       post_id=post.id)
        except DomainError as error:
            if error.errors[0].code is not ErrorCode.CONFLICT:
                raise
            continue  # scored or changed at the same moment: the first step wins
        scored.append(incident.id)
    return scored


async def record(services: IncidentServices, principal: Principal, incident_id: int,
                 score: int, source: SatisfactionSource = SatisfactionSource.REACTIONS
                 ) -> Incident:
    """A score recorded by staff (read from the reactions, or told by the author)."""
    incident = await STEPS.open(incident_id, Action.RATE,
                                lambda row: access.require_staff(principal, row))
    if not 1 <= score <= 5:
        raise DomainError.of("score", _("A score is from 1 to 5"), ErrorCode.INVALID)
    if incident.satisfaction is not None:
        raise DomainError.of("score", _("The incident has been scored already"),
                             ErrorCode.CONFLICT)
    return await rate(services, incident, score, source, principal.actor, services.clock())


async def rate(services: IncidentServices, incident: Incident, score: int,
               source: SatisfactionSource, actor: str, now: datetime,
               post_id: int | None = None) -> Incident:
    """The score, then the reopening or the closing, in one transaction."""
    low = score <= (await sla.policy_of(services, incident)).low_score
    async with in_transaction() as conn:
        incident.satisfaction, incident.satisfaction_source = score, source
        payload = {"score": score, "source": str(source)}
        await STEPS.move(conn, incident, actor, Action.RATE, incident.status, payload=payload)
        if low:
            # Back to the body with a new answer term; the score stays in the history
            # (the RATE event) and the next answer is scored afresh.
            await sla.restart_answer(services, incident, now, in_days=False)
            incident.satisfaction, incident.satisfaction_source = None, None
            await STEPS.move(conn, incident, actor, Action.REOPEN, IncidentStatus.ROUTED,
                             payload=payload)
        else:
            incident.next_check_at = None
            await STEPS.move(conn, incident, actor, Action.CLOSE, IncidentStatus.CLOSED,
                             payload=payload)
        if post_id is not None:
            await SocialPost.filter(id=post_id).using_db(conn).update(state=PostState.FEEDBACK)
    return incident


async def _author(incident: Incident) -> str:
    """The author the follow-up asked: of the incident's first post."""
    first = await SocialPost.filter(incident_id=incident.id).order_by("posted_at", "id").first()
    return first.author_ref if first is not None else ""
