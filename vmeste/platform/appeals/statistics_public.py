"""What the public view of appeal statistics may be asked, so that two answers cannot
be subtracted to give one appeal away.

Suppression (:mod:`vmeste.platform.suppression`) looks at one answer. Two answers
that differ by a little, ``to=Y`` and then ``to=Y+1``, a category and then its parent,
a territory and then its child, would each pass it, and their difference would be the
few appeals between them. So the public view takes only scopes from fixed grids:

- dates on whole periods of the chosen period (weeks from a Monday to a Sunday,
  months from the 1st to the last day; a month without a period), never days;
- a territory at region or municipality level only;
- a category at its root level only.

Any two scopes of the grid then differ by whole periods, whole municipalities or whole
root categories, each itself a published answer suppressed on its own. Staff who may
read every counted appeal are not held to it: they can read the appeals anyway.
"""

from __future__ import annotations

from vmeste.platform.appeals.statistics_scope import Period, Scope, period_end, period_start
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.reference.models import Category, Territory, TerritoryKind

#: The territory levels the public view may be filtered at.
PUBLIC_TERRITORY_KINDS = (TerritoryKind.REGION, TerritoryKind.MUNICIPALITY)


async def check_public(scope: Scope, period: Period | None) -> None:
    """A typed error for a scope off the public grid (see the module's docstring)."""
    if period is Period.DAY:
        raise DomainError.of("period", _("The public view is by weeks or months"),
                             ErrorCode.INVALID)
    grid = period or Period.MONTH
    if scope.since is not None and period_start(scope.since, grid) != scope.since:
        raise DomainError.of("from", _("The public view starts on the first day of a "
                                       "week or month"), ErrorCode.INVALID)
    if scope.until is not None and period_end(period_start(scope.until, grid), grid
                                              ) != scope.until:
        raise DomainError.of("to", _("The public view ends on the last day of a week or "
                                     "month"), ErrorCode.INVALID)
    if scope.territory_code is not None and not await Territory.filter(
            code=scope.territory_code, kind__in=list(PUBLIC_TERRITORY_KINDS)).exists():
        raise DomainError.of("territoryCode", _("The public view is by region or "
                                                "municipality"), ErrorCode.INVALID)
    if scope.category_code is not None and not await Category.filter(
            code=scope.category_code, parent_id__isnull=True).exists():
        raise DomainError.of("categoryCode", _("The public view is by top-level category"),
                             ErrorCode.INVALID)
