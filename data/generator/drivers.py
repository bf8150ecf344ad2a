"""Daily drivers shared by all tables: calendar, weather, air-pollution regime, tourism demand.

Visitors, traffic, incidents and pollution all respond to the same day: a rainy golden-week day has
fewer visitors than a sunny one, more accidents, cleaner air. Weather and pollution episodes are
drawn per year (they persist from day to day); the tourism demand of each day from that day's
stream, so any single day can be regenerated alone by a live tick.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

import numpy as np

from data.generator.calendar import holiday_on, is_workday
from data.generator.entities import Context
from data.generator.randomness import daily_normals, stream

# Tourism season of 黄山 by month (spring flowers, summer holidays, autumn colours; quiet winter).
TOURISM_SEASON = np.array([0.55, 0.60, 0.95, 1.20, 1.05, 0.80, 1.05, 1.15, 0.90, 1.30, 1.05, 0.60])
# Demand over a holiday, from its first to its last day (stretched to the holiday's length).
HOLIDAY_CURVES = {
    "national_day": [3.4, 5.0, 5.2, 4.8, 4.0, 3.1, 2.1, 1.5],
    "labour_day": [3.4, 4.4, 4.0, 2.8, 1.6],
    "spring_festival": [0.7, 1.3, 2.4, 2.8, 2.8, 2.4, 1.7, 1.3, 1.1],
    "qingming": [2.4, 2.8, 1.8],
    "dragon_boat": [2.2, 2.5, 1.6],
    "mid_autumn": [2.2, 2.6, 1.7],
    "new_year": [1.8, 1.9, 1.3],
}
WEEKEND_FACTOR, WEEKDAY_FACTOR = 1.35, 0.87
GROWTH = {2022: 0.75, 2023: 0.95, 2024: 1.0, 2025: 1.04, 2026: 1.07, 2027: 1.10}
# Visitor-trips per resident per year beyond the gated spots: 黄山 (about 7.4 千万 trips a year
# for 1.33 million residents) and an ordinary city.
NONSPOT_RATE_CALIBRATED, NONSPOT_RATE_GENERIC = 0.123, 0.022
# Wet-day probability by month (江南 plum rains in June) and mean rain on a wet day (mm).
RAIN_PROBABILITY = np.array([0.35, 0.42, 0.50, 0.50, 0.50, 0.60, 0.45, 0.40, 0.30, 0.25, 0.30, 0.28])
RAIN_MEAN_MM = np.array([6, 7, 9, 10, 12, 18, 14, 12, 8, 6, 6, 5], dtype=float)
HEAVY_RAIN_MM = 25.0


def soft_cap(x: np.ndarray, knee: float = 0.8, ceiling: float = 1.1) -> np.ndarray:
    """Identity below `knee`, then bending smoothly toward `ceiling` (ticketing stops at capacity)."""
    room = ceiling - knee
    return np.where(x < knee, x, knee + room * np.tanh((x - knee) / room))


def holiday_factor(day: date) -> float | None:
    """Tourism demand on a holiday relative to an ordinary day, None outside holidays."""
    holiday = holiday_on(day)
    if holiday is None:
        return None
    curve = HOLIDAY_CURVES[holiday.key]
    if holiday.days == 1:
        return float(np.mean(curve[:2]))
    position = (day - holiday.start).days / (holiday.days - 1) * (len(curve) - 1)
    return float(np.interp(position, np.arange(len(curve)), curve))


def _season(doy: np.ndarray, monthly: np.ndarray) -> np.ndarray:
    """Monthly values anchored mid-month, interpolated over the day of year (periodic)."""
    anchors = np.arange(12) * 30.44 + 15
    return np.interp(doy, anchors, monthly, period=365.25)


@functools.lru_cache(maxsize=32)
def _year_weather(seed: int, n_counties: int, year: int) -> dict[str, np.ndarray]:
    """City temperature, and rain per county, for every day of one year."""
    first = date(year, 1, 1)
    n = (date(year + 1, 1, 1) - first).days
    months = np.array([(first + timedelta(days=i)).month - 1 for i in range(n)])
    doy = np.arange(n)
    rng = stream(seed, "weather", year)
    noise = np.zeros(n)
    shocks = rng.normal(0, 1, n)
    for i in range(1, n):
        noise[i] = 0.8 * noise[i - 1] + 0.6 * shocks[i]
    temp = 16.5 - 12 * np.cos(2 * np.pi * (doy - 15) / 365.25) + 2.5 * noise
    # Wet spells persist: a two-state chain whose long-run share of wet days is the month's.
    p = RAIN_PROBABILITY[months]
    stay_wet, turn_wet = p + 0.3 * (1 - p), 0.7 * p
    u = rng.random(n)
    wet = np.zeros(n, dtype=bool)
    for i in range(1, n):
        wet[i] = u[i] < (stay_wet[i] if wet[i - 1] else turn_wet[i])
    amount = rng.gamma(0.8, RAIN_MEAN_MM[months] / 0.8)
    # Counties share the city's weather, with local showers and dry spots.
    flip = rng.random((n, n_counties)) < 0.12
    county_wet = wet[:, None] ^ flip
    county_mm = np.where(county_wet, np.maximum(amount[:, None] * rng.lognormal(0, 0.4, (n, n_counties)), 1.0), 0.0)
    return {"temp": temp, "rain_mm": county_mm}


@functools.lru_cache(maxsize=32)
def _year_pollution(seed: int, year: int) -> dict[str, np.ndarray]:
    """City-wide particulate regime (season × stagnation × winter episodes) and ozone level."""
    first = date(year, 1, 1)
    n = (date(year + 1, 1, 1) - first).days
    doy = np.arange(n)
    rng = stream(seed, "pollution", year)
    stagnation = np.zeros(n)
    shocks = rng.normal(0, 1, n)
    for i in range(1, n):
        stagnation[i] = 0.7 * stagnation[i - 1] + 0.71 * shocks[i]
    particulate = (1 + 0.45 * np.cos(2 * np.pi * (doy - 10) / 365.25)) * np.exp(0.25 * stagnation)
    episode = np.ones(n)
    # Winter haze episodes (AQI 150–250 for a few days): one or two in January, one or two in December.
    for low, high in ((3, 25), (334, 358)):
        for _ in range(int(rng.integers(1, 3))):
            start, length = int(rng.integers(low, high)), int(rng.integers(3, 6))
            peak = rng.uniform(3.3, 4.8)
            shape = np.sin(np.linspace(0, np.pi, length + 2)[1:-1])
            span = slice(start, min(start + length, n))
            episode[span] = np.maximum(episode[span], 1 + (peak - 1) * shape[: span.stop - span.start])
    ozone = (55 + 75 * np.exp(-(((doy - 190) / 60) ** 2))) * rng.lognormal(0, 0.15, n)
    return {"particulate": particulate, "episode": episode, "ozone": ozone}


def _year_slices(days: list[date], name: str, fetch) -> np.ndarray:
    """Stack per-year arrays for the given days."""
    parts = []
    for day in days:
        parts.append(fetch(day.year)[name][day.timetuple().tm_yday - 1])
    return np.array(parts)


def _per_day():
    """A field with one entry per day (sliced by `Drivers.tail`)."""
    return field(metadata={"per_day": True})


@dataclass
class Drivers:
    days: list[date] = _per_day()
    doy: np.ndarray = _per_day()
    month: np.ndarray = _per_day()  # 1..12
    workday: np.ndarray = _per_day()
    holiday: list[str | None] = _per_day()  # holiday key or None
    temp: np.ndarray = _per_day()  # (days,) °C
    rain_mm: np.ndarray = _per_day()  # (days, counties)
    dry_days: np.ndarray = _per_day()  # (days, counties) days since the last wet day
    particulate: np.ndarray = _per_day()  # (days,) PM regime incl. episodes
    episode: np.ndarray = _per_day()  # (days,) haze episode multiplier (1 outside episodes)
    ozone: np.ndarray = _per_day()  # (days,) O3 daily max 8-hour level, µg/m³, before weather
    tourism: np.ndarray = _per_day()  # (days,) city tourism demand factor
    traffic: np.ndarray = _per_day()  # (days,) road traffic demand factor
    spot_arrivals: np.ndarray = _per_day()  # (days, spots) full-day entries
    nonspot: np.ndarray = _per_day()  # (days, counties) full-day visitors beyond the gated spots
    capacity: np.ndarray  # (spots,) daily capacity
    typical_visitors: np.ndarray  # (counties,) an ordinary day's visitors, for sizing hotels

    def tail(self, start: int) -> "Drivers":
        """The drivers without their first `start` days."""
        return replace(self, **{f.name: getattr(self, f.name)[start:] for f in fields(self) if f.metadata.get("per_day")})

    @property
    def spot_load(self) -> np.ndarray:
        """Entries as a share of each spot's daily capacity, (days, spots)."""
        return self.spot_arrivals / self.capacity


def weather_effect(rain_mm: np.ndarray, temp: np.ndarray, wet: float, heavy: float, snow: float) -> np.ndarray:
    """A multiplier per county-day: 1 on dry days, `wet`/`heavy`/`snow` on wet, heavy-rain, snowy days."""
    factor = np.where(rain_mm >= 1.0, wet, 1.0)
    factor = np.where(rain_mm >= HEAVY_RAIN_MM, heavy, factor)
    return np.where((rain_mm >= 1.0) & (temp[:, None] < 2.0), snow, factor)


def build_drivers(ctx: Context, days: list[date]) -> Drivers:
    n_counties = ctx.n_counties
    weather = functools.partial(_year_weather, ctx.seed, n_counties)
    pollution = functools.partial(_year_pollution, ctx.seed)
    doy = np.array([d.timetuple().tm_yday for d in days])
    month = np.array([d.month for d in days])
    workday = np.array([is_workday(d) for d in days])
    holidays = [holiday_on(d) for d in days]
    rain_mm = _year_slices(days, "rain_mm", weather)
    temp = _year_slices(days, "temp", weather)

    # Days since the last wet day, counted from 60 days before the range.
    lead = [days[0] - timedelta(days=k) for k in range(60, 0, -1)]
    history = np.concatenate([_year_slices(lead, "rain_mm", weather), rain_mm]) >= 1.0
    dry = np.zeros(history.shape)
    for i in range(1, len(history)):
        dry[i] = np.where(history[i], 0, dry[i - 1] + 1)
    dry_days = dry[len(lead):]

    # Tourism demand: season × weekday or holiday curve × growth; the eve of a holiday is busier.
    season = _season(doy - 1, TOURISM_SEASON)
    week = np.where(workday, WEEKDAY_FACTOR, WEEKEND_FACTOR)
    holiday = np.array([holiday_factor(d) or np.nan for d in days])
    eve = np.array([holiday_on(d + timedelta(days=1)) is not None and holiday_on(d) is None for d in days])
    growth = np.array([GROWTH.get(d.year, 0.75 if d.year < 2022 else 1.10) for d in days])
    tourism = season * np.where(np.isnan(holiday), week * np.where(eve, 1.15, 1.0), holiday) * growth

    # Road traffic: commuting on workdays, a rush on the first and last day of a holiday.
    traffic = np.where(workday, 1.0, 0.85)
    for i, h in enumerate(holidays):
        if h is not None and h.days > 1 and days[i] in (h.start, h.end):
            traffic[i] = 1.3

    spots = ctx.spots
    visitors_weather = weather_effect(rain_mm, temp, 0.8, 0.55, 0.7)
    noise = daily_normals(ctx.seed, "spot_day", days, (len(spots) + n_counties + 1,))
    city_noise = np.exp(0.08 * noise[:, :1])
    spot_noise = np.exp(0.12 * noise[:, 1:len(spots) + 1])
    load = (spots["base_load"].to_numpy() * tourism[:, None] * visitors_weather[:, spots["county"].to_numpy()]
            * city_noise * spot_noise)
    capacity = spots["capacity"].to_numpy()
    spot_arrivals = np.round(soft_cap(load) * capacity).astype(np.int64)

    counties = ctx.counties
    population = counties["population"].to_numpy(dtype=float)
    capacity_by_county = np.bincount(spots["county"], weights=capacity, minlength=n_counties)
    rate = np.where(counties["calibrated"], NONSPOT_RATE_CALIBRATED, NONSPOT_RATE_GENERIC)
    # Non-spot visitors follow residents and, as much, the county's scenic capacity.
    weight = 0.5 * population + 0.5 * capacity_by_county * population.sum() / capacity_by_county.sum()
    county_noise = np.exp(0.1 * noise[:, len(spots) + 1:])
    nonspot = rate * weight * tourism[:, None] * visitors_weather * county_noise

    return Drivers(
        days=list(days), doy=doy, month=month, workday=workday,
        holiday=[h.key if h else None for h in holidays], temp=temp, rain_mm=rain_mm, dry_days=dry_days,
        particulate=_year_slices(days, "particulate", pollution), episode=_year_slices(days, "episode", pollution),
        ozone=_year_slices(days, "ozone", pollution), tourism=tourism, traffic=traffic, capacity=capacity,
        spot_arrivals=spot_arrivals, nonspot=np.round(nonspot),
        typical_visitors=rate * weight + np.bincount(spots["county"], weights=capacity * spots["base_load"],
                                                     minlength=n_counties),
    )
