"""A vote's results as CSV: the totals and every breakdown in one table.

One row per option of each section: ``total`` (every counted ballot), then each
breakdown's groups (``age_band``, ``gender``, ``territory``). A suppressed group keeps
its rows, so the table has the same shape whatever is hidden, but its participants and
votes are empty: the groups hidden are exactly those GraphQL and the charts hide (all
three take them from :func:`vmeste.platform.votes.results.breakdown`). UTF-8, comma
separated, with a header row; the spreadsheet's own formula prefixes (``=``, ``+``,
``-``, ``@``) are defused in titles, which citizens' organisers write.
"""

from __future__ import annotations

import csv
import io

from vmeste.platform.csvfiles import safe_text
from vmeste.platform.votes.models import Vote
from vmeste.platform.votes.results import Dimension, VoteResults, breakdown, vote_results

HEADER = ("section", "group", "participants", "suppressed", "option_id", "option", "votes",
          "points", "winner")
TOTAL = "total"


def _flag(value: bool) -> str:
    return "true" if value else "false"


async def results_csv(vote: Vote, results: VoteResults | None = None) -> str:
    """The whole table; ``results`` when the caller has them already."""
    results = results or await vote_results(vote)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    winners = set(results.winners)
    for option in results.options:
        writer.writerow((TOTAL, "", results.total_ballots, _flag(False), option.id,
                         safe_text(option.title), option.votes, option.points,
                         _flag(option.id in winners)))
    ids = [option.id for option in results.options]
    for by in Dimension:
        for group in await breakdown(vote, by, ids):
            for option in results.options:
                votes = "" if group.votes is None else group.votes[option.id]
                writer.writerow((by.value, group.group,
                                 "" if group.participants is None else group.participants,
                                 _flag(group.suppressed), option.id, safe_text(option.title),
                                 votes, "", ""))
    return out.getvalue()
