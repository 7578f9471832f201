"""Components copy a territory's path onto their rows (an appeal, a competence rule),
so that scope checks are one indexed prefix match; when a territory moves, the copies
must follow, or the old region would keep seeing the moved municipality's rows.

Which columns are copies, each component declares (``Component.path_copies``); this
module rewrites them all, knowing none of the components.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.components import path_copies_of
from vmeste.platform.plugins import installed_components
from vmeste.platform.reference.models import PATH_SEPARATOR


async def move_territory_paths(old: str, new: str, conn: BaseDBAsyncClient, *,
                               subtree: bool) -> None:
    """Rewrite ``old`` to ``new`` (and, with ``subtree``, every path below it) in one
    statement per declared copy, however many rows there are."""
    postgres = conn.capabilities.dialect == "postgres"
    marks = ["$1", "$2", "$3", "$4"] if postgres else ["?", "?", "?", "?"]
    for table, column in path_copies_of(installed_components()):
        where = f'"{column}" = {marks[2]}'
        params: list[object] = [new, len(old) + 1, old]
        if subtree:
            where += f' OR "{column}" LIKE {marks[3]}'
            params.append(old + PATH_SEPARATOR + "%")
        await conn.execute_query(
            f'UPDATE "{table}" SET "{column}" = {marks[0]} || substr("{column}", {marks[1]}) '
            f"WHERE {where}", params)
