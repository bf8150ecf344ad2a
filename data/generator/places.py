"""Points inside counties: moving a point inside its county, and pools of plausible locations.

Every point entity (spot, station, road segment, incident …) must lie inside its county polygon;
approximate coordinates are pulled toward the county seat until they do.
"""
from __future__ import annotations

import numpy as np
import shapely

from data.generator.randomness import stream
from data.regions import RegionTree

# County seats of 黄山 (approximate): where urban roads, parking and most incidents cluster.
# Elsewhere the county's representative point stands in for its seat.
COUNTY_SEATS = {
    "341002": (29.715, 118.315),  # 屯溪区
    "341003": (30.273, 118.141),  # 黄山区 甘棠镇
    "341004": (29.902, 118.337),  # 徽州区 岩寺镇
    "341021": (29.862, 118.437),  # 歙县 徽城镇
    "341022": (29.788, 118.193),  # 休宁县 海阳镇
    "341023": (29.925, 117.938),  # 黟县 碧阳镇
    "341024": (29.854, 117.717),  # 祁门县 祁山镇
}
POOL_SIZE = 4000


def place_inside(tree: RegionTree, adcode: str, lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) itself when inside the county, else the first point inside on the way to the
    county's representative point (which is always inside)."""
    if tree.point_inside(adcode, lat, lon):
        return round(lat, 6), round(lon, 6)
    anchor = tree.get(adcode)
    for step in np.linspace(0.1, 1.0, 10):
        candidate = (lat + (anchor.lat - lat) * step, lon + (anchor.lon - lon) * step)
        if tree.point_inside(adcode, *candidate):
            return round(candidate[0], 6), round(candidate[1], 6)
    return anchor.lat, anchor.lon


def county_seat(tree: RegionTree, adcode: str) -> tuple[float, float]:
    info = tree.get(adcode)
    lat, lon = COUNTY_SEATS.get(adcode, (info.lat, info.lon))
    return place_inside(tree, adcode, lat, lon)


def near(tree: RegionTree, adcode: str, lat: float, lon: float, spread_deg: float,
         rng: np.random.Generator) -> tuple[float, float]:
    """A point scattered around (lat, lon) by about spread_deg, inside the county."""
    return place_inside(tree, adcode, lat + rng.normal(0, spread_deg), lon + rng.normal(0, spread_deg))


def location_pool(tree: RegionTree, adcode: str, seed: int, size: int = POOL_SIZE) -> np.ndarray:
    """`size` points (lat, lon) inside the county: half clustered around the seat, half spread over
    the county, as events and facilities are. Rows are drawn from this pool."""
    geometry = tree.shape(adcode)
    minx, miny, maxx, maxy = geometry.bounds
    seat_lat, seat_lon = county_seat(tree, adcode)
    spread = 0.12 * max(maxx - minx, maxy - miny)
    rng = stream(seed, f"pool:{adcode}")
    found: list[np.ndarray] = []
    count = 0
    while count < size:
        batch = 4 * size
        clustered = rng.random(batch) < 0.5
        lon = np.where(clustered, rng.normal(seat_lon, spread, batch), rng.uniform(minx, maxx, batch))
        lat = np.where(clustered, rng.normal(seat_lat, spread, batch), rng.uniform(miny, maxy, batch))
        inside = shapely.contains_xy(geometry, lon, lat)
        points = np.column_stack([lat[inside], lon[inside]])
        found.append(points)
        count += len(points)
    return np.round(np.concatenate(found)[:size], 6)
