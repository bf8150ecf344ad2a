"""Air quality index by the national method, HJ 633-2012 (环境空气质量指数(AQI)技术规定).

    IAQI_P = (IAQI_hi − IAQI_lo) / (BP_hi − BP_lo) · (C_P − BP_lo) + IAQI_lo      (formula 1)
    AQI    = max(IAQI_1 … IAQI_n)                                                 (formula 2)

Both are rounded *up* to a whole number (the standard: 进位取整数). Concentrations are in µg/m³,
CO in mg/m³. Two reporting periods:
    hourly  real-time report: SO2, NO2, CO and O3 on their 1-hour tables; PM10 and PM2.5 on the
            24-hour tables (the standard has no 1-hour breakpoints for particles; the hourly
            report uses their 24-hour sliding means, which callers pass as the hourly value)
    daily   SO2, NO2, CO, PM10, PM2.5 24-hour means and the O3 daily maximum 8-hour mean
The standard's special cases:
    SO2 1-hour above 800  no 1-hour IAQI; the SO2 IAQI is reported on the 24-hour table
    O3 8-hour above 800   no 8-hour IAQI; the O3 IAQI is reported on the 1-hour table
Callers hand over one concentration per pollutant, so in both cases that concentration is read on
the other table; both tables give the same IAQI at 800 (200 for SO2, 300 for O3), so the index
stays continuous. The scale ends at 500: concentrations beyond the last breakpoint are IAQI 500.

`iaqi`/`aqi` serve single readings; `aqi_frame` does the same for whole frames with numpy, and
the scalar functions go through the same interpolation so the two cannot disagree.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

PERIODS = ("hourly", "daily")
# Also the order in which tied primary pollutants are named.
POLLUTANTS = ("pm25", "pm10", "o3", "no2", "so2", "co")
POLLUTANT_LABELS = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O₃", "no2": "NO₂", "so2": "SO₂", "co": "CO"}

IAQI_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)

# HJ 633-2012 table 1. A table shorter than IAQI_STEPS ends where the standard switches table.
_PM10_24H = (0, 50, 150, 250, 350, 420, 500, 600)
_PM25_24H = (0, 35, 75, 115, 150, 250, 350, 500)
BREAKPOINTS: dict[str, dict[str, tuple[float, ...]]] = {
    "daily": {
        "pm25": _PM25_24H,
        "pm10": _PM10_24H,
        "o3": (0, 100, 160, 215, 265, 800),  # daily maximum 8-hour mean
        "no2": (0, 40, 80, 180, 280, 565, 750, 940),
        "so2": (0, 50, 150, 475, 800, 1600, 2100, 2620),
        "co": (0, 2, 4, 14, 24, 36, 48, 60),
    },
    "hourly": {
        "pm25": _PM25_24H,
        "pm10": _PM10_24H,
        "o3": (0, 160, 200, 300, 400, 800, 1000, 1200),
        "no2": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
        "so2": (0, 150, 500, 650, 800),
        "co": (0, 5, 10, 35, 60, 90, 120, 150),
    },
}
# (period, pollutant) whose table ends early → the period whose table takes over beyond its end.
_TAKES_OVER = {("hourly", "so2"): "daily", ("daily", "o3"): "hourly"}


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"AQI period must be one of {', '.join(PERIODS)}, not '{period}'")


def _check_pollutant(pollutant: str) -> None:
    if pollutant not in POLLUTANTS:
        raise ValueError(f"AQI pollutant must be one of {', '.join(POLLUTANTS)}, not '{pollutant}'")


def _iaqi_array(pollutant: str, concentrations: np.ndarray, period: str) -> np.ndarray:
    """IAQI of each concentration as floats (whole numbers), NaN where the concentration is NaN."""
    if (concentrations < 0).any():
        raise ValueError(f"AQI: negative {pollutant} concentration")
    table = BREAKPOINTS[period][pollutant]
    values = np.interp(concentrations, table, IAQI_STEPS[: len(table)])
    other_period = _TAKES_OVER.get((period, pollutant))
    if other_period:
        beyond = concentrations > table[-1]
        values = np.where(beyond, np.interp(concentrations, BREAKPOINTS[other_period][pollutant], IAQI_STEPS),
                          values)
    # Round away float noise first, so that an exact result such as 75 is not lifted to 76.
    return np.ceil(np.round(values, 6))


def iaqi(pollutant: str, concentration: float, period: str = "daily") -> int:
    """Individual air quality index (空气质量分指数) of one pollutant concentration."""
    _check_period(period)
    _check_pollutant(pollutant)
    if concentration is None or math.isnan(concentration):
        raise ValueError(f"AQI: no {pollutant} concentration")
    return int(_iaqi_array(pollutant, np.array([float(concentration)]), period)[0])


def _source_key(pollutant: str, period: str, available) -> str | None:
    """Where a pollutant is read from: the daily O3 is the 8-hour maximum, named o3_8h in the tables."""
    if period == "daily" and pollutant == "o3" and "o3_8h" in available:
        return "o3_8h"
    return pollutant if pollutant in available else None


def aqi(concentrations: Mapping[str, float | None], period: str = "daily") -> tuple[int, str]:
    """AQI and primary pollutant(s) of one reading, e.g. {"pm25": 80, "o3": 120, ...}.

    Missing (None/NaN) pollutants are left out. The primary pollutant (首要污染物) is named only
    when AQI > 50; pollutants tied at the maximum are all named, comma-separated, in POLLUTANTS order.
    """
    indexes: dict[str, int] = {}
    for pollutant in POLLUTANTS:
        key = _source_key(pollutant, period, concentrations)
        value = concentrations[key] if key else None
        if value is not None and not math.isnan(value):
            indexes[pollutant] = iaqi(pollutant, value, period)
    if not indexes:
        raise ValueError("AQI: the reading has no pollutant concentration")
    top = max(indexes.values())
    primary = [pollutant for pollutant, value in indexes.items() if value == top] if top > 50 else []
    return top, ",".join(primary)


def aqi_frame(frame: pd.DataFrame, period: str = "hourly") -> tuple[pd.Series, pd.Series]:
    """AQI (int) and primary pollutant (str) of every row of a frame; agrees with `aqi` row by row.

    Columns pm25, pm10, o3 (daily: o3_8h, or o3), no2, so2, co; absent columns and NaN cells are
    left out like missing pollutants in `aqi`. A row with no concentration at all is an error.
    """
    _check_period(period)
    pollutants = [p for p in POLLUTANTS if _source_key(p, period, frame.columns)]
    if not pollutants:
        raise ValueError("AQI: the frame has none of the columns " + ", ".join(POLLUTANTS))
    matrix = np.column_stack([
        _iaqi_array(p, frame[_source_key(p, period, frame.columns)].to_numpy(dtype=float), period)
        for p in pollutants
    ])
    empty_rows = np.isnan(matrix).all(axis=1)
    if empty_rows.any():
        raise ValueError(f"AQI: {int(empty_rows.sum())} row(s) have no pollutant concentration")
    top = np.nanmax(matrix, axis=1)
    is_primary = (matrix == top[:, None]) & (top[:, None] > 50)
    # One bit per pollutant, so each distinct tie pattern is turned into text only once.
    patterns = is_primary.astype(np.int64) @ (1 << np.arange(len(pollutants), dtype=np.int64))
    names = {int(bits): ",".join(p for i, p in enumerate(pollutants) if bits >> i & 1)
             for bits in np.unique(patterns)}
    aqi_values = pd.Series(top.astype(np.int64), index=frame.index, name="aqi")
    primary = pd.Series([names[int(bits)] for bits in patterns], index=frame.index, name="primary_pollutant",
                        dtype=object)
    return aqi_values, primary


@dataclass(frozen=True)
class AqiLevel:
    """One of the six AQI levels with its standard colour and a text label (never colour alone)."""

    level: int  # 1..6
    low: int
    high: int | None  # None: open-ended
    grade_zh: str
    name_zh: str
    name_en: str
    colour: str
    text_colour: str  # readable on `colour`

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def label(self, lang: str = "zh") -> str:
        """E.g. "二级 良" / "Level 2 · Good"."""
        return f"Level {self.level} · {self.name_en}" if lang == "en" else f"{self.grade_zh} {self.name_zh}"


LEVELS = (
    AqiLevel(1, 0, 50, "一级", "优", "Excellent", "#00e400", "#000000"),
    AqiLevel(2, 51, 100, "二级", "良", "Good", "#ffff00", "#000000"),
    AqiLevel(3, 101, 150, "三级", "轻度污染", "Lightly polluted", "#ff7e00", "#000000"),
    AqiLevel(4, 151, 200, "四级", "中度污染", "Moderately polluted", "#ff0000", "#000000"),
    AqiLevel(5, 201, 300, "五级", "重度污染", "Heavily polluted", "#99004c", "#ffffff"),
    AqiLevel(6, 301, None, "六级", "严重污染", "Severely polluted", "#7e0023", "#ffffff"),
)


def level(aqi_value: float) -> int:
    """AQI level 1 (优) … 6 (严重污染). A non-integer value (a mean) falls in the level whose range holds it."""
    for entry in LEVELS[:-1]:
        if aqi_value <= entry.high:
            return entry.level
    return LEVELS[-1].level


def is_good_day(aqi_value: float) -> bool:
    """优良天: a day at level 1 or 2 (AQI ≤ 100)."""
    return aqi_value <= 100
