"""What one ballot adds to a vote's tallies, the one definition the casting, the
quarantine and the recount share (so the counters and a recount cannot disagree)."""

from __future__ import annotations

from collections.abc import Sequence

from vmeste.platform.participation.demographics import cell
from vmeste.platform.participation.tallies import PARTICIPANTS, Count

SUBJECT_TYPE = "vote"
#: A ballot's content: ``(option_id, points)`` pairs sorted by option (points are 1
#: for methods without points).
Choices = Sequence[Sequence[int]]


def ballot_counts(choices: Choices) -> list[Count]:
    """One participant, and each chosen option once with its points."""
    return [Count(PARTICIPANTS), *(Count(str(option), 1, points) for option, points in choices)]


def ballot_groups(age_band: str, gender: str, territory_group: str) -> dict[str, str]:
    """A ballot's groups, from the facts it carries (the same as
    :func:`vmeste.platform.participation.tallies.groups_of` gives at casting)."""
    return {"age_band": age_band, "gender": gender, "territory": territory_group,
            "cell": cell(age_band, gender)}
