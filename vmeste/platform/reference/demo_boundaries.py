"""Boundaries for the demo's territories, so a point on the map finds its municipality
(Open311's ``lat``/``long``, the geo routing strategy).

The shapes are plausible, not official: each municipality is an octagon around its
administrative centre's real coordinates (cities smaller than districts), and each
region a box around its municipalities; no two municipalities overlap, and a point in
a region but outside every municipality falls to the region. They are loaded through
the boundaries importer, like any boundary file, so they are audited and checked
like one.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

from vmeste.platform.reference.boundaries import BoundaryReport, load_boundaries

#: Municipality code → (latitude, longitude) of its centre, and its half-width in degrees.
MUNICIPALITIES: dict[str, tuple[float, float, float]] = {
    "33701000": (58.6035, 49.6680, 0.10),   # Киров
    "33705000": (56.2284, 51.0614, 0.05),   # Вятские Поляны
    "33707000": (58.5537, 50.0398, 0.05),   # Кирово-Чепецк
    "33710000": (58.3092, 48.3481, 0.05),   # Котельнич
    "33713000": (58.7213, 50.1797, 0.05),   # Слободской
    "33603000": (57.6800, 48.3100, 0.15),   # Арбаж
    "33605000": (58.8419, 50.8472, 0.15),   # Белая Холуница
    "33614000": (58.4031, 51.1317, 0.15),   # Зуевка
    "33622000": (56.5208, 50.6781, 0.15),   # Малмыж
    "33626000": (57.5586, 49.9364, 0.15),   # Нолинск
    "33628000": (58.6686, 52.1892, 0.15),   # Омутнинск
    "33630000": (58.4117, 49.0525, 0.15),   # Оричи
    "33636000": (57.5847, 48.9650, 0.15),   # Советск
    "33644000": (57.1131, 49.9939, 0.15),   # Уржум
    "33649000": (57.3031, 47.8792, 0.15),   # Яранск
    "92701000": (55.7963, 49.1088, 0.15),   # Казань
    "92730000": (55.7436, 52.3958, 0.10),   # Набережные Челны
    "92608000": (54.9014, 52.2973, 0.15),   # Альметьевск
    "92644000": (55.6366, 51.8245, 0.12),   # Нижнекамск
    "92628000": (55.8467, 48.5010, 0.12),   # Зеленодольск
}

#: Region code → (south, west, north, east).
REGIONS: dict[str, tuple[float, float, float, float]] = {
    "33000000": (56.05, 46.50, 61.00, 53.90),   # Кировская область
    "92000000": (54.00, 47.20, 56.00, 54.30),   # Республика Татарстан
}


def _octagon(lat: float, lon: float, half: float) -> list[list[float]]:
    """A closed ring ([lon, lat] as GeoJSON orders them); longitude degrees are
    stretched by the latitude so the shape is round on the ground."""
    stretch = 1 / math.cos(math.radians(lat))
    ring = [[round(lon + half * stretch * math.cos(math.pi * k / 4 + math.pi / 8), 5),
             round(lat + half * math.sin(math.pi * k / 4 + math.pi / 8), 5)]
            for k in range(8)]
    return [*ring, ring[0]]


def _box(south: float, west: float, north: float, east: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def demo_features() -> dict[str, Any]:
    """The FeatureCollection of every demo region's and municipality's boundary."""
    rings = {code: _box(*box) for code, box in REGIONS.items()}
    rings.update({code: _octagon(*centre) for code, centre in MUNICIPALITIES.items()})
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"oktmo": code},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for code, ring in sorted(rings.items())]}


async def load_demo_boundaries(*, actor: str) -> BoundaryReport:
    body = json.dumps(demo_features()).encode()
    return await load_boundaries(io.BytesIO(body), len(body), actor=actor)
