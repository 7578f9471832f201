"""Which territory a point lies in, from the GeoJSON boundaries of territories.

Boundaries are where FixMyStreet's users see most misroutes, so the answer is
deterministic and explained: the deepest territory (settlement before municipality
before region) whose boundary covers the point, and the routing trace names it. A point
exactly on a border covers both sides (``covers`` counts the boundary), so a point on
the line between two settlements is never lost to neither; of two territories of the
same depth that both cover it, the one whose code sorts first wins, and the trace lists
the others.

Each region's boundaries are built once into shapely geometries, prepared, and indexed
by an STRtree; the cache is dropped when any process bumps the reference-tree version (a
territory added or moved) or the boundaries version (a boundary changed), re-read at most
every ``check_seconds``. The build runs in a worker thread: a large region takes about
half a second of shapely work, which must not stall every request on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from vmeste.platform.reference.geometry import BOUNDARIES_VERSION, lookup_geometry
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory
from vmeste.platform.versions import REFERENCE_TREE_VERSION, current_version


@dataclass(frozen=True, slots=True)
class Area:
    territory_id: int
    code: str
    path: str
    depth: int

    def precedence(self) -> tuple[int, str]:
        """Sort key: deepest first, then by code (the tie-break on shared borders)."""
        return (-self.depth, self.code)


@dataclass(frozen=True, slots=True)
class Location:
    """The territory that holds a point, and any of the same depth whose boundary the
    point also lies on (it was on their shared border)."""

    area: Area
    also_on_border: tuple[str, ...] = ()


class AreaSet:
    """The boundaries of one region, in precedence order, prepared and indexed.

    Because geometries are stored in precedence order, the first STRtree candidate (by
    index) that covers the point is the answer; the rest are not tested.
    """

    def __init__(self, shapes: Iterable[tuple[Area, BaseGeometry]]) -> None:
        ordered = sorted(shapes, key=lambda pair: pair[0].precedence())
        self.areas: list[Area] = [area for area, _ in ordered]
        self.geometries = [geom for _, geom in ordered]
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        self._inside = [Location(area) for area in self.areas]

    def __len__(self) -> int:
        return len(self.areas)

    def locate(self, lon: float, lat: float, root_path: str | None = None) -> Location | None:
        """The deepest area (under ``root_path``, when given) covering the point."""
        # A one-point array: querying with it skips the scalar wrapper's conversions,
        # which cost as much as the query itself.
        points = shapely.points(np.array(((lon, lat),)))
        point = points[0]
        candidates = sorted(self.tree.query(points)[1].tolist())
        prefix = None if root_path is None else root_path + PATH_SEPARATOR
        for position, index in enumerate(candidates):
            if prefix is not None and not self.areas[index].path.startswith(prefix):
                continue
            geometry = self.geometries[index]
            if not geometry.covers(point):
                continue
            if geometry.contains(point):
                return self._inside[index]
            area = self.areas[index]
            return Location(area, self._also_on_border(area, point, prefix,
                                                       candidates[position + 1:]))
        return None

    def _also_on_border(self, winner: Area, point: BaseGeometry, prefix: str | None,
                        rest: Iterable[int]) -> tuple[str, ...]:
        return tuple(self.areas[i].code for i in rest
                     if self.areas[i].depth == winner.depth
                     and (prefix is None or self.areas[i].path.startswith(prefix))
                     and self.geometries[i].covers(point))


def build_area_set(rows: Iterable[tuple[int, str, str, object]]) -> AreaSet:
    """From ``(id, code, path, boundary)`` rows; unusable boundaries are skipped."""
    shapes = []
    for territory_id, code, path, boundary in rows:
        geometry = lookup_geometry(code, boundary)
        if geometry is not None:
            area = Area(territory_id, code, path, path.count(PATH_SEPARATOR))
            shapes.append((area, geometry))
    return AreaSet(shapes)


def region_of(path: str) -> str:
    """The cache key: the region holding ``path`` (the country for the country)."""
    return PATH_SEPARATOR.join(path.split(PATH_SEPARATOR)[:2])


class BoundaryIndex:
    def __init__(self, check_seconds: float = 2.0) -> None:
        self.check_seconds = check_seconds
        self._sets: dict[str, AreaSet] = {}
        #: root path → (its region's key, the root to filter by or None for the region).
        self._roots: dict[str, tuple[str, str | None]] = {}
        #: Loads under way, so concurrent first lookups in a region build it once.
        self._loading: dict[str, asyncio.Future[AreaSet]] = {}
        self._version: tuple[int, int] | None = None
        self._checked_at = 0.0

    async def _refresh(self) -> None:
        version = (await current_version(REFERENCE_TREE_VERSION),
                   await current_version(BOUNDARIES_VERSION))
        self._checked_at = time.monotonic()
        if version != self._version:
            self._sets.clear()
            self._version = version

    def _root(self, root_path: str) -> tuple[str, str | None]:
        found = self._roots.get(root_path)
        if found is None:
            key = region_of(root_path)
            found = self._roots[root_path] = (key, None if key == root_path else root_path)
        return found

    async def area_set(self, root_path: str) -> AreaSet:
        """The built boundaries of the region holding ``root_path``."""
        if self._version is None or time.monotonic() - self._checked_at >= self.check_seconds:
            await self._refresh()
        key = self._root(root_path)[0]
        built = self._sets.get(key)
        if built is not None:
            return built
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(self._load(key))
            # The load forgets itself when it ends, not when a caller does: a caller that
            # gives up early must not let the next one start a second load.
            loading.add_done_callback(functools.partial(self._loaded, key))
        # Shielded: one caller giving up (a cancelled request) must not cancel the load
        # the others are waiting for.
        return await asyncio.shield(loading)

    def _loaded(self, key: str, loading: asyncio.Future[AreaSet]) -> None:
        if self._loading.get(key) is loading:
            del self._loading[key]
        if not loading.cancelled():
            # Retrieved here so that a failure no caller is left to await is not reported
            # as "never retrieved"; the callers still waiting get it raised.
            loading.exception()

    async def _load(self, key: str) -> AreaSet:
        version = self._version
        rows = await Territory.filter(
            path__startswith=key + PATH_SEPARATOR, boundary__isnull=False
        ).values_list("id", "code", "path", "boundary")
        built = await asyncio.to_thread(build_area_set, rows)
        if self._version == version:  # not made stale by a refresh during the load
            self._sets[key] = built
        return built

    async def locate(self, root_path: str, lat: float, lon: float) -> Location | None:
        """The deepest territory under ``root_path`` whose boundary covers the point."""
        built = await self.area_set(root_path)
        return built.locate(lon, lat, self._root(root_path)[1])
