"""The component kit: what a component brings, declared in one place.

A component (appeals today; polls, hearings and publics next) is a package
``vmeste/platform/<name>/`` with a ``component`` module. That module is a plugin like
any other: it implements the ``vmeste_component`` hook (and any other hook, such as
``vmeste_strategies``) and is registered by the plugin manager before the built-in
strategy plugins. So the platform learns a component's models, outbox topics and
services by asking the hook, and adding a component edits no central file. The
platform's own parts (identity, reference data, notifications, deadlines, …) declare
themselves the same way; third-party components are packages whose ``vmeste`` entry
point implements the hook.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, TypeVar

import pluggy

if TYPE_CHECKING:
    from vmeste.platform.attachments.attach import AttachmentParent
    from vmeste.platform.deadlines.kinds import DeadlineKind
    from vmeste.platform.notifications.subjects import NotificationSubject
    from vmeste.platform.outbox.topics import Topic
    from vmeste.platform.runtime import Runtime

class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)

#: The module every component package holds.
COMPONENT_MODULE = "component"


@dataclass(frozen=True)
class Component:
    """One component's declarations; every field but ``name`` is optional."""

    name: str
    #: Modules whose Tortoise models join the ``vmeste`` app (and its migrations).
    models: tuple[str, ...] = ()
    #: Outbox topics this component's state changes emit, with the jobs handling them.
    topics: tuple[Topic, ...] = ()
    #: Builds the component's services once per process from the runtime built so far;
    #: they are found again by their type (``runtime.service(AppealServices)``).
    services: Callable[[Runtime], object] | None = None
    #: Columns holding a copy of a territory's path, as (table, column): scope checks
    #: on them are one indexed prefix match, and reference data rewrites every declared
    #: copy in the transaction that moves a territory.
    path_copies: tuple[tuple[str, str], ...] = ()
    #: The subject types it notifies about, each with its events, their audiences and
    #: the source the fan-out asks (see :mod:`vmeste.platform.notifications.subjects`).
    notifications: tuple[NotificationSubject, ...] = ()
    #: The clocks this component keeps, which the deadline watchdog sweeps and a
    #: calendar import recomputes (see :class:`vmeste.platform.deadlines.kinds.DeadlineKind`).
    deadline_kinds: tuple[DeadlineKind, ...] = ()
    #: Loads the component's share of ``vmeste demo`` once the reference data is in
    #: (components in name order) and returns the line the command prints about it.
    demo: Callable[[Runtime], Awaitable[str]] | None = None
    #: The kinds of its objects files can be attached to, each with who may see one
    #: (see :class:`vmeste.platform.attachments.attach.AttachmentParent`).
    attachment_parents: tuple[AttachmentParent, ...] = ()


@lru_cache(maxsize=1)
def builtin_modules() -> tuple[ModuleType, ...]:
    """The ``component`` modules of ``vmeste.platform``'s packages, in name order; looked
    for once per process, since each package without one is a failed import that would
    search the file system again every time a plugin manager is built."""
    import vmeste.platform

    found: list[ModuleType] = []
    for info in sorted(pkgutil.iter_modules(vmeste.platform.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        name = f"vmeste.platform.{info.name}.{COMPONENT_MODULE}"
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:  # the component exists but is broken: say so
                raise
    return tuple(found)


def declared(pm: pluggy.PluginManager) -> dict[str, Component]:
    """Every component the plugin manager knows, by name; two of one name is an error,
    not a silent replacement."""
    found: dict[str, Component] = {}
    for component in pm.hook.vmeste_component():
        if component.name in found:
            raise RuntimeError(f"two components are named {component.name!r}")
        found[component.name] = component
    return found


def model_modules(components: dict[str, Component]) -> list[str]:
    return sorted({module for c in components.values() for module in c.models})


def topics_of(components: dict[str, Component]) -> dict[str, Topic]:
    """Every outbox topic by name."""
    return _by_name((t for c in components.values() for t in c.topics), "outbox topic")


def path_copies_of(components: dict[str, Component]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({copy for c in components.values() for copy in c.path_copies}))


def attachment_parents_of(components: dict[str, Component]) -> dict[str, AttachmentParent]:
    """Every kind of object files are attached to, by name."""
    return _by_name((p for c in components.values() for p in c.attachment_parents),
                    "attachment parent")


def deadline_kinds_of(components: dict[str, Component]) -> list[DeadlineKind]:
    """Every deadline kind, in component order."""
    return list(_by_name((k for c in components.values() for k in c.deadline_kinds),
                         "deadline kind").values())


async def load_demos(runtime: Runtime) -> list[str]:
    """Every component's demo data, in name order; their summary lines."""
    return [await component.demo(runtime) for _, component in sorted(runtime.components.items())
            if component.demo is not None]


def _by_name(declarations: Iterable[N], what: str) -> dict[str, N]:
    """A name claimed twice is an error, not a silent replacement."""
    found: dict[str, N] = {}
    for each in declarations:
        if each.name in found:
            raise RuntimeError(f"{what} {each.name!r} is declared twice")
        found[each.name] = each
    return found


__all__ = ["Component", "attachment_parents_of", "builtin_modules", "deadline_kinds_of",
           "declared", "load_demos", "model_modules", "path_copies_of", "topics_of"]
