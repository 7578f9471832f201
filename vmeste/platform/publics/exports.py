"""Compliance shares as CSV, for the regional centre's spreadsheets: one row per
territory and rule (``rule`` empty for the share of pages passing every rule), UTF-8,
comma separated, with a header; names are defused like every exported text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from vmeste.platform.csvfiles import safe_text
from vmeste.platform.publics.shares import Share, compliance_shares
from vmeste.platform.reference.models import Territory

HEADER = ("territory", "territory_name", "rule", "pages", "passing", "share")


def shares_csv(shares: Iterable[Share], names: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for share in shares:
        writer.writerow((share.territory_code, safe_text(names.get(share.territory_code, "")),
                         share.rule_code or "", share.pages, share.passing,
                         f"{share.share:.4f}"))
    return out.getvalue()


async def shares_with_names(region_code: str | None, on: date | None = None
                            ) -> tuple[list[Share], dict[str, str]]:
    """The shares and their territories' names, for a table or the CSV."""
    shares = await compliance_shares(region_code, on)
    names = dict(await Territory.filter(code__in={s.territory_code for s in shares}
                                        ).values_list("code", "name"))
    return shares, names
