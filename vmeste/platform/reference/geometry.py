"""Territory boundaries as GeoJSON in, shapely geometries out.

One strict reader serves every way a boundary arrives (the API's ``createTerritory`` /
``updateTerritory`` and ``vmeste import boundaries``), so a boundary that reaches the
database is always a Polygon or MultiPolygon with finite, in-range coordinates and a
valid shape. An invalid shape (a self-intersection, a hole outside its shell) is
refused with the place GEOS found, not repaired: a repair (``make_valid``) can silently
turn a bow-tie into two triangles or drop a sliver, and the administrator who drew the
boundary is the one who knows which answer is right. Rows stored before this check, or
written around it, are repaired when the lookup index is built (:func:`lookup_geometry`)
so that a bad row can never break routing.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

log = logging.getLogger("vmeste.geo")

#: Bumped when a boundary changes (import or API); the lookup index also watches the
#: reference tree.
BOUNDARIES_VERSION = "territory_boundaries"
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")

_REASON = re.compile(r"(?P<what>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]")
#: GEOS's reasons for an invalid shape, as an administrator reads them.
_REASONS_RU = {
    "Self-intersection": "контур пересекает сам себя",
    "Ring Self-intersection": "кольцо касается самого себя",
    "Hole lies outside shell": "вырез лежит вне внешнего контура",
    "Nested holes": "один вырез лежит внутри другого",
    "Interior is disconnected": "вырезы делят многоугольник на части",
    "Nested shells": "один многоугольник лежит внутри другого",
    "Duplicate Rings": "кольцо повторяется",
    "Too few points": "слишком мало различных точек",
    "Invalid Coordinate": "недопустимая координата",
    "Ring is not closed": "кольцо не замкнуто",
}


class BoundaryProblem(ValueError):
    """A boundary that cannot be stored; the message is for the administrator."""


def parse_boundary(value: object) -> tuple[dict[str, Any], BaseGeometry]:
    """The GeoJSON geometry to store (a Feature is unwrapped; its properties are not
    kept) and its shapely shape. Raises :class:`BoundaryProblem`."""
    geometry = _geometry_of(value)
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        raise BoundaryProblem(
            f"Граница должна быть GeoJSON Polygon или MultiPolygon, а не {_shown(kind)}")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        _check_polygon(coordinates, "")
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise BoundaryProblem("У границы MultiPolygon нет многоугольников")
        for number, polygon in enumerate(coordinates, start=1):
            _check_polygon(polygon, f"Многоугольник {number}")
    try:
        geom = shape({"type": kind, "coordinates": coordinates})
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise BoundaryProblem(f"Границу не удалось разобрать: {exc}") from exc
    if geom.is_empty:
        raise BoundaryProblem("Граница пуста")
    if not geom.is_valid:
        raise BoundaryProblem(f"Граница некорректна: {_reason(geom)}")
    return {"type": kind, "coordinates": coordinates}, geom


def lookup_geometry(code: str, stored: object) -> BaseGeometry | None:
    """A stored boundary for the lookup index, or None (with a warning naming the
    territory) if it is not a usable polygon at all; an invalid shape is repaired.

    Stored boundaries passed :func:`parse_boundary` when they were saved, so this is the
    lenient, fast path (no per-coordinate checks) that only guards against rows written
    around the API.
    """
    geometry = stored.get("geometry", stored) if isinstance(stored, dict) and \
        stored.get("type") == "Feature" else stored
    try:
        if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
            raise BoundaryProblem("не Polygon и не MultiPolygon")
        shaped = shape(geometry)
        if shaped.is_valid and not shaped.is_empty:
            return shaped
        repaired = _polygonal(shapely.make_valid(shaped))
    except (BoundaryProblem, ValueError, TypeError, AttributeError, KeyError, IndexError,
            shapely.errors.ShapelyError) as problem:
        log.warning("boundary of territory %s ignored: %s", code, problem)
        return None
    if repaired is None:
        log.warning("boundary of territory %s ignored: nothing polygonal is left", code)
    else:
        log.warning("boundary of territory %s repaired for lookups: %s", code,
                    shapely.is_valid_reason(shaped))
    return repaired


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    polygons = [part for part in shapely.get_parts(geom) if part.geom_type == "Polygon"
                and not part.is_empty]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _geometry_of(value: object) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BoundaryProblem("Граница должна быть объектом GeoJSON (Polygon, MultiPolygon "
                              "или Feature с такой геометрией)")
    if value.get("type") != "Feature":
        return value
    geometry = value.get("geometry")
    if not isinstance(geometry, dict):
        raise BoundaryProblem("У объекта Feature нет геометрии")
    return geometry


def _check_polygon(polygon: object, where: str) -> None:
    if not isinstance(polygon, list) or not polygon:
        raise BoundaryProblem(f"{where or 'Граница'}: нет колец координат")
    for number, ring in enumerate(polygon, start=1):
        place = f"{where}, кольцо {number}" if where else f"Кольцо {number}"
        if not isinstance(ring, list) or not all(isinstance(p, list) for p in ring):
            raise BoundaryProblem(f"{place}: ожидается список точек [долгота, широта]")
        if len(ring) < 4:
            raise BoundaryProblem(f"{place}: нужно не меньше 4 точек, указано {len(ring)}")
        for position in ring:
            _check_position(position, place)
        if ring[0][:2] != ring[-1][:2]:
            raise BoundaryProblem(f"{place}: первая и последняя точки должны совпадать")


def _check_position(position: list[Any], place: str) -> None:
    if len(position) not in (2, 3) or not all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in position):
        raise BoundaryProblem(f"{place}: точка {_shown(position)} должна быть парой чисел "
                              "[долгота, широта]")
    if not all(isinstance(c, int) or math.isfinite(c) for c in position):
        raise BoundaryProblem(f"{place}: координаты должны быть конечными числами")
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BoundaryProblem(f"{place}: точка {_shown(position)} вне диапазона: долгота "
                              "от -180 до 180, широта от -90 до 90")


def _reason(geom: BaseGeometry) -> str:
    reason = shapely.is_valid_reason(geom)
    match = _REASON.fullmatch(reason)
    if match is None:
        return _REASONS_RU.get(reason, reason)
    what = match["what"].strip()
    return f"{_REASONS_RU.get(what, what)} в точке ({match['x']}, {match['y']})"


def _shown(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
