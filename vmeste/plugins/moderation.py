"""Built-in moderation: empty or too short texts, obscene Russian language, the same
text sent again by the same person, and a flood of near-identical texts from one
person; plus an opt-in "everything to a human".

The repeat and flood checks are best-effort under concurrency: they read the
applicant's appeals before the new one is stored, so submissions sent at the same
instant do not see each other. The hourly quota is the hard bound (it is counted again
under the applicant's lock when the appeal is inserted, see ``appeals.quota``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz

from vmeste.platform.appeals.models import Appeal
from vmeste.platform.appeals.moderation import (
    ACCEPTED,
    MODERATION,
    ModerationRequest,
    ModerationResult,
    Verdict,
)
from vmeste.platform.appeals.quota import SETTING, SUBMISSION_QUOTA
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_, _
from vmeste.platform.strategies import ORDER_SETTING, unknown_settings

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
#: The most earlier similar texts a setting may ask for (it bounds the lookback too).
MAX_SIMILAR_COUNT = 100
DEFAULTS: dict[str, Any] = {"min_length": 10, "obscenity": "review", "repeat_window_hours": 24,
                            "similar_percent": 90, "similar_window_minutes": 60,
                            "similar_count": 3}
#: Above this many characters (the new text and the earlier ones together) the
#: normalising and comparing runs in a worker thread: at 20 texts of 10,000 characters it
#: takes tens of milliseconds, which would stall every other request on the event loop.
OFFLOAD_CHARACTERS = 10_000


def similarity(first: str, second: str, cutoff: float = 0) -> float:
    """0–100 over normalised texts, blind to word order: a flood changes a number or
    shuffles words, and still scores near 100. (``token_set_ratio`` would score a short
    text 100 against any longer one that contains its words, so it is not used.) Below
    ``cutoff`` the answer is 0, which rapidfuzz finds faster."""
    return fuzz.token_sort_ratio(first, second, processor=None, score_cutoff=cutoff)


async def basic(request: ModerationRequest, settings: Mapping[str, Any]) -> ModerationResult:
    normalized = normalize(request.text)
    if len(normalized) < settings["min_length"]:
        return ModerationResult(
            Verdict.REJECT, _("The text is too short: describe the problem in more detail "
                            "(at least {limit} characters)", limit=settings["min_length"]),
            "too_short")
    if obscene_words(request.text):
        action = Verdict(settings["obscenity"])
        return ModerationResult(action, _("The text contains obscene language"), "obscene")
    if request.applicant_id is None:
        return ACCEPTED
    repeat_since = request.now - timedelta(hours=settings["repeat_window_hours"])
    similar_since = request.now - timedelta(minutes=settings["similar_window_minutes"])
    # One bounded read serves both checks: the applicant's latest appeals, newest first.
    recent: list[tuple[int, str, datetime]] = list(
        await Appeal.filter(applicant_id=request.applicant_id,
                            created_at__gte=min(repeat_since, similar_since))
        .order_by("-id").limit(max(REPEAT_LOOKBACK, settings["similar_count"]))
        .values_list("id", "text", "created_at"))
    size = len(request.text) + sum(len(text) for _, text, _ in recent)
    if size > OFFLOAD_CHARACTERS:
        return await asyncio.to_thread(_compare, normalized, recent, settings,
                                       repeat_since, similar_since)
    return _compare(normalized, recent, settings, repeat_since, similar_since)


def _compare(normalized: str, recent: list[tuple[int, str, datetime]],
             settings: Mapping[str, Any], repeat_since: datetime,
             similar_since: datetime) -> ModerationResult:
    """The repeat and flood checks against ``recent`` (id, raw text, created), newest
    first; pure CPU work, so it may run in a worker thread."""
    earlier = [(appeal_id, normalize(text), created) for appeal_id, text, created in recent]
    for appeal_id, text, created in earlier:
        if created >= repeat_since and text == normalized:
            return ModerationResult(
                Verdict.REJECT, _("The same appeal has already been sent (No. {number})",
                                 number=appeal_id), "repeated")
    return _flood(normalized, [(appeal_id, text) for appeal_id, text, created in earlier
                               if created >= similar_since], settings)


def _flood(normalized: str, recent: list[tuple[int, str]], settings: Mapping[str, Any]
           ) -> ModerationResult:
    """Rejects the text when the applicant already sent ``similar_count`` texts at least
    ``similar_percent`` alike within the window (0 switches the check off); ``recent``
    holds (appeal id, normalised text)."""
    limit = settings["similar_count"]
    if not limit:
        return ACCEPTED
    percent = settings["similar_percent"]
    alike = [appeal_id for appeal_id, text in recent
             if similarity(text, normalized, percent) >= percent]
    if len(alike) < limit:
        return ACCEPTED
    numbers = ", ".join(_("No. {number}", number=appeal_id) for appeal_id in sorted(alike)[-3:])
    return ModerationResult(
        Verdict.REJECT, _("Too many similar appeals in a short time: {count} in the last "
                          "{minutes} min (the latest: {numbers}). Add to an appeal already "
                          "sent instead of a new one", count=len(alike),
                          minutes=settings["similar_window_minutes"], numbers=numbers),
        "similar_flood")


def manual_review(request: ModerationRequest, settings: Mapping[str, Any]) -> ModerationResult:
    return ModerationResult(Verdict.REVIEW, _("A moderator checks every appeal of the region"),
                            "manual_review")


def _validate_basic(settings: Mapping[str, Any]) -> list[str]:
    problems = unknown_settings(settings, DEFAULTS, {ORDER_SETTING})
    length = settings["min_length"]
    if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 1000:
        problems.append(_("{name} is an integer from {low} to {high}", name="min_length",
                           low=1, high=1000))
    if settings["obscenity"] not in ("review", "reject"):
        problems.append(_("{name} is review or reject", name="obscenity"))
    hours = settings["repeat_window_hours"]
    if not isinstance(hours, int) or isinstance(hours, bool) or not 0 <= hours <= 24 * 30:
        problems.append(_("{name} is an integer from {low} to {high}",
                           name="repeat_window_hours", low=0, high=720))
    for name, low, high in (("similar_percent", 50, 100),
                            ("similar_window_minutes", 1, 24 * 60),
                            ("similar_count", 0, MAX_SIMILAR_COUNT)):
        value = settings[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(_("{name} is an integer from {low} to {high}", name=name, low=low,
                               high=high))
    return problems


def _validate_per_hour(settings: Mapping[str, Any]) -> list[str]:
    return unknown_settings(settings, {SETTING})


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [
        StrategySpec(
            kind=MODERATION, name="basic",
            description=N_("Empty and too short texts, obscene language, repeats, a "
                           "stream of similar texts from one applicant"),
            defaults=DEFAULTS,
            validate=_validate_basic, handler=basic, default=True, order=10,
        ),
        StrategySpec(
            kind=MODERATION, name="manual-review",
            description=N_("A moderator checks every appeal"), handler=manual_review,
            order=100,
        ),
        StrategySpec(
            kind=SUBMISSION_QUOTA, name="per-hour",
            description=N_("At most N appeals from one citizen an hour"),
            validate=_validate_per_hour, default=True,
        ),
    ]
