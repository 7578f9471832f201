"""Appeals and competence rules copy their territory's path, so that scope checks are
one indexed prefix match; when a territory moves, the copies must follow, or the old
region would keep seeing the moved municipality's appeals and managing its rules."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.reference.models import PATH_SEPARATOR

PATH_COPIES = (("appeal", "territory_path"), ("competence_rule", "territory_path"))


async def move_territory_paths(old: str, new: str, conn: BaseDBAsyncClient, *,
                               subtree: bool) -> None:
    """Rewrite ``old`` to ``new`` (and, with ``subtree``, every path below it) in one
    statement per table, however many appeals there are."""
    postgres = conn.capabilities.dialect == "postgres"
    marks = ["$1", "$2", "$3", "$4"] if postgres else ["?", "?", "?", "?"]
    for table, column in PATH_COPIES:
        where = f'"{column}" = {marks[2]}'
        params: list[object] = [new, len(old) + 1, old]
        if subtree:
            where += f' OR "{column}" LIKE {marks[3]}'
            params.append(old + PATH_SEPARATOR + "%")
        await conn.execute_query(
            f'UPDATE "{table}" SET "{column}" = {marks[0]} || substr("{column}", {marks[1]}) '
            f"WHERE {where}", params)
