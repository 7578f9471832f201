"""The profile facts a participation keeps: age band, gender and territory group.

Age is taken on the day of the ballot in the vote territory's time zone (a voter who
turns 14 at midnight in Vladivostok may vote there before Moscow's midnight), and the
facts are copied at that moment: a later change of address or birthday does not move
a ballot between groups.
"""

from __future__ import annotations

from datetime import date

from vmeste.platform.reference.models import PATH_SEPARATOR
from vmeste.platform.settings_values import parse_age_bands

#: Genders a breakdown shows; a profile without one counts as ``unknown``.
GENDERS = ("male", "female", "unknown")
#: The group of a participant whose profile lacks the fact.
UNKNOWN = "unknown"


def age_on(birth_date: date, day: date) -> int:
    """Full years on ``day`` (a 29 February birthday comes of age on 1 March)."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def age_band(age: int | None, bands: tuple[str, ...]) -> str:
    """The label of the band holding ``age``; younger than every band, or no birth
    date, is ``unknown``."""
    if age is None:
        return UNKNOWN
    for label, low, high in parse_age_bands(bands):
        if age >= low and (high is None or age <= high):
            return label
    return UNKNOWN


def gender_group(gender: str) -> str:
    return gender if gender in ("male", "female") else UNKNOWN


def cell(band: str, gender: str) -> str:
    """The age band × gender cell, the unit of weighting."""
    return f"{band}|{gender}"


def cell_parts(key: str) -> tuple[str, str]:
    """The age band and gender of a :func:`cell`."""
    band, _, gender = key.partition("|")
    return band, gender


def territory_group(audience_path: str, voter_path: str) -> str:
    """The code of the audience territory's child that holds the voter (a municipality
    of a regional vote), or the audience territory's own code for a voter registered
    in it directly. A path is its territories' codes joined, so no lookup is needed."""
    if not voter_path.startswith(audience_path + PATH_SEPARATOR):
        return audience_path.rsplit(PATH_SEPARATOR, 1)[-1]
    return voter_path[len(audience_path) + 1:].split(PATH_SEPARATOR, 1)[0]
