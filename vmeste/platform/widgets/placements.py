"""Counting where a widget is used: an open when a site's page opens the widget's form,
a submission when an appeal sent from it is reported back.

The origin is the one the loader read from the embedding page. It is a count, not a
security boundary (``frame-ancestors`` is that): an origin the widget does not allow is
not counted, and an open is counted only when the browser itself says the page is
loaded into a frame (``Sec-Fetch-Dest``, where sent) from that origin (``Referer``, which
the loader's iframe sends as the bare origin): a site cannot add opens to another
site's row from a browser, only a script outside one can, as with any count. A
submission is counted once per appeal, only for the appeal's own
applicant, and only for an appeal sent through the widget channel to the widget's body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from tortoise.expressions import F
from tortoise.functions import Max, Sum
from tortoise.transactions import in_transaction

from vmeste.platform.appeals.models import Appeal, Channel
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.widgets.configuration import normal_origin
from vmeste.platform.widgets.models import (
    Widget,
    WidgetPlacement,
    WidgetStatus,
    WidgetSubmission,
)

#: What a public key is made of (``secrets.token_urlsafe``).
_KEY = re.compile(r"[A-Za-z0-9_-]{1,32}")
#: How long after its submission an appeal may still be reported as the widget's.
REPORT_WINDOW = timedelta(hours=1)
#: A widget opened on a site within this window counts as placed there (publics'
#: compliance rule "widgets").
PLACED_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class SiteTotals:
    origin: str
    opens: int
    submissions: int
    last_day: date


async def active_widget(public_key: str) -> Widget | None:
    """The active widget of ``public_key``; None for anything else, a key that is not of
    the keys' alphabet (a NUL byte, which PostgreSQL refuses, included) too."""
    if not _KEY.fullmatch(public_key):
        return None
    return await Widget.get_or_none(public_key=public_key, status=WidgetStatus.ACTIVE)


def allowed_origin(widget: Widget, origin: str, *, dev_mode: bool) -> str | None:
    """The reported origin, normalised, if the widget allows it."""
    found = normal_origin(origin, dev_mode=dev_mode)
    return found if found is not None and found in widget.allowed_origins else None


def framed_from(origin: str, referer: str | None, destination: str | None) -> bool:
    """Whether a page request came from a frame on ``origin``: its ``Referer`` is that
    origin (or a page of it), and its destination, where the browser names one, a frame."""
    if destination is not None and destination not in ("iframe", "frame"):
        return False
    if not referer or len(referer) > 2048:
        return False
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}".lower() == origin


async def count_placement(widget_id: int, origin: str, day: date, column: str,
                 conn: object | None = None) -> None:
    """One more in the day's row: created empty if missing (a concurrent creator's row
    is kept), then incremented in the database, so concurrent counts add up."""
    await WidgetPlacement.bulk_create(
        [WidgetPlacement(widget_id=widget_id, origin=origin, day=day)], ignore_conflicts=True,
        using_db=conn)  # type: ignore[arg-type]
    await WidgetPlacement.filter(widget_id=widget_id, origin=origin, day=day).using_db(
        conn).update(**{column: F(column) + 1})  # type: ignore[arg-type]


async def count_open(widget: Widget, origin: str, now: datetime) -> None:
    await count_placement(widget.id, origin, now.date(), "opens")


async def count_submission(principal: Principal, widget: Widget, appeal_id: int, origin: str,
                           now: datetime) -> bool:
    """Count ``appeal_id`` as sent from ``origin``; False when it was counted already."""
    require_authenticated(principal)
    appeal = await Appeal.get_or_none(id=appeal_id)
    if (appeal is None or principal.user is None or appeal.applicant_id != principal.user.id
            or appeal.channel != Channel.WIDGET
            or appeal.target_organization_id != widget.organization_id
            or appeal.created_at < now - REPORT_WINDOW):
        raise DomainError.of("appealId", _("Not an appeal of yours sent through this widget"),
                             ErrorCode.NOT_FOUND)
    async with in_transaction() as conn:
        if await WidgetSubmission.filter(appeal_id=appeal.id).using_db(conn).exists():
            return False
        await WidgetSubmission.create(appeal_id=appeal.id, widget_id=widget.id, origin=origin,
                                      counted_at=now, using_db=conn)
        await count_placement(widget.id, origin, now.date(), "submissions", conn)
    return True


async def placed_on(organization_id: int, since: datetime) -> dict[str, tuple[str, ...]]:
    """The sites on which the body's active widgets were opened on or after ``since``,
    by the widget's kind (``appeal``, ``opinion``)."""
    rows = await WidgetPlacement.filter(
        widget__organization_id=organization_id, widget__status=WidgetStatus.ACTIVE,
        day__gte=since.date(), opens__gt=0).distinct().order_by("origin").values_list(
        "widget__kind", "origin")
    found: dict[str, tuple[str, ...]] = {}
    for kind, origin in rows:
        if str(origin) not in found.get(str(kind), ()):
            found[str(kind)] = (*found.get(str(kind), ()), str(origin))
    return found


async def site_totals(widget_ids: list[int]) -> dict[int, list[SiteTotals]]:
    """Each widget's sites with their opens and submissions over all days, busiest
    first, in one query."""
    rows = await WidgetPlacement.filter(widget_id__in=widget_ids).annotate(
        opens_sum=Sum("opens"), submissions_sum=Sum("submissions"), last=Max("day"),
    ).group_by("widget_id", "origin").values(
        "widget_id", "origin", "opens_sum", "submissions_sum", "last")
    found: dict[int, list[SiteTotals]] = {pk: [] for pk in widget_ids}
    for row in rows:
        last = row["last"]
        found[row["widget_id"]].append(SiteTotals(
            origin=row["origin"], opens=int(row["opens_sum"] or 0),
            submissions=int(row["submissions_sum"] or 0),
            last_day=last if isinstance(last, date) else date.fromisoformat(str(last))))
    for sites in found.values():
        sites.sort(key=lambda s: (-s.opens, s.origin))
    return found
