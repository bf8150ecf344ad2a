"""Daily county values of every catalogue indicator with grain region_day, and their roll-up.

Where an indicator has an entity table behind it, the county value is computed from that table's
rows (AQI from air_daily, congestion from road_hourly, incidents from incident rows …), so that
the pre-aggregated figures and the detail tables agree. The others come from the daily drivers.
Cities (and a province) are then rolled up from their children with `data.aggregation.rollup_frame`
by each indicator's region_agg, so that they reconcile exactly.

On the current day (cutoff inside it) every value covers the day so far.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from data.aggregation import rollup_frame
from data.catalogue import catalogue
from data.generator.drivers import Drivers, weather_effect
from data.generator.entities import Context
from data.generator.randomness import daily_normals
from data.generator.series import ACTIVITY, POWER, day_fraction

# Yuan spent per visitor-trip (黄山: about 700 亿元 for 7.4 千万 trips) and elsewhere.
SPEND_CALIBRATED, SPEND_GENERIC = 950.0, 700.0
# Share of public services applied for and handled fully online (全程网办率), by year.
ONLINE_SERVICE_TREND = {2020: 0.74, 2021: 0.80, 2022: 0.85, 2023: 0.885, 2024: 0.91, 2025: 0.93, 2026: 0.945,
                        2027: 0.955}
CAMERAS_PER_RESIDENT = 0.012
NOISE_SLOTS = ("revenue", "retail", "electricity", "bus", "video", "forest", "hotline", "hotline_ok", "online",
               "online_ok", "hotel")


@dataclass
class DayInputs:
    """The rows of one run of days that the county values are computed from."""

    drv: Drivers
    cutoff: datetime
    spot_arrivals: np.ndarray  # (days, spots, 24)
    air_daily: pd.DataFrame
    sources: pd.DataFrame
    water: pd.DataFrame
    roads: pd.DataFrame
    parking: pd.DataFrame
    incidents: pd.DataFrame  # reported on these days
    closed: np.ndarray | None  # (days, counties) incidents closed each day
    closed_on_time: np.ndarray | None
    calls: pd.DataFrame
    home_care: pd.DataFrame
    elderly: pd.DataFrame


def _grid(ctx: Context, days: list[date], day_values, county_values, weights=None) -> np.ndarray:
    """Sum `weights` (or count rows) into a (days, counties) grid."""
    grid = np.zeros((len(days), ctx.n_counties))
    day_index = (np.asarray(day_values, dtype="datetime64[D]") - np.datetime64(days[0], "D")).astype(int)
    inside = (day_index >= 0) & (day_index < len(days))
    values = np.ones(len(day_index)) if weights is None else np.asarray(weights, dtype=float)
    np.add.at(grid, (day_index[inside], np.asarray(county_values)[inside]), values[inside])
    return grid


def county_values(ctx: Context, data: DayInputs) -> pd.DataFrame:
    """Long rows (indicator, adcode, day, value, numerator, denominator, weight) for the counties."""
    drv, days = data.drv, data.drv.days
    n_days, n_c = len(days), ctx.n_counties
    counties = ctx.counties
    population = counties["population"].to_numpy(dtype=float)[None, :]
    urban = counties["urban"].to_numpy()[None, :]
    activity = day_fraction(days, data.cutoff, ACTIVITY)[:, None]
    power = day_fraction(days, data.cutoff, POWER)[:, None]
    noise = dict(zip(NOISE_SLOTS, np.moveaxis(
        daily_normals(ctx.seed, "region_daily", days, (n_c, len(NOISE_SLOTS))), 2, 0)))
    holiday = np.array([h is not None for h in drv.holiday])[:, None]
    grid = functools.partial(_grid, ctx, days)
    out: dict[str, dict[str, np.ndarray]] = {}

    # -- tourism
    stamps = np.datetime64(days[0], "s") + np.arange(n_days * 24).reshape(n_days, 24) * np.timedelta64(3600, "s")
    so_far = (data.spot_arrivals * (stamps <= np.datetime64(data.cutoff))[:, None, :]).sum(axis=2)
    spot_visitors = np.zeros((n_days, n_c))
    np.add.at(spot_visitors.T, ctx.spots["county"].to_numpy(), so_far.T)
    visitors = spot_visitors + np.rint(drv.nonspot * activity)
    out["tourism.visitors"] = {"value": visitors}
    spend = np.where(counties["calibrated"].to_numpy(), SPEND_CALIBRATED, SPEND_GENERIC)[None, :]
    revenue = visitors * spend * np.where(holiday, 1.15, 1.0) * np.exp(0.05 * noise["revenue"]) / 10_000
    out["tourism.revenue"] = {"value": np.round(revenue, 1)}
    full_visitors = drv.nonspot.copy()
    np.add.at(full_visitors.T, ctx.spots["county"].to_numpy(), drv.spot_arrivals.T)
    rooms = np.rint(drv.typical_visitors * 0.3)[None, :] * np.ones((n_days, 1))
    occupancy = 0.55 * (full_visitors / drv.typical_visitors[None, :]) ** 0.8 * np.exp(0.04 * noise["hotel"])
    occupancy = np.where(occupancy < 0.85, occupancy, 0.85 + 0.13 * np.tanh((occupancy - 0.85) / 0.13))
    out["tourism.hotel_occupancy"] = {"numerator": np.rint(rooms * np.clip(occupancy, 0.05, 0.98)),
                                      "denominator": rooms}
    incidents = data.incidents
    reported_day = incidents["reported_at"].to_numpy()
    tourism = (incidents["theme"] == "tourism").to_numpy()
    out["tourism.complaints"] = {"value": grid(reported_day[tourism], incidents["county"].to_numpy()[tourism])}

    # -- environment
    air = data.air_daily
    stations = grid(air["day"], air["county"])
    out["env.aqi"] = {"value": np.round(grid(air["day"], air["county"], air["aqi"]) / np.maximum(stations, 1), 1)}
    out["env.pm25"] = {"value": np.round(grid(air["day"], air["county"], air["pm25"]) / np.maximum(stations, 1), 1)}
    out["env.good_days"] = {"numerator": grid(air["day"], air["county"], air["aqi"] <= 100), "denominator": stations}
    src = data.sources
    out["env.source_online_rate"] = {"numerator": grid(src["day"], src["county"], src["online_hours"]),
                                     "denominator": grid(src["day"], src["county"], src["expected_hours"])}
    out["env.source_exceedances"] = {"value": grid(src["day"], src["county"], src["exceedances"])}
    out["env.water_attainment"] = _water(ctx, days, data.water)

    # -- traffic
    roads = data.roads
    road_county = ctx.segments["county"].to_numpy()[roads["segment_id"].to_numpy() - 1]
    volume = grid(roads["ts"], road_county, roads["volume"])
    for code, column in (("traffic.congestion", "congestion_index"), ("traffic.speed", "speed_kmh")):
        weighted = grid(roads["ts"], road_county, roads[column] * roads["volume"])
        plain = grid(roads["ts"], road_county, roads[column]) / np.maximum(grid(roads["ts"], road_county), 1)
        value = np.where(volume > 0, weighted / np.maximum(volume, 1), plain)
        out[code] = {"value": np.round(value, 3), "weight": volume}
    parking = data.parking
    out["traffic.parking_occupancy"] = {"numerator": grid(parking["ts"], parking["county"], parking["occupied"]),
                                        "denominator": grid(parking["ts"], parking["county"], parking["spaces"])}
    trips = population * np.where(urban, 0.12, 0.04) + full_visitors * 0.08
    trips = trips * np.where(drv.workday, 1.0, 0.8)[:, None] * weather_effect(drv.rain_mm, drv.temp, 1.05, 0.9, 0.85)
    out["traffic.bus_ridership"] = {"value": np.rint(trips * np.exp(0.05 * noise["bus"]) * activity)}
    accident = (incidents["type_code"] == "traffic.accident").to_numpy()
    out["traffic.accidents"] = {"value": grid(reported_day[accident], incidents["county"].to_numpy()[accident])}

    # -- safety
    out["safety.incidents"] = {"value": grid(reported_day, incidents["county"])}
    if data.closed is not None:  # else the caller adds it once closures of later days are known
        out["safety.ontime_rate"] = {"numerator": data.closed_on_time, "denominator": data.closed}
    cameras = np.rint(population * CAMERAS_PER_RESIDENT) * np.ones((n_days, 1))
    online = 0.98 + 0.005 * noise["video"]
    outage = noise["video"] < -2.33  # about one county-day in a hundred: a network fault
    online = np.where(outage, 0.9 + 0.01 * noise["video"], online)
    out["safety.video_online_rate"] = {"numerator": np.rint(cameras * np.clip(online, 0.8, 1.0)),
                                       "denominator": cameras}
    fire_season = np.where(np.isin(drv.month, (10, 11, 12, 1, 2, 3, 4)), 1.0, 0.45)[:, None]
    score = fire_season * (0.5 + 0.22 * drv.dry_days) + 0.25 * noise["forest"]
    out["safety.forest_fire_risk"] = {"value": np.clip(1 + np.floor(score), 1, 5)}

    # -- eldercare
    by_year = data.elderly.set_index(["year", "adcode"])
    keys = [(d.year, a) for d in days for a in counties["adcode"]]
    aged = by_year.loc[keys, "aged_60"].to_numpy(dtype=float).reshape(n_days, n_c)
    people = by_year.loc[keys, "population"].to_numpy(dtype=float).reshape(n_days, n_c)
    out["eldercare.ageing_rate"] = {"numerator": aged, "denominator": people}
    homes = ctx.institutions
    beds = np.bincount(homes["county"], weights=homes["beds"], minlength=n_c)[None, :] * np.ones((n_days, 1))
    occupied = np.bincount(homes["county"], weights=homes["occupied"], minlength=n_c)[None, :] * np.ones((n_days, 1))
    out["eldercare.bed_occupancy"] = {"numerator": occupied, "denominator": beds}
    care = data.home_care
    care_county = ctx.county_index(care["adcode"])
    out["eldercare.services"] = {"value": grid(care["day"], care_county, care["services"])}
    calls = data.calls
    call_county = calls["county"].to_numpy()
    count = grid(calls["ts"], call_county)
    seconds = grid(calls["ts"], call_county, calls["response_seconds"])
    nominal = np.where(urban, 150.0, 200.0) * np.ones((n_days, 1))  # shown on days without calls
    out["eldercare.device_calls"] = {"value": count}
    out["eldercare.response_seconds"] = {"value": np.round(np.where(count > 0, seconds / np.maximum(count, 1),
                                                                    nominal), 1), "weight": count}

    # -- economy and governance
    season = 1 + 0.12 * np.cos(2 * np.pi * (drv.doy - 15) / 365.25)[:, None]  # year-end and 春节 shopping
    spring = np.array([h == "spring_festival" for h in drv.holiday])[:, None]
    retail = (population * 72 + full_visitors * 180) * season * np.where(spring, 1.3, 1.0)
    out["economy.retail_sales"] = {"value": np.round(retail * np.exp(0.05 * noise["retail"]) * activity / 10_000, 1)}
    demand = 1 + 0.18 * np.cos(4 * np.pi * (drv.doy - 20) / 365.25)[:, None]  # summer cooling, winter heating
    power_use = (population * 9.5 * demand * np.where(drv.workday, 1.0, 0.92)[:, None]
                 * np.where(spring, 0.75, 1.0) * np.exp(0.04 * noise["electricity"]))
    out["economy.electricity"] = {"value": np.round(power_use * power / 10_000, 1)}
    office = np.where(drv.workday, 1.0, 0.6)[:, None]
    feedback = np.rint(population / 100_000 * 35 * office * np.exp(0.1 * noise["hotline"]))
    satisfied = np.rint(feedback * np.clip(0.935 + 0.015 * noise["hotline_ok"], 0.85, 0.99))
    out["governance.hotline_satisfaction"] = {"numerator": np.rint(satisfied * activity),
                                              "denominator": np.rint(feedback * activity)}
    applications = np.rint(population / 100_000 * 120 * np.where(drv.workday, 1.0, 0.15)[:, None]
                           * np.exp(0.1 * noise["online"]))
    trend = np.array([ONLINE_SERVICE_TREND.get(d.year, 0.955) for d in days])[:, None]
    handled_online = np.rint(applications * np.clip(trend + 0.01 * noise["online_ok"], 0.5, 0.995))
    out["governance.online_service_rate"] = {"numerator": np.rint(handled_online * activity),
                                             "denominator": np.rint(applications * activity)}
    return long_rows(ctx, days, out)


def _water(ctx: Context, days: list[date], water: pd.DataFrame) -> dict[str, np.ndarray]:
    """Sections meeting their target grade in the month of each day, per county."""
    sections = ctx.sections.set_index("id")
    rows = water.assign(county=sections.loc[water["section_id"], "county"].to_numpy(),
                        meets=(water["grade"].to_numpy() <= sections.loc[water["section_id"], "target_grade"].to_numpy()))
    month_of = np.array([np.datetime64(d, "M") for d in days])
    numerator = np.zeros((len(days), ctx.n_counties))
    denominator = np.zeros_like(numerator)
    months = np.asarray(rows["month"], dtype="datetime64[M]")
    for month in np.unique(month_of):
        in_month = months == month
        meets = np.bincount(rows["county"][in_month], weights=rows["meets"][in_month], minlength=ctx.n_counties)
        total = np.bincount(rows["county"][in_month], minlength=ctx.n_counties)
        numerator[month_of == month] = meets
        denominator[month_of == month] = total
    return {"numerator": numerator, "denominator": denominator}


def long_rows(ctx: Context, days: list[date], out: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """(days, counties) grids as long region_daily rows, in catalogue order."""
    cat = catalogue()
    wanted = [code for code, ind in cat.items() if ind.grain == "region_day"]
    n_days, n_c = len(days), ctx.n_counties
    day_column = np.repeat(np.array(days, dtype="datetime64[D]"), n_c)
    adcodes = np.tile(ctx.counties["adcode"].to_numpy(), n_days)
    frames = []
    for code in wanted:
        if code not in out:
            continue
        parts = out[code]
        ind = cat[code]
        frame = pd.DataFrame({"indicator": code, "adcode": adcodes, "day": day_column})
        if ind.region_agg == "ratio":
            numerator, denominator = parts["numerator"].ravel(), parts["denominator"].ravel()
            frame["numerator"] = numerator
            frame["denominator"] = denominator
            # The same arithmetic as data.aggregation.rollup_frame, so a county reads like a city.
            with np.errstate(all="ignore"):
                frame["value"] = np.where(denominator > 0, ind.factor * numerator / denominator, 0.0)
        else:
            frame["value"] = parts["value"].ravel().astype(float)
        if ind.region_agg == "weighted_mean":
            frame["weight"] = parts["weight"].ravel().astype(float)
        frames.append(frame)
    columns = ["indicator", "adcode", "day", "value", "numerator", "denominator", "weight"]
    return pd.concat(frames, ignore_index=True).reindex(columns=columns)


def rolled_up(ctx: Context, county_rows: pd.DataFrame) -> pd.DataFrame:
    """County rows plus every region above them within the deployment (city, and province),
    each rolled up from its children by the indicator's region_agg."""
    parent_of = {r.adcode: r.parent for r in ctx.tree.all() if r.parent and ctx.tree.exists(r.parent)}
    cat = catalogue()
    levels = [county_rows]
    rows = county_rows
    while True:
        parents = rows["adcode"].map(parent_of)
        if parents.isna().all():
            break
        rows = rows.assign(parent=parents)
        # Indicators that aggregate alike (same rule and factor) are rolled up in one grouped call.
        rules = rows["indicator"].map(lambda code: (cat[code].region_agg, cat[code].factor))
        frames = []
        for _, group in rows.groupby(rules, sort=False):
            rolled = rollup_frame(cat[group["indicator"].iloc[0]], group, by=["indicator", "parent", "day"])
            frames.append(rolled.rename(columns={"parent": "adcode"}))
        rows = pd.concat(frames, ignore_index=True)[county_rows.columns]
        levels.append(rows)
    return pd.concat(levels, ignore_index=True)
