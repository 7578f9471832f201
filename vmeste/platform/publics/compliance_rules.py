"""The compliance rules an official page is checked against (DESIGN §7), one function
each. A rule has a code and a version: a result stores the version it was checked
under, and shares count the current versions only, so a stricter rule does not mix
with results of the old one.

Network rules read the :class:`PageProfile` a snapshot took. Declared rules are facts
no network shows (widgets, two-factor sign-in, the regional centre informed): the body
declares them and they pass only once the regional centre has confirmed the
declaration; before that they are ``None``, awaiting. The widgets rule (version 2) also
passes without a declaration once the platform counted the body's widgets opened on a
site within the last days (``vmeste.platform.widgets.placements``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz

from vmeste.platform.i18n import N_
from vmeste.platform.publics.connectors import PageProfile
from vmeste.platform.publics.models import ResultSource
from vmeste.platform.publics.norms import Norms

#: The lowest rapidfuzz ratio at which a page's name is the registered one.
NAME_SCORE = 95
ALL_NETWORKS = ("vk", "ok", "telegram")


@dataclass(frozen=True)
class Facts:
    """What a check reads: the snapshot's profile (None when the read failed), the
    registry's names, and the confirmed declarations by rule code."""

    profile: PageProfile | None
    registered_name: str
    now: datetime
    responsible_name: str = ""
    declarations: Mapping[str, bool] = field(default_factory=dict)
    #: The sites on which the body's platform widgets were opened lately.
    widget_sites: tuple[str, ...] = ()
    #: The kinds of those widgets (``appeal``, ``opinion``).
    widget_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    passed: bool | None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str
    version: int
    source: ResultSource
    title: str
    check: Callable[[Facts, Norms], Outcome]
    networks: tuple[str, ...] = ALL_NETWORKS


def _normal(name: str) -> str:
    """A name without case, «ё», quotes and doubled spaces."""
    name = name.casefold().replace("ё", "е")
    name = re.sub(r"[\"'«»„“”‘’]", "", name)
    return " ".join(name.split())


def _unread() -> Outcome:
    return Outcome(False, {"unread": True})


def verified(facts: Facts, norms: Norms) -> Outcome:
    if facts.profile is None:
        return _unread()
    return Outcome(facts.profile.verified)


def name_matches(facts: Facts, norms: Norms) -> Outcome:
    if facts.profile is None:
        return _unread()
    score = fuzz.ratio(_normal(facts.profile.name), _normal(facts.registered_name))
    return Outcome(score >= NAME_SCORE, {"score": round(score, 1), "name": facts.profile.name})


_CONTACTS: dict[str, re.Pattern[str]] = {
    "address": re.compile(r"\b(ул\.|улица|пр-т|проспект|пл\.|площадь|д\.|дом|адрес)\s*\S",
                          re.IGNORECASE),
    #: Ten digits after +7 or 8, grouped any way (a region's code may take 3 to 5).
    "phone": re.compile(r"(\+7|\b8)(?:[\s()-]*\d){10}\b"),
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b"),
    "site": re.compile(r"\b(https?://)?[\w-]+(\.[\w-]+)*\.(ru|рф|su|gov\.ru)\b", re.IGNORECASE),
    "hours": re.compile(r"(\b(пн|вт|ср|чт|пт|понедельник|часы приема|часы работы|"
                        r"режим работы)\b|\b\d{1,2}[:.]\d{2}\s*[-–]\s*\d{1,2}[:.]\d{2})",
                        re.IGNORECASE),
}


def description_contacts(facts: Facts, norms: Norms) -> Outcome:
    """Address, phone, e-mail, site and hours, each in the description or in the
    network's own fields; the evidence names what is missing."""
    profile = facts.profile
    if profile is None:
        return _unread()
    text = profile.description.replace("ё", "е").replace("Ё", "Е")
    own = {"address": profile.addresses, "phone": profile.phones, "email": profile.emails,
           "site": (profile.site,) if profile.site else ()}
    missing = [name for name, pattern in _CONTACTS.items()
               if not own.get(name) and not pattern.search(text)]
    return Outcome(not missing, {"missing": missing})


def avatar_cover(facts: Facts, norms: Norms) -> Outcome:
    profile = facts.profile
    if profile is None:
        return _unread()
    return Outcome(profile.has_avatar and profile.has_cover,
                   {"avatar": profile.has_avatar, "cover": profile.has_cover})


def posting_rate(facts: Facts, norms: Norms) -> Outcome:
    """At least the region's norm of posts within its window before the snapshot."""
    if facts.profile is None:
        return _unread()
    since = facts.now - timedelta(days=norms.window_days)
    posts = sum(1 for at in facts.profile.last_post_dates if at >= since)
    return Outcome(posts >= norms.posts_in_window,
                   {"posts": posts, "norm": norms.posts_in_window,
                    "window_days": norms.window_days})


def _declared(code: str) -> Callable[[Facts, Norms], Outcome]:
    """A declared rule: the confirmed declaration's value, awaiting (None) without one."""

    def check(facts: Facts, norms: Norms) -> Outcome:
        if code not in facts.declarations:
            return Outcome(None, {"awaiting": True})
        return Outcome(bool(facts.declarations[code]), {"confirmed": True})

    check.__name__ = code
    check.__doc__ = f"The confirmed declaration of ``{code}``."
    return check


#: The widgets the rule asks for: "report a problem" and "give an opinion".
WIDGET_KINDS = ("appeal", "opinion")


def widgets(facts: Facts, norms: Norms) -> Outcome:
    """Passes on its own when the body's widgets of both kinds ("report a problem",
    "give an opinion") were opened on a site lately (the platform counts that, nobody
    needs to declare it); else the confirmed declaration, with what was seen."""
    seen = [kind for kind in WIDGET_KINDS if kind in facts.widget_kinds]
    evidence = {"widget_sites": list(facts.widget_sites), "widget_kinds": seen}
    if len(seen) == len(WIDGET_KINDS):
        return Outcome(True, evidence)
    declared = _declared("widgets")(facts, norms)
    if not facts.widget_sites:
        return declared
    return Outcome(declared.passed, {**declared.evidence, **evidence})


def responsible_2fa(facts: Facts, norms: Norms) -> Outcome:
    """Declared, and only for an official named in the registry."""
    if not facts.responsible_name:
        return Outcome(False, {"responsible": ""})
    outcome = _declared("responsible_2fa")(facts, norms)
    return Outcome(outcome.passed, {**outcome.evidence, "responsible": facts.responsible_name})


_NET, _DECL = ResultSource.NETWORK, ResultSource.DECLARED
RULES: tuple[Rule, ...] = (
    Rule("verified", 1, _NET, N_("The page is verified by the network"), verified),
    Rule("name_matches", 1, _NET, N_("The page's name is the body's registered name"),
         name_matches),
    Rule("description_contacts", 1, _NET,
         N_("The description gives the address, phone, e-mail, site and hours"),
         description_contacts),
    Rule("avatar_cover", 1, _NET, N_("The page has an avatar and a cover"), avatar_cover,
         ("vk", "ok")),
    Rule("widgets", 3, _DECL, N_("The page shows the feedback widgets"), widgets,
         ("vk", "ok")),
    Rule("responsible_2fa", 1, _DECL,
         N_("The responsible official signs in with two factors"), responsible_2fa),
    Rule("regional_centre_informed", 1, _DECL,
         N_("The regional management centre is informed of the page"),
         _declared("regional_centre_informed")),
    Rule("posting_rate", 1, _NET, N_("The page posts at least the region's norm"),
         posting_rate),
    Rule("site_link", 1, _DECL, N_("The body's site links to the page"),
         _declared("site_link")),
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


def rules_for(network: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in RULES if network in rule.networks)


def check_all(network: str, facts: Facts, norms: Norms) -> list[tuple[Rule, Outcome]]:
    """Every rule of the network on ``facts``."""
    return [(rule, rule.check(facts, norms)) for rule in rules_for(network)]
