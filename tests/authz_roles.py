"""One authorisation table row, every role: the harness of the ``tests/test_authz_*.py``
tables.

A row's test runs once and tries each role of ROLES in turn. Each role's part runs in a
database transaction that is always rolled back, so the next role finds the database as
the row's test found it (what the app commits inside becomes a savepoint of it), and
against an app of its own, so nothing an app remembers of one caller reaches the next
(on SQLite a rolled-back user's id is given again to the next role's user). Every role
is tried before the row fails, and the failure names each role that did not get its cell.

One test a row, not one a role and row, because each test pays for a database of its
own (a copy or a truncation) and an app: nine times over, that was most of the
suite's time.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable, Mapping

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from vmeste.app import create_app
from vmeste.platform.settings import Settings
from vmeste.testing import GraphQLClient

#: A role's part of a row: (role, its expected cell, the role's app, a client of it).
RoleCheck = Callable[[str, str, Starlette, GraphQLClient], Awaitable[None]]


class _RolledBack(Exception):
    """Leaves a role's transaction so that it is rolled back."""


async def each_role(settings: Settings, row: tuple[str, str], cells: Mapping[str, str],
                    check: RoleCheck) -> None:
    """Runs ``check`` for every role of ``cells`` (role → expected cell), each in a
    rolled-back transaction with a fresh app; fails once, naming every failing role."""
    failures: list[str] = []
    for role, expected in cells.items():
        app = create_app(settings, manage_database=False)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://vmeste.test") as http:
                async with in_transaction():
                    await check(role, expected, app, GraphQLClient(http))
                    raise _RolledBack
        except _RolledBack:
            continue
        except Exception as error:
            where = "".join(traceback.format_exception(error, limit=-2)).rstrip()
            failures.append(f"--- {role} (expected {expected}):\n{where}")
    if failures:
        operation, target = row
        pytest.fail(f"{operation} on {target}: {len(failures)} role(s) of {len(cells)} "
                    "did not get their cell\n" + "\n".join(failures), pytrace=False)
