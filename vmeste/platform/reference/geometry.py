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

from vmeste.platform.i18n import N_, _, translate

log = logging.getLogger("vmeste.geo")

#: Bumped when a boundary changes (import or API); the lookup index also watches the
#: reference tree.
BOUNDARIES_VERSION = "territory_boundaries"
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")

_REASON = re.compile(r"(?P<what>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]")
#: GEOS's reasons for an invalid shape, as an administrator reads them.
_REASONS = {
    "Self-intersection": N_("the outline crosses itself"),
    "Ring Self-intersection": N_("a ring touches itself"),
    "Hole lies outside shell": N_("a hole lies outside the outer outline"),
    "Nested holes": N_("one hole lies inside another"),
    "Interior is disconnected": N_("holes split the polygon into parts"),
    "Nested shells": N_("one polygon lies inside another"),
    "Duplicate Rings": N_("a ring is repeated"),
    "Too few points": N_("too few distinct points"),
    "Invalid Coordinate": N_("an invalid coordinate"),
    "Ring is not closed": N_("a ring is not closed"),
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
            _("The boundary must be a GeoJSON Polygon or MultiPolygon, not {kind}",
              kind=_shown(kind)))
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        _check_polygon(coordinates, "")
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise BoundaryProblem(_("The MultiPolygon boundary has no polygons"))
        for number, polygon in enumerate(coordinates, start=1):
            _check_polygon(polygon, _("Polygon {number}", number=number))
    try:
        geom = shape({"type": kind, "coordinates": coordinates})
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise BoundaryProblem(_("The boundary could not be parsed: {error}", error=exc)) from exc
    if geom.is_empty:
        raise BoundaryProblem(_("The boundary is empty"))
    if not geom.is_valid:
        raise BoundaryProblem(_("The boundary is invalid: {reason}", reason=_reason(geom)))
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
            raise BoundaryProblem("neither Polygon nor MultiPolygon")
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
        raise BoundaryProblem(_("The boundary must be a GeoJSON object (a Polygon, a "
                                "MultiPolygon or a Feature with such a geometry)"))
    if value.get("type") != "Feature":
        return value
    geometry = value.get("geometry")
    if not isinstance(geometry, dict):
        raise BoundaryProblem(_("The Feature has no geometry"))
    return geometry


def _check_polygon(polygon: object, where: str) -> None:
    if not isinstance(polygon, list) or not polygon:
        raise BoundaryProblem(_("{place}: no coordinate rings", place=where or _("Boundary")))
    for number, ring in enumerate(polygon, start=1):
        place = (_("{polygon}, ring {number}", polygon=where, number=number) if where
                 else _("Ring {number}", number=number))
        if not isinstance(ring, list) or not all(isinstance(p, list) for p in ring):
            raise BoundaryProblem(_("{place}: expected a list of [longitude, latitude] points",
                                    place=place))
        if len(ring) < 4:
            raise BoundaryProblem(_("{place}: at least 4 points are needed, {count} given",
                                    place=place, count=len(ring)))
        for position in ring:
            _check_position(position, place)
        if ring[0][:2] != ring[-1][:2]:
            raise BoundaryProblem(_("{place}: the first and the last points must be the same",
                                    place=place))


def _check_position(position: list[Any], place: str) -> None:
    if len(position) not in (2, 3) or not all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in position):
        raise BoundaryProblem(_("{place}: point {point} must be a pair of numbers "
                                "[longitude, latitude]", place=place, point=_shown(position)))
    if not all(isinstance(c, int) or math.isfinite(c) for c in position):
        raise BoundaryProblem(_("{place}: coordinates must be finite numbers", place=place))
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BoundaryProblem(_("{place}: point {point} is out of range: longitude from -180 "
                                "to 180, latitude from -90 to 90", place=place,
                                point=_shown(position)))


def _reason(geom: BaseGeometry) -> str:
    reason = shapely.is_valid_reason(geom)
    match = _REASON.fullmatch(reason)
    if match is None:
        return translate(_REASONS.get(reason, reason))
    what = match["what"].strip()
    return _("{reason} at ({x}, {y})", reason=translate(_REASONS.get(what, what)),
             x=match["x"], y=match["y"])


def _shown(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
