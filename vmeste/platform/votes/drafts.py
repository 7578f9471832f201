"""A vote as an organiser writes it (``createVote``, ``updateVote``), checked into the
rows it becomes.

Every problem is a typed error on its input field (``options.2.territoryCode``), and
all of them are reported at once. The method's own rules are the method's to check
(the ``vote_method`` strategy's handler, asked with ``choices=None``); this module
checks what every vote shares: a title, two options at least, a schedule that ends
after it starts, options inside the audience territory, and a method installed and
switched on for that territory.

A vote made from a template takes the template's method and rules (eligibility
included) and brings its own territory, inside the template's, its own schedule and
its own options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import path_within
from vmeste.platform.plugins import await_me_maybe
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import Territory
from vmeste.platform.votes.methods import VOTE_METHOD_KIND, MethodRequest, OptionFacts, VoteRules
from vmeste.platform.votes.models import Vote, VoteOption, WinnerRule

TITLE_MAX = 500
DESCRIPTION_MAX = 20_000
MAX_OPTIONS = 500
MAX_PHOTOS = 10
URL_MAX = 1_000
MAX_AGE = 120
GROUP_SIZE_LIMITS = (1, 10_000)
#: The method whose winners may be chosen by equal shares.
BUDGET = "budget"
#: The settings a vote made from a template copies from it: the method and every rule.
RULES = ("method", "max_choices", "points", "max_points_per_option", "budget",
         "min_budget_share", "min_projects", "max_projects", "winners_count", "winner_rule",
         "min_age", "verified_only", "allow_revote", "live_results", "min_group_size")
_METHOD_RULES = ("max_choices", "points", "max_points_per_option", "budget",
                 "min_budget_share", "min_projects", "max_projects")


@dataclass(frozen=True)
class OptionInput:
    title: str
    description: str = ""
    #: A project's cost in roubles (budget votes).
    cost: int | None = None
    #: Open only to residents of this territory (inside the vote's).
    territory_code: str | None = None
    photos: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class VoteInput:
    """A vote's settings; a rule left None takes its default (or the template's)."""

    title: str
    territory_code: str
    method: str | None = None
    description: str = ""
    max_choices: int | None = None
    points: int | None = None
    max_points_per_option: int | None = None
    budget: int | None = None
    min_budget_share: float | None = None
    min_projects: int | None = None
    max_projects: int | None = None
    winners_count: int | None = None
    winner_rule: WinnerRule | None = None
    min_age: int | None = None
    verified_only: bool | None = None
    allow_revote: bool | None = None
    live_results: bool | None = None
    #: Default: ``VMESTE_MIN_GROUP_SIZE``.
    min_group_size: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    options: tuple[OptionInput, ...] = ()
    is_template: bool = False
    template_id: int | None = None


@dataclass
class Draft:
    """A checked input: the vote's columns and its options' rows, in order."""

    columns: dict[str, Any]
    options: list[dict[str, Any]] = field(default_factory=list)

    def option_rows(self, vote: Vote) -> list[VoteOption]:
        return [VoteOption(vote_id=vote.pk, position=position, **row)
                for position, row in enumerate(self.options)]


def _defaults(min_group_size: int) -> dict[str, Any]:
    return {"winners_count": 1, "winner_rule": WinnerRule.GREEDY, "verified_only": True,
            "allow_revote": False, "live_results": False, "min_group_size": min_group_size}


def aware(moment: datetime | None) -> datetime | None:
    """A moment with its offset: one given without is taken as UTC (the API's times
    are UTC unless they say otherwise), so any two can be compared."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _rules(data: VoteInput, template: Vote | None, min_group_size: int,
           errors: list[FieldError]) -> dict[str, Any]:
    """The method and rules: the template's, or the input's over the defaults."""
    given = {name: getattr(data, name) for name in RULES if getattr(data, name) is not None}
    if template is not None:
        errors += [FieldError(camel(name), _("A vote made from a template takes this rule "
                                             "from the template"), ErrorCode.INVALID)
                   for name in given]
        return {name: getattr(template, name) for name in RULES}
    rules = {name: None for name in RULES} | _defaults(min_group_size) | given
    if rules["method"] is None:
        errors.append(FieldError("method", _("Choose the voting method"), ErrorCode.REQUIRED))
    if rules["min_age"] is not None and not 0 <= rules["min_age"] <= MAX_AGE:
        errors.append(FieldError("minAge", _("The minimum age is from 0 to {limit}",
                                             limit=MAX_AGE), ErrorCode.INVALID))
    # The installation's floor (VMESTE_MIN_GROUP_SIZE) is what its privacy promise says:
    # a vote may hide more, never less.
    low, high = max(GROUP_SIZE_LIMITS[0], min_group_size), GROUP_SIZE_LIMITS[1]
    if not low <= rules["min_group_size"] <= high:
        errors.append(FieldError("minGroupSize", _("The smallest group shown is from {low} "
                                                   "to {high}", low=low, high=high),
                                 ErrorCode.INVALID))
    if rules["winner_rule"] == WinnerRule.EQUAL_SHARES and rules["method"] != BUDGET:
        errors.append(FieldError("winnerRule", _("Equal shares choose the winners of budget "
                                                 "votes only"), ErrorCode.INVALID))
    return rules


def _text(name: str, value: str, limit: int, errors: list[FieldError], *,
          required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        errors.append(FieldError(name, _("This field is required"), ErrorCode.REQUIRED))
    elif len(value) > limit:
        errors.append(FieldError(name, _("At most {limit} characters", limit=limit),
                                 ErrorCode.INVALID))
    return value


def _is_address(url: str) -> bool:
    """An absolute http(s) address: what a frontend can show as an image (never a
    ``javascript:`` or ``data:`` one)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return len(url) <= URL_MAX and parts.scheme in ("http", "https") and bool(parts.netloc)


def _photos(name: str, photos: tuple[str, ...], errors: list[FieldError]) -> list[str]:
    if len(photos) > MAX_PHOTOS:
        errors.append(FieldError(name, _("At most {count} photos", count=MAX_PHOTOS),
                                 ErrorCode.INVALID))
    elif not all(_is_address(url) for url in photos):
        errors.append(FieldError(name, _("A photo is an http(s) address"), ErrorCode.INVALID))
    return list(photos)


def _point(name: str, option: OptionInput, errors: list[FieldError]) -> None:
    latitude, longitude = option.latitude, option.longitude
    if (latitude is None) != (longitude is None):
        errors.append(FieldError(name, _("Give both latitude and longitude, or neither"),
                                 ErrorCode.INVALID))
    elif latitude is not None and longitude is not None and not (
            -90 <= latitude <= 90 and -180 <= longitude <= 180):
        errors.append(FieldError(name, _("Latitude is from -90 to 90, longitude from -180 to "
                                         "180"), ErrorCode.INVALID))


async def _options(data: VoteInput, territory: Territory, errors: list[FieldError]
                   ) -> list[dict[str, Any]]:
    if not data.is_template and len(data.options) < 2:
        errors.append(FieldError("options", _("A vote needs at least two options"),
                                 ErrorCode.INVALID))
    if len(data.options) > MAX_OPTIONS:
        errors.append(FieldError("options", _("At most {count} options", count=MAX_OPTIONS),
                                 ErrorCode.INVALID))
        return []
    codes = {o.territory_code for o in data.options if o.territory_code}
    places = {t.code: t for t in await Territory.filter(code__in=sorted(codes))}
    rows = []
    for number, option in enumerate(data.options):
        at = f"options.{number}"
        place = places.get(option.territory_code or "")
        if option.territory_code and place is None:
            errors.append(FieldError(f"{at}.territoryCode", _("Territory not found"),
                                     ErrorCode.NOT_FOUND))
        elif place is not None and not path_within(place.path, territory.path):
            errors.append(FieldError(f"{at}.territoryCode", _("An option's territory lies "
                                                              "inside the vote's"),
                                     ErrorCode.INVALID))
        if option.cost is not None and option.cost < 0:
            errors.append(FieldError(f"{at}.cost", _("A cost cannot be negative"),
                                     ErrorCode.INVALID))
        _point(f"{at}.latitude", option, errors)
        rows.append({"title": _text(f"{at}.title", option.title, TITLE_MAX, errors,
                                    required=True),
                     "description": _text(f"{at}.description", option.description,
                                          DESCRIPTION_MAX, errors),
                     "cost": option.cost, "territory_id": place.pk if place else None,
                     "territory_path": place.path if place else None,
                     "photos": _photos(f"{at}.photos", option.photos, errors),
                     "latitude": option.latitude, "longitude": option.longitude})
    return rows


async def _method_problems(resolver: PolicyResolver, territory: Territory,
                           rules: dict[str, Any], options: list[dict[str, Any]]
                           ) -> list[FieldError]:
    """The method is installed and on in the territory, and its settings suit it."""
    name = rules["method"]
    kind = VOTE_METHOD_KIND.name
    spec = resolver.catalog.get((kind, name))
    if spec is None or spec.handler is None:
        return [FieldError("method", _("No voting method {name} is installed", name=name),
                           ErrorCode.INVALID)]
    active = {s.plugin: s for s in await resolver.resolve(territory.code, kind)}
    if name not in active:
        return [FieldError("method", _("The voting method {name} is switched off in this "
                                       "territory", name=name), ErrorCode.INVALID)]
    request = MethodRequest(
        rules=VoteRules(**{n: rules[n] for n in _METHOD_RULES},
                        winners_count=rules["winners_count"]),
        options={number: OptionFacts(number, row["cost"]) for number, row in enumerate(options)})
    result = await await_me_maybe(spec.handler(request, active[name].settings))
    return list(result.problems)


async def check(data: VoteInput, territory: Territory, template: Vote | None,
                resolver: PolicyResolver, min_group_size: int) -> Draft:
    """The rows ``data`` becomes, or every problem with it as one ``DomainError``.
    ``template`` is the one ``data.template_id`` names (the caller checked it)."""
    errors: list[FieldError] = []
    rules = _rules(data, template, min_group_size, errors)
    title = _text("title", data.title, TITLE_MAX, errors, required=True)
    description = _text("description", data.description, DESCRIPTION_MAX, errors)
    if template is not None and not path_within(territory.path, template.territory_path):
        errors.append(FieldError("territoryCode", _("A vote made from a template lies inside "
                                                    "the template's territory"),
                                 ErrorCode.INVALID))
    opens_at, closes_at = aware(data.opens_at), aware(data.closes_at)
    if opens_at and closes_at and closes_at <= opens_at:
        errors.append(FieldError("closesAt", _("A vote closes after it opens"),
                                 ErrorCode.INVALID))
    options = await _options(data, territory, errors)
    if rules["method"] is not None:
        errors += await _method_problems(resolver, territory, rules, options)
    if errors:
        raise DomainError(*errors)
    return Draft(columns={**rules, "title": title, "description": description,
                          "territory_id": territory.pk, "territory_path": territory.path,
                          "opens_at": opens_at, "closes_at": closes_at,
                          "is_template": data.is_template, "template_id": data.template_id},
                 options=options)


async def input_of(vote: Vote) -> VoteInput:
    """A draft as the input that would make it again (a template's rules left out of a
    vote made from it: they come from the template), for ``updateVote`` to change."""
    territory = await Territory.get(id=vote.territory_id)
    options = await VoteOption.filter(vote_id=vote.pk).order_by("position", "id")
    places = dict(await Territory.filter(
        id__in=[o.territory_id for o in options if o.territory_id]).values_list("id", "code"))
    rules = {} if vote.template_id else {name: getattr(vote, name) for name in RULES}
    return VoteInput(
        title=vote.title, territory_code=territory.code, description=vote.description,
        opens_at=vote.opens_at, closes_at=vote.closes_at, is_template=vote.is_template,
        template_id=vote.template_id, **rules,
        options=tuple(OptionInput(
            title=o.title, description=o.description, cost=o.cost,
            territory_code=places.get(o.territory_id) if o.territory_id else None,
            photos=tuple(o.photos), latitude=o.latitude, longitude=o.longitude)
            for o in options))
