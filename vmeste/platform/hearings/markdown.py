"""The draft act's structure read from Markdown, with markdown-it (CommonMark).

Headings become sections (``#`` a chapter at depth 1, ``##`` below it, and so on), and
numbered points become sections one level below the heading they stand under: items of
an ordered list (a nested list one level further down), and paragraphs that open with a
number such as ``1.2.`` (CommonMark reads ``1.2.`` as text, not as a list). A number is
kept as written (an act is cited by its own numbering, so ``3.`` stays ``3`` and a
nested ``1.`` stays ``1``), and a heading's leading number (``## 2. Порядок``) becomes
the section's number. Anything else (paragraphs, bullet items, tables, code) is text of
the section or point it follows; text before the first heading is a preamble section.
Inline markup is dropped: the text is what a proposal quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _

#: The largest source accepted (characters): a long master plan text is well below it,
#: and parsing stays well under a second.
MAX_SOURCE_CHARS = 1_000_000
#: Sections and points of one version.
MAX_SECTIONS = 5_000
NUMBER_MAX = 32
HEADING_MAX = 1_000

_NUMBERED = re.compile(r"^(\d{1,6}(?:\.\d{1,6}){0,7})\.?(?:\s+|$)")
_PARSER = MarkdownIt("commonmark").enable("table")


@dataclass
class Section:
    """One section or point, as parsed or as entered."""

    depth: int
    number: str = ""
    heading: str = ""
    text: str = ""
    _lines: list[str] = field(default_factory=list, repr=False, compare=False)

    def add(self, line: str) -> None:
        """A paragraph more; the text is joined once the reading ends (:meth:`done`), so
        a long section costs its length, not its length squared."""
        if line:
            self._lines.append(line)

    def done(self) -> Section:
        if self._lines:
            self.text = "\n\n".join(self._lines)
        return self


def too_large(field_name: str, limit: int) -> DomainError:
    return DomainError.of(field_name, _("At most {limit} characters", limit=limit),
                          ErrorCode.INVALID)


def parse(source: str) -> list[Section]:
    """The sections of ``source`` in order; INVALID on ``markdown`` when it is empty,
    too large or holds too many sections."""
    if len(source) > MAX_SOURCE_CHARS:
        raise too_large("markdown", MAX_SOURCE_CHARS)
    if not source.strip():
        raise DomainError.of("markdown", _("The draft has no text"), ErrorCode.REQUIRED)
    sections = _Reader().read(_PARSER.parse(source))
    if len(sections) > MAX_SECTIONS:
        raise DomainError.of("markdown", _("At most {limit} sections and points",
                                           limit=MAX_SECTIONS), ErrorCode.INVALID)
    return sections


def split_number(text: str) -> tuple[str, str]:
    """``("1.2", "Текст")`` of ``"1.2. Текст"``; ``("", text)`` when it has no number."""
    found = _NUMBERED.match(text)
    if found is None or len(found.group(1)) > NUMBER_MAX:
        return "", text
    return found.group(1), text[found.end():]


def _plain(token: Token) -> str:
    """An inline token's text without its markup."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(_plain(child))
    return "".join(parts).strip()


class _Reader:
    """Walks markdown-it's token stream once, keeping where in the structure it is."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.heading_depth = 0
        self.heading_number = ""
        #: Open lists, innermost last: True for ordered ones.
        self.lists: list[bool] = []
        #: The point an open ordered list item created, innermost last (None for bullets).
        self.items: list[Section | None] = []

    def read(self, tokens: list[Token]) -> list[Section]:
        levels = sorted({int(t.tag[1]) for t in tokens if t.type == "heading_open"})
        ranks = {level: rank + 1 for rank, level in enumerate(levels)}
        pending_heading: int | None = None
        for token in tokens:
            kind = token.type
            if kind == "heading_open":
                pending_heading = ranks[int(token.tag[1])]
            elif kind == "inline" and pending_heading is not None:
                number, heading = split_number(_plain(token))
                self._new(Section(pending_heading, number, heading[:HEADING_MAX]))
                self.heading_depth, pending_heading = self.sections[-1].depth, None
                self.heading_number = number
            elif kind in ("ordered_list_open", "bullet_list_open"):
                self.lists.append(kind == "ordered_list_open")
            elif kind in ("ordered_list_close", "bullet_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                self._item(token)
            elif kind == "list_item_close":
                self.items.pop()
            elif kind == "inline":
                self._text(_plain(token))
            elif kind in ("fence", "code_block"):
                self._text(token.content.rstrip("\n"))
        return [section.done() for section in self.sections]

    def _new(self, section: Section) -> None:
        self.sections.append(section)

    def _levels(self, number: str) -> int:
        """How far below its heading a numbered paragraph stands: ``1.2`` is one level
        under a heading numbered ``1``, two under an unnumbered one."""
        parts = number.split(".")
        if self.heading_number and number.startswith(self.heading_number + "."):
            return len(parts) - len(self.heading_number.split("."))
        return len(parts)

    def _depth_below(self) -> int:
        ordered = sum(self.lists)
        return self.heading_depth + max(ordered, 1)

    def _item(self, token: Token) -> None:
        if not self.lists[-1]:
            self.items.append(None)
            return
        point = Section(self._depth_below(), token.info[:NUMBER_MAX])
        self._new(point)
        self.items.append(point)

    def _current(self) -> Section:
        if not self.sections:
            self._new(Section(1))
        return self.sections[-1]

    def _text(self, text: str) -> None:
        open_item = self.items[-1] if self.items else None
        if self.lists and not self.lists[-1]:
            self._current().add(f"— {text}")
            return
        if open_item is not None:
            open_item.add(text)
            return
        # A paragraph's lines that open with a number each start a point (``1.1.`` and
        # ``1.2.`` on consecutive lines are one CommonMark paragraph).
        target: Section | None = None
        lines: list[str] = []
        for line in text.split("\n"):
            number, rest = split_number(line)
            if number:
                self._flush(target, lines)
                target, lines = Section(self.heading_depth + self._levels(number), number), []
                self._new(target)
                line = rest
            lines.append(line)
        self._flush(target, lines)

    def _flush(self, target: Section | None, lines: list[str]) -> None:
        joined = "\n".join(lines).strip()
        if joined:
            (target or self._current()).add(joined)
