"""A saved filter (:mod:`vmeste.platform.appeals.saved_filters`) as the appeals
connection's ``filter`` argument.

It is stored as the GraphQL value the frontend sent (field and enum names as the API
spells them) and read back against the input type's declaration as it is today, so
a filter saved before that type changed fails with a typed error instead of filtering
differently.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

from strawberry import relay
from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.utils.str_converters import to_camel_case

from vmeste.platform.appeals import saved_filters
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.schema.errors import global_pk

T = TypeVar("T")


class _Unfit(ValueError):
    pass


def filter_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "SavedAppealFilter", field=field,
                     message=_("This is not a saved filter's id"))


def stored(value: object) -> dict[str, Any]:
    """An input object as the API spells it, without the fields left out."""
    out: dict[str, Any] = {}
    for field in get_object_definition(value, strict=True).fields:
        item = getattr(value, field.python_name)
        if item is None:
            continue
        if isinstance(item, list):
            item = [each.name if isinstance(each, Enum) else each for each in item]
        elif isinstance(item, Enum):
            item = item.name
        out[field.graphql_name or to_camel_case(field.python_name)] = item
    return out


def _read(kind: Any, raw: Any) -> Any:
    if isinstance(kind, StrawberryOptional):
        return None if raw is None else _read(kind.of_type, raw)
    if raw is None:
        raise _Unfit
    if isinstance(kind, StrawberryList):
        if not isinstance(raw, list):
            raise _Unfit
        return [_read(kind.of_type, each) for each in raw]
    if isinstance(kind, StrawberryEnumDefinition):
        if not isinstance(raw, str) or raw not in kind.wrapped_cls.__members__:
            raise _Unfit
        return kind.wrapped_cls[raw]
    if kind in (str, bool, int) and type(raw) is kind:
        return raw
    raise _Unfit


def restored(cls: type[T], arguments: dict[str, Any], field: str = "savedFilterId") -> T:
    """``arguments`` as an instance of the input type ``cls`` declares today; else
    INVALID on ``field`` (the argument that brought them)."""
    fields = {f.graphql_name or to_camel_case(f.python_name): f
              for f in get_object_definition(cls, strict=True).fields}
    try:
        if set(arguments) - set(fields):
            raise _Unfit
        return cls(**{fields[name].python_name: _read(fields[name].type, value)
                      for name, value in arguments.items()})
    except _Unfit:
        raise DomainError.of(field, _("The saved filter no longer fits the appeals' "
                                                "filter; save it again"),
                             ErrorCode.INVALID) from None


async def applied(principal: Principal, saved_filter_id: relay.GlobalID, given: T | None,
                  cls: type[T]) -> T:
    """The saved filter, the arguments given beside it taking precedence."""
    row = await saved_filters.usable_filter(principal,
                                            filter_pk(saved_filter_id, "savedFilterId"))
    return restored(cls, {**row.arguments, **(stored(given) if given is not None else {})})
