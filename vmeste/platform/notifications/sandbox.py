"""A Jinja2 sandbox for wording that regional administrators write.

Jinja2's own sandbox keeps a template away from Python internals, but not from the
CPU or memory: nested loops, ``'x' * 10**9`` or ``s.replace('', s)`` would freeze the
process that renders (the API when a template is saved, a worker at fan-out). Two
lines of defence:

* a language subset, checked when the template is parsed: the context is a flat set of
  plain values, so wording needs output, conditions and a few text filters, and nothing
  that loops, calls methods or multiplies. Within it a render's work and output grow
  only with the template's length, whatever the values;
* a run-time budget, in case a filter surprises: every filter call is a step, no value
  a filter returns and no output is longer than :data:`MAX_SIZE`, and each step and
  each piece of output checks a deadline, so the render stops itself in its own thread.

Anything outside either raises :class:`RenderLimit`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

from vmeste.platform.i18n import _

#: Longest text a filter may return or a render may output, in characters.
MAX_SIZE = 100_000
#: Filter calls of one render.
MAX_STEPS = 20_000
#: Wall time of one render, in seconds.
MAX_SECONDS = 0.5
_CONCAT = "__vmeste_concat"

_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name, nodes.If,
    nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Neg,
    nodes.Pos, nodes.Concat, nodes.Filter, nodes.Test, nodes.Tuple, nodes.List, nodes.Assign,
)
#: Filters whose result is no longer than their input.
_ALLOWED_FILTERS = frozenset({
    "upper", "lower", "capitalize", "title", "trim", "striptags", "default", "d", "length",
    "count", "wordcount", "string", "int", "float", "round", "abs", "truncate", "first",
    "last", "e", "escape",
})
_ALLOWED_TESTS = frozenset({
    "defined", "undefined", "none", "number", "string", "true", "false", "boolean",
    "integer", "eq", "ne", "lt", "gt", "le", "ge", "in", "even", "odd", "divisibleby",
})
#: Longest text constant, in characters; numbers may be ten times this.
_MAX_CONST = 1_000


class RenderLimit(SecurityError):
    """A template left the wording subset, took too many steps, built too much or ran
    too long."""


def unsupported(tree: nodes.Template) -> list[str]:
    """What in a parsed template lies outside the wording subset, in the current locale."""
    problems: set[str] = set()
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            problems.add(_("the construct {name} is not available", name=type(node).__name__))
        elif isinstance(node, nodes.Filter) and node.name not in _ALLOWED_FILTERS:
            problems.add(_("the filter {name} is not available", name=node.name))
        elif isinstance(node, nodes.Test) and node.name not in _ALLOWED_TESTS:
            problems.add(_("the test {name} is not available", name=node.name))
        elif isinstance(node, nodes.Filter | nodes.Test) and not all(
                isinstance(arg, nodes.Const) for arg in (*node.args, *node.kwargs)):
            problems.add(_("{name} takes only constant arguments", name=node.name))
        elif isinstance(node, nodes.Const) and (
                (isinstance(node.value, str) and len(node.value) > _MAX_CONST)
                or (isinstance(node.value, int | float) and abs(node.value) > _MAX_CONST * 10)):
            problems.add(_("a constant is too long"))
    return sorted(problems)


@dataclass
class _Budget:
    steps: int
    deadline: float

    def step(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            raise RenderLimit(_("the template takes too many steps"))
        if time.monotonic() > self.deadline:
            raise RenderLimit(_("the template runs too long"))


_budget: ContextVar[_Budget | None] = ContextVar("vmeste_template_budget", default=None)


def _spend(count: int = 1) -> None:
    budget = _budget.get()
    if budget is None:  # rendered outside render_bounded(): nothing may run unbounded
        raise RenderLimit(_("the template runs outside its limits"))
    budget.step(count)


def _checked(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_SIZE:
        raise RenderLimit(_("the template builds too long a text"))
    return value


def _bounded_concat(*parts: Any) -> str:
    _spend()
    return _checked("".join(str(part) for part in parts))


class _Bounds(NodeTransformer):
    """Sends ``~`` through the budget (Jinja2 joins it without asking the environment)."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.Name(_CONCAT, "load"), node.nodes, [], None, None)


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _spend()
        return _checked(function(*args, **kwargs))

    return bounded


class BoundedEnvironment(SandboxedEnvironment):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals = {_CONCAT: _bounded_concat}
        self.filters = {name: _bounded_filter(self.filters[name]) for name in _ALLOWED_FILTERS}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        problems = unsupported(tree)
        if problems:
            raise RenderLimit(_("the template leaves the allowed language: {problems}",
                                problems="; ".join(problems)))
        bounded: nodes.Template = _Bounds().visit(tree)
        return bounded

    def concat(self, pieces: Iterable[str]) -> str:  # type: ignore[override]
        """The output, a piece at a time, so its size and the clock are checked as it
        grows."""
        out: list[str] = []
        size = 0
        for piece in pieces:
            size += len(piece)
            if size > MAX_SIZE:
                raise RenderLimit(_("the template outputs too long a text"))
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
           "render_bounded", "unsupported"]
