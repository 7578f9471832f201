"""Service requests as GeoReport v2 answers them: only requests filed through Open311
(the protocol's reads are public; appeals from other channels were never offered to the
public), in the time zone of their territory.

Statuses: ``closed`` once the appeal is answered, closed, rejected or withdrawn,
``open`` before. ``status_notes`` is the body's answer once there is one (published
here: an Open311 request's answer is public), else the reason of the latest step whose
reason is public (:data:`PUBLIC_REASONS`; a moderation refusal's to the filing client
only); ``expected_datetime`` the appeal's deadline; ``agency_responsible`` the body it
is routed to. The description, address, point and media of a request moderation has
not accepted (yet) are shown to the client that filed it only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.functions import Max

from vmeste.platform.appeals.lifecycle import Action
from vmeste.platform.appeals.models import AppealEvent, AppealStatus
from vmeste.platform.i18n import _
from vmeste.platform.open311.catalog import CODE_MAX
from vmeste.platform.open311.formats import Open311Error, number
from vmeste.platform.open311.models import Open311Request
from vmeste.platform.reference.models import subtree

CLOSED = (AppealStatus.ANSWERED, AppealStatus.CLOSED, AppealStatus.REJECTED,
          AppealStatus.WITHDRAWN)
OPEN = tuple(s for s in AppealStatus if s not in CLOSED)
#: Not (yet) accepted by moderation: what the citizen wrote is not published.
UNMODERATED = (AppealStatus.MODERATION, AppealStatus.REJECTED)
#: Steps whose reason is addressed to the citizen as the body's word and is published
#: (a clarification asked, a term extended); a citizen's own reasons (withdrawing) and
#: the staff's (reopening, redirecting, escalating) never are.
PUBLIC_REASONS = (Action.REQUEST_CLARIFICATION.value, Action.EXTEND.value)
#: A moderation refusal's reason is addressed to the citizen but may quote the text it
#: refuses, so only the client that filed it reads it, as the description.
FILER_REASONS = (Action.MODERATE.value,)
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
MAX_IDS = 1000
MAX_CODES = 100
_COLUMNS = ("appeal_id", "client_id", "appeal__category__code", "address_string", "address_id",
            "latitude", "longitude", "media_url", "requested_at", "appeal__status",
            "appeal__text", "appeal__updated_at", "appeal__due_at", "appeal__answer",
            "appeal__organization__name", "appeal__category__name",
            "appeal__territory__timezone")


def when(moment: datetime | None, timezone: str) -> str | None:
    """ISO 8601 with the offset of the territory's zone (the spec wants a zone)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def open311_status(status: str) -> str:
    return "closed" if AppealStatus(status) in CLOSED else "open"


def parse_moment(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, _("{name} must be a W3C date and time, such as "
                                  "2026-01-01T00:00:00Z", name=name)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Query:
    """GET requests' arguments, as given (each optional)."""

    service_request_id: str = ""
    service_code: str = ""
    start_date: str = ""
    end_date: str = ""
    status: str = ""
    #: A territory code: only requests within it.
    jurisdiction_path: str | None = None


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _ids(text: str) -> list[int]:
    ids = [number(item) for item in _items(text)]
    if len(ids) > MAX_IDS or None in ids:
        raise Open311Error(400, _("service_request_id is a comma-separated list of request "
                                  "numbers (at most {limit})", limit=MAX_IDS))
    return [i for i in ids if i is not None]


def _codes(text: str) -> list[str]:
    codes = _items(text)
    if len(codes) > MAX_CODES or any(len(code) > CODE_MAX for code in codes):
        raise Open311Error(400, _("service_code is a comma-separated list of at most "
                                  "{count} codes of at most {limit} characters",
                                  count=MAX_CODES, limit=CODE_MAX))
    return codes


def _span(query: Query, now: datetime) -> tuple[datetime, datetime]:
    """The window searched; a date so near the calendar's ends that the window would
    leave it is a 400, not an overflow."""
    try:
        return _window(query, now)
    except OverflowError:
        raise Open311Error(400, _("start_date and end_date must be between the years 1 "
                                  "and 9999 with 90 days to spare")) from None


def _window(query: Query, now: datetime) -> tuple[datetime, datetime]:
    start = parse_moment(query.start_date, "start_date") if query.start_date else None
    end = parse_moment(query.end_date, "end_date") if query.end_date else None
    if start is None and end is None:
        return now - MAX_SPAN, now
    if start is None:
        assert end is not None
        return end - MAX_SPAN, end
    end = end or start + MAX_SPAN
    if end < start:
        raise Open311Error(400, _("end_date is before start_date"))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("A search spans at most 90 days"))
    return start, end


async def find(query: Query, now: datetime, caller_id: int | None = None
               ) -> list[dict[str, Any]]:
    """The requests the arguments select, newest first, at most :data:`MAX_RESULTS`.
    ``service_request_id`` overrides the other arguments, as the spec says."""
    rows = Open311Request.all()
    if query.jurisdiction_path is not None:
        rows = rows.filter(subtree(query.jurisdiction_path, "appeal__territory_path"))
    if query.service_request_id:
        rows = rows.filter(appeal_id__in=_ids(query.service_request_id))
    else:
        statuses = _items(query.status)
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, _("status is open, closed or both, comma-separated"))
        if set(statuses) == {"open"}:
            rows = rows.filter(appeal__status__in=OPEN)
        elif set(statuses) == {"closed"}:
            rows = rows.filter(appeal__status__in=CLOSED)
        if codes := _codes(query.service_code):
            rows = rows.filter(appeal__category__code__in=codes)
        start, end = _span(query, now)
        rows = rows.filter(requested_at__gte=start, requested_at__lte=end)
    found = await rows.order_by("-requested_at", "-appeal_id").limit(MAX_RESULTS).values(
        *_COLUMNS)
    return await _answers(found, caller_id)


async def one(appeal_id: int, caller_id: int | None = None,
              jurisdiction_path: str | None = None) -> list[dict[str, Any]]:
    """One request, within the jurisdiction when one is given (else not found)."""
    rows = Open311Request.filter(appeal_id=appeal_id)
    if jurisdiction_path is not None:
        rows = rows.filter(subtree(jurisdiction_path, "appeal__territory_path"))
    found = await rows.values(*_COLUMNS)
    if not found:
        raise Open311Error(404, _("Service request {id} not found", id=appeal_id))
    return await _answers(found, caller_id)


async def _notes(rows: list[dict[str, Any]]) -> dict[int, tuple[str, str]]:
    """Each appeal's latest step whose reason may be told (its action and reason): one
    row per appeal, however long the histories."""
    ids = [row["appeal_id"] for row in rows]
    latest = await AppealEvent.filter(
        appeal_id__in=ids, action__in=PUBLIC_REASONS + FILER_REASONS).exclude(
        reason="").annotate(last=Max("id")).group_by("appeal_id").values_list("last", flat=True)
    return {appeal_id: (action, reason) for appeal_id, action, reason in
            await AppealEvent.filter(id__in=list(latest)).values_list(
                "appeal_id", "action", "reason")}


async def _answers(rows: list[dict[str, Any]], caller_id: int | None) -> list[dict[str, Any]]:
    notes = await _notes(rows) if rows else {}
    return [answer(row, notes.get(row["appeal_id"]), caller_id) for row in rows]


def service_notice(row: dict[str, Any]) -> str | None:
    due, zone = row["appeal__due_at"], row["appeal__territory__timezone"]
    if due is None or AppealStatus(row["appeal__status"]) in CLOSED:
        return None
    return _("An answer is due by {moment}", moment=when(due, zone))


def _status_notes(row: dict[str, Any], status: AppealStatus, note: tuple[str, str] | None,
                  filer: bool) -> str | None:
    if status in (AppealStatus.ANSWERED, AppealStatus.CLOSED) and row["appeal__answer"]:
        return str(row["appeal__answer"])
    if note is None or (note[0] in FILER_REASONS and not filer):
        return None
    return note[1]


def answer(row: dict[str, Any], note: tuple[str, str] | None, caller_id: int | None
           ) -> dict[str, Any]:
    zone = row["appeal__territory__timezone"]
    status = AppealStatus(row["appeal__status"])
    filer = row["client_id"] == caller_id
    shown = status not in UNMODERATED or filer
    notes = _status_notes(row, status, note, filer)
    return {
        "service_request_id": row["appeal_id"],
        "status": open311_status(status),
        "status_notes": notes or None,
        "service_name": row["appeal__category__name"],
        "service_code": row["appeal__category__code"],
        "description": (row["appeal__text"] or None) if shown else None,
        "agency_responsible": row["appeal__organization__name"],
        "service_notice": service_notice(row),
        "requested_datetime": when(row["requested_at"], zone),
        "updated_datetime": when(row["appeal__updated_at"], zone),
        "expected_datetime": when(row["appeal__due_at"], zone),
        "address": (row["address_string"] or None) if shown else None,
        "address_id": row["address_id"] or None,
        "zipcode": None,
        "lat": row["latitude"] if shown else None,
        "long": row["longitude"] if shown else None,
        "media_url": (row["media_url"] or None) if shown else None,
    }
