"""The dynamic part of a map panel: which boundary layer, the values that colour it, the points.

Boundaries are static files (/geo/layer/<adcode>.json, cached on disk), so a drill sends only a
URL, a few numbers per region and, at county level, the point entities.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.panels import CrossFilter, KeyedFilter, Panel
from core.viewstate import ViewState, narrow
from data.catalogue import catalogue, indicator
from data.queries.indicators import ranking
from data.regions import region_tree


def map_metric(panel: Panel, view: ViewState) -> str:
    metrics = panel.map.metrics
    return view.metric if view.metric in metrics else metrics[0]


def region_values(panel: Panel, view: ViewState) -> pd.DataFrame:
    """The values that colour the regions (also what the map exports): the children of a city, or a
    county among its siblings within the user's scope, itself marked."""
    return ranking(narrow(view, ()), map_metric(panel, view), view.lang)


def points_collection(frame: pd.DataFrame) -> dict:
    """The points of a frame (key, name, lat, lon[, label, level, radius, colour]) as GeoJSON;
    points without a place are left out. Each point carries what its marker shows: the label (its
    tooltip; the name when there is none), level, radius and colour — a county's thousands of points
    are sent whole on a drill, so nothing else. (Column by column, places rounded and checked as
    arrays.)"""
    def column(name: str, default=None) -> list:
        return frame[name].tolist() if name in frame else [default] * len(frame)

    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    placed = (~(np.isnan(lat) | np.isnan(lon))).tolist()
    features = []
    for key, label, level, radius, colour, x, y, here in zip(
            column("key"), column("label" if "label" in frame else "name"), column("level", 0),
            column("radius", 7), column("colour"), np.round(lon, 5).tolist(), np.round(lat, 5).tolist(), placed):
        if not here:
            continue
        properties = {"key": str(key), "label": label, "level": int(level or 0),
                      "radius": round(float(radius or 7), 1)}
        if isinstance(colour, str):
            properties["colour"] = colour
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "Point", "coordinates": [x, y]}})
    return {"type": "FeatureCollection", "features": features}


def map_props(panel: Panel, view: ViewState) -> dict:
    tree = region_tree()
    region = tree.get(view.region)
    at_county = region.level == "county"
    code = map_metric(panel, view)
    ind = indicator(code)
    values = region_values(panel, view)
    shown = values[values["adcode"] == view.region] if at_county else values
    finite = [v for v in shown["value"] if v is not None and not pd.isna(v) and math.isfinite(v)]
    hideout = {
        "values": {r.adcode: (None if pd.isna(r.value) else float(r.value)) for r in shown.itertuples()},
        "labels": {r.adcode: f"{ind.name(view.lang)} {ind.format(None if pd.isna(r.value) else r.value)}"
                             f"{ind.unit(view.lang)}" for r in shown.itertuples()},
        "levels": {r.adcode: int(r.level) for r in shown.itertuples()},
        "min": min(finite) if finite else 0, "max": max(finite) if finite else 0,
        "selected": view.region if at_county else None, "single": at_county, "lang": view.lang,
        "permanentLabels": bool(view.screen) or not at_county,
    }
    points = {"type": "FeatureCollection", "features": []}
    selected_points: list[str] = []
    spec = panel.map
    if spec.points is not None and (at_county or spec.points_at_city):
        frame = spec.points(narrow(view, spec.point_filters))
        points = points_collection(frame)
        if isinstance(spec.point_click, CrossFilter):
            selected_points = list(view.filter_values(spec.point_click.dimension))
        elif isinstance(spec.point_click, KeyedFilter):
            selected_points = [f"{dimension}-{value}" for dimension in spec.point_click.dimensions
                               for value in view.filter_values(dimension)]
    bounds = tree.bounds(view.region)
    return {
        "url": f"/geo/layer/{view.region if at_county else region.adcode}.json",
        "hideout": hideout,
        "points": points,
        "points_hideout": {"selected": selected_points},
        "viewport": {"bounds": bounds, "transition": "flyToBounds", "options": {"padding": [12, 12]}},
    }


def metric_options(panel: Panel, lang: str) -> list[dict]:
    return [{"label": catalogue()[c].name(lang), "value": c} for c in panel.map.metrics]
