"""The studio screen's live feed: what changes about a line's questions.

As the audit trail's and a vote's live results, the feed polls the database rather
than a pub/sub bus, so it works across every API process: each interval it reads the
line's questions the caller may see, one indexed query of (id, status, votes,
answered_at, merged_into) for a line of thousands, and sends what differs from the
previous read: a question new to the caller, one published, a vote count that moved, a
merge, an answer on air, a rejection. A change made and undone between two reads is
not sent (the screen shows the state, not every keystroke).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry import relay

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings import access
from vmeste.platform.hearings import line_models as models
from vmeste.platform.i18n import _
from vmeste.schema.hearings.line_queries import line_rows
from vmeste.schema.hearings.line_types import LineQuestion, LineQuestionUpdate, UpdateKind

POLL_SECONDS = 1.0
COLUMNS = ("id", "status", "votes", "answered_at", "merged_into_id")

Snapshot = dict[int, tuple[Any, ...]]


def _kind(before: tuple[Any, ...] | None, after: tuple[Any, ...]) -> UpdateKind | None:
    if before is None:
        return UpdateKind.ADDED
    (_, status, votes, answered, _merged), (_, new_status, new_votes, new_answered, _) = (
        before, after)
    if new_status != status:
        return {models.QuestionStatus.PUBLISHED: UpdateKind.PUBLISHED,
                models.QuestionStatus.MERGED: UpdateKind.MERGED,
                models.QuestionStatus.REJECTED: UpdateKind.REJECTED}.get(new_status)
    if new_answered != answered:
        return UpdateKind.ANSWERED
    if new_votes != votes:
        return UpdateKind.VOTES
    return None


@strawberry.type
class LinesSubscription:
    @strawberry.subscription(description="Changes to a line's questions the caller may see, "
                                         "as they happen: the studio screen's feed.")
    async def line_question_updates(self, info: strawberry.Info, line_id: relay.GlobalID
                                    ) -> AsyncGenerator[LineQuestionUpdate, None]:
        line = await (await line_rows(info.context, line_id)).first()
        if line is None:
            raise DomainError.of("lineId", _("Direct line not found"), ErrorCode.NOT_FOUND)
        principal = info.context.principal
        query = models.LineQuestion.filter(access.visible_questions(
            principal, line.territory_path, line.organization_id), line_id=line.id)
        seen: Snapshot = {row[0]: row for row in await query.values_list(*COLUMNS)}
        while True:
            await asyncio.sleep(POLL_SECONDS)
            now: Snapshot = {row[0]: row for row in await query.values_list(*COLUMNS)}
            changed = {pk: kind for pk, row in now.items()
                       if (kind := _kind(seen.get(pk), row)) is not None}
            seen = now
            if not changed:
                continue
            rows = {row.id: row for row in await models.LineQuestion.filter(
                id__in=sorted(changed))}
            for pk in sorted(changed):
                if pk in rows:
                    yield LineQuestionUpdate(kind=changed[pk],
                                             question=LineQuestion.from_model(rows[pk]))
