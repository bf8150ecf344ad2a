"""Summary tables: pre-aggregated sums of the raw tables that the cockpits read over long ranges.

A year of road readings, incidents or scenic-spot hours is hundreds of thousands of rows at the
demo's scale and a hundred times more in production; the cockpits' year-to-date figures read a few
thousand summary rows instead, whatever the scale. Each summary is declared once below (its model
is in data/models.py) with the INSERT … SELECT … GROUP BY that builds its rows of a run of days from
the raw rows (summary_incident_status from summary_incident's):

  summary_region_period    indicator × region × period   region_daily's sums (KPIs, rankings, the map
                                                     over any range, by the catalogue's time_agg rule)
  summary_road_hour        region × hour stamp       road readings (traffic profiles by hour, weekday)
  summary_road_segment     county × segment × period road readings (rankings, chosen segments, holidays)
  summary_parking_quarter  region × quarter hour     parking readings (occupancy by hour)
  summary_incident         region × period × theme, type, source, severity, status, overdue
  summary_incident_status  region × period × theme, status, overdue (the same, several times smaller)
  summary_incident_cell    county × period × map cell × severity (incident density)
  summary_spot_day         scenic spot × period      arrivals, hours read (spot load and its peak day,
                                                     arrivals at chosen spots)
  summary_visitor_origin   region × period × origin province, origin city   visitors (客源地)
  summary_home_care        region × period × service kind   home-care services (by kind, trend)
  summary_device_call      county × period × call kind × response level band   calls, Σ response
                                                     seconds (elderly-care calls by kind, trend, by region)
  summary_source_day       pollution source × period  exceedances, online hours, the hours the days had
                                                     (key pollution sources' online rate)

Every measure is a sum or a count (but summary_region_period's largest value, which a week or
month takes the largest of), so that

  * rows of finer grain add up to coarser ones: a region above county sums its counties' rows, a
    week or a month (`period` 'week' starting on Monday, 'month') sums its days;
  * queries finish ratios and means from the sums exactly as they do from raw rows.

`refresh_summaries(conn, first, last)` deletes the summary rows of those days (and of the weeks
and months that contain them) and builds them again from the raw rows, inside the caller's
transaction: the generator calls it after a full run, every live tick for the days it changed, the
loader for the days a file touched (`summaries_of` a raw table). `check_summaries` rebuilds inside
a transaction it rolls back and compares (data/reconcile.py reports it). Rows are built for the
region tree of the deployment (the configured region, or the generator's root): a database whose
data came before these tables, or another region setting, needs `--rebuild`. summary_device_call
bands the calls by the catalogue thresholds of eldercare.response_seconds as they are when its rows
are built: after a threshold changes, `--check` reports its rows and `--rebuild --table
summary_device_call` builds them again.

A query over [first, last] reads `pieces(first, last)`: the whole months inside, then whole weeks,
then single days — a year is about twenty pieces, not 365 days.

    python -m data.summaries --rebuild [--database-url URL]   rebuild every summary of a database
    python -m data.summaries --check [--database-url URL]     compare them with the raw rows
    (either with --table NAME: only that summary)
"""
from __future__ import annotations

import argparse
import sys
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)

from data.bulk import analyze
from data.catalogue import indicator
from data.models import (
    DeviceCall,
    HomeCareDaily,
    PollutionSourceDaily,
    Incident,
    IncidentType,
    ParkingLot,
    ParkingQuarter,
    RegionDaily,
    RoadHourly,
    RoadSegment,
    SpotHourly,
    SummaryDeviceCall,
    SummaryHomeCare,
    SummaryIncident,
    SummaryIncidentCell,
    SummaryIncidentStatus,
    SummaryParkingQuarter,
    SummaryRegionPeriod,
    SummaryRoadHour,
    SummaryRoadSegment,
    SummarySourceDay,
    SummarySpotDay,
    SummaryVisitorOrigin,
    VisitorOriginDaily,
)
from data.regions import RegionTree, region_tree

DENSITY_CELLS_PER_DEGREE = 10  # map cells of 0.1° (about 10 km): a hundred or so over a city
CHUNK_DAYS = 31  # days built per statement: bounds the database's sort and hash memory at any scale
# The steps of the closed loop with a time limit (minutes from the report), and their limit columns.
STEP_LIMITS = {"accepted": "accept_limit_min", "dispatched": "dispatch_limit_min", "handled": "handle_limit_min",
               "closed": "close_limit_min"}
ROAD_SUMS = ("s_congestion", "s_speed", "volume", "plain_congestion", "plain_speed", "readings")

R = RoadHourly.__table__
S = RoadSegment.__table__
I = Incident.__table__
T = IncidentType.__table__
P = ParkingQuarter.__table__
L = ParkingLot.__table__
H = SpotHourly.__table__
O = VisitorOriginDaily.__table__
D = DeviceCall.__table__
PS = PollutionSourceDaily.__table__
RESPONSE = "eldercare.response_seconds"


# ------------------------------------------------------------------------------------ periods
def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_end(period: str, start: date) -> date:
    """The last day of the period that begins on `start`."""
    if period == "month":
        return next_month(start) - timedelta(days=1)
    return start + timedelta(days=6 if period == "week" else 0)


def pieces(first: date, last: date, largest: str = "month") -> list[tuple[str, date]]:
    """(period, start) of the summary rows that cover the days [first, last] exactly once: the whole
    months inside, then the whole weeks (Monday to Sunday) inside what is left, then single days.
    `largest` 'week' leaves months out (buckets of weeks), 'day' gives days only."""
    out: list[tuple[str, date]] = []

    def weeks_and_days(a: date, b: date) -> None:
        if largest != "day":
            monday = a + timedelta(days=(7 - a.weekday()) % 7)
            while a <= b and a < monday:
                out.append(("day", a))
                a += timedelta(days=1)
            while a + timedelta(days=6) <= b:
                out.append(("week", a))
                a += timedelta(days=7)
        while a <= b:
            out.append(("day", a))
            a += timedelta(days=1)

    if first > last:
        return out
    if largest != "month":
        weeks_and_days(first, last)
        return out
    month = first if first.day == 1 else next_month(first)
    if period_end("month", month) > last:  # no whole month inside
        weeks_and_days(first, last)
        return out
    weeks_and_days(first, month - timedelta(days=1))
    while period_end("month", month) <= last:
        out.append(("month", month))
        month = next_month(month)
    weeks_and_days(month, last)
    return out


def period_condition(table, spans: Iterable[tuple[str, date]], dialect: str, *, few_keys: bool = False):
    """WHERE condition: the summary rows of these (period, start) pieces, in the form each database
    reads fastest through the primary key. PostgreSQL: one term per period (runs of consecutive
    days as ranges), OR-ed into a bitmap; with `few_keys` (the rows of a short list of entities,
    the key's last column) the days are listed too, so that the key is searched for each day and
    entity instead of read along each run of days. SQLite: the periods and the starts as two lists
    the key is searched with, the exact pairs kept by a CASE — its OR of terms would first collect
    the keys of every matching row to drop duplicates, which costs more than the sums."""
    starts: dict[str, list[date]] = defaultdict(list)
    for period, start in spans:
        starts[period].append(start)
    if not starts:
        return literal(False)
    if dialect == "sqlite":
        every = sorted({day for days in starts.values() for day in days})
        condition = and_(table.c.period.in_(sorted(starts)), table.c.start.in_(every))
        if len(starts) == 1:
            return condition
        exact = case(*[(table.c.period == period, table.c.start.in_(sorted(days))) for period, days in starts.items()])
        return and_(condition, exact)
    parts = [and_(table.c.period == period, table.c.start.in_(sorted(days)))
             for period, days in starts.items() if period != "day" or few_keys]
    for first, last in [] if few_keys else _runs(starts.get("day", [])):
        parts.append(and_(table.c.period == "day", table.c.start.between(first, last)))
    return or_(*parts)


def piece_runs(spans: Iterable[tuple[str, date]]) -> list[tuple[str, date, date]]:
    """(period, first start, last start) of the runs of consecutive pieces of each kind: a year to
    date is a run of months, two of weeks and a few of days, each read as one range of the key."""
    following = {"day": lambda d: d + timedelta(days=1), "week": lambda d: d + timedelta(days=7),
                 "month": next_month}
    runs: list[list] = []
    for period, start in sorted(spans, key=lambda span: (span[0], span[1])):
        if runs and runs[-1][0] == period and following[period](runs[-1][2]) == start:
            runs[-1][2] = start
        else:
            runs.append([period, start, start])
    return [(period, first, last) for period, first, last in runs]


def runs_condition(table, spans: Iterable[tuple[str, date]]):
    """WHERE condition: the summary rows of these pieces as ranges of runs of consecutive pieces (for
    tables with a row or a few per key and piece, where searching the key once per run beats once
    per start)."""
    runs = piece_runs(spans)
    if not runs:
        return literal(False)
    return or_(*[and_(table.c.period == period, table.c.start.between(first, last)) for period, first, last in runs])


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    return [(first, last) for _, first, last in piece_runs(("day", day) for day in set(days))]


def bucket_of(period: str, start: date, grain: str) -> date:
    """The bucket (first day of the day, ISO week or month) that a piece of `pieces(…, grain)` lies in."""
    if grain == "day" or period == grain:
        return start
    return week_start(start) if grain == "week" else month_start(start)


# ------------------------------------------------------------------------------ SQL by dialect
def day_of(column, dialect: str):
    """The calendar day of a timestamp column."""
    return cast(column, Date) if dialect == "postgresql" else func.date(column)


def hour_of(column, dialect: str):
    if dialect == "postgresql":
        return cast(func.extract("hour", column), Integer)
    return cast(func.strftime("%H", column), Integer)


def weekday_of(column, dialect: str):
    """0 = Monday … 6 = Sunday."""
    if dialect == "postgresql":
        return cast(func.extract("isodow", column), Integer) - 1
    return (cast(func.strftime("%w", column), Integer) + 6) % 7


def time_number(column, dialect: str):
    """A timestamp ready for `minutes_of`, NULL for NULL: on SQLite its Julian day, so that a text
    time is parsed once per row however often the minutes are used; PostgreSQL subtracts its
    timestamps directly (the epoch of each one, numeric, costs more than the interval's)."""
    return column if dialect == "postgresql" else func.julianday(column)


def minutes_of(later, earlier, dialect: str):
    """Minutes between two `time_number`s (NULL when either is NULL)."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 60.0
    return (later - earlier) * 1440.0


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


# ------------------------------------------------------------------------------ region layers
def _layers(tree: RegionTree) -> list[dict[str, str]]:
    """county → its ancestor of one level (city, then province), one map per level, for the regions
    of the deployment above county: each region's rows are the sum of its counties' rows."""
    maps: dict[str, dict[str, str]] = {"city": {}, "province": {}}
    for county in tree.counties():
        for region in tree.path(county.adcode):
            if region.level in maps and tree.contains(region.adcode):
                maps[region.level][county.adcode] = region.adcode
    return [m for m in maps.values() if m]


@dataclass
class Build:
    """What a refresh needs besides the days: the connection's dialect and the region tree."""

    conn: Connection
    tree: RegionTree

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def counties(self) -> list[str]:
        return [c.adcode for c in self.tree.counties()]


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())


def _insert(conn: Connection, table, statement) -> None:
    conn.execute(insert(table).from_select([c.name for c in statement.selected_columns], statement))


def _roll_regions(build: Build, table, first: date, last: date, time_condition, keys: list[str], sums: list[str],
                  layers: list[dict[str, str]]) -> None:
    """Rows of the regions above county from the county rows: Σ over the counties under each."""
    for layer in layers:
        region = case(layer, value=table.c.adcode)
        group = [region] + [table.c[k] for k in keys]
        statement = (select(region.label("adcode"), *[table.c[k] for k in keys],
                            *[func.sum(table.c[m]).label(m) for m in sums])
                     .where(table.c.adcode.in_(list(layer)), *time_condition(table, first, last))
                     .group_by(*group))
        _insert(build.conn, table, statement)


# ------------------------------------------------------------------------------ the summaries
def road_sums(rows) -> list:
    """The additive sums from which volume-weighted congestion and speed follow
    (data.queries.traffic._finish_weighted); being sums, rows grouped finer add up to coarser ones."""
    return [func.sum(rows.c.congestion_index * rows.c.volume).label("s_congestion"),
            func.sum(rows.c.speed_kmh * rows.c.volume).label("s_speed"),
            func.sum(rows.c.volume).label("volume"),
            func.sum(rows.c.congestion_index).label("plain_congestion"),
            func.sum(rows.c.speed_kmh).label("plain_speed"),
            func.count().label("readings")]


def _ts_between(table, first: date, last: date) -> list:
    low, high = _day_bounds(first, last)
    return [table.c.ts >= low, table.c.ts < high]


def _days_between(table, first: date, last: date) -> list:
    return [table.c.period == "day", table.c.start >= first, table.c.start <= last]


def _build_road_hour(build: Build, first: date, last: date) -> None:
    table = SummaryRoadHour.__table__
    dialect = build.dialect
    low, high = _day_bounds(first, last)
    statement = (select(S.c.adcode, R.c.ts, day_of(R.c.ts, dialect).label("day"),
                        weekday_of(R.c.ts, dialect).label("weekday"), hour_of(R.c.ts, dialect).label("hour"),
                        *road_sums(R))
                 .select_from(R.join(S, S.c.id == R.c.segment_id))
                 .where(R.c.ts >= low, R.c.ts < high, S.c.adcode.in_(build.counties()))
                 .group_by(S.c.adcode, R.c.ts))
    _insert(build.conn, table, statement)
    _roll_regions(build, table, first, last, _ts_between, ["ts", "day", "weekday", "hour"], list(ROAD_SUMS),
                  _layers(build.tree))


def _build_road_segment(build: Build, first: date, last: date) -> None:
    day = day_of(R.c.ts, build.dialect)
    low, high = _day_bounds(first, last)
    statement = (select(S.c.adcode, literal("day", String).label("period"), day.label("start"), R.c.segment_id,
                        *road_sums(R))
                 .select_from(R.join(S, S.c.id == R.c.segment_id))
                 .where(R.c.ts >= low, R.c.ts < high, S.c.adcode.in_(build.counties()))
                 .group_by(day, S.c.adcode, R.c.segment_id))
    _insert(build.conn, SummaryRoadSegment.__table__, statement)


def _build_parking_quarter(build: Build, first: date, last: date) -> None:
    table = SummaryParkingQuarter.__table__
    low, high = _day_bounds(first, last)
    statement = (select(L.c.adcode, P.c.ts, func.sum(P.c.occupied).label("occupied"),
                        func.sum(L.c.spaces).label("spaces"))
                 .select_from(P.join(L, L.c.id == P.c.lot_id))
                 .where(P.c.ts >= low, P.c.ts < high, L.c.adcode.in_(build.counties()))
                 .group_by(L.c.adcode, P.c.ts))
    _insert(build.conn, table, statement)
    _roll_regions(build, table, first, last, _ts_between, ["ts"], ["occupied", "spaces"], _layers(build.tree))


INCIDENT_KEYS = ["theme", "type_code", "source", "severity", "status", "overdue"]
INCIDENT_SUMS = ["incidents", *STEP_LIMITS, "visited", *[f"{s}_minutes" for s in STEP_LIMITS],
                 *[f"{s}_limits" for s in STEP_LIMITS], *[f"{s}_within" for s in STEP_LIMITS]]


def _incident_rows(build: Build, first: date, last: date, region, where: list):
    """The day rows of the incidents reported in [first, last] that `where` chooses, as region `region`."""
    dialect = build.dialect
    low, high = _day_bounds(first, last)
    # each time made a number once per row (SQLite's julianday); minutes are read twice per step
    times = (select(region.label("adcode"), day_of(I.c.reported_at, dialect).label("day"),
                    *[I.c[k] for k in INCIDENT_KEYS], time_number(I.c.reported_at, dialect).label("t_reported"),
                    *[time_number(I.c[f"{s}_at"], dialect).label(f"t_{s}") for s in (*STEP_LIMITS, "visited")],
                    *[T.c[limit].label(f"limit_{s}") for s, limit in STEP_LIMITS.items()])
             .select_from(I.outerjoin(T, T.c.code == I.c.type_code))
             .where(I.c.reported_at >= low, I.c.reported_at < high, *where))
    if dialect == "sqlite":
        # SQLite would merge the subquery into the aggregate and evaluate julianday() wherever the
        # outer query names a time; a LIMIT (-1: none) keeps it a separate step
        times = times.limit(-1)
    times = times.subquery("times")
    columns = [func.count().label("incidents")]
    columns += [func.count(times.c[f"t_{s}"]).label(s) for s in (*STEP_LIMITS, "visited")]
    for step in STEP_LIMITS:
        minutes = minutes_of(times.c[f"t_{step}"], times.c.t_reported, dialect)
        columns.append(func.coalesce(func.sum(minutes), 0.0).label(f"{step}_minutes"))
    for step in STEP_LIMITS:
        reached = times.c[f"t_{step}"].is_not(None)
        columns.append(func.coalesce(func.sum(case((reached, times.c[f"limit_{step}"]))), 0).label(f"{step}_limits"))
    for step in STEP_LIMITS:
        minutes = minutes_of(times.c[f"t_{step}"], times.c.t_reported, dialect)
        columns.append(_count_if(and_(times.c[f"t_{step}"].is_not(None), minutes <= times.c[f"limit_{step}"]))
                       .label(f"{step}_within"))
    keys = [times.c.adcode, times.c.day, *[times.c[k] for k in INCIDENT_KEYS]]
    return (select(times.c.adcode, literal("day", String).label("period"), times.c.day.label("start"),
                   *[times.c[k] for k in INCIDENT_KEYS], *columns)
            .group_by(*keys))


def _build_incident(build: Build, first: date, last: date) -> None:
    table = SummaryIncident.__table__
    root = build.tree.root
    counties = build.counties()
    _insert(build.conn, table, _incident_rows(build, first, last, I.c.adcode, [I.c.adcode.in_(counties)]))
    # the regions between counties and the root from the county rows; the root counts every
    # incident, as incidents.incident_conditions does at the root
    layers = [{county: region for county, region in layer.items() if region != root}
              for layer in _layers(build.tree)]
    _roll_regions(build, table, first, last, _days_between, ["period", "start", *INCIDENT_KEYS], INCIDENT_SUMS,
                  [layer for layer in layers if layer])
    _insert(build.conn, table, _incident_rows(build, first, last, literal(root, String), []))


def _build_incident_status(build: Build, first: date, last: date) -> None:
    """From summary_incident's day rows (refreshed first): the same sums without type, source, severity."""
    wide = SummaryIncident.__table__
    keys = [wide.c.adcode, wide.c.start, wide.c.theme, wide.c.status, wide.c.overdue]
    statement = (select(wide.c.adcode, literal("day", String).label("period"), wide.c.start, wide.c.theme,
                        wide.c.status, wide.c.overdue, *[func.sum(wide.c[m]).label(m) for m in INCIDENT_SUMS])
                 .where(*_days_between(wide, first, last), wide.c.adcode.in_([r.adcode for r in build.tree.all()]))
                 .group_by(*keys))
    _insert(build.conn, SummaryIncidentStatus.__table__, statement)


def _build_incident_cell(build: Build, first: date, last: date) -> None:
    low, high = _day_bounds(first, last)
    day = day_of(I.c.reported_at, build.dialect)
    cell_lat = cast(func.round(I.c.lat * DENSITY_CELLS_PER_DEGREE), Integer)
    cell_lon = cast(func.round(I.c.lon * DENSITY_CELLS_PER_DEGREE), Integer)
    statement = (select(literal("day", String).label("period"), day.label("start"), I.c.adcode,
                        cell_lat.label("cell_lat"), cell_lon.label("cell_lon"), I.c.severity,
                        func.count().label("incidents"), _count_if(I.c.overdue.is_(True)).label("overdue"),
                        func.sum(I.c.lat).label("lat_sum"), func.sum(I.c.lon).label("lon_sum"))
                 .where(I.c.reported_at >= low, I.c.reported_at < high)
                 .group_by(day, I.c.adcode, cell_lat, cell_lon, I.c.severity))
    _insert(build.conn, SummaryIncidentCell.__table__, statement)


def _build_spot_day(build: Build, first: date, last: date) -> None:
    day = day_of(H.c.ts, build.dialect)
    low, high = _day_bounds(first, last)
    statement = (select(literal("day", String).label("period"), day.label("start"), H.c.spot_id,
                        func.sum(H.c.arrivals).label("arrivals"), func.count().label("hours"))
                 .where(H.c.ts >= low, H.c.ts < high)
                 .group_by(day, H.c.spot_id))
    _insert(build.conn, SummarySpotDay.__table__, statement)


ORIGIN_KEYS = ["origin_province", "origin_city"]


def _build_visitor_origin(build: Build, first: date, last: date) -> None:
    """The counties' day rows (the raw rows of the deployment's counties), then the regions above."""
    table = SummaryVisitorOrigin.__table__
    statement = (select(O.c.adcode, literal("day", String).label("period"), O.c.day.label("start"),
                        *[O.c[k] for k in ORIGIN_KEYS], func.sum(O.c.visitors).label("visitors"))
                 .where(O.c.day >= first, O.c.day <= last, O.c.adcode.in_(build.counties()))
                 .group_by(O.c.adcode, O.c.day, *[O.c[k] for k in ORIGIN_KEYS]))
    _insert(build.conn, table, statement)
    _roll_regions(build, table, first, last, _days_between, ["period", "start", *ORIGIN_KEYS], ["visitors"],
                  _layers(build.tree))


HC = HomeCareDaily.__table__


def _build_home_care(build: Build, first: date, last: date) -> None:
    """The counties' day rows (the raw rows of the deployment's counties), then the regions above."""
    table = SummaryHomeCare.__table__
    statement = (select(HC.c.adcode, literal("day", String).label("period"), HC.c.day.label("start"), HC.c.kind,
                        HC.c.services)
                 .where(HC.c.day >= first, HC.c.day <= last, HC.c.adcode.in_(build.counties())))
    _insert(build.conn, table, statement)
    _roll_regions(build, table, first, last, _days_between, ["period", "start", "kind"], ["services"],
                  _layers(build.tree))


def response_level(seconds):
    """The warning level of one call's response time (`seconds`, a column) by the catalogue
    thresholds of eldercare.response_seconds, in SQL: 0 within the first threshold … 4 beyond the
    last."""
    whens = [(seconds >= threshold, literal(level))
             for level, threshold in reversed(list(enumerate(indicator(RESPONSE).thresholds, start=1)))]
    return case(*whens, else_=literal(0))


def _build_device_call(build: Build, first: date, last: date) -> None:
    """The counties' day rows: calls and Σ response seconds by kind and response level band (the
    catalogue thresholds now: a later change of them needs a rebuild of this summary)."""
    day = day_of(D.c.ts, build.dialect)
    level = response_level(D.c.response_seconds).label("level")
    low, high = _day_bounds(first, last)
    statement = (select(D.c.adcode, literal("day", String).label("period"), day.label("start"), D.c.kind, level,
                        func.count().label("calls"), func.sum(D.c.response_seconds).label("seconds"))
                 .where(D.c.ts >= low, D.c.ts < high, D.c.adcode.in_(build.counties()))
                 .group_by(D.c.adcode, day, D.c.kind, level))
    _insert(build.conn, SummaryDeviceCall.__table__, statement)


def _build_source_day(build: Build, first: date, last: date) -> None:
    """One row per source and day; its expected hours are the day's length so far, the most hours any
    key source was online that day (data.queries.environment.source_status)."""
    day_length = (select(PS.c.day, func.max(PS.c.online_hours).label("hours"))
                  .where(PS.c.day.between(first, last)).group_by(PS.c.day).subquery())
    statement = (select(literal("day", String).label("period"), PS.c.day.label("start"), PS.c.source_id,
                        cast(PS.c.exceedances, Integer).label("exceedances"), PS.c.online_hours,
                        day_length.c.hours.label("expected_hours"), literal(1, Integer).label("days"))
                 .join(day_length, day_length.c.day == PS.c.day)
                 .where(PS.c.day.between(first, last)))
    _insert(build.conn, SummarySourceDay.__table__, statement)


RD = RegionDaily.__table__
REGION_SUMS = ("n_value", "s_value", "s_vw", "s_w", "s_num", "s_den")


def _build_region_period(build: Build, first: date, last: date) -> None:
    """region_daily's rows as day rows (it holds every level of region already): the sums of one day."""
    statement = (select(RD.c.indicator, RD.c.adcode, literal("day", String).label("period"), RD.c.day.label("start"),
                        case((RD.c.value.is_(None), 0), else_=1).label("n_value"), RD.c.value.label("s_value"),
                        RD.c.value.label("m_value"), (RD.c.value * RD.c.weight).label("s_vw"),
                        RD.c.weight.label("s_w"), RD.c.numerator.label("s_num"), RD.c.denominator.label("s_den"))
                 .where(RD.c.day.between(first, last)))
    _insert(build.conn, SummaryRegionPeriod.__table__, statement)


@dataclass(frozen=True)
class Summary:
    """One summary table: how its rows of a run of days are built, which raw tables they come from,
    and (periodic ones) its key columns besides period/start and its sums, for weeks and months."""

    model: type
    sources: tuple[str, ...]  # the raw tables whose changes it must follow
    build_days: Callable[[Build, date, date], None]
    keys: tuple[str, ...] = ()
    sums: tuple[str, ...] = ()
    maxes: tuple[str, ...] = ()  # measures a week or month takes the largest of, not the sum
    periodic: bool = True
    by_region: bool = False  # keyed first by the regions of the deployment (its rows are found through them)
    needs: tuple[str, ...] = ()  # summaries it is built from, refreshed before it

    @property
    def table(self):
        return self.model.__table__

    @property
    def name(self) -> str:
        return self.model.__tablename__

    def _regions(self, tree: RegionTree) -> list:
        """The condition through which rows are found in a table keyed first by region."""
        return [self.table.c.adcode.in_([r.adcode for r in tree.all()])] if self.by_region else []

    def delete_days(self, conn: Connection, first: date, last: date, tree: RegionTree) -> None:
        condition = _days_between if self.periodic else _ts_between
        conn.execute(delete(self.table).where(*condition(self.table, first, last), *self._regions(tree)))

    def roll_up(self, conn: Connection, days: Iterable[date], tree: RegionTree) -> None:
        """The week and month rows that contain these days, again from their day rows."""
        if not self.periodic:
            return
        table = self.table
        periods = sorted({(period, step(day)) for day in days
                          for period, step in (("week", week_start), ("month", month_start))})
        for period, start in periods:
            conn.execute(delete(table).where(table.c.period == period, table.c.start == start, *self._regions(tree)))
            statement = (select(literal(period, String).label("period"), literal(start, Date).label("start"),
                                *[table.c[k] for k in self.keys], *[func.sum(table.c[m]).label(m) for m in self.sums],
                                *[func.max(table.c[m]).label(m) for m in self.maxes])
                         .where(*_days_between(table, start, period_end(period, start)), *self._regions(tree))
                         .group_by(*[table.c[k] for k in self.keys]))
            _insert(conn, table, statement)


SUMMARIES: dict[str, Summary] = {s.name: s for s in (
    Summary(SummaryRegionPeriod, ("region_daily",), _build_region_period, ("indicator", "adcode"), REGION_SUMS,
            maxes=("m_value",)),
    Summary(SummaryRoadHour, ("road_hourly", "road_segment"), _build_road_hour, periodic=False, by_region=True),
    Summary(SummaryRoadSegment, ("road_hourly", "road_segment"), _build_road_segment, ("adcode", "segment_id"),
            ROAD_SUMS, by_region=True),
    Summary(SummaryParkingQuarter, ("parking_quarter", "parking_lot"), _build_parking_quarter, periodic=False,
            by_region=True),
    Summary(SummaryIncident, ("incident", "incident_type"), _build_incident, ("adcode", *INCIDENT_KEYS),
            tuple(INCIDENT_SUMS), by_region=True),
    Summary(SummaryIncidentStatus, ("incident", "incident_type"), _build_incident_status,
            ("adcode", "theme", "status", "overdue"), tuple(INCIDENT_SUMS), by_region=True,
            needs=("summary_incident",)),
    Summary(SummaryIncidentCell, ("incident",), _build_incident_cell, ("adcode", "cell_lat", "cell_lon", "severity"),
            ("incidents", "overdue", "lat_sum", "lon_sum")),
    Summary(SummarySpotDay, ("spot_hourly",), _build_spot_day, ("spot_id",), ("arrivals", "hours")),
    Summary(SummaryVisitorOrigin, ("visitor_origin_daily",), _build_visitor_origin, ("adcode", *ORIGIN_KEYS),
            ("visitors",), by_region=True),
    Summary(SummaryHomeCare, ("home_care_daily",), _build_home_care, ("adcode", "kind"), ("services",),
            by_region=True),
    Summary(SummaryDeviceCall, ("device_call",), _build_device_call, ("adcode", "kind", "level"),
            ("calls", "seconds"), by_region=True),
    Summary(SummarySourceDay, ("pollution_source_daily",), _build_source_day, ("source_id",),
            ("exceedances", "online_hours", "expected_hours", "days")),
)}
SUMMARY_MODELS = tuple(s.model for s in SUMMARIES.values())


def summaries_of(raw_table: str) -> list[str]:
    """The summaries built from a raw table (a load into it must refresh them)."""
    return [name for name, summary in SUMMARIES.items() if raw_table in summary.sources]


def _chosen(tables) -> list[Summary]:
    """The summaries named (default all), with those they are built from and those built from them,
    in the order of SUMMARIES (which builds the first before the second)."""
    if tables is None:
        return list(SUMMARIES.values())
    names = {t if isinstance(t, str) else t.__tablename__ for t in tables}
    unknown = sorted(n for n in names if n not in SUMMARIES)
    if unknown:
        raise ValueError(f"not summary tables: {', '.join(unknown)}")
    names |= {need for n in names for need in SUMMARIES[n].needs}
    names |= {name for name, summary in SUMMARIES.items() if names & set(summary.needs)}
    return [summary for name, summary in SUMMARIES.items() if name in names]


def refresh_summaries(conn: Connection, first: date, last: date, tables=None, root: str | None = None) -> None:
    """Rebuild the summary rows of the days [first, last] (and of the weeks and months containing
    them) from the raw rows, inside the caller's transaction. `tables`: summary names or models
    (default all); `root`: the deployment's region (default the configured one)."""
    if first is None or last is None or first > last:
        return
    refresh_days(conn, [first + timedelta(days=i) for i in range((last - first).days + 1)], tables, root)


def refresh_days(conn: Connection, days: Iterable[date], tables=None, root: str | None = None) -> None:
    """`refresh_summaries` for any set of days: each run of consecutive days is built at once, and
    each week and month that holds one of the days is rolled up once."""
    runs = _runs(days)
    if not runs:
        return
    build = Build(conn, region_tree(root))
    for summary in _chosen(tables):
        for first, last in runs:
            summary.delete_days(conn, first, last, build.tree)
            start = first
            while start <= last:  # a chunk at a time: bounded sorts and hashes at any scale
                end = min(last, start + timedelta(days=CHUNK_DAYS - 1))
                summary.build_days(build, start, end)
                start = end + timedelta(days=1)
        summary.roll_up(conn, [day for first, last in runs
                               for day in (first + timedelta(days=i) for i in range((last - first).days + 1))],
                        build.tree)


def raw_days(conn: Connection) -> tuple[date | None, date | None]:
    """The first and last day of the raw rows the summaries are built from."""
    bounds = []
    for column in (RD.c.day, R.c.ts, I.c.reported_at, H.c.ts, O.c.day, HC.c.day, D.c.ts, PS.c.day):
        low, high = conn.execute(select(func.min(column), func.max(column))).one()
        bounds += [pd.Timestamp(v).date() for v in (low, high) if v is not None]
    return (min(bounds), max(bounds)) if bounds else (None, None)


def rebuild_summaries(conn: Connection, tables=None, root: str | None = None) -> dict[str, int]:
    """Empty the summaries and build them for every day of the raw rows; rows per summary."""
    chosen = _chosen(tables)
    for summary in chosen:
        conn.execute(delete(summary.table))
    first, last = raw_days(conn)
    refresh_summaries(conn, first, last, [s.name for s in chosen], root)
    return {s.name: conn.execute(select(func.count()).select_from(s.table)).scalar() for s in chosen}


def build_new_summaries(engine, names: list[str]) -> None:
    """Build summaries just created on a database that already holds raw rows (a newer release
    reads them; empty, its cockpits would show nothing), and tell the caches."""
    if not names:
        return
    with engine.begin() as conn:
        if raw_days(conn)[0] is None:
            return
        counts = rebuild_summaries(conn, names)
        _bump_version(conn)
    analyze(engine, [SUMMARIES[name].table for name in counts])


# ------------------------------------------------------------------------------ checking
@dataclass(frozen=True)
class SummaryDifference:
    table: str
    key: dict
    column: str  # a measure, or "row" when one side has no such row
    stored: float | None
    expected: float | None

    def describe(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        if self.column == "row":
            side = "stored but not in the raw rows" if self.expected is None else "missing"
            return f"{self.table} ({key}): row {side}"
        return f"{self.table} ({key}) {self.column}: stored {self.stored}, from the raw rows {self.expected}"


def _rows(conn: Connection, summary: Summary, first: date, last: date) -> pd.DataFrame:
    table = summary.table
    if summary.periodic:
        # every row of a period that overlaps [first, last]
        where = [table.c.start >= week_start(month_start(first)) - timedelta(days=7), table.c.start <= last]
    else:
        where = _ts_between(table, first, last)
    result = conn.execute(select(table).where(*where))
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if summary.periodic and len(frame):  # (an empty frame keeps its columns)
        frame = frame[[period_end(p, pd.Timestamp(s).date()) >= first for p, s in zip(frame["period"], frame["start"])]]
    return frame


def check_summaries(url: str | None = None, first: date | None = None, last: date | None = None, tables=None,
                    root: str | None = None, tolerance: float = 1e-9) -> list[SummaryDifference]:
    """Each summary's rows of [first, last] (default: every day of the raw rows) against the rows the
    raw tables give now: rebuilt inside a transaction that is rolled back, then compared."""
    from data.db import get_engine

    chosen = _chosen(tables)
    with get_engine(url).connect() as conn, conn.begin() as transaction:
        if first is None or last is None:
            low, high = raw_days(conn)
            first, last = first or low, last or high
        if first is None:
            return []
        stored = {s.name: _rows(conn, s, first, last) for s in chosen}
        refresh_summaries(conn, first, last, [s.name for s in chosen], root)
        expected = {s.name: _rows(conn, s, first, last) for s in chosen}
        transaction.rollback()
    differences: list[SummaryDifference] = []
    for summary in chosen:
        differences += _compare(summary, stored[summary.name], expected[summary.name], tolerance)
    return differences


def _compare(summary: Summary, stored: pd.DataFrame, expected: pd.DataFrame, tolerance: float):
    key = [c.name for c in summary.table.primary_key.columns]
    measures = [c.name for c in summary.table.columns if c.name not in key]
    for frame in (stored, expected):
        for column in key:
            if column in ("start", "ts"):
                frame[column] = pd.to_datetime(frame[column])
    merged = stored.merge(expected, on=key, how="outer", suffixes=("_stored", "_expected"), indicator="presence")
    out = []

    def keys_of(row) -> dict:
        return {k: row[k] for k in key}

    for row in merged[merged["presence"] != "both"].to_dict("records"):
        alone = row["presence"] == "left_only"
        out.append(SummaryDifference(summary.name, keys_of(row), "row", 1 if alone else None, None if alone else 1))
    both = merged[merged["presence"] == "both"]
    for column in measures:
        a, b = both[f"{column}_stored"], both[f"{column}_expected"]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            a, b = a.astype(float), b.astype(float)
            scale = np.maximum(1.0, np.maximum(a.abs(), b.abs()))
            wrong = ~(((a - b).abs() <= tolerance * scale) | (a.isna() & b.isna()))
        else:
            wrong = (a != b) & ~(a.isna() & b.isna())
        for row in both[wrong].to_dict("records"):
            out.append(SummaryDifference(summary.name, keys_of(row), column, row[f"{column}_stored"],
                                         row[f"{column}_expected"]))
    return out


# ------------------------------------------------------------------------------ command line
def main(argv: list[str] | None = None) -> int:
    from core.settings import get_settings
    from data.db import create_schema, get_engine

    parser = argparse.ArgumentParser(prog="python -m data.summaries", description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--rebuild", action="store_true",
                        help="create every summary table anew and build it from the raw rows")
    action.add_argument("--check", action="store_true", help="compare the summaries with the raw rows")
    parser.add_argument("--database-url", help="database URL (default: the configured database)")
    parser.add_argument("--table", action="append", choices=sorted(SUMMARIES), help="only this summary (repeatable)")
    args = parser.parse_args(argv)
    url = args.database_url or get_settings().db_url
    create_schema(url)
    engine = get_engine(url)
    started = clock.perf_counter()
    if args.rebuild:
        with engine.begin() as conn:
            for summary in _chosen(args.table):  # created anew: a changed definition takes effect
                summary.table.drop(conn, checkfirst=True)
                summary.table.create(conn)
            counts = rebuild_summaries(conn, args.table)
            _bump_version(conn)
        analyze(engine, [SUMMARIES[name].table for name in counts])  # PostgreSQL: vacuumed for index-only reads
        for name, rows in counts.items():
            print(f"{name:<24} {rows:>12,} rows")
        print(f"rebuilt in {clock.perf_counter() - started:.1f} s")
        return 0
    differences = check_summaries(url, tables=args.table)
    for difference in differences[:200]:
        print(difference.describe())
    print(f"{len(differences)} difference(s), {clock.perf_counter() - started:.1f} s")
    return 1 if differences else 0


def _bump_version(conn: Connection) -> None:
    """New summary rows change what queries answer: the query cache must not serve older answers."""
    from data.loader import bump_version

    bump_version(conn)


if __name__ == "__main__":
    sys.exit(main())
