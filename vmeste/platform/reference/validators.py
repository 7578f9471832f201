"""Checks for the state registry numbers that identify territories and bodies.

A mistyped ОГРН or ИНН would route citizens' appeals to nobody, so both are checked
by their control digits, exactly as the Federal Tax Service computes them.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
        return "ОГРН должен состоять из 13 цифр"
    if int(value[:12]) % 11 % 10 != int(value[12]):
        return "Неверная контрольная цифра ОГРН"
    return None


def inn_problem(value: str) -> str | None:
    """Why ``value`` is not a valid ИНН (10 digits for an organisation, 12 for a person)."""
    if not _DIGITS.fullmatch(value) or len(value) not in (10, 12):
        return "ИНН должен состоять из 10 или 12 цифр"
    if len(value) == 10:
        ok = _inn_digit(value, _INN10_WEIGHTS) == int(value[9])
    else:
        ok = _inn_digit(value, _INN12_WEIGHTS_1) == int(value[10]) and _inn_digit(
            value, _INN12_WEIGHTS_2
        ) == int(value[11])
    return None if ok else "Неверная контрольная цифра ИНН"


def territory_code_problem(code: str, kind: str) -> str | None:
    """Countries use ISO 3166 codes; everything below uses ОКТМО of 8 or 11 digits."""
    if kind == "country":
        return None if _COUNTRY.fullmatch(code) else "Код страны — две заглавные латинские буквы"
    if not _DIGITS.fullmatch(code) or len(code) not in (8, 11):
        return "Код ОКТМО должен состоять из 8 или 11 цифр"
    if kind == "settlement" and len(code) != 11:
        return "Код ОКТМО населённого пункта состоит из 11 цифр"
    if kind in ("region", "municipality") and len(code) != 8:
        return "Код ОКТМО региона или муниципального образования состоит из 8 цифр"
    return None


def timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"Неизвестный часовой пояс IANA: {name!r}"
    return None


def with_ogrn_check_digit(first12: str) -> str:
    """Complete a 12-digit ОГРН stem; used by the demo data generator and tests."""
    return first12 + str(int(first12) % 11 % 10)


def with_inn_check_digit(first9: str) -> str:
    """Complete a 9-digit organisation ИНН stem."""
    return first9 + str(_inn_digit(first9, _INN10_WEIGHTS))
