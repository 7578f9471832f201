"""The hand-written SVG chart kit (no plotting dependency) that votes' results and appeal
statistics draw with: a canvas filled top to bottom, text cut to the width it has,
horizontal bars with their captions, and the hatched box of a suppressed group, which
says so and carries no number.

Text is escaped with the standard library, set in DejaVu Sans where it is installed (it
has Cyrillic), and a chart is an image to assistive technology with its title and a
text summary of every bar. Long texts are cut to the width they have, by an average
glyph width, with "…".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from babel.numbers import format_decimal, format_percent

from vmeste.platform.i18n import current

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
WIDTH = 760
PAD = 24
#: Average advance of a glyph of DejaVu Sans (Cyrillic and Latin), per unit of font
#: size, regular and bold: a little more than measured, so a cut text never overflows.
GLYPH, GLYPH_BOLD = 0.62, 0.7
#: Where the numbers after a bar go.
VALUE_COLUMN = 150
BAR, MARKED, TRACK, MUTED, INK = "#3d6fb6", "#1e7b4f", "#e8ecf2", "#5b6472", "#1b1f24"


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


def number(value: float) -> str:
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
    value: float
    #: What is written after the bar (the value, a share, a unit).
    caption: str
    #: Drawn bold in :data:`MARKED` (a vote's winner), its label after ``mark``.
    marked: bool = False
    #: Suppressed: a hatched track, no bar, and the caption says so.
    hidden: bool = False


def _scale(bars: Sequence[Bar]) -> float:
    return max((bar.value for bar in bars), default=0) or 1


def draw_bars(canvas: Canvas, bars: Sequence[Bar], left: float, size: float,
              thickness: float, label_width: float | None, mark: str = "") -> None:
    """Each bar with its label above it (``label_width`` None) or left of it."""
    top = _scale(bars)
    area = WIDTH - PAD - VALUE_COLUMN - left - (label_width or 0)
    for bar in bars:
        label = f"{mark} {bar.label}" if bar.marked and mark else bar.label
        weight = "bold" if bar.marked else "normal"
        bold = bar.marked
        if label_width is None:
            canvas.text(left, canvas.y + size, fit(label, size, area + VALUE_COLUMN, bold),
                        size, weight=weight)
            canvas.y += size + 6
            start = left
        else:
            canvas.centred(left, canvas.y, thickness, fit(label, size, label_width - 8, bold),
                           size, weight=weight)
            start = left + label_width
        canvas.rect(start, canvas.y, area, thickness, "url(#hatch)" if bar.hidden else TRACK)
        if not bar.hidden:
            canvas.rect(start, canvas.y, area * bar.value / top, thickness,
                        MARKED if bar.marked else BAR)
        canvas.centred(WIDTH - PAD, canvas.y, thickness, bar.caption, size, fill=MUTED,
                       anchor="end")
        canvas.y += thickness + (14 if label_width is None else 8)


def group_heading(canvas: Canvas, heading: str) -> None:
    """A group's name (and count) in bold, above its bars or its hatched box."""
    canvas.text(PAD, canvas.y + 15, fit(heading, 15, WIDTH - 2 * PAD, True), 15,
                weight="bold")
    canvas.y += 24


def suppressed_box(canvas: Canvas, note: str) -> None:
    """The hatched box standing for a suppressed group: ``note`` and no number."""
    canvas.rect(PAD, canvas.y, WIDTH - 2 * PAD, 30, "url(#hatch)")
    canvas.centred(WIDTH / 2, canvas.y, 30, note, 13, fill=MUTED, anchor="middle")
    canvas.y += 46


def nothing_yet(canvas: Canvas, note: str) -> None:
    canvas.text(PAD, canvas.y + 16, note, 14, fill=MUTED)
    canvas.y += 24


def summary(bars: Sequence[Bar], mark_note: str = "") -> str:
    """Every bar as text, for the chart's description."""
    marked = f" ({mark_note})" if mark_note else ""
    return "; ".join(f"{bar.label}: {bar.caption}" + (marked if bar.marked else "")
                     for bar in bars)
