"""Which territory a point lies in, from the GeoJSON boundaries of territories.

Boundaries are where FixMyStreet's users see most misroutes, so the answer is the
deepest territory (settlement before municipality) whose polygon holds the point, and
the routing trace names it. Polygons are tested by ray casting after a bounding-box
check; each region's boundaries are cached for ``ttl_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vmeste.platform.reference.models import PATH_SEPARATOR, Territory

Ring = Sequence[Sequence[float]]
Polygon = Sequence[Ring]


def _rings_of(boundary: dict[str, Any]) -> list[Polygon]:
    geometry = boundary.get("geometry", boundary) if boundary.get("type") == "Feature" \
        else boundary
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def polygon_contains(polygon: Polygon, lon: float, lat: float) -> bool:
    """Inside the outer ring and outside every hole."""
    if not polygon or not _in_ring(lon, lat, polygon[0]):
        return False
    return not any(_in_ring(lon, lat, hole) for hole in polygon[1:])


@dataclass(frozen=True)
class Area:
    territory_id: int
    code: str
    path: str
    depth: int
    bbox: tuple[float, float, float, float]
    polygons: tuple[Polygon, ...]

    def contains(self, lon: float, lat: float) -> bool:
        west, south, east, north = self.bbox
        if not (west <= lon <= east and south <= lat <= north):
            return False
        return any(polygon_contains(p, lon, lat) for p in self.polygons)


def make_area(territory_id: int, code: str, path: str, boundary: dict[str, Any]) -> Area | None:
    polygons = tuple(_rings_of(boundary))
    points = [pt for polygon in polygons for ring in polygon[:1] for pt in ring]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    bbox = (min(lons), min(lats), max(lons), max(lats))
    return Area(territory_id, code, path, path.count(PATH_SEPARATOR), bbox, polygons)


class BoundaryIndex:
    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._areas: dict[str, tuple[float, list[Area]]] = {}

    def invalidate(self) -> None:
        self._areas.clear()

    async def _areas_within(self, root_path: str) -> list[Area]:
        cached = self._areas.get(root_path)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        rows = await Territory.filter(
            path__startswith=root_path + PATH_SEPARATOR, boundary__isnull=False
        ).values_list("id", "code", "path", "boundary")
        areas = [a for a in (make_area(*row) for row in rows) if a is not None]
        areas.sort(key=lambda a: -a.depth)
        self._areas[root_path] = (now, areas)
        return areas

    async def locate(self, root_path: str, lat: float, lon: float) -> Area | None:
        """The deepest territory under ``root_path`` whose boundary holds the point."""
        for area in await self._areas_within(root_path):
            if area.contains(lon, lat):
                return area
        return None
