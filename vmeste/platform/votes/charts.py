"""SVG charts of a vote's results, written by hand (no plotting dependency): bars per
option, and a breakdown's groups each with its own bars.

What a chart shows is what GraphQL and the CSV show: the same results, and the same
suppressed groups (from :func:`vmeste.platform.votes.results.breakdown`), drawn as a
hatched box that says so and carries no number. Text is escaped with the standard
library, set in DejaVu Sans where it is installed (it has Cyrillic), and the chart is
an image to assistive technology with its title and a text summary of every bar.
Long titles are cut to the width they have, by an average glyph width, with "…".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from babel.numbers import format_decimal, format_percent

from vmeste.platform.i18n import N_, _, current, translate
from vmeste.platform.participation.demographics import UNKNOWN
from vmeste.platform.votes.results import (
    CUMULATIVE,
    Dimension,
    GroupResult,
    OptionResult,
    VoteResults,
)

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
WIDTH = 760
PAD = 24
#: Average advance of a glyph of DejaVu Sans (Cyrillic and Latin), per unit of font
#: size, regular and bold: a little more than measured, so a cut text never overflows.
GLYPH, GLYPH_BOLD = 0.62, 0.7
#: Where the numbers after a bar go.
VALUE_COLUMN = 150
BAR, WINNER, TRACK, MUTED, INK = "#3d6fb6", "#1e7b4f", "#e8ecf2", "#5b6472", "#1b1f24"
STAR = "★"
DIMENSION_TITLES = {Dimension.AGE_BAND: N_("By age band"), Dimension.GENDER: N_("By gender"),
                    Dimension.TERRITORY: N_("By territory")}
GENDER_LABELS = {"male": N_("Men"), "female": N_("Women")}


def room(size: float, width: float, bold: bool = False) -> int:
    """How many characters ``width`` holds at ``size``."""
    return max(int(width / (size * (GLYPH_BOLD if bold else GLYPH))), 1)


def fit(text: str, size: float, width: float, bold: bool = False) -> str:
    """``text`` cut to what ``width`` holds at ``size``, ending with "…" if cut."""
    most = room(size, width, bold)
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def wrap(text: str, size: float, width: float, lines: int, bold: bool = False) -> list[str]:
    """``text`` broken between words into at most ``lines`` lines, the last cut."""
    most, found, words = room(size, width, bold), [], text.split()
    while words and len(found) < lines - 1:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= most:
            line += " " + words.pop(0)
        found.append(fit(line, size, width, bold))
    if words:
        found.append(fit(" ".join(words), size, width, bold))
    return found


def number(value: int) -> str:
    return format_decimal(value, locale=current())


def percent(part: int, whole: int) -> str:
    return format_percent(part / whole if whole else 0, "#,##0.0%", locale=current())


@dataclass
class Canvas:
    """Elements drawn top to bottom; ``y`` is where the next one goes."""

    y: float = PAD
    parts: list[str] = field(default_factory=list)

    def text(self, x: float, y: float, content: str, size: float = 14, *,
             weight: str = "normal", fill: str = INK, anchor: str = "start") -> None:
        """``y`` is the baseline."""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
                          f'font-weight="{weight}" fill="{fill}" text-anchor="{anchor}">'
                          f"{escape(content)}</text>")

    def centred(self, x: float, top: float, height: float, content: str, size: float,
                **style: str) -> None:
        """Text set in the middle of a band ``height`` tall from ``top``."""
        self.text(x, top + height / 2 + size * 0.36, content, size, **style)

    def rect(self, x: float, y: float, width: float, height: float, fill: str,
             extra: str = "") -> None:
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" '
                          f'height="{height}" fill="{fill}" rx="2"{extra}/>')

    def svg(self, label: str, summary: str) -> str:
        height = round(self.y + PAD)
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
                f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label={quoteattr(label)} '
                f'aria-describedby="desc" font-family={quoteattr(FONT)}>'
                f"<title>{escape(label)}</title><desc id=\"desc\">{escape(summary)}</desc>"
                '<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
                'patternTransform="rotate(45)"><rect width="8" height="8" fill="#f3f4f6"/>'
                '<line x1="0" y1="0" x2="0" y2="8" stroke="#c9ced6" stroke-width="3"/>'
                "</pattern></defs>"
                f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>'
                + "".join(self.parts) + "</svg>")

    def heading(self, title: str, *notes: str) -> None:
        """The title (two lines at most), then each note on a line of its own."""
        for line in wrap(title, 20, WIDTH - 2 * PAD, 2, bold=True):
            self.text(PAD, self.y + 20, line, 20, weight="bold")
            self.y += 26
        self.y += 4
        for note in notes:
            self.text(PAD, self.y + 13, fit(note, 13, WIDTH - 2 * PAD), 13, fill=MUTED)
            self.y += 19
        self.y += 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    whole: int
    winner: bool = False

    def caption(self) -> str:
        return f"{number(self.value)} · {percent(self.value, self.whole)}"


def _scale(bars: Sequence[Bar]) -> int:
    return max((bar.value for bar in bars), default=0) or 1


def _draw_bars(canvas: Canvas, bars: Sequence[Bar], left: float, size: float,
               thickness: float, label_width: float | None) -> None:
    """Each bar with its label above it (``label_width`` None) or left of it."""
    top = _scale(bars)
    area = WIDTH - PAD - VALUE_COLUMN - left - (label_width or 0)
    for bar in bars:
        label = f"{STAR} {bar.label}" if bar.winner else bar.label
        weight = "bold" if bar.winner else "normal"
        bold = bar.winner
        if label_width is None:
            canvas.text(left, canvas.y + size, fit(label, size, area + VALUE_COLUMN, bold),
                        size, weight=weight)
            canvas.y += size + 6
            start = left
        else:
            canvas.centred(left, canvas.y, thickness, fit(label, size, label_width - 8, bold),
                           size, weight=weight)
            start = left + label_width
        canvas.rect(start, canvas.y, area, thickness, TRACK)
        canvas.rect(start, canvas.y, area * bar.value / top, thickness,
                    WINNER if bar.winner else BAR)
        canvas.centred(WIDTH - PAD, canvas.y, thickness, bar.caption(), size, fill=MUTED,
                       anchor="end")
        canvas.y += thickness + (14 if label_width is None else 8)


def _option_bars(results: VoteResults, method: str) -> list[Bar]:
    points = method == CUMULATIVE
    whole = (sum(o.points for o in results.options) if points else results.total_ballots)
    winners = set(results.winners)
    return [Bar(o.title, o.points if points else o.votes, whole, o.id in winners)
            for o in results.options]


def _summary(bars: Sequence[Bar]) -> str:
    winner = _("winner")
    return "; ".join(f"{bar.label}: {bar.caption()}" + (f" ({winner})" if bar.winner else "")
                     for bar in bars)


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
        canvas.text(PAD, canvas.y + 16, _("No ballots counted yet"), 14, fill=MUTED)
        canvas.y += 24
    _draw_bars(canvas, bars, PAD, 14, 20, None)
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
    summary = []
    for group in groups:
        name = group_label(by, group.group, territories or {})
        if group.suppressed or group.votes is None or group.participants is None:
            canvas.text(PAD, canvas.y + 15, fit(name, 15, WIDTH - 2 * PAD, True), 15,
                        weight="bold")
            canvas.y += 24
            canvas.rect(PAD, canvas.y, WIDTH - 2 * PAD, 30, "url(#hatch)")
            canvas.centred(WIDTH / 2, canvas.y, 30, _("suppressed: too few participants to "
                                                      "publish"), 13, fill=MUTED,
                           anchor="middle")
            canvas.y += 46
            summary.append(name + ": " + _("suppressed"))
            continue
        heading = _("{group}: {count} participants", group=name,
                    count=number(group.participants))
        canvas.text(PAD, canvas.y + 15, fit(heading, 15, WIDTH - 2 * PAD, True), 15,
                    weight="bold")
        canvas.y += 24
        bars = [Bar(o.title, group.votes.get(o.id, 0), group.participants, o.id in chosen)
                for o in options]
        _draw_bars(canvas, bars, PAD, 12, 14, 230)
        canvas.y += 10
        summary.append(f"{heading} ({_summary(bars)})")
    if not groups:
        canvas.text(PAD, canvas.y + 16, _("No ballots counted yet"), 14, fill=MUTED)
        canvas.y += 24
    return canvas.svg(f"{title}: {translate(DIMENSION_TITLES[by])}", ". ".join(summary))
