"""``userErrors``: the typed, expected failures every mutation payload carries."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry import relay
from tortoise.exceptions import ValidationError

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import N_, translate

#: Largest primary key of an ``IntField`` table; ``BigIntField`` tables pass their own.
MAX_INT_ID = 2**31 - 1

T = TypeVar("T")

#: What a caller is told when a value does not fit its column (an over-long code, ОГРН
#: or subject looked up or stored): the ORM refuses it before the database sees it.
UNFIT_VALUE_MESSAGE = N_("The value is too long or malformed")

UserErrorCode = strawberry.enum(Enum("UserErrorCode", {c.name: c.value for c in ErrorCode}))


@strawberry.type(description="A problem with the request, tied to an input field.")
class UserError:
    field: str | None = strawberry.field(
        description="Input field at fault; null for the whole request.")
    message: str
    code: UserErrorCode  # type: ignore[valid-type]
    count: int | None = strawberry.field(
        default=None, description="How many things the error is about (proposals "
                                  "awaiting moderation, recommendations missing); null "
                                  "when it is not about a number.")


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError(field=e.field, message=e.message, code=UserErrorCode(e.code.value),
                      count=e.count) for e in error.errors]


def node_pks(node_ids: Iterable[str], max_id: int = MAX_INT_ID) -> list[int]:
    """The primary keys in ``node(id:)`` ids of one type; -1 (found nowhere) for a node
    id that is not a number the column holds."""
    return [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= max_id else -1
            for raw in node_ids]


def global_pk(value: relay.GlobalID, type_name: str, *, field: str, message: str,
              max_id: int = MAX_INT_ID) -> int:
    """The primary key inside a Relay global id of ``type_name``; anything else (another
    type, a non-number, a number past the column) is ``INVALID`` on ``field``, never a
    database error."""
    node = value.node_id
    if value.type_name != type_name or not (node.isascii() and node.isdigit()) or (
            int(node) > max_id):
        raise DomainError.of(field, message, ErrorCode.INVALID)
    return int(node)


async def run_mutation(call: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """Await a service call; expected failures become ``userErrors``, not GraphQL errors."""
    try:
        return await call, []
    except DomainError as error:
        return None, user_errors(error)
    except ValidationError:
        return None, [UserError(field=None, message=translate(UNFIT_VALUE_MESSAGE),
                                code=UserErrorCode(ErrorCode.INVALID.value))]
