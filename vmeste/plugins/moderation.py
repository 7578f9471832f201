"""Built-in moderation: empty or too short texts, obscene Russian language, and the
same text sent again by the same person; plus an opt-in "everything to a human"."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vmeste.platform.appeals.models import Appeal
from vmeste.platform.appeals.moderation import (
    ACCEPTED,
    MODERATION,
    ModerationRequest,
    ModerationResult,
    Verdict,
)
from vmeste.platform.appeals.quota import (
    DEFAULT_PER_HOUR,
    SETTING,
    SUBMISSION_QUOTA,
    validate_quota,
)
from vmeste.platform.hookspecs import StrategySpec, hookimpl

#: Latin letters that look like Cyrillic ones, used to dodge filters.
_LOOKALIKES = str.maketrans("aceopxykmtbh3", "асеорхукмтвнз")
_OBSCENE = re.compile(
    r"\b("
    r"х[уy][йеёяию]\w*"
    r"|пизд\w*"
    r"|(за|на|у|вы|отъ|до|про|по|съ|разъ|недо|при)?[её]б(а|у|ал|ан|ну|ись|ут|ёт|ет|л|ы)\w*"
    r"|бля(дь|ди|дск\w*|ть)?"
    r"|муд(ак|ил|озв)\w*"
    r"|пид[оа]р\w*"
    r"|гандон\w*"
    r"|шлюх\w*"
    r"|сук(а|ин\w*)"
    r")\b",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[^\w\s]")


def normalize(text: str) -> str:
    """Lower case, Cyrillic look-alikes folded, punctuation and spacing removed."""
    folded = text.lower().replace("ё", "е").translate(_LOOKALIKES)
    return _SPACE.sub(" ", _PUNCTUATION.sub(" ", folded)).strip()


def obscene_words(text: str) -> list[str]:
    return [m.group(0) for m in _OBSCENE.finditer(text.lower().translate(_LOOKALIKES))]


#: How many of the applicant's latest appeals a repeat is looked for among.
REPEAT_LOOKBACK = 20


async def basic(request: ModerationRequest, settings: Mapping[str, Any]) -> ModerationResult:
    normalized = normalize(request.text)
    if len(normalized) < settings["min_length"]:
        return ModerationResult(
            Verdict.REJECT, f"Текст слишком короткий: опишите проблему подробнее "
            f"(не меньше {settings['min_length']} символов)", "too_short")
    if obscene_words(request.text):
        action = Verdict(settings["obscenity"])
        return ModerationResult(action, "Текст содержит нецензурную брань", "obscene")
    since = request.now - timedelta(hours=settings["repeat_window_hours"])
    recent = await Appeal.filter(applicant_id=request.applicant_id, created_at__gte=since
                                 ).order_by("-id").limit(REPEAT_LOOKBACK).values_list("id", "text")
    for appeal_id, text in recent:
        if normalize(text) == normalized:
            return ModerationResult(
                Verdict.REJECT, f"Такое же обращение уже отправлено (№ {appeal_id})", "repeated")
    return ACCEPTED


def manual_review(request: ModerationRequest, settings: Mapping[str, Any]) -> ModerationResult:
    return ModerationResult(Verdict.REVIEW, "Все обращения региона проверяет модератор",
                            "manual_review")


def _validate_basic(settings: Mapping[str, Any]) -> list[str]:
    problems = []
    unknown = set(settings) - {"min_length", "obscenity", "repeat_window_hours", "order"}
    if unknown:
        problems.append(f"Неизвестные параметры: {', '.join(sorted(unknown))}")
    length = settings.get("min_length", 10)
    if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 1000:
        problems.append("min_length — целое число от 1 до 1000")
    if settings.get("obscenity", "review") not in ("review", "reject"):
        problems.append("obscenity — review или reject")
    hours = settings.get("repeat_window_hours", 24)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 0 <= hours <= 24 * 30:
        problems.append("repeat_window_hours — целое число от 0 до 720")
    return problems


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [
        StrategySpec(
            kind=MODERATION, name="basic",
            description="Пустые и слишком короткие тексты, нецензурная брань, повторы",
            defaults={"min_length": 10, "obscenity": "review", "repeat_window_hours": 24},
            validate=_validate_basic, handler=basic, default=True, order=10,
        ),
        StrategySpec(
            kind=MODERATION, name="manual-review",
            description="Каждое обращение проверяет модератор", handler=manual_review,
            order=100,
        ),
        StrategySpec(
            kind=SUBMISSION_QUOTA, name="per-hour",
            description="Не больше N обращений одного гражданина в час",
            defaults={SETTING: DEFAULT_PER_HOUR}, validate=validate_quota, default=True,
        ),
    ]
