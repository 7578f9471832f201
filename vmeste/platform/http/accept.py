"""The quality values of an ``Accept``-style header (``Accept``, ``Accept-Language``)."""

from __future__ import annotations


def weights(header: str) -> dict[str, float]:
    """Each named value (lower-cased) with its ``q``, in the header's order; a value named
    twice keeps its best ``q``, and an unreadable ``q`` counts as 0 (not wanted)."""
    found: dict[str, float] = {}
    for item in header.split(","):
        value, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _sep, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        if value:
            found[value.lower()] = max(found.get(value.lower(), 0.0), quality)
    return found
