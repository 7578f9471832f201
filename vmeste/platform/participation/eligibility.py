"""Who may take part in a vote or a poll, decided from the verified profile alone.

The rules are the issue's and the urban vote's: a natural person (legal entities act
through people, and a person votes once), old enough on the day in the audience
territory's time zone, registered (by the address's ОКТМО) inside the audience
territory, and verified where the vote asks for it. What was decided is returned as
:class:`Facts`, which the participation keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from vmeste.platform.errors import DomainError, ErrorCode, Unauthenticated
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User, UserKind
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.participation.demographics import (
    age_band,
    age_on,
    gender_group,
    territory_group,
)
from vmeste.platform.reference.models import Territory


@dataclass(frozen=True)
class Rules:
    """What a vote or a poll asks of its participants."""

    #: The audience: residents of this territory's subtree.
    territory_path: str
    #: The audience territory's time zone: the day a participant's age is taken on.
    timezone: str
    min_age: int | None = None
    verified_only: bool = True


@dataclass(frozen=True)
class Facts:
    """The profile facts copied onto a participation at the moment it is made."""

    user_id: int
    #: The territory of the registered address, and its path.
    territory_id: int
    territory_path: str
    #: The audience territory's child holding that address (a breakdown's group).
    territory_group: str
    age_band: str
    gender: str
    #: The day of the participation in the audience territory's time zone.
    day: date


def not_eligible(message: str, field: str | None = None) -> DomainError:
    return DomainError.of(field, message, ErrorCode.NOT_ELIGIBLE)


async def residence(user: User) -> Territory:
    """The territory of the registered address; none known is a refusal, since
    residence is what every audience is defined by."""
    territory = None
    if user.address_oktmo:
        territory = await Territory.get_or_none(code=user.address_oktmo)
    if territory is None:
        raise not_eligible(_("Your profile has no registered address known to the platform"))
    return territory


async def check(principal: Principal, rules: Rules, now: datetime,
                bands: tuple[str, ...]) -> Facts:
    """The caller's facts, or ``NOT_ELIGIBLE`` saying which rule failed."""
    user = principal.user
    if user is None:
        raise Unauthenticated()
    return await facts_of(user, rules, now, bands)


async def facts_of(user: User, rules: Rules, now: datetime, bands: tuple[str, ...]) -> Facts:
    """The same check for a known person (a paper ballot recorded for them)."""
    if user.kind is not UserKind.PERSON:
        raise not_eligible(_("Only natural persons take part; a legal entity's staff take "
                             "part as themselves"))
    if rules.verified_only and not user.verified:
        raise not_eligible(_("A verified account is required"))
    day = now.astimezone(ZoneInfo(rules.timezone)).date()
    age = age_on(user.birth_date, day) if user.birth_date else None
    if rules.min_age is not None and (age is None or age < rules.min_age):
        raise not_eligible(_("Participants must be at least {age} years old",
                             age=rules.min_age))
    home = await residence(user)
    if not path_within(home.path, rules.territory_path):
        raise not_eligible(_("Only residents of the territory take part"))
    return Facts(user_id=user.pk, territory_id=home.pk, territory_path=home.path,
                 territory_group=territory_group(rules.territory_path, home.path),
                 age_band=age_band(age, bands), gender=gender_group(user.gender), day=day)


def may_choose(facts: Facts, option_path: str | None) -> bool:
    """An option limited to a sub-territory is open to its residents only."""
    return option_path is None or path_within(facts.territory_path, option_path)
