"""养老服务 queries (SPEC §3.6): elderly population, care institutions, home care, device calls.

Filters read: tier (institution tier), service (home-care kind), call (device call kind:
一键呼叫 call / 跌倒报警 fall). Rates and levels follow the catalogue: bed occupancy is
Σ occupied / Σ beds (eldercare.bed_occupancy), the mean response time is weighted by calls
(eldercare.response_seconds), and both take their warning levels from the catalogue thresholds.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import case, func, literal, select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import indicator
from data.models import CareInstitution, DeviceCall, ElderlyPopulation, HomeCareDaily
from data.queries import indicators
from data.queries.common import (align_last_year, bucket_expression, counties_under, date_expression, day_bounds,
                                 grain_for, read, region_names)
from data.queries.indicators import ranking_regions
from data.queries.labels import FIXED, fixed_label

C = CareInstitution.__table__
E = ElderlyPopulation.__table__
H = HomeCareDaily.__table__
D = DeviceCall.__table__
OCCUPANCY, RESPONSE = "eldercare.bed_occupancy", "eldercare.response_seconds"
TIERS = ("county_center", "street_center", "community_station", "nursing_home")  # 县级中心 → 街道 → 社区 → 机构
SERVICE_KINDS = tuple(FIXED["service"])
CALL_KINDS = tuple(FIXED["call"])


def _label(dimension: str, code: str, lang: str) -> str:
    return fixed_label(dimension, code, lang) or code


# ---------------------------------------------------------------------------------- population
def _population_year(view: ViewState) -> int | None:
    """The year the population figures are for: the range's last year, or the latest one known."""
    frame = read(select(func.max(E.c.year)).where(E.c.year <= view.end.year))
    value = frame.iloc[0, 0]
    return None if value is None or pd.isna(value) else int(value)


@cached
def population_by_region(view: ViewState) -> pd.DataFrame:
    """60+ and 80+ residents and the ageing rate of each region a ranking compares (the counties
    of a city; a county among its siblings), for the range's year.

    Columns adcode, name, year, population, aged_60, aged_80, aged_60_79, ageing_rate (% of
    residents aged 60+), rate_80 (% aged 80+), selected; the oldest first.
    """
    regions, selected = ranking_regions(view.region, view.scope)
    year = _population_year(view)
    if year is None or not regions:
        return pd.DataFrame()
    owner = {county: region for region in regions for county in counties_under(region)}
    rows = read(select(E.c.adcode, E.c.population, E.c.aged_60, E.c.aged_80)
                .where(E.c.year == year, E.c.adcode.in_(list(owner))))
    rows["adcode"] = rows["adcode"].map(owner)
    frame = rows.groupby("adcode", as_index=False)[["population", "aged_60", "aged_80"]].sum()
    frame = _with_rates(frame)
    names = region_names(view.lang)
    frame = frame.assign(name=frame["adcode"].map(names), year=year, selected=frame["adcode"] == selected)
    columns = ["adcode", "name", "year", "population", "aged_60", "aged_80", "aged_60_79", "ageing_rate", "rate_80",
               "selected"]
    return frame[columns].sort_values(["ageing_rate", "adcode"], ascending=[False, True]).reset_index(drop=True)


def _with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    factor = indicator("eldercare.ageing_rate").factor
    return frame.assign(aged_60_79=frame["aged_60"] - frame["aged_80"],
                        ageing_rate=(factor * frame["aged_60"] / frame["population"]).round(2),
                        rate_80=(factor * frame["aged_80"] / frame["population"]).round(2))


@cached
def population_summary(view: ViewState) -> pd.DataFrame:
    """The view's region in the range's year and the year before (rows year, population, aged_60,
    aged_80, aged_60_79, ageing_rate, rate_80), the latest year first."""
    year = _population_year(view)
    if year is None:
        return pd.DataFrame()
    frame = read(select(E.c.year, func.sum(E.c.population).label("population"),
                        func.sum(E.c.aged_60).label("aged_60"), func.sum(E.c.aged_80).label("aged_80"))
                 .where(E.c.adcode.in_(counties_under(view.region)), E.c.year.in_([year, year - 1]))
                 .group_by(E.c.year))
    return _with_rates(frame).sort_values("year", ascending=False).reset_index(drop=True)


# ---------------------------------------------------------------------------------- institutions
@cached
def institutions(view: ViewState) -> pd.DataFrame:
    """Care institutions of the region (filter: tier): beds, occupied, occupancy (%) and its level,
    the fullest first."""
    statement = (select(C.c.id, C.c.name, C.c.adcode, C.c.lat, C.c.lon, C.c.tier, C.c.beds, C.c.occupied,
                        C.c.covers_population).where(C.c.adcode.in_(counties_under(view.region))))
    tiers = view.filter_values("tier")
    if tiers:
        statement = statement.where(C.c.tier.in_(tiers))
    frame = read(statement)
    ind = indicator(OCCUPANCY)
    frame["occupancy"] = (ind.factor * frame["occupied"] / frame["beds"].where(frame["beds"] > 0)).round(1)
    frame["level"] = [ind.level_of(v) if pd.notna(v) else 0 for v in frame["occupancy"]]
    names = region_names(view.lang)
    frame["county"] = frame["adcode"].map(names)
    frame["tier_name"] = [_label("tier", t, view.lang) for t in frame["tier"]]
    return frame.sort_values(["occupancy", "id"], ascending=[False, True], na_position="last").reset_index(drop=True)


@cached
def tiers(view: ViewState) -> pd.DataFrame:
    """The tiers of centres (县级指导中心, 街道中心, 社区站) and the care homes: how many, beds,
    occupancy, and coverage (% of the region's residents aged 60+ in their service areas)."""
    homes = institutions(view)
    summary = population_summary(view)
    aged = float(summary["aged_60"].iloc[0]) if not summary.empty else None
    ind = indicator(OCCUPANCY)
    grouped = homes.groupby("tier").agg(institutions=("id", "count"), beds=("beds", "sum"),
                                        occupied=("occupied", "sum"), covers=("covers_population", "sum"))
    frame = grouped.reindex(list(TIERS)).fillna(0).astype("int64").reset_index()
    frame["occupancy"] = (ind.factor * frame["occupied"] / frame["beds"].where(frame["beds"] > 0)).round(1)
    frame["level"] = [ind.level_of(v) if pd.notna(v) else 0 for v in frame["occupancy"]]
    # care homes serve their residents, not an area: no coverage
    frame["coverage"] = [round(min(100.0, 100 * c / aged), 1) if aged and t != "nursing_home" else None
                         for t, c in zip(frame["tier"], frame["covers"])]
    frame["name"] = [_label("tier", t, view.lang) for t in frame["tier"]]
    return frame[["tier", "name", "institutions", "beds", "occupied", "occupancy", "level", "covers", "coverage"]]


# ---------------------------------------------------------------------------------- home care
@cached
def services_by_kind(view: ViewState) -> pd.DataFrame:
    """Home-care services of the range by kind, with the same period last year
    (columns kind, name, services, last_year, change (%)), the most used first."""
    counties = counties_under(view.region)
    periods = {"services": (view.start, view.end), "last_year": view.same_period_last_year()}
    parts = []
    for label, (start, end) in periods.items():
        part = read(select(H.c.kind, func.sum(H.c.services).label(label))
                    .where(H.c.adcode.in_(counties), H.c.day >= start, H.c.day <= end).group_by(H.c.kind))
        parts.append(part.set_index("kind")[label])
    frame = pd.concat(parts, axis=1).reindex(list(SERVICE_KINDS)).reset_index(names="kind")
    frame["services"] = frame["services"].fillna(0).astype("int64")
    frame["change"] = ((frame["services"] - frame["last_year"]) / frame["last_year"].where(frame["last_year"] > 0)
                       * 100).round(1)
    frame["name"] = [_label("service", k, view.lang) for k in frame["kind"]]
    frame = frame[["kind", "name", "services", "last_year", "change"]]
    return frame.sort_values(["services", "kind"], ascending=[False, True]).reset_index(drop=True)


@cached
def services_trend(view: ViewState) -> pd.DataFrame:
    """Home-care services over the range with the same period last year (filter: service);
    columns bucket, value, last_year."""
    counties = counties_under(view.region)
    kinds = view.filter_values("service")
    grain = grain_for(view.start, view.end)
    bucket = bucket_expression(H.c.day, grain).label("bucket")
    parts = []
    for label, (start, end) in (("value", (view.start, view.end)), ("last_year", view.same_period_last_year())):
        statement = (select(bucket, func.sum(H.c.services).label(label))
                     .where(H.c.adcode.in_(counties), H.c.day >= start, H.c.day <= end).group_by(bucket))
        if kinds:
            statement = statement.where(H.c.kind.in_(kinds))
        parts.append(read(statement))
    return align_last_year(parts[0], parts[1], grain)


# ---------------------------------------------------------------------------------- device calls
def _call_conditions(view: ViewState, counties: list[str], start: date, end: date) -> list:
    """Device calls in these counties in [start, end] (days), of the view's call kinds."""
    low, high = day_bounds(start, end)
    conditions = [D.c.ts >= low, D.c.ts < high, D.c.adcode.in_(counties)]
    kinds = view.filter_values("call")
    if kinds:
        conditions.append(D.c.kind.in_(kinds))
    return conditions


def _response_level():
    """The warning level of one call's response time by the catalogue thresholds, in SQL."""
    ind = indicator(RESPONSE)
    whens = [(D.c.response_seconds >= threshold, literal(level))
             for level, threshold in reversed(list(enumerate(ind.thresholds, start=1)))]
    return case(*whens, else_=literal(0))


@cached
def calls_by_kind(view: ViewState) -> pd.DataFrame:
    """Device calls of the range by kind (一键呼叫, 跌倒报警) and by how long the response took,
    banded by the catalogue thresholds of eldercare.response_seconds (level 0 = within the first).

    Columns kind, name, level, calls, seconds; plus per kind: total, mean_response.
    """
    level = _response_level().label("level")
    frame = read(select(D.c.kind, level, func.count().label("calls"),
                        func.sum(D.c.response_seconds).label("seconds"))
                 .where(*_call_conditions(view, counties_under(view.region), view.start, view.end))
                 .group_by(D.c.kind, level))
    if frame.empty:
        return frame
    totals = frame.groupby("kind")[["calls", "seconds"]].sum()
    frame["level"] = frame["level"].astype(int)
    frame["total"] = frame["kind"].map(totals["calls"])
    frame["mean_response"] = frame["kind"].map((totals["seconds"] / totals["calls"]).round(1))
    frame["name"] = [_label("call", k, view.lang) for k in frame["kind"]]
    frame["order"] = frame["kind"].map({k: i for i, k in enumerate(CALL_KINDS)})
    return frame.sort_values(["order", "level"]).drop(columns="order").reset_index(drop=True)


@cached
def calls_trend(view: ViewState) -> pd.DataFrame:
    """Device calls and their mean response time over the range (filter: call);
    columns bucket, calls, mean_response, level (of the mean by the catalogue thresholds)."""
    grain = grain_for(view.start, view.end)
    bucket = bucket_expression(D.c.ts, grain) if grain != "day" else date_expression(D.c.ts)
    bucket = bucket.label("bucket")
    frame = read(select(bucket, func.count().label("calls"), func.sum(D.c.response_seconds).label("seconds"))
                 .where(*_call_conditions(view, counties_under(view.region), view.start, view.end))
                 .group_by(bucket))
    if frame.empty:
        return frame
    ind = indicator(RESPONSE)
    frame["mean_response"] = (frame["seconds"] / frame["calls"]).round(1)
    frame["level"] = [ind.level_of(v) for v in frame["mean_response"]]
    if grain == "day":
        frame["bucket"] = pd.to_datetime(frame["bucket"])
    frame.attrs["grain"] = grain
    return frame[["bucket", "calls", "mean_response", "level"]].sort_values("bucket").reset_index(drop=True)


@cached
def response_by_region(view: ViewState) -> pd.DataFrame:
    """Calls and mean response time of each region a ranking compares (filter: call);
    columns adcode, name, calls, mean_response, level, selected; the slowest first."""
    regions, selected = ranking_regions(view.region, view.scope)
    owner = {county: region for region in regions for county in counties_under(region)}
    frame = read(select(D.c.adcode, func.count().label("calls"), func.sum(D.c.response_seconds).label("seconds"))
                 .where(*_call_conditions(view, list(owner), view.start, view.end)).group_by(D.c.adcode))
    frame["adcode"] = frame["adcode"].map(owner)
    frame = frame.groupby("adcode", as_index=False)[["calls", "seconds"]].sum()
    frame = pd.DataFrame({"adcode": regions}).merge(frame, on="adcode", how="left")
    frame["calls"] = frame["calls"].fillna(0).astype("int64")
    frame["mean_response"] = (frame["seconds"] / frame["calls"].where(frame["calls"] > 0)).round(1)
    ind = indicator(RESPONSE)
    frame["level"] = [ind.level_of(v) if pd.notna(v) else 0 for v in frame["mean_response"]]
    frame["name"] = frame["adcode"].map(region_names(view.lang))
    frame["selected"] = frame["adcode"] == selected
    frame = frame[["adcode", "name", "calls", "mean_response", "level", "selected"]]
    return frame.sort_values(["mean_response", "adcode"], ascending=[False, True], na_position="last") \
        .reset_index(drop=True)



# ---------------------------------------------------------------------------------- headline figures
KPI_INDICATORS = ("eldercare.ageing_rate", "eldercare.bed_occupancy", "eldercare.services", "eldercare.device_calls",
                  "eldercare.response_seconds")


@cached
def kpis(view: ViewState) -> pd.DataFrame:
    """The headline figures: residents aged 60+ and 80+ in the range's year with the change on the
    year before (keys aged_60, aged_80), and the catalogue indicators with their changes vs the
    previous period and last year (keyed by indicator code)."""
    rows = []
    summary = population_summary(view)
    for key in ("aged_60", "aged_80"):
        current = summary[key].iloc[0] if not summary.empty else None
        before = summary[key].iloc[1] if len(summary) > 1 else None
        change = None if current is None or not before else round((current - before) / before * 100, 2)
        rows.append({"key": key, "value": current, "last_year": before, "change_yoy": change,
                     "year": int(summary["year"].iloc[0]) if not summary.empty else None})
    frame = indicators.kpis(view, KPI_INDICATORS).rename(columns={"indicator": "key"})
    return pd.concat([pd.DataFrame(rows), frame], ignore_index=True)
