"""``/publics/compliance.csv``: the shares a region's pages reach, as a spreadsheet opens
them, and clear refusals of a bad day or an unknown region."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette

from tests.publics_world import complete_group, services_on, vk_fake, vk_page
from tests.worlds import MUNICIPALITY_A, REGION_A, World
from vmeste.platform.identity.principal import SYSTEM

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


async def test_the_shares_as_csv(world: World, vmeste_app: Starlette, client: Any) -> None:
    fake = vk_fake()
    fake.groups["11"] = {**complete_group(), "name": "=HYPERLINK(1)"}
    services = services_on(vmeste_app, fake, [NOW])
    page = await vk_page(services, "11")
    await services.take_snapshot(SYSTEM, page.id)
    answer = await client.get("/publics/compliance.csv", params={"region": REGION_A})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    by_key = {(r["territory"], r["rule"]): r for r in rows}
    assert by_key[(REGION_A, "")]["passing"] == "0", "name and declared rules fail"
    assert by_key[(REGION_A, "name_matches")]["passing"] == "0"
    assert by_key[(MUNICIPALITY_A, "verified")] == {
        "territory": MUNICIPALITY_A, "territory_name": by_key[(MUNICIPALITY_A, "")][
            "territory_name"], "rule": "verified", "pages": "1", "passing": "1",
        "share": "1.0000"}
    assert len(rows) == 2 * 10
    assert (await client.get("/publics/compliance.csv", params={"on": "3.12.2026"})
            ).status_code == 400
    assert (await client.get("/publics/compliance.csv", params={"region": "99"})
            ).status_code == 404
    assert (await client.get("/publics/compliance.csv", params={
        "region": REGION_A, "on": "2026-12-02"})).text.splitlines()[1:] == []
