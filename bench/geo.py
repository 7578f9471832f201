"""Point lookups per second over a national set of territory boundaries, against bare
baselines measured in the same run.

Builds a synthetic Russia deterministically: 85 regions tiling the country's extent,
30 municipalities in each and 11 settlements in each municipality (28,050 settlements,
30,685 boundaries), every one an irregular Voronoi cell nested exactly in its parent
and segmentized to 20–60 vertices. They are loaded into a throwaway SQLite database
through ``vmeste import boundaries``'s service from a national GeoJSON file (timed on
its own), then looked up through the platform's real path, ``BoundaryIndex.locate``,
with its caches warm: a region's boundaries are loaded and built on its first lookup,
and that first-lookup time is printed separately.

Two kinds of lookups are measured: an appeal filed in a region (the common case, root =
the region) and one filed at country level (root = the country, all 30,685 boundaries
in one tree). Each is compared with a bare STRtree ``query(point, "covered_by")`` over
the same prepared geometries (no precedence, no answer object), and with the ray
casting the platform used before (bounding box, then every ring), on a sample.

Target (issue 8): >= 50,000 lookups/s through BoundaryIndex. Each rate is printed per
second of wall time and per second of this process's CPU time (on a shared machine the
second is what one free core does); ratios are taken between CPU rates.

    python bench/geo.py [--lookups 100000] [--ray-lookups 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, box
from shapely.geometry.base import BaseGeometry

REGIONS, MUNICIPALITIES, SETTLEMENTS = 85, 30, 11
EXTENT = (19.6, 41.2, 180.0, 81.9)  # Russia's (west, south, east, north)
COUNTRY = "RU"

Row = tuple[int, str, str, dict]


def cells(parent: BaseGeometry, count: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """``count`` irregular cells tiling ``parent``: Voronoi cells of random seeds."""
    west, south, east, north = parent.bounds
    shapely.prepare(parent)
    seeds: list[tuple[float, float]] = []
    while len(seeds) < count:
        xs, ys = rng.uniform(west, east, count * 4), rng.uniform(south, north, count * 4)
        inside = shapely.contains_xy(parent, xs, ys)
        seeds.extend(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True))
    diagram = shapely.voronoi_polygons(MultiPoint(seeds[:count]), extend_to=parent)
    result = []
    for cell in shapely.get_parts(diagram):
        clipped = cell.intersection(parent)
        parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "Polygon"]
        if parts:
            result.append(max(parts, key=lambda p: p.area))
    return result


def jagged(polygon: BaseGeometry, rng: np.random.Generator) -> BaseGeometry:
    """The same cell with 20–60 vertices along its edges."""
    target = int(rng.integers(20, 56))
    return shapely.segmentize(polygon, polygon.exterior.length / target)


def build_country(seed: int = 8) -> list[tuple[str, str, BaseGeometry]]:
    """(code, path, polygon) of every region, municipality and settlement."""
    rng = np.random.default_rng(seed)
    out = []
    for r, region in enumerate(cells(box(*EXTENT), REGIONS, rng), start=1):
        region_code = f"{r:02d}000000"
        region_path = f"{COUNTRY}/{region_code}"
        out.append((region_code, region_path, jagged(region, rng)))
        for m, municipality in enumerate(cells(region, MUNICIPALITIES, rng), start=1):
            municipality_code = f"{r:02d}{m:03d}000"
            municipality_path = f"{region_path}/{municipality_code}"
            out.append((municipality_code, municipality_path, jagged(municipality, rng)))
            for s, settlement in enumerate(cells(municipality, SETTLEMENTS, rng), start=1):
                code = f"{r:02d}{m:03d}{s:03d}"
                out.append((code, f"{municipality_path}/{code}", jagged(settlement, rng)))
    return out


def points_in(polygons: Sequence[BaseGeometry], rng: np.random.Generator
              ) -> list[tuple[float, float]]:
    """One random point inside each polygon."""
    points = []
    for polygon in polygons:
        west, south, east, north = polygon.bounds
        while True:
            x, y = float(rng.uniform(west, east)), float(rng.uniform(south, north))
            if polygon.covers(shapely.Point(x, y)):
                points.append((x, y))
                break
    return points


# --- the old lookup: ray casting after a bounding-box check ----------------------------


def in_ring(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def ray_casting(rows: list[Row]) -> Callable[[float, float], str | None]:
    areas = sorted(((path.count("/"), code, shapely.bounds(shapely.from_geojson(
        json.dumps(boundary))).tolist(), boundary["coordinates"])
        for _, code, path, boundary in rows), key=lambda a: (-a[0], a[1]))

    def locate(lon: float, lat: float) -> str | None:
        for _, code, (west, south, east, north), rings in areas:
            if (west <= lon <= east and south <= lat <= north and in_ring(lon, lat, rings[0])
                    and not any(in_ring(lon, lat, hole) for hole in rings[1:])):
                return code
        return None

    return locate


# --- measuring ---------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def per_second_async(work: list[tuple[str, float, float]], locate
                           ) -> tuple[float, float]:
    """Per second of wall time, and per second of this process's CPU time (the machine
    may be shared; the second figure is what one free core would do)."""
    started, cpu = time.perf_counter(), time.process_time()
    for root, lon, lat in work:
        await locate(root, lat, lon)
    return (len(work) / (time.perf_counter() - started),
            len(work) / (time.process_time() - cpu))


def timed(work: Sequence[tuple], call: Callable[..., object]) -> tuple[float, float]:
    """Calls per second of wall time and of this process's CPU time."""
    started, cpu = time.perf_counter(), time.process_time()
    for args in work:
        call(*args)
    return (len(work) / (time.perf_counter() - started),
            len(work) / (time.process_time() - cpu))


async def store(country: list[tuple[str, str, BaseGeometry]], data_dir: Path) -> list[Row]:
    """The territories, then their boundaries through ``vmeste import boundaries``'s
    service from a national GeoJSON file; the rows as the index reads them."""
    from vmeste.platform.reference.boundaries import import_boundaries
    from vmeste.platform.reference.models import Territory, TerritoryKind

    kinds = {1: TerritoryKind.REGION, 2: TerritoryKind.MUNICIPALITY,
             3: TerritoryKind.SETTLEMENT}
    await Territory.create(code=COUNTRY, name="Россия", kind=TerritoryKind.COUNTRY,
                           timezone="Europe/Moscow", path=COUNTRY)
    await Territory.bulk_create([
        Territory(code=code, name=code, kind=kinds[path.count("/")], timezone="Europe/Moscow",
                  path=path) for code, path, _ in country], batch_size=1000)
    source = data_dir / "national.geojson"
    with source.open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [')
        for number, (code, _, polygon) in enumerate(country):
            out.write(("," if number else "") + '{"type": "Feature", "properties": {"oktmo": "'
                      f'{code}"}}, "geometry": {shapely.to_geojson(polygon)}}}')
        out.write("]}")
    rss_before, started = rss_mb(), time.perf_counter()
    report = await import_boundaries(source, actor="bench")
    print(f"import boundaries: {report.updated} features from a "
          f"{source.stat().st_size / 2**20:.0f} MB file in {time.perf_counter() - started:.1f} s"
          f", +{rss_mb() - rss_before:.0f} MB resident (SQLite, audited)")
    return list(await Territory.filter(boundary__isnull=False).values_list(
        "id", "code", "path", "boundary"))


async def run(args: argparse.Namespace) -> None:
    from vmeste.platform.appeals.geo import BoundaryIndex, build_area_set
    from vmeste.platform.db import connect, migrate
    from vmeste.platform.settings import load_settings

    started = time.perf_counter()
    country = build_country()
    vertices = [len(polygon.exterior.coords) - 1 for _, _, polygon in country]
    print(f"boundaries {len(country)} (settlements {REGIONS * MUNICIPALITIES * SETTLEMENTS}),"
          f" vertices per polygon {min(vertices)}–{max(vertices)}, median "
          f"{int(np.median(vertices))}; generated in {time.perf_counter() - started:.1f} s")
    rng = np.random.default_rng(11)
    settlements = [(path, polygon) for _, path, polygon in country if path.count("/") == 3]
    picks = rng.integers(0, len(settlements), args.lookups)
    points = points_in([settlements[i][1] for i in picks[:5000]], rng)
    points = [points[i % len(points)] for i in range(args.lookups)]
    regional = [("/".join(settlements[i][0].split("/")[:2]), x, y)
                for i, (x, y) in zip(picks.tolist(), points, strict=True)]
    national = [(COUNTRY, x, y) for _, x, y in regional]

    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings({"VMESTE_DATA_DIR": data_dir})
        await migrate(settings)
        async with connect(settings):
            rows = await store(country, Path(data_dir))
            rss_before = rss_mb()
            started = time.perf_counter()
            national_set = build_area_set(rows)
            build = time.perf_counter() - started
            print(f"build (shapely, repair if invalid, prepare, STRtree), all {len(national_set)}: "
                  f"{build:.2f} s, +{rss_mb() - rss_before:.0f} MB resident")

            index = BoundaryIndex(check_seconds=args.check_seconds)
            started = time.perf_counter()
            for region in sorted({root for root, _, _ in regional}):
                await index.area_set(region)
            print(f"first lookups: {REGIONS} regions loaded from the database and built in "
                  f"{time.perf_counter() - started:.2f} s")
            await index.area_set(COUNTRY)

            missing = 0
            for root, x, y in regional[:2000]:
                found = await index.locate(root, y, x)
                missing += found is None or found.area.depth != 3
            rates = {}
            for title, work in (("region root", regional), ("country root", national)):
                rate = rates[title] = await per_second_async(work, index.locate)
                region_sets = {root: await index.area_set(root) for root, _, _ in work}
                trees = {root: built.tree for root, built in region_sets.items()}
                bare = timed([(trees[root], x, y) for root, x, y in work], lambda tree, x, y:
                             tree.query(shapely.points(np.array(((x, y),))),
                                        predicate="covered_by"))
                print(f"{title:<13} BoundaryIndex.locate {rate[0]:>9,.0f}/s "
                      f"({rate[1]:>7,.0f}/CPU-s)   bare STRtree {bare[0]:>9,.0f}/s "
                      f"({bare[1]:>7,.0f}/CPU-s)   ratio {rate[1] / bare[1]:.2f}")

            sample = [(x, y) for _, x, y in regional[:args.ray_lookups]]
            by_region: dict[str, list[Row]] = {}
            for row in rows:
                by_region.setdefault("/".join(row[2].split("/")[:2]), []).append(row)
            old = {region: ray_casting(region_rows) for region, region_rows in
                   by_region.items()}
            roots = [root for root, _, _ in regional[:args.ray_lookups]]
            answers: list[str | None] = []
            ray = timed(list(zip(roots, sample, strict=True)),
                        lambda root, point: answers.append(old[root](*point)))
            platform = [await index.locate(root, y, x) for root, (x, y) in
                        zip(roots, sample, strict=True)]
            disagree = sum(a != (p.area.code if p else None)
                           for a, p in zip(answers, platform, strict=True))
            print(f"region root   old ray casting     {ray[0]:>9,.0f}/s ({ray[1]:>7,.0f}/CPU-s)"
                  f"   BoundaryIndex is {rates['region root'][1] / ray[1]:,.0f}x faster; "
                  f"disagreements {disagree} of {len(sample)}; not placed in a settlement "
                  f"{missing} of 2000")
    print("target: >= 50,000 lookups/s through BoundaryIndex")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--ray-lookups", type=int, default=2000)
    parser.add_argument("--check-seconds", type=float, default=2.0,
                        help="how often the index re-reads the versions (as in production)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
