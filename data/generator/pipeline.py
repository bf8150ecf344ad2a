"""Writing generated data: the full history (`generate`) and the live mode (`live_tick`).

Both build the rows of a run of days with the same functions (`build_days`); a live tick just does
it for the current day with the cutoff at "now", appends the readings newer than the last tick,
replaces the current day's daily rows and advances open incidents along their closed loop.
The summary tables (data/summaries.py) follow in the same transaction: built for every day after
a full run, rebuilt by a tick for the days whose readings or incidents it changed.

parking_quarter is the hot store of 15-minute readings: only the last PARKING_HOT_DAYS days are
kept (its daily occupancy lives on in region_daily for every day).
"""
from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, delete, func, inspect, select, update

from core.settings import get_settings
from data import bulk
from data.catalogue import catalogue
from data.db import create_schema, get_engine
from data.generator import incidents as incident_module
from data.generator import series
from data.generator.drivers import build_drivers
from data.generator.entities import Context, build_context
from data.generator.indicators import DayInputs, county_values, long_rows, rolled_up
from data.generator.plan import plan_actuals, plan_targets
from data.models import (AirDaily, AirHourly, AirStation, CareInstitution, DataMeta, DeviceCall, ElderlyPopulation,
                         HazardSource, HomeCareDaily, Incident, IncidentType, ParkingLot, ParkingQuarter, PlanActual,
                         PlanTarget, PollutionSource, PollutionSourceDaily, Region, RegionDaily, RoadHourly, RoadSegment,
                         ScenicSpot, SpotHourly, VisitorOriginDaily, VisitorProfileDaily, WarningState, WaterMonthly,
                         WaterSection)
from data.summaries import SUMMARY_MODELS, refresh_days, refresh_summaries, summaries_of

log = logging.getLogger(__name__)

PARKING_HOT_DAYS = 90
# Rows of hourly and quarter-hourly readings per chunk of days (bounds memory at any scale).
ROWS_PER_CHUNK = 2_000_000
# Every table the generator fills, children before parents (the order rows are deleted in), the
# summaries first. Warnings judged on replaced data are meaningless, so warning_state is cleared with them.
GENERATED = (*SUMMARY_MODELS, RegionDaily, AirHourly, AirDaily, WaterMonthly, PollutionSourceDaily, SpotHourly,
             VisitorOriginDaily, VisitorProfileDaily, RoadHourly, ParkingQuarter, Incident, HomeCareDaily, DeviceCall,
             ElderlyPopulation, PlanTarget, PlanActual, WarningState, AirStation, WaterSection, PollutionSource,
             RoadSegment, ParkingLot, ScenicSpot, IncidentType, CareInstitution, HazardSource, Region)
# The big time-series tables, loaded with their secondary indexes dropped.
SERIES = (RegionDaily, AirHourly, AirDaily, PollutionSourceDaily, SpotHourly, VisitorOriginDaily, VisitorProfileDaily,
          RoadHourly, ParkingQuarter, Incident, HomeCareDaily, DeviceCall)


@dataclass
class GenerationReport:
    rows: dict[str, int]
    seconds: float
    first_day: date | None = None
    last_day: date | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass
class Chunk:
    """The generated rows of a run of days, by table, plus the county indicator rows."""

    frames: dict[type, pd.DataFrame]
    county_rows: pd.DataFrame
    incidents: pd.DataFrame


def _years(first: date, last: date) -> list[int]:
    return list(range(min(first.year, 2020), last.year + 1))


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def build_days(ctx: Context, days: list[date], cutoff: datetime, elderly: pd.DataFrame, water: pd.DataFrame,
               incidents: pd.DataFrame | None = None, closed: tuple[np.ndarray, np.ndarray] | None = None) -> Chunk:
    """All rows of `days` up to `cutoff`. `incidents` (reported on these days) are generated unless
    given; `closed` (incidents closed and closed on time per day and county) is needed for the
    on-time rate, which also depends on incidents reported before these days."""
    lead = build_drivers(ctx, [days[0] - timedelta(days=1)] + days)  # the day before feeds 24-hour means
    drv = lead.tail(1)
    arrivals, present = series.spot_hours(ctx, drv)
    air_hourly, air_daily = series.air_rows(ctx, lead, series.air_hours(ctx, lead), cutoff, skip_days=1)
    roads = series.road_rows(ctx, drv, cutoff)
    parking = series.parking_rows(ctx, drv, present, cutoff)
    sources = series.source_rows(ctx, drv, cutoff)
    if incidents is None:
        incidents = incident_module.incident_rows(ctx, drv, cutoff)
    calls = series.device_call_rows(ctx, drv, elderly, cutoff)
    home_care = series.home_care_rows(ctx, drv, elderly, cutoff)
    inputs = DayInputs(drv=drv, cutoff=cutoff, spot_arrivals=arrivals, air_daily=air_daily, sources=sources,
                       water=water, roads=roads, parking=parking, incidents=incidents,
                       closed=None if closed is None else closed[0],
                       closed_on_time=None if closed is None else closed[1],
                       calls=calls, home_care=home_care, elderly=elderly)
    county_rows = county_values(ctx, inputs)
    visitors = (county_rows[county_rows["indicator"] == "tourism.visitors"]["value"].to_numpy()
                .reshape(len(days), ctx.n_counties))
    frames = {
        SpotHourly: series.spot_hourly_rows(ctx, drv, arrivals, present, cutoff),
        AirHourly: air_hourly, AirDaily: air_daily, RoadHourly: roads, ParkingQuarter: parking,
        PollutionSourceDaily: sources, Incident: incidents, DeviceCall: calls, HomeCareDaily: home_care,
        VisitorOriginDaily: series.origin_rows(ctx, drv, visitors),
        VisitorProfileDaily: series.profile_rows(ctx, drv, visitors),
    }
    return Chunk(frames=frames, county_rows=county_rows, incidents=incidents)


def _region_rows(ctx: Context, elderly: pd.DataFrame, year: int) -> pd.DataFrame:
    """The root, everything below it, and the regions above it (for the breadcrumb only)."""
    population = elderly[elderly["year"] == year].set_index("adcode")["population"]
    tree = ctx.tree
    rows = []
    for info in tree.path(ctx.root)[:-1] + tree.all():
        inside = tree.exists(info.adcode)
        total = int(sum(population.get(c.adcode, 0) for c in tree.counties(info.adcode))) if inside else 0
        rows.append({"adcode": info.adcode, "name": info.name, "name_en": info.name_en, "level": info.level,
                     "parent_adcode": info.parent, "population": total, "lat": info.lat, "lon": info.lon})
    return pd.DataFrame(rows)


def _ontime_rows(ctx: Context, days: list[date], closed: np.ndarray, on_time: np.ndarray) -> pd.DataFrame:
    return long_rows(ctx, days, {"safety.ontime_rate": {"numerator": on_time, "denominator": closed}})


def _write_meta(conn: Connection, values: dict[str, str]) -> None:
    conn.execute(delete(DataMeta).where(DataMeta.key.in_(list(values))))
    conn.execute(DataMeta.__table__.insert(), [{"key": k, "value": v} for k, v in values.items()])


def _read_meta(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(DataMeta.key, DataMeta.value)).all())


def _range(end: date | None, years: int, days: int | None) -> tuple[date, date, datetime]:
    """First and last day, and the cutoff: now on today's date, else the end of the last day."""
    now = datetime.now().replace(microsecond=0)
    last = end or now.date()
    cutoff = now if end is None or end == now.date() else datetime.combine(last, series.END_OF_DAY)
    if days:
        first = last - timedelta(days=days - 1)
    else:
        try:
            first = last.replace(year=last.year - years) + timedelta(days=1)
        except ValueError:  # 29 February
            first = last.replace(year=last.year - years, day=28) + timedelta(days=1)
    return first, last, cutoff


def _chunk_days(ctx: Context) -> int:
    per_day = (len(ctx.segments) + len(ctx.spots) + len(ctx.stations)) * 24 + len(ctx.lots) * 96
    return int(np.clip(ROWS_PER_CHUNK // per_day, 1, 62))


def generate(url: str | None = None, *, scale: float = 1.0, seed: int = 20211, end: date | None = None,
             years: int = 3, days: int | None = None, root: str | None = None, progress=None) -> GenerationReport:
    """Replace all generated data with `years` (or `days`) of history ending on `end` (default: today,
    up to now) for the region tree of `root` (default: the configured region).

    `progress(fraction, message)` is called as the work advances. Same seed, scale, end and root give
    identical rows.
    """
    started = clock.perf_counter()
    settings = get_settings()
    url = url or settings.db_url
    root = root or settings.region_adcode
    first, last, cutoff = _range(end, years, days)
    ctx = build_context(root, int(seed), float(scale))
    all_days = _day_range(first, last)
    elderly = series.elderly_rows(ctx, _years(first, last))
    water = series.water_rows(ctx, _months(first, last))
    hot_from = np.datetime64(max(first, last - timedelta(days=PARKING_HOT_DAYS - 1)), "s")
    counts: dict[str, int] = {}

    def write(conn, model, frame):
        counts[model.__tablename__] = counts.get(model.__tablename__, 0) + bulk.insert_frame(
            conn, model.__table__, frame)

    create_schema(url)
    engine = get_engine(url)
    with bulk.loading_connection(engine) as conn, conn.begin():
        previous = _read_meta(conn).get("version", "0")
        bulk.clear_tables(conn, [m.__table__ for m in GENERATED])
        for model, frame in ((Region, _region_rows(ctx, elderly, last.year)), (ScenicSpot, ctx.spots),
                             (AirStation, ctx.stations), (WaterSection, ctx.sections), (PollutionSource, ctx.sources),
                             (RoadSegment, ctx.segments), (ParkingLot, ctx.lots), (CareInstitution, ctx.institutions),
                             (HazardSource, ctx.hazards), (IncidentType, incident_module.incident_type_rows()),
                             (ElderlyPopulation, elderly), (WaterMonthly, water), (PlanTarget, plan_targets(root)),
                             (PlanActual, plan_actuals(root, ctx.seed, last.year))):
            write(conn, model, frame)
        closed = np.zeros((len(all_days), ctx.n_counties))
        on_time = np.zeros_like(closed)
        step = _chunk_days(ctx)
        with bulk.secondary_indexes_dropped(conn, [m.__table__ for m in SERIES]):
            for start in range(0, len(all_days), step):
                days = all_days[start:start + step]
                chunk = build_days(ctx, days, cutoff, elderly, water)
                for model, frame in chunk.frames.items():
                    if model is ParkingQuarter:
                        frame = frame[frame["ts"] >= hot_from]
                    write(conn, model, frame)
                total, in_time = incident_module.closures(ctx, chunk.incidents, all_days)
                closed += total
                on_time += in_time
                write(conn, RegionDaily, rolled_up(ctx, chunk.county_rows))
                if start == 0:
                    _warn_missing_indicators(chunk.county_rows)
                if progress:
                    progress(min(start + step, len(all_days)) / len(all_days), f"{days[-1]:%Y-%m-%d}")
            write(conn, RegionDaily, rolled_up(ctx, _ontime_rows(ctx, all_days, closed, on_time)))
        refresh_summaries(conn, first, last, root=root)  # read through the raw tables' indexes, built again above
        for model in SUMMARY_MODELS:
            counts[model.__tablename__] = conn.execute(select(func.count()).select_from(model)).scalar()
        version = int(previous) + 1
        _write_meta(conn, {"version": str(version), "updated_at": cutoff.isoformat(), "first_day": first.isoformat(),
                           "last_day": last.isoformat(), "seed": str(ctx.seed), "scale": repr(ctx.scale),
                           "root": root, "parking_from": str(hot_from.astype("datetime64[D]"))})
    bulk.analyze(engine, [model.__table__ for model in GENERATED])
    return GenerationReport(rows=counts, seconds=clock.perf_counter() - started, first_day=first, last_day=last)


def _warn_missing_indicators(county_rows: pd.DataFrame) -> None:
    produced = set(county_rows["indicator"]) | {"safety.ontime_rate"}
    missing = [c for c, ind in catalogue().items() if ind.grain == "region_day" and c not in produced]
    if missing:
        log.warning("the demo generator has no recipe for indicator(s) %s: no data generated", ", ".join(missing))


# ------------------------------------------------------------------------------------------ live mode
def live_tick(url: str | None = None, now: datetime | None = None, seed: int | None = None) -> dict:
    """Bring generated data up to `now` (default: the clock): append the readings since the last
    tick, replace the current day's daily rows, advance open incidents along their closed loop and
    bump data_meta version/updated_at. Returns what changed (rows per table, version, updated_at)."""
    url = url or get_settings().db_url
    now = (now or datetime.now()).replace(microsecond=0)
    create_schema(url)
    engine = get_engine(url)
    with engine.begin() as conn:
        # Taking the write lock first serialises concurrent ticks.
        conn.execute(update(DataMeta).where(DataMeta.key == "version").values(value=DataMeta.value))
        meta = _read_meta(conn)
        if "updated_at" not in meta:
            raise RuntimeError("no generated data to continue: run `python -m data.generate` first")
        since = datetime.fromisoformat(meta["updated_at"])
        if now <= since:
            return {"version": int(meta["version"]), "updated_at": meta["updated_at"], "rows": {}}
        ctx = build_context(meta["root"], int(seed if seed is not None else meta["seed"]), float(meta["scale"]))
        first = date.fromisoformat(meta["first_day"])
        counts: dict[str, int] = {}
        step = _chunk_days(ctx)
        while since < now:  # after a long pause, catch up a chunk of days at a time
            stop = min(now, datetime.combine(since.date() + timedelta(days=step - 1), series.END_OF_DAY))
            for table, rows in _advance(conn, ctx, first, since, stop).items():
                counts[table] = counts.get(table, 0) + rows
            since = stop
        version = int(meta["version"]) + 1
        _write_meta(conn, {"version": str(version), "updated_at": now.isoformat(), "last_day": now.date().isoformat(),
                           "parking_from": max(first, now.date() - timedelta(days=PARKING_HOT_DAYS - 1)).isoformat()})
    return {"version": version, "updated_at": now.isoformat(), "rows": counts}


def _advance(conn: Connection, ctx: Context, first: date, since: datetime, now: datetime) -> dict[str, int]:
    days = _day_range(since.date(), now.date())
    window = _day_range(max(first, days[0] - timedelta(days=incident_module.WINDOW_DAYS)), now.date())
    elderly = series.elderly_rows(ctx, _years(first, now.date()))
    water = series.water_rows(ctx, _months(days[0], days[-1]))
    # Incidents of the last weeks, regenerated to the new cutoff: new ones and the next steps of open ones.
    incidents = incident_module.incident_rows(ctx, build_drivers(ctx, window), now)
    closed = incident_module.closures(ctx, incidents, days)
    reported = incidents["reported_at"].to_numpy()
    todays = incidents[reported >= np.datetime64(days[0], "s")]
    chunk = build_days(ctx, days, now, elderly, water, incidents=todays, closed=closed)
    counts: dict[str, int] = {}
    stamp = np.datetime64(since, "s")
    for model, column in ((SpotHourly, "ts"), (AirHourly, "ts"), (RoadHourly, "ts"), (ParkingQuarter, "ts"),
                          (DeviceCall, "ts")):
        frame = chunk.frames[model]
        counts[model.__tablename__] = bulk.insert_frame(conn, model.__table__, frame[frame[column] > stamp])
    counts["incident"] = bulk.insert_frame(conn, Incident.__table__, incidents[reported > stamp])
    updated = _update_incidents(conn, incidents[reported <= stamp], since, now)
    counts["incident_updated"] = len(updated)
    # Daily rows of the days touched: replaced whole.
    for model in (AirDaily, PollutionSourceDaily, VisitorOriginDaily, VisitorProfileDaily, HomeCareDaily):
        conn.execute(delete(model).where(model.day.between(days[0], days[-1])))
        counts[model.__tablename__] = bulk.insert_frame(conn, model.__table__, chunk.frames[model])
    conn.execute(delete(WaterMonthly).where(WaterMonthly.month.in_(list(water["month"]))))
    bulk.insert_frame(conn, WaterMonthly.__table__, water)
    years = sorted({d.year for d in days})
    conn.execute(delete(ElderlyPopulation).where(ElderlyPopulation.year.in_(years)))
    bulk.insert_frame(conn, ElderlyPopulation.__table__, elderly[elderly["year"].isin(years)])
    conn.execute(delete(RegionDaily).where(RegionDaily.day.between(days[0], days[-1])))
    counts["region_daily"] = bulk.insert_frame(conn, RegionDaily.__table__, rolled_up(ctx, chunk.county_rows))
    hot_from = datetime.combine(now.date() - timedelta(days=PARKING_HOT_DAYS - 1), time())
    oldest = conn.execute(select(func.min(ParkingQuarter.ts)).where(ParkingQuarter.ts < hot_from)).scalar()
    conn.execute(delete(ParkingQuarter).where(ParkingQuarter.ts < hot_from))
    # Summaries of the days changed: the new readings', spot hours' and device calls' days and the
    # days of the indicator, origin, home-care and pollution-source rows replaced (and the parking days that left the hot store); the new
    # incidents' days and the days on which the incidents that moved along their closed loop were reported.
    refresh_summaries(conn, days[0], days[-1], root=ctx.root,
                      tables=[name for raw in ("region_daily", "road_hourly", "spot_hourly", "visitor_origin_daily",
                                                 "home_care_daily", "device_call", "pollution_source_daily")
                              for name in summaries_of(raw)])
    left = [] if oldest is None else _day_range(pd.Timestamp(oldest).date(), hot_from.date() - timedelta(days=1))
    refresh_days(conn, [*days, *left], tables=summaries_of("parking_quarter"), root=ctx.root)
    moved_days = pd.to_datetime(updated["reported_at"]).dt.date
    refresh_days(conn, [*days, *moved_days], tables=summaries_of("incident"), root=ctx.root)
    return counts


def _update_incidents(conn: Connection, incidents: pd.DataFrame, since: datetime, now: datetime) -> pd.DataFrame:
    """Write the steps that open incidents reached between the last tick and now (and the overdue
    flag of those whose deadline passed); returns those incidents (id, reported_at and the columns
    written)."""
    lower, upper = np.datetime64(since, "s"), np.datetime64(now, "s")
    moved = np.zeros(len(incidents), dtype=bool)
    for column in incident_module.STEP_COLUMNS[1:] + ("deadline_at",):
        values = incidents[column].to_numpy()
        moved |= (values > lower) & (values <= upper)
    columns = [*incident_module.STEP_COLUMNS[1:], "status", "overdue", "satisfaction"]
    changed = incidents.loc[moved, ["id", "reported_at", *columns]]
    if changed.empty:
        return changed
    table = Incident.__table__
    statement = update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in columns})
    written = changed[["id", *columns]]
    params = [{f"b_{k}": _python(v) for k, v in zip(written.columns, row)}
              for row in written.itertuples(index=False, name=None)]
    conn.execute(statement, params)
    return changed


def _python(value):
    """A pandas/numpy scalar as the plain Python value a DB-API driver takes."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def run_live(url: str | None = None, interval_seconds: float = 5, stop_after: int | None = None) -> None:
    """Tick every `interval_seconds` until stopped (or after `stop_after` ticks). A failed tick (the
    database restarting, a lock held too long) is logged and retried at the next interval."""
    ticks = 0
    while stop_after is None or ticks < stop_after:
        try:
            result = live_tick(url)
            from data.alerts import evaluate_warnings  # here: data.alerts imports the query layer

            warnings = evaluate_warnings(url)  # the new values may raise or clear warnings
            log.info("live tick: version %s, data at %s, warnings %s", result["version"], result["updated_at"],
                     warnings)
        except Exception:  # noqa: BLE001 — an unattended loop must survive a bad tick
            log.exception("live tick failed; retrying in %s s", interval_seconds)
        ticks += 1
        if stop_after is None or ticks < stop_after:
            clock.sleep(interval_seconds)


def _stored_meta(url: str | None) -> dict[str, str]:
    engine = get_engine(url or get_settings().db_url)
    if not inspect(engine).has_table(DataMeta.__tablename__):
        return {}
    with engine.connect() as conn:
        return _read_meta(conn)


def has_data(url: str | None = None) -> bool:
    """Whether the database holds generated (or loaded) data to show and to continue live."""
    return "updated_at" in _stored_meta(url)


def data_today(url: str | None = None) -> date:
    """The day the data stand at (data_meta 'last_day'); today when nothing was generated yet."""
    value = _stored_meta(url).get("last_day")
    return date.fromisoformat(value) if value else date.today()
