"""The two copies of a hearing's document, and the data frozen inside it.

A generated version is stored as its **full copy**: the form, then a private part between
two markers holding what the public may not see: for the protocol the annex, the list
of the participants with their personal data (Town Planning Code art. 5.1 part 19), and
for both kinds the document's data as JSON. The **public copy** is the full copy with
the private part cut out; since the body names nobody (proposals cite "Participant N"),
it carries no natural person's name (152-FZ). The full copy is the organisers' and
auditors' (``access.is_reader``); everyone else reads the public one.

Both copies are fixed by the stored text: the full copy is what ``sha256`` hashes, the
public copy is a cut of it at markers the form writes once (autoescaping turns any
``<`` of a participant's text into ``&lt;``, so no text can forge one), and its own hash
goes into the audit trail with the full one. The data inside is what the form was
rendered from, so a participant's extract is rendered from the frozen data of the
published protocol, never from rows that may change later, and a stale version (the
data changed since it was generated) is found before it is frozen.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from vmeste.platform.hearings.models import (
    HearingKind,
    ParticipantClass,
    ProposalChannel,
    Recommendation,
)
from vmeste.platform.hearings.protocol import AnnexEntry, ProposalLine, Protocol, Split

PRIVATE_START, PRIVATE_END = "<!--private-->", "<!--/private-->"
_DATA = re.compile(r'<script type="application/json" id="frozen-data">(.*?)</script>', re.S)


def public_copy(html: str) -> str:
    """The full copy without its private part (the whole text when it has none)."""
    start = html.find(PRIVATE_START)
    if start < 0:
        return html
    end = html.index(PRIVATE_END, start) + len(PRIVATE_END)
    return html[:start] + html[end:]


def _plain(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not frozen as JSON")


def as_json(value: Any) -> Any:
    """A document's dataclass (or a part of it) as the JSON it is frozen as."""
    return json.loads(json.dumps(asdict(value), default=_plain))


def embedded(value: Any) -> Markup:
    """The JSON of ``value`` as a script element's text: ``<``, ``>`` and ``&`` are
    escaped, so no text inside can close the element."""
    text = json.dumps(as_json(value), ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c")
                  .replace(">", "\\u003e"))


def frozen_data(html: str) -> dict[str, Any] | None:
    """The data a stored version was rendered from (None for a version without it)."""
    start = html.find(PRIVATE_START)
    found = _DATA.search(html, start) if start >= 0 else None
    return json.loads(found.group(1)) if found else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _line(row: dict[str, Any]) -> ProposalLine:
    recommendation = row["recommendation"]
    return ProposalLine(**{
        **row, "participant_class": ParticipantClass(row["participant_class"]),
        "channel": ProposalChannel(row["channel"]),
        "recommendation": Recommendation(recommendation) if recommendation else None})


def _split(data: dict[str, Any]) -> Split:
    return Split(residents=tuple(_line(r) for r in data["residents"]),
                 others=tuple(_line(r) for r in data["others"]))


def protocol_of(data: dict[str, Any]) -> Protocol:
    """The protocol's data as frozen in its full copy."""
    return Protocol(**{
        **data, "kind": HearingKind(data["kind"]), "dated": date.fromisoformat(data["dated"]),
        "notice_published_at": _moment(data["notice_published_at"]),
        "proposals_from": _day(data["proposals_from"]),
        "proposals_to": _day(data["proposals_to"]), "meeting_at": _moment(data["meeting_at"]),
        "proposals": _split(data["proposals"]),
        "annex": tuple(AnnexEntry(**{
            **e, "participant_class": ParticipantClass(e["participant_class"]),
            "channel": ProposalChannel(e["channel"])}) for e in data["annex"]),
        "extract_for": tuple(data["extract_for"])})
