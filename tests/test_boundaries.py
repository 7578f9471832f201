"""Territory boundaries: what the API accepts, how a point finds its territory, and
``vmeste import boundaries``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_graphql_api import M_TERRITORY, errors_by_field, mutate
from tests.worlds import MUNICIPALITY_A, World, ok_data
from vmeste.platform.reference.models import Territory

SQUARE = [[49.0, 58.0], [50.0, 58.0], [50.0, 59.0], [49.0, 59.0], [49.0, 58.0]]
BOW_TIE = [[49.0, 58.0], [50.0, 59.0], [50.0, 58.0], [49.0, 59.0], [49.0, 58.0]]
NAN = float("nan")


async def send(graphql: Any, token: str, data: dict[str, Any], update: bool = False
               ) -> dict[str, Any]:
    """Like ``mutate``, but encoded by ``json.dumps``, which (as many clients do) writes
    NaN, a literal the server's JSON parser reads back."""
    response = await graphql.http.post("/graphql", content=json.dumps({
        "query": M_TERRITORY, "variables": {"i": data, "update": update}}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = ok_data(response.json())["update" if update else "create"]
    return payload


@pytest.mark.parametrize(("boundary", "words"), [
    ("POLYGON((49 58, 50 58, 50 59, 49 58))", "объектом GeoJSON"),
    ([[49, 58], [50, 58], [50, 59], [49, 58]], "объектом GeoJSON"),
    (42, "объектом GeoJSON"),
    ({"type": "Feature", "properties": {}}, "нет геометрии"),
    ({"type": "Feature", "geometry": None, "properties": {}}, "нет геометрии"),
    ({"type": "Point", "coordinates": [49, 58]}, "Polygon или MultiPolygon"),
    ({"type": "Polygon"}, "нет колец"),
    ({"type": "Polygon", "coordinates": "49 58"}, "нет колец"),
    ({"type": "Polygon", "coordinates": SQUARE}, "список точек"),
    ({"type": "Polygon", "coordinates": [SQUARE[:3]]}, "не меньше 4 точек"),
    ({"type": "Polygon", "coordinates": [SQUARE[:4]]}, "должны совпадать"),
    ({"type": "Polygon", "coordinates": [[["49", "58"], *SQUARE[1:]]]}, "пар"),
    ({"type": "Polygon", "coordinates": [[[True, 58], *SQUARE[1:]]]}, "пар"),
    ({"type": "Polygon", "coordinates": [[[49], *SQUARE[1:]]]}, "пар"),
    ({"type": "Polygon", "coordinates": [[[49, 58], [50, NAN], *SQUARE[2:]]]}, "конечными"),
    ({"type": "Polygon", "coordinates": [[[49, 58], [250, 58], *SQUARE[2:]]]},
     "вне диапазона"),
    ({"type": "Polygon", "coordinates": [BOW_TIE]}, "пересекает сам себя"),
    ({"type": "MultiPolygon", "coordinates": []}, "нет многоугольников"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE[:2]]]},
     "Многоугольник 2, кольцо 1"),
], ids=lambda v: None if not isinstance(v, str) else v[:20])
async def test_every_bad_boundary_is_a_user_error_on_its_field(
        world: World, graphql: Any, federal: str, boundary: Any, words: str) -> None:
    """A boundary that is not a usable polygon is refused on create and on update, with
    a message saying what is wrong; nothing is written."""
    created = await send(graphql, federal, {
        "code": "33702000", "name": "Район", "kind": "MUNICIPALITY", "parentCode": "33000000",
        "boundary": boundary})
    assert created["territory"] is None
    assert errors_by_field(created) == {"boundary": "INVALID"}
    assert words in created["userErrors"][0]["message"]
    assert not await Territory.filter(code="33702000").exists()

    updated = await send(graphql, federal, {"code": MUNICIPALITY_A, "boundary": boundary},
                         update=True)
    assert errors_by_field(updated) == {"boundary": "INVALID"}
    assert (await Territory.get(code=MUNICIPALITY_A)).boundary is None


async def test_a_feature_is_stored_as_its_geometry(world: World, graphql: Any,
                                                   federal: str) -> None:
    payload = await mutate(graphql, M_TERRITORY, federal, {
        "code": MUNICIPALITY_A, "boundary": {
            "type": "Feature", "properties": {"name": "Киров"},
            "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}}, update=True)
    assert payload["userErrors"] == []
    row = await Territory.get(code=MUNICIPALITY_A)
    assert row.boundary == {"type": "Polygon", "coordinates": [SQUARE]}
