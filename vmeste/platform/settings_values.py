"""Parsers of one ``VMESTE_*`` value each: a bad value raises :class:`SettingsError`
naming the variable, and a message never quotes a value that may hold a password."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import limits

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A setting has a value the platform cannot run with."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(name, f"expected true or false, got {raw!r}")


def integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high}, got {value}")
    return value


def listed(env: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    raw = env.get(name)
    if raw is None:
        return None
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def url(env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    """A URL of one of ``schemes`` whose port, if any, is a real one. A message never
    quotes the value: it may hold a password."""
    value = env.get(name, "").strip() or default
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise SettingsError(name, "not a valid URL (check the brackets of an IPv6 host and "
                            "that the port is a number between 1 and 65535)") from None
    if parts.scheme not in schemes:
        raise SettingsError(
            name, f"unsupported scheme {parts.scheme or '(none)'!r}; use one of "
                  f"{', '.join(schemes)}")
    if port == 0:
        raise SettingsError(name, "the port must be a number between 1 and 65535")
    return value


def http_url(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if value and urlsplit(value).scheme not in ("http", "https"):
        raise SettingsError(name, "must be an http(s) URL")
    return value


def identifier(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", value):
        raise SettingsError(name, "use 1-40 letters, digits, '.', '_' or '-'")
    return value


_DURATION = re.compile(r"(\d+)\s*([smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}


def duration(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """Seconds, written as a number or with a unit: ``90``, ``15m``, ``24h``, ``1d``."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    match = _DURATION.fullmatch(raw.strip().lower())
    if match is None:
        raise SettingsError(name, f"expected seconds or a duration like 24h, got {raw!r}")
    value = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high} seconds, got {value}")
    return value


def rate(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    try:
        item = limits.parse(value)
    except ValueError:
        raise SettingsError(name, f"expected a rate like 120/minute, got {value!r}") from None
    if item.amount < 1:
        raise SettingsError(name, "must allow at least one request; use VMESTE_RATE_LIMITS=0 "
                            "to switch rate limits off")
    return value


def networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    values = listed(env, name) or ()
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise SettingsError(name, f"{value!r} is not an IP address or network") from None
    return values


def choice(env: Mapping[str, str], name: str, default: str, options: tuple[str, ...]) -> str:
    """One of ``options``, case-insensitive."""
    value = env.get(name, "").strip().lower() or default
    if value not in options:
        raise SettingsError(name, f"use one of {', '.join(options)}")
    return value


#: One age band: its label, the lowest age in it and the highest (None: open-ended).
AgeBand = tuple[str, int, int | None]


def parse_age_bands(labels: tuple[str, ...]) -> list[AgeBand]:
    """Bands such as ``14-17`` and ``60+``: contiguous, ascending, only the last open.

    Raises ValueError naming the band at fault."""
    bands: list[AgeBand] = []
    for index, label in enumerate(labels):
        low_text, dash, high_text = label.partition("-")
        try:
            if label.endswith("+") and not dash and index == len(labels) - 1:
                low, high = int(label[:-1]), None
            elif dash:
                low, high = int(low_text), int(high_text)
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"{label!r} is not a band like 18-24 (or 60+ for the last)"
                             ) from None
        if (high is not None and high < low) or low < 0:
            raise ValueError(f"{label!r} ends before it starts")
        if bands and bands[-1][2] is not None and low != bands[-1][2] + 1:  # type: ignore[operator]
            raise ValueError(f"{label!r} does not follow {bands[-1][0]!r}")
        bands.append((label, low, high))
    if not bands:
        raise ValueError("at least one band is needed")
    return bands


def age_bands(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    default = ("14-17", "18-24", "25-34", "35-44", "45-59", "60+")
    values = listed(env, name) or default
    try:
        parse_age_bands(values)
    except ValueError as error:
        raise SettingsError(name, str(error)) from None
    return values
