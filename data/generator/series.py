"""Time series of the entity tables: spots, air, roads, parking, pollution sources, visitors, care.

Each function turns the drivers of a run of days into the rows of one table, vectorised over
days × entities × hours. Readings after `cutoff` (the time the data stand at) are left out, so the
same functions serve the three-year history and the partial current day of a live tick.
"""
from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import pandas as pd

from data.aqi import aqi_frame
from data.generator import vocab
from data.generator.drivers import Drivers, weather_effect
from data.generator.entities import Context
from data.generator.randomness import daily_normals, daily_uniforms, stream

HOURS = np.arange(24)
END_OF_DAY = time(23, 59, 59)  # the cutoff of a complete day
# Relative activity of people over the hours of a day (sums to 1): how much of a day's visitors,
# sales, bus trips … have happened by a given time.
ACTIVITY = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.6, 1.5, 3.5, 5.5, 6.5, 7, 7, 6.5, 6.5, 7, 7, 6.8, 6.5, 6, 5.5, 4.5,
                     3.5, 2.5, 1.5])
ACTIVITY = ACTIVITY / ACTIVITY.sum()
POWER = np.array([3, 2.8, 2.7, 2.7, 2.8, 3, 3.6, 4.2, 4.6, 4.8, 4.9, 4.9, 4.6, 4.7, 4.9, 4.9, 4.8, 4.7, 4.9, 5.1, 5,
                  4.6, 4, 3.4])
POWER = POWER / POWER.sum()

# Diurnal shapes of the pollutants (mean 1), and the ozone shape relative to its 8-hour maximum.
PM_SHAPE = np.array([1.10, 1.08, 1.05, 1.02, 1.00, 1.00, 1.03, 1.08, 1.12, 1.10, 1.02, 0.95, 0.88, 0.84, 0.82, 0.83,
                     0.87, 0.93, 1.00, 1.06, 1.10, 1.12, 1.12, 1.11])
NO2_SHAPE = np.array([0.95, 0.88, 0.82, 0.78, 0.76, 0.80, 0.95, 1.20, 1.35, 1.25, 1.05, 0.92, 0.85, 0.80, 0.80, 0.85,
                      0.95, 1.10, 1.28, 1.30, 1.22, 1.12, 1.05, 1.00])
SO2_SHAPE = 0.9 + 0.25 * np.exp(-(((HOURS - 11) / 4) ** 2))
O3_SHAPE = 0.32 + 0.92 * np.exp(-(((HOURS - 15) / 3.3) ** 2))


def hour_stamps(days: list[date]) -> np.ndarray:
    """Start of every hour of the days, as datetime64[s]: shape (days × 24,)."""
    start = np.datetime64(days[0], "s")
    return start + np.arange(len(days) * 24) * np.timedelta64(3600, "s")


def day_fraction(days: list[date], cutoff: datetime, profile: np.ndarray) -> np.ndarray:
    """How much of each day's activity had happened by `cutoff` (inclusive of its second): 1 for
    past days, 0 for future ones."""
    out = np.ones(len(days))
    for i, day in enumerate(days):
        if day > cutoff.date():
            out[i] = 0.0
        elif day == cutoff.date() and cutoff.time() < END_OF_DAY:
            hour = cutoff.hour
            out[i] = profile[:hour].sum() + profile[hour] * (cutoff.minute * 60 + cutoff.second + 1) / 3600
    return out


def split_counts(total: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Split whole totals into whole parts along the last axis by the largest-remainder method,
    so that the parts add up exactly to the total."""
    shares = shares / shares.sum(axis=-1, keepdims=True)
    raw = np.asarray(total, dtype=float)[..., None] * shares
    base = np.floor(raw)
    rest = np.rint(np.asarray(total) - base.sum(axis=-1)).astype(np.int64)
    ranks = np.argsort(np.argsort(-(raw - base), axis=-1, kind="stable"), axis=-1, kind="stable")
    return (base + (ranks < rest[..., None])).astype(np.int64)


def _smooth(noise: np.ndarray) -> np.ndarray:
    """Hour-to-hour correlated noise from independent normals along the hour axis (-2)."""
    return (np.roll(noise, 1, axis=-2) + 2 * noise + np.roll(noise, -1, axis=-2)) / np.sqrt(6)


# ---------------------------------------------------------------------------------- scenic spots
def _spot_shapes(spots: pd.DataFrame) -> np.ndarray:
    """Arrival intensity by hour of each spot (rows sum to 1): a morning peak after opening, and an
    evening peak for spots open late (old streets with night markets)."""
    shapes = np.zeros((len(spots), 24))
    for i, spot in enumerate(spots.itertuples()):
        x = HOURS - spot.open_hour + 0.5
        shape = np.where(x > 0, np.clip(x, 0, None) ** 1.5 * np.exp(-np.clip(x, 0, None) / 1.6), 0.0)
        if spot.close_hour >= 21:
            shape = shape + 0.8 * shape.max() * np.exp(-(((HOURS - 19.5) / 1.5) ** 2))
        shape[(HOURS < spot.open_hour) | (HOURS >= spot.close_hour - 1)] = 0.0
        shapes[i] = shape / shape.sum()
    return shapes


def _presence_kernels(spots: pd.DataFrame) -> np.ndarray:
    """K[s, h, k]: share of the visitors who entered spot s in hour k still inside at the end of
    hour h (exponential stays, everyone out within a couple of hours after closing)."""
    h = HOURS[:, None]
    k = HOURS[None, :]
    kernels = np.zeros((len(spots), 24, 24))
    for i, spot in enumerate(spots.itertuples()):
        stay = np.exp(-(h - k + 0.5) / spot.stay_hours) * (k <= h)
        after_close = np.exp(-1.5 * np.clip(h - spot.close_hour + 1, 0, None))
        kernels[i] = stay * after_close
    return kernels


def spot_hours(ctx: Context, drv: Drivers) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals and visitors present, shape (days, spots, 24), for full days."""
    spots = ctx.spots
    noise = daily_normals(ctx.seed, "spot_hourly", drv.days, (len(spots), 24))
    shares = _spot_shapes(spots)[None] * np.exp(0.15 * noise)
    arrivals = split_counts(drv.spot_arrivals, shares)
    present = np.rint(np.einsum("dsk,shk->dsh", arrivals, _presence_kernels(spots))).astype(np.int64)
    return arrivals, present


def spot_hourly_rows(ctx: Context, drv: Drivers, arrivals, present, cutoff: datetime) -> pd.DataFrame:
    """spot_hourly rows of the hours up to the cutoff."""
    stamps = hour_stamps(drv.days).reshape(len(drv.days), 24)
    frame = pd.DataFrame({
        "spot_id": np.broadcast_to(ctx.spots["id"].to_numpy()[None, :, None], arrivals.shape).ravel(),
        "ts": np.broadcast_to(stamps[:, None, :], arrivals.shape).ravel(),
        "arrivals": arrivals.ravel(),
        "present": present.ravel(),
    })
    return frame[frame["ts"] <= np.datetime64(cutoff)]


# ---------------------------------------------------------------------------------- air quality
def air_hours(ctx: Context, drv: Drivers) -> dict[str, np.ndarray]:
    """Hourly concentrations (days, stations, 24) of the six pollutants."""
    stations = ctx.stations
    county = stations["county"].to_numpy()
    n_st = len(stations)
    lat = ctx.counties["lat"].to_numpy()[county]
    regional = 1 + 0.35 * np.clip((lat - 30) / 3, 0, 1.2)  # the northern plains are hazier
    factor = stations["factor"].to_numpy() * regional
    background = stations["factor"].to_numpy() < 0.7  # mountain stations: clean air, more ozone
    washout = weather_effect(drv.rain_mm, drv.temp, 0.65, 0.5, 0.8)[:, county]
    washout = np.where(drv.episode[:, None] > 1.05, 1.0, washout)  # haze comes with stagnant dry air
    noise = daily_normals(ctx.seed, "air_hourly", drv.days, (n_st, 25, 6))
    county_noise = daily_normals(ctx.seed, "air_county", drv.days, (ctx.n_counties, 6))[:, county, :]
    daily = np.exp(0.12 * county_noise + 0.08 * noise[:, :, 24, :])  # (days, stations, 6)
    hourly = np.exp(0.15 * _smooth(noise[:, :, :24, :]))  # (days, stations, 24, 6)
    winter = 1 + 0.3 * np.cos(2 * np.pi * (drv.doy - 10) / 365.25)[:, None]

    pm25_day = 26 * factor * (drv.particulate * drv.episode)[:, None] * washout * daily[..., 0]
    pm10_ratio = 1.35 + 0.35 / drv.episode[:, None]  # haze is mostly fine particles
    sunny = weather_effect(drv.rain_mm, drv.temp, 0.65, 0.5, 0.6)[:, county]
    o3_day = drv.ozone[:, None] * sunny * np.where(background, 1.25, 1.0) * daily[..., 2]
    no2_day = 18 * factor ** 1.5 * winter * np.sqrt(washout) * drv.traffic[:, None] * daily[..., 3]
    so2_day = 7 * factor * winter * daily[..., 4]

    pm25 = pm25_day[..., None] * PM_SHAPE * hourly[..., 0]
    out = {
        "pm25": pm25,
        "pm10": pm25 * (pm10_ratio * daily[..., 1] ** 0.5)[..., None] * hourly[..., 1] ** 0.5,
        "o3": o3_day[..., None] * O3_SHAPE * hourly[..., 2],
        "no2": no2_day[..., None] * NO2_SHAPE * hourly[..., 3],
        "so2": so2_day[..., None] * SO2_SHAPE * hourly[..., 4],
        "co": (0.45 + 0.006 * pm25) * hourly[..., 5] ** 0.5,
    }
    return {k: np.round(v, 3 if k == "co" else 1) for k, v in out.items()}


def air_rows(ctx: Context, drv: Drivers, conc: dict[str, np.ndarray], cutoff: datetime,
             skip_days: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """air_hourly and air_daily rows. The first `skip_days` days only feed the 24-hour particle
    means of the hourly AQI (HJ 633: the hourly report reads PM on its 24-hour sliding mean)."""
    stations = ctx.stations
    n_days, n_st = len(drv.days), len(stations)
    stamps = hour_stamps(drv.days).reshape(n_days, 24)
    keep = np.broadcast_to(stamps[:, None, :] <= np.datetime64(cutoff), (n_days, n_st, 24))
    flat = {k: v.ravel() for k, v in conc.items()}
    hourly = pd.DataFrame({
        "station_id": np.broadcast_to(stations["id"].to_numpy()[None, :, None], (n_days, n_st, 24)).ravel(),
        "ts": np.broadcast_to(stamps[:, None, :], (n_days, n_st, 24)).ravel(),
        **flat,
    })
    # 24-hour sliding means of the particles, per station along time.
    sliding = {}
    for name in ("pm25", "pm10"):
        by_station = conc[name].transpose(1, 0, 2).reshape(n_st, -1)  # (stations, days×24)
        cumulative = np.cumsum(np.pad(by_station, ((0, 0), (1, 0))), axis=1)
        idx = np.arange(1, by_station.shape[1] + 1)
        window = np.minimum(idx, 24)
        means = (cumulative[:, idx] - cumulative[:, idx - window]) / window
        sliding[name] = means.reshape(n_st, n_days, 24).transpose(1, 0, 2).ravel()
    index_input = hourly[["o3", "no2", "so2", "co"]].assign(pm25=sliding["pm25"], pm10=sliding["pm10"])
    hourly["aqi"], hourly["primary_pollutant"] = aqi_frame(index_input, "hourly")
    first = skip_days * n_st * 24
    hourly = hourly.iloc[first:][keep.ravel()[first:]]

    # Daily: means of the hours so far, ozone as the maximum 8-hour moving mean within the day
    # (windows ending 07:00–23:00; before 07:00 of the current day, the mean of the hours so far).
    mask = keep.astype(float)
    hours_so_far = np.maximum(mask.sum(axis=2), 1)
    means = {k: (v * mask).sum(axis=2) / hours_so_far for k, v in conc.items()}
    cumulative = np.cumsum(np.pad(conc["o3"] * mask, ((0, 0), (0, 0), (1, 0))), axis=2)
    windows = (cumulative[:, :, 8:] - cumulative[:, :, :-8]) / 8  # window ending at hour 7 … 23
    windows = np.where(keep[:, :, 7:], windows, -1.0)
    o3_8h = np.where(keep[:, :, 7], windows.max(axis=2), means.pop("o3"))
    has_data = keep.any(axis=2)
    daily = pd.DataFrame({
        "station_id": np.broadcast_to(stations["id"].to_numpy()[None, :], (n_days, n_st)).ravel(),
        "day": np.repeat(np.array(drv.days, dtype="datetime64[D]"), n_st),
        **{k: np.round(v, 3 if k == "co" else 1).ravel() for k, v in means.items()},
        "o3_8h": np.round(o3_8h, 1).ravel(),
        "county": np.broadcast_to(stations["county"].to_numpy()[None, :], (n_days, n_st)).ravel(),
    })[has_data.ravel()]
    daily = daily.iloc[int((daily["day"] < np.datetime64(drv.days[skip_days])).sum()):]
    daily["aqi"], daily["primary_pollutant"] = aqi_frame(daily, "daily")
    return hourly, daily


# ---------------------------------------------------------------------------------- roads
COMMUTE = (np.exp(-(((HOURS - 8) / 1.1) ** 2)) + 1.15 * np.exp(-(((HOURS - 18) / 1.3) ** 2))
           + 0.35 * ((HOURS >= 9) & (HOURS <= 17)))
LEISURE = 0.55 * np.exp(-(((HOURS - 14) / 4) ** 2)) + 0.25 * np.exp(-(((HOURS - 19) / 1.5) ** 2))
DEMAND = np.array([0.12, 0.08, 0.06, 0.05, 0.06, 0.15, 0.40, 0.85, 1.00, 0.85, 0.75, 0.75, 0.72, 0.72, 0.75, 0.80,
                   0.90, 1.00, 0.95, 0.75, 0.55, 0.42, 0.30, 0.20])
SCENIC = np.exp(-(((HOURS - 9.5) / 1.6) ** 2)) + 0.8 * np.exp(-(((HOURS - 16) / 1.5) ** 2))


def road_rows(ctx: Context, drv: Drivers, cutoff: datetime) -> pd.DataFrame:
    segments = ctx.segments
    n_days, n_seg = len(drv.days), len(segments)
    kind = segments["kind"].to_numpy()
    county = segments["county"].to_numpy()
    rng = stream(ctx.seed, "road_segment_traits")
    amplitude = rng.uniform(0.55, 1.05, n_seg)  # how congested an urban segment gets at peak hours
    noise = daily_normals(ctx.seed, "road_hourly", drv.days, (n_seg, 24, 2))

    urban = 1 + amplitude[None, :, None] * np.where(drv.workday[:, None], COMMUTE, LEISURE)[:, None, :]
    rush = (drv.traffic[:, None, None] > 1.2) * 1.3 * np.exp(-(((HOURS - 11) / 3.5) ** 2))
    highway = 1.05 + 0.1 * ((HOURS >= 8) & (HOURS <= 19)) + rush
    spot_index = segments["near_spot_id"].fillna(0).astype(int).to_numpy() - 1
    load = np.where(kind == "scenic", drv.spot_load[:, np.clip(spot_index, 0, None)], 0.0)  # (days, segments)
    scenic = 1 + 2.8 * (load ** 1.3)[..., None] * SCENIC
    base = np.where((kind == "urban")[None, :, None], urban,
                    np.where((kind == "highway")[None, :, None], highway, scenic))
    weather = weather_effect(drv.rain_mm, drv.temp, 1.12, 1.25, 1.35)[:, county][..., None]
    congestion = np.clip(base * weather * np.exp(0.06 * noise[..., 0]), 1.0, 4.0)
    speed = segments["free_speed"].to_numpy()[None, :, None] / congestion * np.exp(0.03 * noise[..., 1])
    demand = np.where((kind == "scenic")[None, :, None], (0.3 + load)[..., None] * (0.2 + SCENIC),
                      drv.traffic[:, None, None] * DEMAND)
    volume = np.rint(segments["base_volume"].to_numpy()[None, :, None] * demand
                     * np.exp(0.1 * noise[..., 1])).astype(np.int64)
    stamps = hour_stamps(drv.days).reshape(n_days, 24)
    frame = pd.DataFrame({
        "segment_id": np.broadcast_to(segments["id"].to_numpy()[None, :, None], congestion.shape).ravel(),
        "ts": np.broadcast_to(stamps[:, None, :], congestion.shape).ravel(),
        "congestion_index": np.round(congestion, 2).ravel(),
        "speed_kmh": np.round(speed, 1).ravel(),
        "volume": volume.ravel(),
    })
    return frame[frame["ts"] <= np.datetime64(cutoff)]


# ---------------------------------------------------------------------------------- parking
URBAN_WORKDAY = np.array([0.35, 0.33, 0.32, 0.32, 0.32, 0.35, 0.45, 0.65, 0.82, 0.88, 0.90, 0.88, 0.84, 0.86, 0.90,
                          0.90, 0.87, 0.80, 0.70, 0.66, 0.62, 0.55, 0.45, 0.40])
URBAN_REST = np.array([0.40, 0.38, 0.36, 0.35, 0.35, 0.36, 0.40, 0.48, 0.60, 0.72, 0.82, 0.86, 0.86, 0.86, 0.88,
                       0.88, 0.86, 0.82, 0.78, 0.74, 0.68, 0.60, 0.50, 0.45])


# Linear map from 24 hourly values (anchored mid-hour) to 96 quarter-hour values.
QUARTER_INTERPOLATION = np.stack([np.interp(np.arange(96) / 4 + 0.125, HOURS + 0.5, row) for row in np.eye(24)])


def parking_rows(ctx: Context, drv: Drivers, present: np.ndarray, cutoff: datetime) -> pd.DataFrame:
    """Occupied spaces of every lot every 15 minutes; lots by a scenic spot fill with its crowd."""
    lots = ctx.lots
    n_days, n_lots = len(drv.days), len(lots)
    spot_index = lots["near_spot_id"].fillna(0).astype(int).to_numpy() - 1
    scenic = (lots["kind"] == "scenic").to_numpy()
    urban = np.where(drv.workday[:, None], URBAN_WORKDAY, URBAN_REST)[:, None, :]  # (days, 1, 24)
    crowd = present[:, np.clip(spot_index, 0, None), :] / drv.capacity[np.clip(spot_index, 0, None)][None, :, None]
    hourly = np.where(scenic[None, :, None], 0.06 + 1.9 * crowd, urban)  # (days, lots, 24)
    quarter = hourly @ QUARTER_INTERPOLATION
    noise = daily_normals(ctx.seed, "parking_quarter", drv.days, (n_lots, 96))
    share = np.clip(quarter * np.exp(0.05 * noise), 0, 1)
    occupied = np.rint(share * lots["spaces"].to_numpy()[None, :, None]).astype(np.int64)
    start = np.datetime64(drv.days[0], "s")
    stamps = (start + np.arange(n_days * 96) * np.timedelta64(900, "s")).reshape(n_days, 96)
    frame = pd.DataFrame({
        "lot_id": np.broadcast_to(lots["id"].to_numpy()[None, :, None], occupied.shape).ravel(),
        "ts": np.broadcast_to(stamps[:, None, :], occupied.shape).ravel(),
        "occupied": occupied.ravel(),
        "spaces": np.broadcast_to(lots["spaces"].to_numpy()[None, :, None], occupied.shape).ravel(),
        "county": np.broadcast_to(lots["county"].to_numpy()[None, :, None], occupied.shape).ravel(),
    })
    return frame[frame["ts"] <= np.datetime64(cutoff)]


# ---------------------------------------------------------------------------------- pollution sources
def source_rows(ctx: Context, drv: Drivers, cutoff: datetime) -> pd.DataFrame:
    """Online hours and exceedances of each key source per day (expected hours: the day so far)."""
    sources = ctx.sources
    n_days, n_src = len(drv.days), len(sources)
    u = daily_uniforms(ctx.seed, "pollution_source_daily", drv.days, (n_src, 3))
    expected = 24 * day_fraction(drv.days, cutoff, np.full(24, 1 / 24))[:, None] * np.ones((1, n_src))
    outage = np.where(u[..., 0] < 0.025, 1 + np.floor(u[..., 1] * 12), 0.0) * expected / 24
    # Rounding must not lift online hours above the hours elapsed (a rate over 100 %).
    online = np.minimum(np.round(np.clip(expected - outage, 0, None), 1), expected)
    gas_winter = np.where((sources["kind"] == "gas").to_numpy()[None, :],
                          1 + 0.5 * np.cos(2 * np.pi * (drv.doy - 10) / 365.25)[:, None], 1.0)
    rate = sources["exceed_rate"].to_numpy()[None, :] * gas_winter * online / 24
    # One uniform decides 0, 1 or 2 exceedances (inverse Poisson CDF, larger counts negligible).
    p0 = np.exp(-rate)
    exceedances = (u[..., 2] > p0).astype(int) + (u[..., 2] > p0 * (1 + rate)).astype(int)
    frame = pd.DataFrame({
        "source_id": np.broadcast_to(sources["id"].to_numpy()[None, :], (n_days, n_src)).ravel(),
        "day": np.repeat(np.array(drv.days, dtype="datetime64[D]"), n_src),
        "online_hours": online.ravel(),
        "exceedances": exceedances.ravel(),
        "expected_hours": expected.ravel(),
        "county": np.broadcast_to(sources["county"].to_numpy()[None, :], (n_days, n_src)).ravel(),
    })
    return frame[frame["expected_hours"] > 0]


# ---------------------------------------------------------------------------------- visitors
def _home_province(ctx: Context) -> str:
    return ctx.tree.path(ctx.root)[0].name


def origin_rows(ctx: Context, drv: Drivers, visitors: np.ndarray) -> pd.DataFrame:
    """Visitors of each county-day split by origin province and city; the parts add up to the
    day's visitors. Long holidays bring more visitors from far away."""
    origins = vocab.VISITOR_ORIGINS
    home = _home_province(ctx)
    weights = np.array([w for _, _, w in origins])
    far = np.array([p != home for p, _, _ in origins])
    long_holiday = np.array([h in ("national_day", "labour_day", "spring_festival") for h in drv.holiday])
    shift = 1 + 0.35 * (long_holiday[:, None] & far[None, :])  # (days, origins)
    noise = daily_normals(ctx.seed, "visitor_origin", drv.days, (ctx.n_counties, len(origins)))
    shares = weights[None, None, :] * shift[:, None, :] * np.exp(0.15 * noise)
    counts = split_counts(visitors.astype(np.int64), shares)  # (days, counties, origins)
    frame = pd.DataFrame({
        "adcode": np.broadcast_to(ctx.counties["adcode"].to_numpy()[None, :, None], counts.shape).ravel(),
        "day": np.broadcast_to(np.array(drv.days, dtype="datetime64[D]")[:, None, None], counts.shape).ravel(),
        "origin_province": np.broadcast_to(np.array([p for p, _, _ in origins])[None, None, :], counts.shape).ravel(),
        "origin_city": np.broadcast_to(np.array([c for _, c, _ in origins])[None, None, :], counts.shape).ravel(),
        "visitors": counts.ravel(),
    })
    return frame[frame["visitors"] > 0]


def profile_rows(ctx: Context, drv: Drivers, visitors: np.ndarray) -> pd.DataFrame:
    """Visitors of each county-day by age band and by length of stay (each dimension adds up)."""
    summer = np.isin(drv.month, (7, 8))[:, None]
    holiday = np.array([h is not None for h in drv.holiday])[:, None]
    age = np.array([0.10, 0.30, 0.30, 0.20, 0.10])[None, :] * np.where(summer, [1.8, 1, 1, 0.9, 0.8], 1.0)
    age = age * np.where(drv.workday[:, None], [0.8, 0.9, 0.9, 1.1, 1.5], 1.0)
    age = age * np.where(holiday, [1.1, 1.0, 1.25, 1.0, 0.8], 1.0)  # (days, 5)
    # Mountain areas keep visitors longer than town districts.
    long_stay = np.array([0.8 if u else 1.2 for u in ctx.counties["urban"]])
    stay = np.array([0.45, 0.32, 0.15, 0.08])[None, None, :] * np.where(holiday, [0.8, 1.1, 1.3, 1.4], 1.0)[:, None, :]
    stay = stay * np.stack([np.ones_like(long_stay), long_stay, long_stay ** 2, long_stay ** 2], axis=-1)[None]
    noise = daily_normals(ctx.seed, "visitor_profile", drv.days, (ctx.n_counties, 9))
    frames = []
    for dimension, shares, cols in (("age", age[:, None, :] * np.exp(0.08 * noise[..., :5]), slice(0, 5)),
                                    ("stay", stay * np.exp(0.08 * noise[..., 5:]), slice(5, 9))):
        counts = split_counts(visitors.astype(np.int64), np.broadcast_to(shares, (*visitors.shape, shares.shape[-1])))
        buckets = np.array([code for code, _, _ in vocab.PROFILE_BUCKETS[dimension]])
        frames.append(pd.DataFrame({
            "adcode": np.broadcast_to(ctx.counties["adcode"].to_numpy()[None, :, None], counts.shape).ravel(),
            "day": np.broadcast_to(np.array(drv.days, dtype="datetime64[D]")[:, None, None], counts.shape).ravel(),
            "dimension": dimension,
            "bucket": np.broadcast_to(buckets[None, None, :], counts.shape).ravel(),
            "visitors": counts.ravel(),
        }))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------- eldercare
# Services per person aged 60+ per day, by kind (助餐 is by far the most used).
HOME_CARE_RATES = {"meal": 0.0060, "medical": 0.0015, "emergency": 0.0003, "daycare": 0.0020,
                   "personal_care": 0.0015, "health": 0.0012, "housekeeping": 0.0010, "companionship": 0.0008}


def elderly_rows(ctx: Context, years: list[int]) -> pd.DataFrame:
    """Population, 60+ and 80+ per county and year: a slowly shrinking, ageing population."""
    rows = []
    for county in ctx.counties.itertuples():
        for year in years:
            since = year - 2020
            population = int(county.population * (1 - 0.004) ** since)
            rows.append((county.adcode, year, population, int(population * (county.aged60_base + 0.006 * since)),
                         int(population * (county.aged80_base + 0.0012 * since))))
    return pd.DataFrame(rows, columns=["adcode", "year", "population", "aged_60", "aged_80"])


def home_care_rows(ctx: Context, drv: Drivers, elderly: pd.DataFrame, cutoff: datetime) -> pd.DataFrame:
    aged = _aged_by_day(ctx, drv, elderly)  # (days, counties)
    kinds = [code for code, _, _ in vocab.HOME_CARE_KINDS]
    rates = np.array([HOME_CARE_RATES[k] for k in kinds])
    spring = np.array([h == "spring_festival" for h in drv.holiday])
    factor = np.where(drv.workday, 1.0, 0.8) * np.where(spring, 0.7, 1.0) * day_fraction(drv.days, cutoff, ACTIVITY)
    u = daily_uniforms(ctx.seed, "home_care_daily", drv.days, (ctx.n_counties, len(kinds)))
    mean = aged[..., None] * rates[None, None, :] * factor[:, None, None]
    services = np.rint(mean * (0.9 + 0.2 * u)).astype(np.int64)
    return pd.DataFrame({
        "adcode": np.broadcast_to(ctx.counties["adcode"].to_numpy()[None, :, None], services.shape).ravel(),
        "day": np.broadcast_to(np.array(drv.days, dtype="datetime64[D]")[:, None, None], services.shape).ravel(),
        "kind": np.broadcast_to(np.array(kinds)[None, None, :], services.shape).ravel(),
        "services": services.ravel(),
    })


def _aged_by_day(ctx: Context, drv: Drivers, elderly: pd.DataFrame) -> np.ndarray:
    table = elderly.pivot(index="year", columns="adcode", values="aged_60")[ctx.counties["adcode"]]
    return table.loc[[d.year for d in drv.days]].to_numpy(dtype=float)


# Device calls by hour (falls peak in the morning and at night-time trips).
CALL_HOURS = np.array([1.5, 1.2, 1.0, 1.0, 1.2, 2.0, 3.5, 5.0, 5.5, 5.5, 5.0, 4.5, 4.0, 4.0, 4.5, 4.8, 5.0, 5.2, 5.0,
                       4.5, 4.0, 3.2, 2.5, 2.0])
CALL_HOURS = CALL_HOURS / CALL_HOURS.sum()
CALLS_PER_ELDER_DAY = 0.00018


def device_call_rows(ctx: Context, drv: Drivers, elderly: pd.DataFrame, cutoff: datetime) -> pd.DataFrame:
    """Emergency calls from home devices (一键呼叫 / 跌倒报警) with their response times."""
    aged = _aged_by_day(ctx, drv, elderly)
    urban = ctx.counties["urban"].to_numpy()
    winter = 1 + 0.2 * np.cos(2 * np.pi * (drv.doy - 10) / 365.25)
    cumulative = np.cumsum(CALL_HOURS)
    parts = []
    for i, day in enumerate(drv.days):
        rng = stream(ctx.seed, "device_call", day.toordinal())
        counts = rng.poisson(aged[i] * CALLS_PER_ELDER_DAY * ctx.scale * winter[i])
        n = int(counts.sum())
        county = np.repeat(np.arange(ctx.n_counties), counts)
        u = rng.random((n, 4))
        hour = np.minimum(np.searchsorted(cumulative, u[:, 0]), 23)
        seconds = np.floor(u[:, 1] * 3600).astype(np.int64)
        ts = np.datetime64(day, "s") + (hour * 3600 + seconds).astype("timedelta64[s]")
        fall = u[:, 2] < 0.25
        median = np.where(fall, 90.0, 150.0) * np.where(urban[county], 1.0, 1.35)
        response = np.clip(np.rint(median * np.exp(0.6 * rng.standard_normal(n))), 10, 3600).astype(np.int64)
        parts.append(pd.DataFrame({"ts": ts, "county": county, "kind": np.where(fall, "fall", "call"),
                                   "response_seconds": response, "pick": u[:, 3]}))
    frame = pd.concat(parts, ignore_index=True).sort_values(["ts", "county"], kind="stable").reset_index(drop=True)
    frame = with_daily_ids(frame, "ts")
    frame["adcode"] = ctx.counties["adcode"].to_numpy()[frame["county"]]
    locate_in_county(ctx, frame)
    return frame[frame["ts"] <= np.datetime64(cutoff)].drop(columns="pick")


def with_daily_ids(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Ids yyyymmdd·100000 + n (n counts from 1 within the day in time order): stable whether a day
    is generated in a batch or by a live tick, and readable."""
    day = frame[column].to_numpy().astype("datetime64[D]")
    serial = frame.groupby(day).cumcount().to_numpy() + 1
    if len(serial) and serial.max() >= 100_000:
        raise ValueError("more than 99 999 rows in one day: lower the scale")
    months = day.astype("datetime64[M]")
    yyyymmdd = ((months.astype("datetime64[Y]").astype(np.int64) + 1970) * 10_000
                + (months.astype(np.int64) % 12 + 1) * 100 + (day - months).astype(np.int64) + 1)
    frame.insert(0, "id", (yyyymmdd * 100_000 + serial).astype(np.int64))
    return frame


def locate_in_county(ctx: Context, frame: pd.DataFrame) -> None:
    """lat/lon from the county's pool of locations, picked by the row's uniform `pick`."""
    lat = np.empty(len(frame))
    lon = np.empty(len(frame))
    for i, adcode in enumerate(ctx.counties["adcode"]):
        rows = (frame["county"] == i).to_numpy()
        pool = ctx.pools[adcode]
        picked = pool[np.minimum((frame["pick"].to_numpy()[rows] * len(pool)).astype(int), len(pool) - 1)]
        lat[rows], lon[rows] = picked[:, 0], picked[:, 1]
    frame["lat"] = lat
    frame["lon"] = lon


# ---------------------------------------------------------------------------------- water
# Limits of GB 3838-2002 grades I–V (COD, NH3-N, TP upper limits; dissolved oxygen lower limit).
WATER_LIMITS = {1: (15, 0.15, 0.02, 7.5), 2: (15, 0.5, 0.1, 6.0), 3: (20, 1.0, 0.2, 5.0), 4: (30, 1.5, 0.3, 3.0),
                5: (40, 2.0, 0.4, 2.0), 6: (60, 3.0, 0.6, 1.0)}


def water_rows(ctx: Context, months: list[date]) -> pd.DataFrame:
    """Monthly grade of each section, mostly at or better than its target, with occasional misses
    (more often in the flood season, when runoff carries nutrients)."""
    sections = ctx.sections
    rows = []
    for month in months:
        rng = stream(ctx.seed, "water_monthly", month.year * 12 + month.month)
        u = rng.random((len(sections), 5))
        miss = 0.02 if month.month in (6, 7, 8) else 0.005
        for i, section in enumerate(sections.itertuples()):
            target = int(section.target_grade)
            better = 0.25 if target > 1 else 0.0
            grade = target - 1 if u[i, 0] < better else (target + 1 if u[i, 0] > 1 - miss else target)
            cod, nh3n, tp, oxygen = WATER_LIMITS[grade]
            lower = WATER_LIMITS.get(grade - 1, (cod * 0.5, nh3n * 0.5, tp * 0.5, oxygen + 1.0))
            # The grade is set by total phosphorus; the other parameters sit within the grade.
            rows.append((section.id, month, grade,
                         round(lower[0] * 0.6 + (cod - lower[0] * 0.6) * u[i, 1], 1),
                         round(nh3n * (0.3 + 0.6 * u[i, 2]), 3),
                         round(lower[2] + (tp - lower[2]) * (0.1 + 0.85 * u[i, 3]), 3),
                         round(oxygen + (lower[3] - oxygen) * u[i, 4] + 0.5, 2)))
    return pd.DataFrame(rows, columns=["section_id", "month", "grade", "cod", "nh3n", "tp", "dissolved_oxygen"])
