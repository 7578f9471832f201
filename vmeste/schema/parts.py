"""What each area brings to the GraphQL schema, declared in one place.

An area is a package ``vmeste/schema/<name>/`` whose ``component`` module holds a
``SCHEMA`` :class:`SchemaPart`: its Query, Mutation and Subscription mixins, the
DataLoaders its resolvers use, and any types reachable from no field. ``build_schema``
merges every area's part, found as the platform finds its components, with the parts
plugins declare through ``vmeste_graphql_schema``; so a new component's GraphQL edits no
central file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import pluggy
import strawberry

from vmeste.platform.settings import Settings
from vmeste.schema.loaders import LoaderFactory

#: The module every schema area holds, and the name of its part in it.
COMPONENT_MODULE, PART_NAME = "component", "SCHEMA"


@dataclass(frozen=True)
class SchemaPart:
    """One area's contribution; every field but ``name`` is optional."""

    name: str
    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None
    #: Loader name → factory building a fresh DataLoader (one per request).
    loaders: Mapping[str, LoaderFactory] = field(default_factory=dict)
    #: Types the schema must know although no field returns them (Node implementations
    #: reached only through ``node(id:)``, for instance).
    types: tuple[type, ...] = ()


@lru_cache(maxsize=1)
def builtin_parts() -> tuple[SchemaPart, ...]:
    """The ``SCHEMA`` of every ``vmeste.schema`` package with a ``component`` module,
    in name order; looked for once per process (as the platform's components are)."""
    import vmeste.schema

    found: list[SchemaPart] = []
    for info in sorted(pkgutil.iter_modules(vmeste.schema.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        name = f"vmeste.schema.{info.name}.{COMPONENT_MODULE}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:  # the module exists but is broken: say so
                raise
            continue
        found.append(getattr(module, PART_NAME))
    return tuple(found)


def collect(settings: Settings, pm: pluggy.PluginManager) -> list[SchemaPart]:
    """The built-in parts, then the plugins'; two parts of one name is an error."""
    parts: dict[str, SchemaPart] = {}
    for part in [*builtin_parts(), *pm.hook.vmeste_graphql_schema(settings=settings)]:
        if part.name in parts:
            raise RuntimeError(f"two GraphQL schema parts are named {part.name!r}")
        parts[part.name] = part
    return list(parts.values())


def loaders_of(parts: Iterable[SchemaPart]) -> dict[str, LoaderFactory]:
    """Every declared loader by name; a name declared twice is an error, since the two
    would fight over ``info.context.loaders.<name>``."""
    found: dict[str, LoaderFactory] = {}
    for part in parts:
        for name, factory in part.loaders.items():
            if name in found:
                raise RuntimeError(f"the DataLoader {name!r} is declared twice")
            found[name] = factory
    return found


def merged(name: str, mixins: Iterable[type], body: Mapping[str, object] | None = None
           ) -> type | None:
    """One root type inheriting every area's mixin (None when no area has one)."""
    bases = tuple(mixins)
    if not bases and not body:
        return None
    return strawberry.type(type(name, bases, {"__module__": __name__, **(body or {})}))
