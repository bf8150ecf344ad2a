"""养老服务 queries (SPEC §3.6): elderly population, care institutions, home care, device calls.

Filters read: tier (institution tier), service (home-care kind), call (device call kind:
一键呼叫 call / 跌倒报警 fall). Rates and levels follow the catalogue: bed occupancy is
Σ occupied / Σ beds (eldercare.bed_occupancy), the mean response time is weighted by calls
(eldercare.response_seconds), and both take their warning levels from the catalogue thresholds.

Device calls are read from summary_device_call (data/summaries.py): calls and Σ response seconds
per county, period, kind and response level band, whose pieces (whole months, weeks, days) give the
figures of the raw rows. Its bands follow the catalogue thresholds as they were when its rows were
built: a threshold changed since needs `python -m data.summaries --rebuild --table
summary_device_call` (`--check` reveals it).
"""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Float, cast, func, literal_column, select, union_all

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import indicator
from data.models import CareInstitution, ElderlyPopulation, SummaryDeviceCall, SummaryHomeCare
from data.queries import indicators
from data.queries.common import (align_last_year, as_date, bucket_label, counties_under, dialect_name, fetch,
                                 grain_for, leading_rows, on_one_connection, region_names)
from data.queries.indicators import ranking_regions, sorted_by
from data.queries.labels import FIXED, fixed_label
from data.summaries import RESPONSE, bucket_of, period_condition, pieces, runs_condition

C = CareInstitution.__table__
E = ElderlyPopulation.__table__
CARE = SummaryHomeCare.__table__
CALLS = SummaryDeviceCall.__table__  # calls and Σ response seconds per county, period, kind, level band
OCCUPANCY = "eldercare.bed_occupancy"
TIERS = ("county_center", "street_center", "community_station", "nursing_home")  # 县级中心 → 街道 → 社区 → 机构
SERVICE_KINDS = tuple(FIXED["service"])
CALL_KINDS = tuple(FIXED["call"])


def _label(dimension: str, code: str, lang: str) -> str:
    return fixed_label(dimension, code, lang) or code


def _rounded(value: float, digits: int) -> float:
    """A number rounded as pandas' Series.round rounds it (NumPy's half-to-even on the scaled
    value), so that figures finished in Python equal those a frame gave."""
    return float(np.round(value, digits))


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Rows of plain values as a frame, one column per position (no rows: columns of objects, as
    `read` gives them)."""
    if not rows:
        return pd.DataFrame([], columns=columns)
    return pd.DataFrame({column: [row[i] for row in rows] for i, column in enumerate(columns)})


# ---------------------------------------------------------------------------------- population
@cached
def population_by_region(view: ViewState) -> pd.DataFrame:
    """60+ and 80+ residents and the ageing rate of each region a ranking compares (the counties
    of a city; a county among its siblings), for the range's year.

    Columns adcode, name, year, population, aged_60, aged_80, aged_60_79, ageing_rate (% of
    residents aged 60+), rate_80 (% aged 80+), selected; the oldest first.
    """
    regions, selected = ranking_regions(view.region, view.scope)
    if not regions:
        return pd.DataFrame()
    owner = {county: region for region in regions for county in counties_under(region)}
    latest = select(func.max(E.c.year).label("year")).where(E.c.year <= view.end.year).subquery()
    rows = fetch(select(latest.c.year, E.c.adcode, E.c.population, E.c.aged_60, E.c.aged_80)
                 .select_from(latest)
                 .outerjoin(E, (E.c.year == latest.c.year) & E.c.adcode.in_(list(owner))))
    year = rows[0][0] if rows else None  # one row with the year only when no county has figures for it
    if year is None:
        return pd.DataFrame()
    sums: dict[str, list[int]] = {}
    for _, adcode, population, aged_60, aged_80 in rows:
        if adcode is not None:
            total = sums.setdefault(owner[adcode], [0, 0, 0])
            total[0] += population
            total[1] += aged_60
            total[2] += aged_80
    factor = indicator("eldercare.ageing_rate").factor
    names = region_names(view.lang)
    figures = [(region, names.get(region, math.nan), int(year), population, aged_60, aged_80, aged_60 - aged_80,
                _rate(factor, aged_60, population), _rate(factor, aged_80, population), region == selected)
               for region, (population, aged_60, aged_80) in sorted(sums.items())]
    figures.sort(key=lambda row: (math.isnan(row[7]), -row[7] if not math.isnan(row[7]) else 0, row[0]))
    return _frame(figures, ["adcode", "name", "year", "population", "aged_60", "aged_80", "aged_60_79",
                            "ageing_rate", "rate_80", "selected"])


def _rate(factor: float, part: int, population: int) -> float:
    return _rounded(factor * part / population, 2) if population else math.nan


@cached
def population_summary(view: ViewState) -> pd.DataFrame:
    """The view's region in the range's year and the year before (rows year, population, aged_60,
    aged_80, aged_60_79, ageing_rate, rate_80), the latest year first."""
    latest = select(func.max(E.c.year).label("year")).where(E.c.year <= view.end.year).subquery()
    statement = (select(latest.c.year, E.c.year, func.sum(E.c.population), func.sum(E.c.aged_60),
                        func.sum(E.c.aged_80))
                 .select_from(latest)
                 .outerjoin(E, E.c.year.between(latest.c.year - 1, latest.c.year)
                            & E.c.adcode.in_(counties_under(view.region)))
                 .group_by(latest.c.year, E.c.year))
    rows = fetch(statement)  # one row with the year only when the region has no figures for it
    if not rows or rows[0][0] is None:
        return pd.DataFrame()
    factor = indicator("eldercare.ageing_rate").factor
    figures = sorted(((year, population, aged_60, aged_80, aged_60 - aged_80, _rate(factor, aged_60, population),
                       _rate(factor, aged_80, population))
                      for _, year, population, aged_60, aged_80 in rows if year is not None), key=lambda row: -row[0])
    return _frame(figures, ["year", "population", "aged_60", "aged_80", "aged_60_79", "ageing_rate", "rate_80"])


# ---------------------------------------------------------------------------------- institutions
@cached
def institutions(view: ViewState) -> pd.DataFrame:
    """Care institutions of the region (filter: tier): beds, occupied, occupancy (%) and its level,
    the fullest first.

    A city has thousands of institutions (tens of thousands at production scale): occupancy, its
    level and the order are worked out on whole columns, not row by row (the same figures: the
    same division and rounding, each distinct occupancy levelled once)."""
    return _institutions_frame(fetch(_institutions_statement(view)), view)


INSTITUTION_COLUMNS = ["id", "name", "adcode", "lat", "lon", "tier", "beds", "occupied", "covers_population"]


def _institutions_statement(view: ViewState):
    statement = (select(*[C.c[name] for name in INSTITUTION_COLUMNS])
                 .where(C.c.adcode.in_(counties_under(view.region))))
    tiers = view.filter_values("tier")
    return statement.where(C.c.tier.in_(tiers)) if tiers else statement


@cached
@on_one_connection
def fullest_institutions(view: ViewState, limit: int = 10) -> pd.DataFrame:
    """The `limit` fullest institutions with beds: the first rows of `institutions`, picked in SQL
    (a city has tens of thousands at production scale): those that rounding to one decimal can put
    among the first (`leading_rows`), ordered as `institutions` orders them."""
    with_beds = _institutions_statement(view).where(C.c.beds > 0).cte("with_beds")
    occupancy = cast(with_beds.c.occupied, Float) * indicator(OCCUPANCY).factor / with_beds.c.beds
    frame = _institutions_frame(fetch(leading_rows(with_beds, occupancy, limit, 0.1)), view)
    return frame.dropna(subset=["occupancy"]).head(limit).reset_index(drop=True)


def _institutions_frame(rows: list[tuple], view: ViewState) -> pd.DataFrame:
    """Rows of INSTITUTION_COLUMNS as the frame of `institutions`."""
    names = INSTITUTION_COLUMNS
    if not rows:
        return _frame([], names + ["occupancy", "level", "county", "tier_name"])
    columns = dict(zip(names, zip(*rows)))  # one tuple of values per column, read once
    ind = indicator(OCCUPANCY)
    beds, occupied = np.array(columns["beds"]), np.array(columns["occupied"], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(beds > 0, np.round(ind.factor * occupied / beds, 1), math.nan)
    levels = {value: ind.level_of(float(value)) for value in np.unique(occupancy[~np.isnan(occupancy)])}
    region_name = region_names(view.lang)
    tier_name = {tier: _label("tier", tier, view.lang) for tier in set(columns["tier"])}
    frame = pd.DataFrame({**{name: list(values) for name, values in columns.items()}, "occupancy": occupancy,
                          "level": np.array([levels.get(value, 0) for value in occupancy.tolist()], dtype=np.int64),
                          "county": [region_name.get(adcode, math.nan) for adcode in columns["adcode"]],
                          "tier_name": [tier_name[tier] for tier in columns["tier"]]})
    # the fullest first, those without beds last (np.lexsort: the last key first)
    missing = np.isnan(occupancy)
    order = np.lexsort((np.array(columns["id"]), -np.where(missing, 0.0, occupancy), missing))
    return frame.iloc[order].reset_index(drop=True)


@cached
@on_one_connection
def tiers(view: ViewState) -> pd.DataFrame:
    """The tiers of centres (县级指导中心, 街道中心, 社区站) and the care homes: how many, beds,
    occupancy, and coverage (% of the region's residents aged 60+ in their service areas)."""
    statement = (select(C.c.tier, func.count(), func.sum(C.c.beds), func.sum(C.c.occupied),
                        func.sum(C.c.covers_population))
                 .where(C.c.adcode.in_(counties_under(view.region))).group_by(C.c.tier))
    chosen = view.filter_values("tier")
    if chosen:
        statement = statement.where(C.c.tier.in_(chosen))
    counts = {tier: [int(v or 0) for v in figures] for tier, *figures in fetch(statement)}
    summary = population_summary(view)
    aged = float(summary["aged_60"].iloc[0]) if not summary.empty else None
    ind = indicator(OCCUPANCY)
    rows = []
    for tier in TIERS:
        institutions_, beds, occupied, covers = counts.get(tier, [0, 0, 0, 0])
        occupancy = _rounded(ind.factor * occupied / beds, 1) if beds > 0 else math.nan
        # care homes serve their residents, not an area: no coverage
        coverage = round(min(100.0, 100 * covers / aged), 1) if aged and tier != "nursing_home" else None
        rows.append((tier, _label("tier", tier, view.lang), institutions_, beds, occupied, occupancy,
                     ind.level_of(occupancy) if not math.isnan(occupancy) else 0, covers, coverage))
    return _frame(rows, ["tier", "name", "institutions", "beds", "occupied", "occupancy", "level", "covers",
                         "coverage"])


# ---------------------------------------------------------------------------------- home care
def _home_care_sums(view: ViewState, periods: list[tuple[date, date]], by_kind: bool, grain: str | None = None):
    """Home-care services of the view's region (and chosen kinds, filter `service`) summed per
    period and kind or bucket (`grain`): rows (period number, kind or bucket, services), read from
    summary_home_care's pieces of each period (a year at the city is some twenty rows per kind, not
    seven counties' three hundred days), one statement for all periods."""
    kinds = list(view.filter_values("service"))
    keys = [CARE.c.kind] if by_kind else [CARE.c.period, CARE.c.start]
    parts = []
    for number, (start, end) in enumerate(periods):
        where = [CARE.c.adcode == view.region, runs_condition(CARE, pieces(start, end, grain or "month"))]
        if kinds:
            where.append(CARE.c.kind.in_(kinds))
        parts.append(select(literal_column(str(number)), *keys, func.sum(CARE.c.services))
                     .where(*where).group_by(*keys))
    rows = fetch(parts[0] if len(parts) == 1 else union_all(*parts))
    if by_kind:
        return [(number, kind, int(services)) for number, kind, services in rows]
    buckets: dict[tuple, int] = {}  # each bucket sums the pieces that lie in it
    for number, period, start, services in sorted(rows, key=lambda row: (row[0], as_date(row[2]))):
        day = bucket_of(period, as_date(start), grain)
        key = (number, day if grain == "day" else bucket_label(day, grain))
        buckets[key] = buckets.get(key, 0) + int(services)
    return [(*key, services) for key, services in buckets.items()]


@cached
def services_by_kind(view: ViewState) -> pd.DataFrame:
    """Home-care services of the range by kind, with the same period last year
    (columns kind, name, services, last_year, change (%)), the most used first."""
    sums: list[dict] = [{}, {}]
    for number, kind, services in _home_care_sums(view.clear_filters(), [(view.start, view.end),
                                                                         view.same_period_last_year()], True):
        sums[int(number)][kind] = services
    current, last_year = sums
    rows = []
    for kind in SERVICE_KINDS:
        services, before = current.get(kind, 0), last_year.get(kind, math.nan)
        change = _rounded((services - before) / before * 100, 1) if before > 0 else math.nan
        rows.append((kind, _label("service", kind, view.lang), services, before, change))
    rows.sort(key=lambda row: (-row[2], row[0]))
    frame = _frame(rows, ["kind", "name", "services", "last_year", "change"])
    if not last_year:  # nothing to compare with: columns of objects, as a frame of no rows joined gives them
        frame = frame.astype({"last_year": object, "change": object})
    return frame


@cached
def services_trend(view: ViewState) -> pd.DataFrame:
    """Home-care services over the range with the same period last year (filter: service);
    columns bucket, value, last_year."""
    grain = grain_for(view.start, view.end)
    parts: list[list] = [[], []]
    for number, bucket, services in _home_care_sums(view, [(view.start, view.end), view.same_period_last_year()],
                                                    False, grain):
        parts[int(number)].append((bucket, services))
    return align_last_year(_frame(parts[0], ["bucket", "value"]), _frame(parts[1], ["bucket", "last_year"]), grain)


# ---------------------------------------------------------------------------------- device calls
def _call_sums(view: ViewState, counties: list[str], keys: list, grain: str = "month") -> list[tuple]:
    """Device calls in these counties over the view's range (of its call kinds, filter `call`)
    summed by `keys` (columns of summary_device_call): rows (keys…, calls, Σ response seconds) read
    from the pieces of the range that fit buckets of `grain`, the sums as Python ints."""
    conditions = [CALLS.c.adcode.in_(counties), period_condition(CALLS, pieces(view.start, view.end, grain),
                                                                 dialect_name())]
    kinds = view.filter_values("call")
    if kinds:
        conditions.append(CALLS.c.kind.in_(kinds))
    rows = fetch(select(*keys, func.sum(CALLS.c.calls), func.sum(CALLS.c.seconds))
                 .where(*conditions).group_by(*keys))
    return [(*row[:-2], int(row[-2]), int(row[-1])) for row in rows]


@cached
def calls_by_kind(view: ViewState) -> pd.DataFrame:
    """Device calls of the range by kind (一键呼叫, 跌倒报警) and by how long the response took,
    banded by the catalogue thresholds of eldercare.response_seconds (level 0 = within the first;
    the thresholds summary_device_call was built with).

    Columns kind, level, calls, seconds, total, mean_response (per kind), name."""
    rows = _call_sums(view, counties_under(view.region), [CALLS.c.kind, CALLS.c.level])
    columns = ["kind", "level", "calls", "seconds"]
    if not rows:
        return pd.DataFrame(columns=columns)
    totals: dict[str, list[int]] = {}
    for kind, _, calls, seconds in rows:
        total = totals.setdefault(kind, [0, 0])
        total[0] += calls
        total[1] += seconds
    order = {kind: i for i, kind in enumerate(CALL_KINDS)}
    rows = sorted(rows, key=lambda row: (row[0] not in order, order.get(row[0], 0), int(row[1])))
    return _frame([(kind, int(level), calls, seconds, totals[kind][0], _rounded(totals[kind][1] / totals[kind][0], 1),
                    _label("call", kind, view.lang)) for kind, level, calls, seconds in rows],
                  columns + ["total", "mean_response", "name"])


@cached
def calls_trend(view: ViewState) -> pd.DataFrame:
    """Device calls and their mean response time over the range (filter: call);
    columns bucket, calls, mean_response, level (of the mean by the catalogue thresholds).
    Each bucket sums the pieces of the range that lie in it (days; weeks and days; months, weeks
    and days)."""
    grain = grain_for(view.start, view.end)
    buckets: dict = {}
    for period, start, calls, seconds in _call_sums(view, counties_under(view.region), [CALLS.c.period, CALLS.c.start],
                                                    grain):
        day = bucket_of(period, as_date(start), grain)
        total = buckets.setdefault(day if grain == "day" else bucket_label(day, grain), [0, 0])
        total[0] += calls
        total[1] += seconds
    if not buckets:
        return pd.DataFrame(columns=["bucket", "calls", "seconds"])
    ind = indicator(RESPONSE)
    rows = sorted((bucket, calls, _rounded(seconds / calls, 1)) for bucket, (calls, seconds) in buckets.items())
    frame = _frame([(bucket, calls, mean, ind.level_of(mean)) for bucket, calls, mean in rows],
                   ["bucket", "calls", "mean_response", "level"])
    if grain == "day":
        frame["bucket"] = pd.to_datetime(frame["bucket"])
    frame.attrs["grain"] = grain
    return frame


@cached
def response_by_region(view: ViewState) -> pd.DataFrame:
    """Calls and mean response time of each region a ranking compares (filter: call);
    columns adcode, name, calls, mean_response, level, selected; the slowest first."""
    regions, selected = ranking_regions(view.region, view.scope)
    owner = {county: region for region in regions for county in counties_under(region)}
    sums = {region: [0, 0] for region in regions}
    for adcode, calls, seconds in _call_sums(view, list(owner), [CALLS.c.adcode]):
        total = sums[owner[adcode]]
        total[0] += calls
        total[1] += seconds
    ind = indicator(RESPONSE)
    names = region_names(view.lang)
    rows = []
    for region in regions:
        calls, seconds = sums[region]
        mean = _rounded(seconds / calls, 1) if calls > 0 else math.nan
        rows.append((region, names.get(region, math.nan), calls, mean, ind.level_of(mean) if calls > 0 else 0,
                     region == selected))
    rows.sort(key=lambda row: row[0])  # ties of the mean: the smaller code first
    rows = sorted_by(rows, lambda row: row[3], ascending=False)
    return _frame(rows, ["adcode", "name", "calls", "mean_response", "level", "selected"])


# ---------------------------------------------------------------------------------- headline figures
KPI_INDICATORS = ("eldercare.ageing_rate", "eldercare.bed_occupancy", "eldercare.services", "eldercare.device_calls",
                  "eldercare.response_seconds")


@cached
@on_one_connection
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
