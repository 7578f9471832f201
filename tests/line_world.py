"""Direct lines for the direct line tests, on the shared small world (``tests/worlds.py``).

``line`` creates a line in a municipality through the services and takes it to the
status asked for; ``citizen`` is a principal with a registered address; ``published``
seeds a published question (with its author as its first supporter) straight into the
tables, as a question the moderation chain accepted would be.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.worlds import MUNICIPALITY_A, ORG_A
from vmeste.platform.hearings import lines
from vmeste.platform.hearings.line_models import (
    DirectLine,
    LineQuestion,
    LineStatus,
    QuestionStatus,
    QuestionVote,
)
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import SYSTEM, Principal
from vmeste.platform.identity.services import load_principal
from vmeste.platform.reference.models import Territory
from vmeste.platform.settings import Settings

TOPICS = ["Дороги", "Освещение"]
STEPS_TO = {LineStatus.DRAFT: (), LineStatus.COLLECTING: ("announce",),
            LineStatus.LIVE: ("announce", "start"),
            LineStatus.FINISHED: ("announce", "start", "finish")}


def now() -> datetime:
    return datetime.now(UTC)


def line_input(territory: str = MUNICIPALITY_A, organization: str = ORG_A, **changes: Any
               ) -> lines.LineInput:
    fields: dict[str, Any] = {
        "title": "Прямая линия с главой города", "official_name": "Иванов Иван Иванович",
        "official_position": "Глава города", "organization_ogrn": organization,
        "territory_code": territory, "topics": list(TOPICS),
        "starts_at": now() + timedelta(days=2), "category_code": "roads"}
    fields.update(changes)
    return lines.LineInput(**fields)


async def line(status: LineStatus = LineStatus.COLLECTING, territory: str = MUNICIPALITY_A,
               organization: str = ORG_A, **changes: Any) -> DirectLine:
    row = await lines.create_line(SYSTEM, line_input(territory, organization, **changes), now())
    for step in STEPS_TO[status]:
        row = await getattr(lines, step)(SYSTEM, row.id, now())
    return row


async def citizen(settings: Settings, sub: str, oktmo: str = MUNICIPALITY_A) -> Principal:
    await issue_dev_token(settings, Role.CITIZEN, subject=sub,
                          profile=DevProfile(address_oktmo=oktmo))
    return await load_principal(await User.get(issuer=DEV_ISSUER, subject=sub))


async def published(row: DirectLine, author: Principal | User,
                    text: str = "Когда отремонтируют дорогу на улице Ленина?",
                    status: QuestionStatus = QuestionStatus.PUBLISHED) -> LineQuestion:
    user = author.user if isinstance(author, Principal) else author
    assert user is not None
    territory = await Territory.get(id=row.territory_id)
    question = await LineQuestion.create(
        line_id=row.id, author_id=user.id, text=text, territory_id=territory.id,
        territory_path=territory.path, status=status,
        votes=1 if status == QuestionStatus.PUBLISHED else 0)
    if status == QuestionStatus.PUBLISHED:
        await QuestionVote.create(question_id=question.id, user_id=user.id)
    return question


async def votes_consistent(question_id: int) -> int:
    """The question's counter, asserted equal to its vote rows."""
    question = await LineQuestion.get(id=question_id)
    assert question.votes == await QuestionVote.filter(question_id=question_id).count()
    return question.votes
