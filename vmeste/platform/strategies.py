"""Strategy kinds: the contract between the platform and the strategies plugins offer.

A kind says what its strategies' handlers are called with (a typed ``Protocol``), which
settings every strategy of the kind shares (the platform reads them itself, so a
strategy must not have to repeat them), and how a territory's active strategies run.
Kinds are declared through the ``vmeste_strategy_kinds`` hook, so a component or a
third-party plugin can bring its own; a strategy of a kind nobody declared, or one
whose handler does not fit its kind, stops the plugin manager from being built.

``default`` means the same for every kind: where no region policy of the kind exists
anywhere on a territory's path, the strategies marked ``default=True`` are active;
the others are off until a policy picks them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pluggy

from vmeste.platform.hookspecs import StrategySpec
from vmeste.platform.i18n import _

Validator = Callable[[Mapping[str, Any]], list[str]]
#: The setting through which a policy reorders an ordered kind's strategies.
ORDER_SETTING = "order"
ORDER_LIMITS = (-10_000, 10_000)


class Mode(StrEnum):
    """How a territory's active strategies of a kind are run."""

    #: Every active strategy runs, lowest ``order`` first, until one decides.
    CHAIN = "chain"
    #: Only the first active strategy by ``order`` decides.
    FIRST = "first"
    #: Every active strategy is on at once, unordered (a set of switches).
    SWITCHES = "switches"

    @property
    def ordered(self) -> bool:
        return self is not Mode.SWITCHES


class StrategyKindError(Exception):
    """Strategies or kinds declared wrongly by an installed plugin; raised when the
    plugin manager is built, so a misconfigured deployment does not start."""


@dataclass(frozen=True)
class StrategyKind:
    """A kind of strategy, as the platform runs it.

    ``handler`` is the ``Protocol`` every strategy's handler satisfies, or None for a
    kind whose strategies carry settings only (the platform reads the settings and
    calls nothing). ``defaults`` are the settings every strategy of the kind shares,
    checked by ``validate`` (problems via ``_()``, shown to region administrators).
    """

    name: str
    description: str
    handler: type | None
    mode: Mode
    defaults: Mapping[str, Any] = field(default_factory=dict)
    validate: Validator | None = None

    def settings(self, spec: StrategySpec, layered: Mapping[str, Any]) -> dict[str, Any]:
        """What a strategy gets: the kind's shared defaults, then the strategy's own
        defaults, then the region policies' settings layered down the territory path."""
        return {**self.defaults, **spec.defaults, **layered}

    def problems(self, spec: StrategySpec, settings: Mapping[str, Any]) -> list[str]:
        """Problems with merged ``settings``: the kind's shared ones, then the
        strategy's own."""
        problems = list(self.validate(settings)) if self.validate else []
        if self.mode.ordered and ORDER_SETTING in settings:
            order, (low, high) = settings[ORDER_SETTING], ORDER_LIMITS
            if isinstance(order, bool) or not isinstance(order, int) or not low <= order <= high:
                problems.append(_("{name} is an integer from {low} to {high}", name=ORDER_SETTING,
                                   low=low, high=high))
        if spec.validate is not None:
            problems += spec.validate(settings)
        return problems


def kind_registry(pm: pluggy.PluginManager) -> dict[str, StrategyKind]:
    """Declared kinds by name. Two plugins declaring different kinds of one name is an
    error: which contract would a strategy of that name follow?"""
    kinds: dict[str, StrategyKind] = {}
    owners: dict[str, str] = {}
    for plugin, kind in _declared(pm, pm.hook.vmeste_strategy_kinds):
        if kinds.setdefault(kind.name, kind) != kind:
            raise StrategyKindError(f"strategy kind {kind.name!r} is declared by both "
                                    f"{owners[kind.name]!r} and {plugin!r}")
        owners.setdefault(kind.name, plugin)
    return kinds


def declared_strategies(pm: pluggy.PluginManager) -> Iterator[tuple[str, StrategySpec]]:
    """(plugin name, spec) of every declared strategy, in registration order."""
    return _declared(pm, pm.hook.vmeste_strategies)


def check_strategies(pm: pluggy.PluginManager) -> None:
    """Refuse strategies of undeclared kinds and handlers that do not fit their kind."""
    kinds = kind_registry(pm)
    problems = []
    for plugin, spec in declared_strategies(pm):
        where = f"plugin {plugin!r}, strategy {spec.kind}/{spec.name}"
        kind = kinds.get(spec.kind)
        if kind is None:
            problems.append(f"{where}: unknown strategy kind {spec.kind!r} (declared kinds: "
                            f"{', '.join(sorted(kinds))}; declare it with "
                            "vmeste_strategy_kinds)")
        elif kind.handler is None and spec.handler is not None:
            problems.append(f"{where}: kind {kind.name!r} takes settings only, no handler")
        elif kind.handler is not None and not _fits(spec.handler, kind.handler):
            problems.append(f"{where}: the handler must be callable as "
                            f"{kind.handler.__name__}{call_signature(kind.handler)}")
    if problems:
        raise StrategyKindError("; ".join(problems))


def is_handler_protocol(handler: type | None) -> bool:
    """Whether ``handler`` is a ``typing.Protocol`` class with a ``__call__``."""
    # typing.is_protocol arrives with Python 3.13; until then, the flag it reads.
    return (handler is not None and bool(vars(handler).get("_is_protocol"))
            and "__call__" in vars(handler))


def _declared(pm: pluggy.PluginManager, hook: pluggy.HookCaller) -> Iterator[tuple[str, Any]]:
    for impl in hook.get_hookimpls():
        for item in impl.function() or []:
            yield impl.plugin_name, item


def call_signature(protocol: type) -> inspect.Signature:
    call = inspect.signature(protocol.__call__)
    return call.replace(parameters=list(call.parameters.values())[1:])


def _fits(handler: Callable[..., Any] | None, protocol: type) -> bool:
    """``handler`` accepts the positional arguments the kind's Protocol is called with."""
    if handler is None or not callable(handler):
        return False
    arguments = range(len(call_signature(protocol).parameters))
    try:
        inspect.signature(handler).bind(*arguments)
    except TypeError:
        return False
    except ValueError:  # a builtin without a signature: trust it
        return True
    return True


def unknown_settings(settings: Mapping[str, Any], *known: Iterable[str]) -> list[str]:
    """The problem a strategy's ``validate`` reports for keys it does not know."""
    unknown = set(settings).difference(*known)
    return [_("Unknown settings: {names}", names=", ".join(sorted(unknown)))] if unknown else []
