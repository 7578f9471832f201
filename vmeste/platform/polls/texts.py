"""Free-text answers in pages: the approved ones in the results, every status in the
moderators' queue.

A page is keyed by the answer's random id, so the order says nothing about when (or
after whom) an answer was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.polls import access
from vmeste.platform.polls.models import Poll, PollTextAnswer, TextStatus

PAGE_MAX = 100


@dataclass(frozen=True)
class TextPage:
    items: list[PollTextAnswer]
    has_more: bool
    total: int


async def text_page(poll_id: int, *, status: TextStatus | None, question_id: int | None = None,
                    first: int = 20, after: UUID | None = None) -> TextPage:
    """Up to ``first`` answers after the one with id ``after``, by id."""
    if not 0 <= first <= PAGE_MAX:
        raise DomainError.of("first", _("{name} is from 0 to {limit}", name="first",
                                        limit=PAGE_MAX))
    query = PollTextAnswer.filter(poll_id=poll_id)
    if status is not None:
        query = query.filter(status=status)
    if question_id is not None:
        query = query.filter(question_id=question_id)
    page = query.filter(id__gt=after) if after is not None else query
    rows = await page.order_by("id").limit(first + 1)
    return TextPage(items=rows[:first], has_more=len(rows) > first, total=await query.count())


async def moderation_queue(principal: Principal, poll_id: int, *,
                           status: TextStatus | None = TextStatus.PENDING,
                           first: int = 20, after: UUID | None = None) -> TextPage:
    """What the poll's moderators, organisers and auditors work through."""
    poll = await Poll.get_or_none(id=poll_id)
    if poll is None:
        raise DomainError.of("pollId", _("Poll not found"), ErrorCode.NOT_FOUND)
    access.require_moderation_reader(principal, poll)
    return await text_page(poll.id, status=status, first=first, after=after)
