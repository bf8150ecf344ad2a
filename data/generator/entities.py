"""The fixed things of a region: counties with populations, and every point entity.

`build_context(root, seed, scale)` derives them deterministically from the region tree: 黄山's
counties use the calibration file (real populations, real scenic spots and capacities, 新安江
sections); any other county gets plausible generic entities sized by its population. `scale`
multiplies the counts of road segments, parking lots, pollution sources, care institutions and
hazard sources; scenic spots, air stations and water sections stay as they are.

Entity frames carry the table's columns plus generation parameters (base load, free speed …);
the writer keeps only the table's columns.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.generator import vocab
from data.generator.places import county_seat, location_pool, near, place_inside
from data.generator.randomness import stream
from data.generator.reference import read_reference
from data.regions import RegionTree, region_tree

BASE_YEAR = 2020  # the census year of the calibration populations

# Extra real 黄山 spots beyond the calibration file: name, county, lat, lon, capacity, grade, English.
EXTRA_SPOTS = [
    ("唐模", "341004", 29.887, 118.345, 8000, "5A", "Tangmo Village"),
    ("棠樾牌坊群", "341021", 29.857, 118.418, 10000, "5A", "Tangyue Memorial Archways"),
    ("新安江山水画廊", "341021", 29.760, 118.620, 12000, "4A", "Xin'an River Landscape Gallery"),
    ("翡翠谷", "341003", 30.085, 118.175, 8000, "4A", "Emerald Valley"),
    ("塔川", "341023", 30.012, 117.998, 6000, "3A", "Tachuan Village"),
    ("花山谜窟", "341002", 29.742, 118.393, 10000, "4A", "Huashan Mysterious Grottoes"),
]
# English names, mean daily load (share of capacity on an average day), opening hours and mean stay.
SPOT_PARAMS = {
    "黄山风景区": ("Huangshan Scenic Area", 0.21, 6, 17, 7.0),
    "西递": ("Xidi Village", 0.20, 7, 18, 2.5),
    "宏村": ("Hongcun Village", 0.24, 7, 18, 3.0),
    "屯溪老街": ("Tunxi Old Street", 0.28, 8, 22, 2.0),
    "徽州古城": ("Huizhou Ancient City", 0.18, 8, 18, 3.0),
    "呈坎": ("Chengkan Village", 0.18, 8, 17, 2.5),
    "齐云山": ("Mount Qiyun", 0.12, 7, 17, 4.0),
    "太平湖": ("Taiping Lake", 0.12, 8, 17, 3.5),
    "牯牛降": ("Guniujiang Nature Reserve", 0.12, 7, 17, 4.0),
}
GENERIC_SPOT_KINDS = [("风景区", "Scenic Area"), ("古镇", "Ancient Town"), ("湿地公园", "Wetland Park"),
                      ("森林公园", "Forest Park"), ("文化园", "Culture Park")]

# 黄山's monitored river sections: name, river, county, lat, lon, target grade.
HUANGSHAN_SECTIONS = [
    ("溪口", "率水", "341022", 29.630, 117.990, 2),
    ("横江桥", "横江", "341022", 29.790, 118.190, 2),
    ("屯溪大桥", "新安江", "341002", 29.708, 118.318, 2),
    ("丰乐水库出口", "丰乐河", "341004", 29.985, 118.335, 2),
    ("浦口", "练江", "341021", 29.858, 118.455, 3),
    ("街口", "新安江", "341021", 29.720, 118.730, 2),  # cross-border section into 浙江 (千岛湖)
    ("太平湖湖心", "太平湖", "341003", 30.300, 118.080, 2),
    ("耿城", "麻川河", "341003", 30.330, 118.040, 3),
    ("渔亭", "漳河", "341023", 29.860, 117.970, 3),
    ("倒湖", "阊江", "341024", 29.780, 117.420, 2),  # cross-border section into 江西
]
# 黄山's air stations: name, county, lat, lon, kind, pollution factor (1 = urban average).
HUANGSHAN_STATIONS = [
    ("黄山市监测站", "341002", 29.713, 118.312, "national", 1.10),
    ("黄山学院", "341002", 29.735, 118.295, "national", 1.00),
    ("黄山区政府", "341003", 30.272, 118.142, "national", 0.90),
    ("光明顶", "341003", 30.136, 118.158, "national", 0.60),  # mountain background station
    ("徽州区政府", "341004", 29.900, 118.338, "provincial", 0.95),
    ("歙县环保局", "341021", 29.862, 118.433, "provincial", 1.00),
    ("休宁县监测站", "341022", 29.787, 118.190, "provincial", 0.90),
    ("黟县监测站", "341023", 29.925, 117.940, "provincial", 0.80),
    ("祁门县监测站", "341024", 29.856, 117.715, "provincial", 0.85),
]


def short_name(name: str) -> str:
    """屯溪区 → 屯溪, 歙县 → 歙县 (a one-character stem keeps its suffix)."""
    for suffix in ("自治县", "区", "县", "市", "旗"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin  # here: its dictionary is ~58 MB and the web app never needs it

    return "".join(lazy_pinyin(text)).capitalize()


@dataclass
class Context:
    """Everything fixed for one (root, seed, scale)."""

    tree: RegionTree
    root: str
    seed: int
    scale: float
    counties: pd.DataFrame  # adcode, name, parent, population, lat, lon (seat), urban, …
    spots: pd.DataFrame
    stations: pd.DataFrame
    sections: pd.DataFrame
    sources: pd.DataFrame
    segments: pd.DataFrame
    lots: pd.DataFrame
    institutions: pd.DataFrame
    hazards: pd.DataFrame
    pools: dict[str, np.ndarray] = field(repr=False)

    @property
    def n_counties(self) -> int:
        return len(self.counties)

    def county_index(self, adcodes) -> np.ndarray:
        lookup = {code: i for i, code in enumerate(self.counties["adcode"])}
        return np.array([lookup[c] for c in adcodes], dtype=int)


def _calibration() -> pd.DataFrame:
    return read_reference("huangshan_calibration.csv")


def _county_frame(tree: RegionTree, seed: int) -> pd.DataFrame:
    calibration = _calibration()
    known = calibration[calibration["kind"] == "population_2020"].set_index("county_adcode")["value"]
    rng = stream(seed, "counties")
    rows = []
    for info in tree.counties():
        geometry = tree.shape(info.adcode)
        lat_mid = (geometry.bounds[1] + geometry.bounds[3]) / 2
        area_km2 = geometry.area * 111.32 ** 2 * math.cos(math.radians(lat_mid))
        urban = info.name.endswith("区")
        if info.adcode in known.index:
            population = int(known[info.adcode])
        else:
            # Persons per km²: urban districts are denser than counties, the northern plains denser
            # than the southern hills.
            density = 450 if urban else 280 + 200 * min(max((lat_mid - 31) / 2, 0.0), 1.0)
            population = int(np.clip(area_km2 * density, 150_000, 1_100_000) // 1000 * 1000)
        seat_lat, seat_lon = county_seat(tree, info.adcode)
        rows.append({
            "adcode": info.adcode, "name": info.name, "short": short_name(info.name), "parent": info.parent,
            "population": population, "lat": seat_lat, "lon": seat_lon, "area_km2": area_km2, "urban": urban,
            "calibrated": info.adcode in known.index,
            # Share of residents aged 60+ / 80+ in the base year (rural counties are older).
            "aged60_base": float(np.clip(rng.normal(0.235 if urban else 0.255, 0.008), 0.22, 0.27)),
            "aged80_base": float(np.clip(rng.normal(0.040 if urban else 0.044, 0.002), 0.036, 0.05)),
        })
    return pd.DataFrame(rows)


def _spots(tree: RegionTree, counties: pd.DataFrame, seed: int) -> pd.DataFrame:
    calibration = _calibration()
    listed = calibration[calibration["kind"] == "scenic_spot"]
    rows = []
    for item in listed.itertuples():
        if item.county_adcode not in set(counties["adcode"]):
            continue
        name_en, load, open_h, close_h, stay = SPOT_PARAMS[item.name]
        grade = "5A" if "5A" in str(item.note) or item.name in ("西递", "宏村", "徽州古城", "呈坎") else "4A"
        rows.append((item.name, name_en, item.county_adcode, item.lat, item.lon, int(item.value), grade,
                     load, open_h, close_h, stay))
    for name, adcode, lat, lon, capacity, grade, name_en in EXTRA_SPOTS:
        if adcode in set(counties["adcode"]):
            rows.append((name, name_en, adcode, lat, lon, capacity, grade, 0.15, 8, 17, 2.0))
    rng = stream(seed, "spots")
    covered = {row[2] for row in rows}
    for county in counties.itertuples():
        if county.adcode in covered:
            continue
        # A county without listed spots gets one or two generic ones around its seat.
        for k in range(1 + int(rng.random() < 0.4)):
            suffix, suffix_en = GENERIC_SPOT_KINDS[(k + int(rng.integers(0, 5))) % len(GENERIC_SPOT_KINDS)]
            lat, lon = near(tree, county.adcode, county.lat, county.lon, 0.08, rng)
            rows.append((f"{county.short}{suffix}", f"{pinyin(county.short)} {suffix_en}", county.adcode, lat,
                         lon, int(rng.integers(6, 21)) * 1000, "4A" if k == 0 else "3A", 0.14, 8, 17, 2.5))
    frame = pd.DataFrame(rows, columns=["name", "name_en", "adcode", "lat", "lon", "capacity", "grade",
                                        "base_load", "open_hour", "close_hour", "stay_hours"])
    return _finish(tree, frame)


def _stations(tree: RegionTree, counties: pd.DataFrame) -> pd.DataFrame:
    rows = [(name, adcode, lat, lon, kind, factor) for name, adcode, lat, lon, kind, factor in HUANGSHAN_STATIONS
            if adcode in set(counties["adcode"])]
    covered = {row[1] for row in rows}
    for county in counties.itertuples():
        if county.adcode in covered:
            continue
        if county.urban:
            rows.append((f"{county.short}区监测站", county.adcode, county.lat, county.lon, "national", 1.1))
            rows.append((f"{county.short}开发区", county.adcode, county.lat - 0.03, county.lon + 0.03, "national",
                         1.2))
        else:
            rows.append((f"{county.name}监测站", county.adcode, county.lat, county.lon, "provincial", 1.0))
    frame = pd.DataFrame(rows, columns=["name", "adcode", "lat", "lon", "kind", "factor"])
    frame = _finish(tree, frame)
    frame["code"] = [f"{a}A{k}" for a, k in zip(frame["adcode"], frame.groupby("adcode").cumcount() + 1)]
    return frame


def _sections(tree: RegionTree, counties: pd.DataFrame, seed: int) -> pd.DataFrame:
    rows = [(f"{river}·{name}断面", river, adcode, lat, lon, target)
            for name, river, adcode, lat, lon, target in HUANGSHAN_SECTIONS if adcode in set(counties["adcode"])]
    covered = {row[2] for row in rows}
    rng = stream(seed, "sections")
    for county in counties.itertuples():
        if county.adcode in covered:
            continue
        river = f"{county.short[0]}河" if len(county.short) > 1 else f"{county.short}河"
        word = vocab.PLACE_WORDS[int(rng.integers(0, len(vocab.PLACE_WORDS)))]
        lat, lon = near(tree, county.adcode, county.lat, county.lon, 0.06, rng)
        rows.append((f"{river}·{word}断面", river, county.adcode, lat, lon, 3))
    return _finish(tree, pd.DataFrame(rows, columns=["name", "river", "adcode", "lat", "lon", "target_grade"]))


def _count(base: float, scale: float) -> int:
    """How many of an entity a county gets at this scale: at least one."""
    return max(1, int(round(base * scale)))


def _pool_points(pools: dict, adcode: str, rng: np.random.Generator, n: int) -> np.ndarray:
    pool = pools[adcode]
    return pool[rng.integers(0, len(pool), n)]


def _sources(tree, counties, pools, seed, scale) -> pd.DataFrame:
    rng = stream(seed, "pollution_sources")
    rows = []
    for county in counties.itertuples():
        n = _count(2 + county.population / 150_000, scale)
        points = _pool_points(pools, county.adcode, rng, n)
        for k in range(n):
            industry, kind = vocab.INDUSTRIES[int(rng.integers(0, len(vocab.INDUSTRIES)))]
            if industry == "污水处理厂":
                name = f"{county.short}{vocab.PLACE_WORDS[k % len(vocab.PLACE_WORDS)]}污水处理厂"
            else:
                company = vocab.COMPANY_WORDS[int(rng.integers(0, len(vocab.COMPANY_WORDS)))]
                name = f"{county.short}{company}{industry}有限公司"
            rows.append((name, county.adcode, points[k, 0], points[k, 1], industry, kind,
                         float(rng.uniform(0.002, 0.01))))
    return _finish(tree, pd.DataFrame(rows, columns=["name", "adcode", "lat", "lon", "industry", "kind",
                                                     "exceed_rate"]))


def _segments(tree, counties, spots, pools, seed, scale) -> pd.DataFrame:
    rng = stream(seed, "road_segments")
    rows = []
    streets = vocab.STREETS
    for county in counties.itertuples():
        for k in range(_count(6 if county.urban and county.population > 200_000 else 3, scale)):
            road = streets[(k + int(rng.integers(0, len(streets)))) % len(streets)]
            cross = streets[(streets.index(road) + 1 + k % (len(streets) - 1)) % len(streets)]
            lat, lon = near(tree, county.adcode, county.lat, county.lon, 0.015, rng)
            rows.append((f"{road}({cross}口)", road, county.adcode, lat, lon, round(float(rng.uniform(0.6, 2.5)), 2),
                         "urban", None, float(rng.uniform(38, 50)), float(rng.uniform(600, 1300))))
        for k in range(_count(2, scale)):
            road = vocab.HIGHWAYS[(k + int(rng.integers(0, len(vocab.HIGHWAYS)))) % len(vocab.HIGHWAYS)]
            lat, lon = _pool_points(pools, county.adcode, rng, 1)[0]
            rows.append((f"{road}{county.short}段", road, county.adcode, lat, lon, round(float(rng.uniform(5, 20)), 1),
                         "highway", None, float(rng.uniform(90, 110)), float(rng.uniform(900, 2200))))
    for spot in spots.itertuples():
        for k in range(_count(1, scale)):
            lat, lon = near(tree, spot.adcode, spot.lat, spot.lon, 0.01, rng)
            rows.append((f"{spot.name}景区连接线" + (f"{k + 1}" if k else ""), f"{spot.name}连接线", spot.adcode,
                         lat, lon, round(float(rng.uniform(1, 6)), 1), "scenic", spot.id, float(rng.uniform(40, 55)),
                         float(rng.uniform(250, 700))))
    return _finish(tree, pd.DataFrame(rows, columns=["name", "road", "adcode", "lat", "lon", "length_km", "kind",
                                                     "near_spot_id", "free_speed", "base_volume"]))


def _lots(tree, counties, spots, seed, scale) -> pd.DataFrame:
    rng = stream(seed, "parking_lots")
    rows = []
    for county in counties.itertuples():
        for k in range(_count(2 + county.population / 100_000, scale)):
            word = vocab.PLACE_WORDS[(k + int(rng.integers(0, len(vocab.PLACE_WORDS)))) % len(vocab.PLACE_WORDS)]
            kind = ("商业中心", "医院", "公共", "客运站")[k % 4]
            lat, lon = near(tree, county.adcode, county.lat, county.lon, 0.012, rng)
            rows.append((f"{county.short}{word}{kind}停车场", county.adcode, lat, lon,
                         int(rng.integers(8, 60)) * 10, None, "urban"))
    for spot in spots.itertuples():
        for k in range(_count(1, scale)):
            lat, lon = near(tree, spot.adcode, spot.lat, spot.lon, 0.006, rng)
            spaces = int(np.clip(spot.capacity / 40 * rng.uniform(0.6, 1.2), 150, 2000)) // 10 * 10
            rows.append((f"{spot.name}游客停车场" + (f"{k + 1}区" if k else ""), spot.adcode, lat, lon, spaces,
                         spot.id, "scenic"))
    return _finish(tree, pd.DataFrame(rows, columns=["name", "adcode", "lat", "lon", "spaces", "near_spot_id",
                                                     "kind"]))


def _institutions(tree, counties, pools, seed, scale) -> pd.DataFrame:
    rng = stream(seed, "care_institutions")
    rows = []
    for county in counties.itertuples():
        elderly = county.population * county.aged60_base
        rows.append((f"{county.name}养老服务指导中心", county.adcode, county.lat, county.lon, "county_center",
                     int(rng.integers(60, 150)), 0.8, int(elderly)))
        tiers = (("street_center", county.population / 60_000, "街道养老服务中心", (20, 60)),
                 ("community_station", county.population / 10_000, "社区养老服务站", (0, 10)),
                 ("nursing_home", county.population / 40_000, None, (60, 400)))
        for tier, base, suffix, (low, high) in tiers:
            n = _count(base, scale)
            points = _pool_points(pools, county.adcode, rng, n)
            for k in range(n):
                word = vocab.PLACE_WORDS[(k + int(rng.integers(0, len(vocab.PLACE_WORDS)))) % len(vocab.PLACE_WORDS)]
                if tier == "nursing_home":
                    name = f"{county.short}{word}{vocab.NURSING_SUFFIXES[k % len(vocab.NURSING_SUFFIXES)]}"
                else:
                    name = f"{county.short}{word}{suffix}"
                covers = int(elderly / max(1, n)) if tier != "nursing_home" else 0
                rows.append((name, county.adcode, points[k, 0], points[k, 1], tier, int(rng.integers(low, high + 1)),
                             float(rng.uniform(0.55, 0.92)), covers))
    frame = pd.DataFrame(rows, columns=["name", "adcode", "lat", "lon", "tier", "beds", "occupancy",
                                        "covers_population"])
    frame["occupied"] = np.floor(frame["beds"] * frame.pop("occupancy")).astype(int)
    return _finish(tree, frame)


def _hazards(tree, counties, pools, seed, scale) -> pd.DataFrame:
    rng = stream(seed, "hazard_sources")
    rows = []
    for county in counties.itertuples():
        for kind, base, levels in (("hazmat", 1 + county.population / 200_000, [0.05, 0.15, 0.35, 0.45]),
                                   ("fire_key", county.population / 20_000, [0.0, 0.2, 0.4, 0.4])):
            n = _count(base, scale)
            points = _pool_points(pools, county.adcode, rng, n)
            for k in range(n):
                company = vocab.COMPANY_WORDS[int(rng.integers(0, len(vocab.COMPANY_WORDS)))]
                if kind == "hazmat":
                    name = f"{county.short}{company}{('油库', '加气站', '化工储罐区', '液氨储罐')[k % 4]}"
                else:
                    word = vocab.PLACE_WORDS[(k + int(rng.integers(0, 24))) % len(vocab.PLACE_WORDS)]
                    name = f"{county.short}{word}{('商场', '宾馆', '医院', '学校', '酒店', '市场')[k % 6]}"
                rows.append((name, county.adcode, points[k, 0], points[k, 1], kind,
                             int(rng.choice([1, 2, 3, 4], p=levels))))
    return _finish(tree, pd.DataFrame(rows, columns=["name", "adcode", "lat", "lon", "kind", "level"]))


def _finish(tree: RegionTree, frame: pd.DataFrame) -> pd.DataFrame:
    """Move every point inside its county, number the rows 1…n, remember each row's county."""
    frame = frame.reset_index(drop=True)
    placed = [place_inside(tree, a, la, lo) for a, la, lo in zip(frame["adcode"], frame["lat"], frame["lon"])]
    frame["lat"] = [p[0] for p in placed]
    frame["lon"] = [p[1] for p in placed]
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


@functools.lru_cache(maxsize=4)
def build_context(root: str, seed: int, scale: float) -> Context:
    tree = region_tree(root)
    counties = _county_frame(tree, seed)
    pools = {code: location_pool(tree, code, seed) for code in counties["adcode"]}
    spots = _spots(tree, counties, seed)
    context = Context(
        tree=tree, root=root, seed=seed, scale=scale, counties=counties, spots=spots,
        stations=_stations(tree, counties), sections=_sections(tree, counties, seed),
        sources=_sources(tree, counties, pools, seed, scale),
        segments=_segments(tree, counties, spots, pools, seed, scale),
        lots=_lots(tree, counties, spots, seed, scale),
        institutions=_institutions(tree, counties, pools, seed, scale),
        hazards=_hazards(tree, counties, pools, seed, scale), pools=pools,
    )
    for frame in (context.spots, context.stations, context.sections, context.sources, context.segments,
                  context.lots, context.institutions, context.hazards):
        frame["county"] = context.county_index(frame["adcode"])
    return context
