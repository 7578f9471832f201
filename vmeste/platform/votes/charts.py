"""SVG charts of a vote's results, drawn with the platform's chart kit
(:mod:`vmeste.platform.charts`): bars per option, and a breakdown's groups each with
its own bars.

What a chart shows is what GraphQL and the CSV show: the same results, and the same
suppressed groups (from :func:`vmeste.platform.votes.results.breakdown`), drawn as a
hatched box that says so and carries no number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vmeste.platform.charts import (
    PAD,
    Bar,
    Canvas,
    draw_bars,
    group_heading,
    nothing_yet,
    number,
    percent,
    summary,
    suppressed_box,
)
from vmeste.platform.i18n import N_, _, translate
from vmeste.platform.participation.demographics import UNKNOWN
from vmeste.platform.votes.results import (
    CUMULATIVE,
    Dimension,
    GroupResult,
    OptionResult,
    VoteResults,
)

STAR = "★"
DIMENSION_TITLES = {Dimension.AGE_BAND: N_("By age band"), Dimension.GENDER: N_("By gender"),
                    Dimension.TERRITORY: N_("By territory")}
GENDER_LABELS = {"male": N_("Men"), "female": N_("Women")}


def _bar(label: str, value: int, whole: int, winner: bool) -> Bar:
    """A bar captioned with its count and its share of ``whole``."""
    return Bar(label, value, f"{number(value)} · {percent(value, whole)}", winner)


def _option_bars(results: VoteResults, method: str) -> list[Bar]:
    points = method == CUMULATIVE
    whole = (sum(o.points for o in results.options) if points else results.total_ballots)
    winners = set(results.winners)
    return [_bar(o.title, o.points if points else o.votes, whole, o.id in winners)
            for o in results.options]


def _summary(bars: Sequence[Bar]) -> str:
    return summary(bars, _("winner"))


def results_chart(title: str, method: str, results: VoteResults) -> str:
    """Bars per option: votes (points for a cumulative vote), their share of the
    ballots (of the points), and the winners marked with a star."""
    canvas = Canvas()
    measure = _("points") if method == CUMULATIVE else _("votes")
    canvas.heading(title, _("{ballots} ballots; bars show {measure}; {star} winner",
                            ballots=number(results.total_ballots), measure=measure,
                            star=STAR))
    bars = _option_bars(results, method)
    if not results.total_ballots:
        nothing_yet(canvas, _("No ballots counted yet"))
    draw_bars(canvas, bars, PAD, 14, 20, None, STAR)
    return canvas.svg(title, _summary(bars))


def group_label(by: Dimension, group: str, territories: Mapping[str, str]) -> str:
    if group == UNKNOWN:
        return _("Not known")
    if by is Dimension.GENDER and group in GENDER_LABELS:
        return translate(GENDER_LABELS[group])
    if by is Dimension.TERRITORY:
        return territories.get(group, group)
    return group


def breakdown_chart(title: str, by: Dimension, options: Sequence[OptionResult],
                    groups: Sequence[GroupResult], min_group_size: int,
                    winners: Sequence[int] = (),
                    territories: Mapping[str, str] | None = None) -> str:
    """A block per group (age band, gender or territory): its participants and a bar
    per option with its share of them; a suppressed group is a hatched box without
    any number."""
    canvas = Canvas()
    canvas.heading(title, _("{dimension}: votes and their share of each group; {star} winner "
                            "of the vote",
                            dimension=translate(DIMENSION_TITLES[by]), star=STAR),
                   _("Groups under {size} participants are hidden, with the next smallest "
                     "where needed", size=number(min_group_size)))
    chosen = set(winners)
    described = []
    for group in groups:
        name = group_label(by, group.group, territories or {})
        if group.suppressed or group.votes is None or group.participants is None:
            group_heading(canvas, name)
            suppressed_box(canvas, _("suppressed: too few participants to publish"))
            described.append(name + ": " + _("suppressed"))
            continue
        heading = _("{group}: {count} participants", group=name,
                    count=number(group.participants))
        group_heading(canvas, heading)
        bars = [_bar(o.title, group.votes.get(o.id, 0), group.participants, o.id in chosen)
                for o in options]
        draw_bars(canvas, bars, PAD, 12, 14, 230, STAR)
        canvas.y += 10
        described.append(f"{heading} ({_summary(bars)})")
    if not groups:
        nothing_yet(canvas, _("No ballots counted yet"))
    return canvas.svg(f"{title}: {translate(DIMENSION_TITLES[by])}", ". ".join(described))
