"""The indicator catalogue: loads and validates data/catalogue.yaml.

Panels, KPI cards, the warnings engine, the reconciliation check and the loader all read
indicators from here; nothing about an indicator is written twice.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")

AGGREGATIONS = ("sum", "mean", "weighted_mean", "max", "last", "ratio")
DIRECTIONS = ("higher_better", "lower_better", "neutral")
THEMES = ("overview", "tourism", "environment", "traffic", "safety", "eldercare", "economy", "governance")
GRAINS = ("region_day", "spot_hour", "station_hour", "lot_quarter", "segment_hour", "incident", "device_call")
FREQUENCIES = ("realtime", "hourly", "daily", "monthly", "yearly")
DIMENSIONS = ("dynamics", "economy", "governance", "services", "risk", "environment")
LEVELS = ("blue", "yellow", "orange", "red")  # 蓝 黄 橙 红, level 1..4
REQUIRED = ("code", "name_zh", "name_en", "theme", "unit_zh", "unit_en", "grain", "region_agg",
            "time_agg", "direction", "source_zh", "source_en", "frequency")


class CatalogueError(ValueError):
    """A catalogue entry is wrong; the message names the entry and the field."""


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    theme: str
    unit_zh: str
    unit_en: str
    grain: str
    region_agg: str
    time_agg: str
    direction: str
    source_zh: str
    source_en: str
    frequency: str
    factor: float = 1.0
    thresholds: tuple[float, ...] = ()  # blue, yellow, orange, red
    hysteresis: float = 0.02
    warn_scope: str = "region"
    dimension: str | None = None
    decimals: int = 0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def unit(self, lang: str = "zh") -> str:
        return self.unit_en if lang == "en" else self.unit_zh

    def source(self, lang: str = "zh") -> str:
        return self.source_en if lang == "en" else self.source_zh

    @property
    def has_thresholds(self) -> bool:
        return bool(self.thresholds)

    def level_of(self, value: float | None) -> int:
        """Warning level 0 (none) … 4 (red) of a value, without hysteresis."""
        if value is None or not self.thresholds:
            return 0
        level = 0
        for i, threshold in enumerate(self.thresholds, start=1):
            if self.is_beyond(value, threshold):
                level = i
        return level

    def is_beyond(self, value: float, threshold: float) -> bool:
        if self.direction == "higher_better":
            return value <= threshold
        return value >= threshold

    def format(self, value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:,.{self.decimals}f}"


def _fail(code: str, field_name: str, why: str) -> CatalogueError:
    return CatalogueError(f"indicator catalogue: entry '{code}', field '{field_name}': {why}")


def parse_catalogue(entries: object) -> dict[str, Indicator]:
    if not isinstance(entries, dict) or not isinstance(entries.get("indicators"), list):
        raise CatalogueError("indicator catalogue: the file must have a list 'indicators'")
    indicators: dict[str, Indicator] = {}
    for position, raw in enumerate(entries["indicators"], start=1):
        code = str(raw.get("code", f"#{position}")) if isinstance(raw, dict) else f"#{position}"
        if not isinstance(raw, dict):
            raise _fail(code, "-", "an entry must be a mapping")
        for name in REQUIRED:
            if name not in raw or raw[name] is None:
                raise _fail(code, name, "missing")
        known = set(Indicator.__dataclass_fields__) - {"extra", "thresholds"} | {"thresholds"}
        for name in raw:
            if name not in known:
                raise _fail(code, name, "unknown field")
        if code in indicators:
            raise _fail(code, "code", "duplicate code")
        if "." not in code or not code.split(".", 1)[1]:
            raise _fail(code, "code", "must look like '<theme>.<name>'")
        for name, allowed in (("theme", THEMES), ("grain", GRAINS), ("region_agg", AGGREGATIONS),
                              ("time_agg", AGGREGATIONS), ("direction", DIRECTIONS),
                              ("frequency", FREQUENCIES)):
            if raw[name] not in allowed:
                raise _fail(code, name, f"'{raw[name]}' is not one of {', '.join(allowed)}")
        if raw.get("dimension") is not None and raw["dimension"] not in DIMENSIONS:
            raise _fail(code, "dimension", f"'{raw['dimension']}' is not one of {', '.join(DIMENSIONS)}")
        if raw.get("warn_scope", "region") not in ("region", "entity"):
            raise _fail(code, "warn_scope", "must be region or entity")
        thresholds: tuple[float, ...] = ()
        if raw.get("thresholds") is not None:
            spec = raw["thresholds"]
            if not isinstance(spec, dict) or set(spec) != set(LEVELS):
                raise _fail(code, "thresholds", f"needs exactly the levels {', '.join(LEVELS)}")
            try:
                thresholds = tuple(float(spec[level]) for level in LEVELS)
            except (TypeError, ValueError):
                raise _fail(code, "thresholds", "every threshold must be a number") from None
            worse_up = raw["direction"] != "higher_better"
            ordered = all((b > a) if worse_up else (b < a) for a, b in zip(thresholds, thresholds[1:]))
            if not ordered:
                raise _fail(code, "thresholds", "levels must get strictly worse from blue to red "
                                                f"({'increasing' if worse_up else 'decreasing'})")
        for name in ("factor", "hysteresis"):
            if name in raw and not isinstance(raw[name], (int, float)):
                raise _fail(code, name, "must be a number")
        if "hysteresis" in raw and not 0 <= raw["hysteresis"] < 0.5:
            raise _fail(code, "hysteresis", "must be between 0 and 0.5")
        if "decimals" in raw and (not isinstance(raw["decimals"], int) or not 0 <= raw["decimals"] <= 4):
            raise _fail(code, "decimals", "must be a whole number 0..4")
        values = {k: v for k, v in raw.items() if k != "thresholds"}
        values["thresholds"] = thresholds
        values = {k: ("" if v is None and k in ("unit_zh", "unit_en") else v) for k, v in values.items()}
        indicators[code] = Indicator(**values)
    return indicators


def load_catalogue(path: Path | str | None = None) -> dict[str, Indicator]:
    """Read and validate a catalogue file: COCKPIT_CATALOGUE if set (a city's own), else the shipped one."""
    path = path or os.environ.get("COCKPIT_CATALOGUE") or CATALOGUE_PATH
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"indicator catalogue: cannot read {path}: {exc}") from None
    try:
        entries = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"indicator catalogue: {path} is not valid YAML: {exc}") from None
    return parse_catalogue(entries)


@functools.cache
def catalogue() -> dict[str, Indicator]:
    return load_catalogue()


def indicator(code: str) -> Indicator:
    try:
        return catalogue()[code]
    except KeyError:
        raise KeyError(f"unknown indicator '{code}'") from None


def indicators_of(theme: str) -> list[Indicator]:
    return [ind for ind in catalogue().values() if ind.theme == theme]


LEVEL_NAMES = {
    "zh": {0: "正常", 1: "蓝色预警", 2: "黄色预警", 3: "橙色预警", 4: "红色预警"},
    "en": {0: "Normal", 1: "Blue", 2: "Yellow", 3: "Orange", 4: "Red"},
}
LEVEL_COLOURS = {0: "#2e7d32", 1: "#1e88e5", 2: "#f9a825", 3: "#ef6c00", 4: "#d32f2f"}
