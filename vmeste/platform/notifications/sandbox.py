"""A Jinja2 sandbox that also bounds the work and the size of a render.

Jinja2's own sandbox keeps a template away from Python internals, but not from the
CPU or memory: nested loops, ``'x' * 10**9`` or ``s.replace('', s)`` would freeze
the process that renders (the API when a template is saved, a worker at fan-out). A
regional administrator writes these templates, so every render here has a budget:

* steps: each loop iteration and each call (a method, a macro, ``range``) is one;
* size: no string or list built along the way, and no output, is longer than
  :data:`MAX_SIZE`, and an operation is refused *before* it runs when its operands
  say the result would be (repetition, concatenation, ``%`` and ``format`` widths,
  method and filter arguments);
* time: each step and each piece of output checks a deadline, so the render stops
  itself, in its own thread, once its time is up (a thread cannot be killed; a
  render that checks its own clock needs no killing).

Exceeding any of them raises :class:`RenderLimit`.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

#: Longest string or list a render may build, in characters or items.
MAX_SIZE = 100_000
#: Loop iterations plus calls of one render.
MAX_STEPS = 20_000
#: Wall time of one render, in seconds.
MAX_SECONDS = 0.5
#: Largest whole number a template may compute, in bits.
MAX_INT_BITS = 256
_ITER = "__vmeste_iter"
_CONCAT = "__vmeste_concat"
#: A ``%`` or ``format`` width or precision of six digits or more.
_WIDE = re.compile(r"\d{6}")
#: Methods and filters whose whole-number arguments are output widths or lengths.
#: (A format's widths are in its text, see ``_WIDE``.)
_WIDTHS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "wordwrap",
                     "truncate"})


class RenderLimit(SecurityError):
    """A render took too many steps, built too much or ran too long."""


@dataclass
class _Budget:
    steps: int
    deadline: float

    def step(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            raise RenderLimit("шаблон выполняет слишком много шагов")
        if time.monotonic() > self.deadline:
            raise RenderLimit("шаблон выполняется слишком долго")


_budget: ContextVar[_Budget | None] = ContextVar("vmeste_template_budget", default=None)


def _spend(count: int = 1) -> None:
    budget = _budget.get()
    if budget is None:  # compiled outside render(): nothing may run unbounded
        raise RenderLimit("шаблон выполняется вне ограничений")
    budget.step(count)


def _size(value: Any) -> int:
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple):
        return len(value) + sum(_size(item) for item in value[:MAX_SIZE])
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 8
    return 1


def _checked(value: Any) -> Any:
    if _size(value) > MAX_SIZE:
        raise RenderLimit("шаблон строит слишком длинный текст")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise RenderLimit("шаблон вычисляет слишком большое число")
    return value


def _refuse_wide(text: Any) -> None:
    if isinstance(text, str) and _WIDE.search(text):
        raise RenderLimit("слишком большая ширина в формате")


def _refuse_big_work(values: Iterable[Any], *, widths: bool = False) -> None:
    """A method or filter whose inputs multiply (``s.replace('', s)``, ``s.center(n)``)
    is refused before it runs: the product of its inputs' sizes bounds its work. Whole
    numbers count by their value only for ``widths`` (``center``, ``indent``, …);
    elsewhere a number is an identifier or a count, not a size."""
    product = 1
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            if widths:
                product *= max(1, abs(value))
        elif isinstance(value, str | bytes | list | tuple):
            product *= max(1, _size(value))
        if product > MAX_SIZE * 100:
            raise RenderLimit("шаблон строит слишком длинный текст")


def _bounded_iter(iterable: Any) -> Iterator[Any]:
    for item in iterable:
        _spend()
        yield item


def _bounded_concat(*parts: Any) -> str:
    if sum(_size(part) for part in parts) > MAX_SIZE:
        raise RenderLimit("шаблон строит слишком длинный текст")
    return "".join(str(part) for part in parts)


def _bounded_range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_SIZE:
        raise RenderLimit("слишком длинный range")
    return found


def _check_binop(name: str, left: Any, right: Any) -> None:
    if name == "**":
        if isinstance(left, int | float) and isinstance(right, int | float) and (
                abs(right) > 64 or abs(left) > 2 ** 32):
            raise RenderLimit("шаблон вычисляет слишком большое число")
    elif name == "*":
        counts = [v for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
        sized = [v for v in (left, right) if isinstance(v, str | list | tuple)]
        if sized and counts and _size(sized[0]) * max(counts[0], 0) > MAX_SIZE:
            raise RenderLimit("шаблон строит слишком длинный текст")
    elif name == "+":
        if _size(left) + _size(right) > MAX_SIZE:
            raise RenderLimit("шаблон строит слишком длинный текст")
    elif name == "%":
        _refuse_wide(left)


class _Bounds(NodeTransformer):
    """Rewrites a template's tree so loops and ``~`` go through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(nodes.Name(_ITER, "load"), [node.iter], [], None, None)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.Name(_CONCAT, "load"), node.nodes, [], None, None)


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _refuse_big_work((*args, *kwargs.values()), widths=name in _WIDTHS)
        if name == "format" and args:
            _refuse_wide(next((a for a in args if isinstance(a, str)), None))
        return _checked(function(*args, **kwargs))

    return bounded


class BoundedEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "/"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # makes any amount of text from one number
        self.globals.update({"range": _bounded_range, _ITER: _bounded_iter,
                             _CONCAT: _bounded_concat})
        self.filters = {name: _bounded_filter(name, function)
                        for name, function in self.filters.items()}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        bounded: nodes.Template = _Bounds().visit(tree)
        return bounded

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        _spend()
        _check_binop(operator_name, left, right)
        return _checked(self.binop_table[operator_name](left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _spend()
        receiver = getattr(getattr(obj, "__wrapped__", obj), "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(receiver, str) and name in ("format", "format_map"):
            _refuse_wide(receiver)
        _refuse_big_work((receiver, *args, *kwargs.values()), widths=name in _WIDTHS)
        return _checked(super().call(context, obj, *args, **kwargs))

    def concat(self, pieces: Iterable[str]) -> str:  # type: ignore[override]
        """The output, a piece at a time, so its size and the clock are checked as it
        grows."""
        out: list[str] = []
        size = 0
        for piece in pieces:
            size += len(piece)
            if size > MAX_SIZE:
                raise RenderLimit("шаблон выводит слишком длинный текст")
            _spend(0)
            out.append(piece)
        return "".join(out)


def render_bounded(template: Any, context: dict[str, Any], *, steps: int = MAX_STEPS,
           seconds: float = MAX_SECONDS) -> str:
    """Render ``template`` (compiled by a :class:`BoundedEnvironment`) within the
    budget; raises :class:`RenderLimit` past it."""
    token = _budget.set(_Budget(steps=steps, deadline=time.monotonic() + seconds))
    try:
        return str(template.render(context))
    finally:
        _budget.reset(token)


__all__ = ["MAX_SECONDS", "MAX_SIZE", "MAX_STEPS", "BoundedEnvironment", "RenderLimit",
           "render_bounded"]
