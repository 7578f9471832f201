"""Checks for the state registry numbers that identify territories and bodies.

A mistyped ОГРН or ИНН would route citizens' appeals to nobody, so both are checked
by their control digits, exactly as the Federal Tax Service computes them.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vmeste.platform.i18n import _

_DIGITS = re.compile(r"\d+")
_COUNTRY = re.compile(r"[A-Z]{2}")
_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def ogrn_problem(value: str) -> str | None:
    """Why ``value`` is not a valid ОГРН (13 digits), or None when it is."""
    if len(value) != 13 or not _DIGITS.fullmatch(value):
        return _("An OGRN has 13 digits")
    if int(value[:12]) % 11 % 10 != int(value[12]):
        return _("Wrong OGRN check digit")
    return None


def inn_problem(value: str) -> str | None:
    """Why ``value`` is not a valid ИНН (10 digits for an organisation, 12 for a person)."""
    if not _DIGITS.fullmatch(value) or len(value) not in (10, 12):
        return _("An INN has 10 or 12 digits")
    if len(value) == 10:
        ok = _inn_digit(value, _INN10_WEIGHTS) == int(value[9])
    else:
        ok = _inn_digit(value, _INN12_WEIGHTS_1) == int(value[10]) and _inn_digit(
            value, _INN12_WEIGHTS_2
        ) == int(value[11])
    return None if ok else _("Wrong INN check digit")


def territory_code_problem(code: str, kind: str) -> str | None:
    """Countries use ISO 3166 codes; everything below uses ОКТМО of 8 or 11 digits."""
    if kind == "country":
        return None if _COUNTRY.fullmatch(code) else _(
            "A country code is two capital Latin letters")
    if not _DIGITS.fullmatch(code) or len(code) not in (8, 11):
        return _("An OKTMO code has 8 or 11 digits")
    if kind == "settlement" and len(code) != 11:
        return _("The OKTMO code of a settlement has 11 digits")
    if kind in ("region", "municipality") and len(code) != 8:
        return _("The OKTMO code of a region or a municipality has 8 digits")
    return None


def timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _("Unknown IANA time zone: {name}", name=repr(name))
    return None


def with_ogrn_check_digit(first12: str) -> str:
    """Complete a 12-digit ОГРН stem; used by the demo data generator and tests."""
    return first12 + str(int(first12) % 11 % 10)


def with_inn_check_digit(first9: str) -> str:
    """Complete a 9-digit organisation ИНН stem."""
    return first9 + str(_inn_digit(first9, _INN10_WEIGHTS))
