"""城市安全 · City safety queries (SPEC §3.5): incidents by source, type, severity, status and county,
step times against their limits, hazard sources, and the map's incident density.

Every incident figure goes through `incidents.incident_conditions`, so each count here is exactly
the set of rows the incident desk shows for the same view and filters.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import indicator
from data.models import HazardSource
from data.queries.common import child_codes, grain_for, read, region_names
from data.queries.indicators import kpis as indicator_kpis
from data.queries.indicators import ranking
from data.queries.incidents import (OPEN_STATUSES, STAGES, STEP_LIMITS, I, T, computed_once, counts,
                                    incident_conditions, minutes_between, minutes_of, time_number)
from data.regions import region_tree

H = HazardSource.__table__
SOURCES = ("110", "119", "120", "122", "12345", "sensor", "complaint")
HAZARD_KINDS = ("hazmat", "fire_key")
DENSITY_CELLS_PER_DEGREE = 10  # cells of 0.1° (about 10 km): a hundred or so over a city


def _is_open():
    return I.c.status.in_(OPEN_STATUSES)


def _overdue():
    return I.c.overdue.is_(True)


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


KPI_INDICATORS = ("safety.video_online_rate", "safety.forest_fire_risk")


@cached
def kpis(view: ViewState) -> pd.DataFrame:
    """The cockpit's headline figures, one row each (columns key, value, change_prev, change_yoy,
    level, limit, within_share):

    incidents, open, open_overdue, ontime_rate   from the incident rows (they follow every filter),
                                                 with change vs the previous period and last year;
    accept_minutes, close_minutes                mean minutes from the report, mean limit, share within;
    safety.video_online_rate, safety.forest_fire_risk   catalogue indicators (region_daily);
    hazmat, fire_key                             hazard sources and fire-safety key units in the region.
    """
    current = counts(view)
    previous = counts(view.with_range(*view.previous_period()))
    last_year = counts(view.with_range(*view.same_period_last_year()))
    rows = []
    for key, column in (("incidents", "total"), ("open", "open"), ("open_overdue", "open_overdue"),
                        ("ontime_rate", "ontime_rate")):
        rows.append({"key": key, "value": current[column], "change_prev": _change(current[column], previous[column]),
                     "change_yoy": _change(current[column], last_year[column]),
                     "level": ontime_level(current[column]) if key == "ontime_rate" else 0})
    steps = step_times(view).set_index("step")
    for key, step in (("accept_minutes", "accepted"), ("close_minutes", "closed")):
        share = steps.loc[step, "within_share"]
        rows.append({"key": key, "value": steps.loc[step, "mean_minutes"], "limit": steps.loc[step, "mean_limit"],
                     "within_share": share, "level": ontime_level(share)})
    for row in indicator_kpis(view, KPI_INDICATORS).to_dict("records"):
        rows.append({"key": row["indicator"], "value": row["value"], "change_prev": row["change_prev"],
                     "change_yoy": row["change_yoy"], "level": row["level"]})
    hazards = hazards_by_county(view).groupby("kind")["sources"].sum()
    for kind in HAZARD_KINDS:
        rows.append({"key": kind, "value": int(hazards.get(kind, 0)), "level": 0})
    columns = ["key", "value", "change_prev", "change_yoy", "level", "limit", "within_share"]
    return pd.DataFrame(rows).reindex(columns=columns)


def _change(current, base) -> float | None:
    if current is None or base is None or pd.isna(current) or pd.isna(base) or base == 0:
        return None
    return (current - base) / abs(base) * 100.0


def ontime_level(rate: float | None) -> int:
    """Warning level of an on-time rate — or of any share of steps done within their limit —
    from the catalogue's thresholds of safety.ontime_rate."""
    return indicator("safety.ontime_rate").level_of(rate) if rate is not None and not pd.isna(rate) else 0


@cached
def step_times(view: ViewState) -> pd.DataFrame:
    """For each step with a limit (受理 派遣 处置 办结): how many incidents reached it, the mean
    minutes from the report, the mean limit, and the share reached within the limit (%)."""
    # each time parsed once per row (a step's minutes are read three times below)
    times = computed_once(select(I.c.type_code, time_number(I.c.reported_at).label("reported"),
                                 *[time_number(I.c[f"{step}_at"]).label(step) for step in STEP_LIMITS])
                          .where(*incident_conditions(view))).subquery("times")
    columns = []
    for step, limit in STEP_LIMITS.items():
        at = times.c[step]
        minutes = minutes_of(at, times.c.reported)
        columns += [func.count(at).label(f"{step}_n"), func.avg(minutes).label(f"{step}_mean"),
                    func.avg(case((at.is_not(None), limit))).label(f"{step}_limit"),
                    _count_if(and_(at.is_not(None), minutes <= limit)).label(f"{step}_within")]
    statement = select(*columns).select_from(times.join(T, T.c.code == times.c.type_code))
    row = read(statement).iloc[0]
    names = {key: (zh, en) for key, zh, en in STAGES}
    out = []
    for step in STEP_LIMITS:
        reached = int(row[f"{step}_n"] or 0)
        within = int(row[f"{step}_within"] or 0)
        out.append({"step": step, "step_zh": names[step][0], "step_en": names[step][1], "reached": reached,
                    "mean_minutes": None if pd.isna(row[f"{step}_mean"]) else float(row[f"{step}_mean"]),
                    "mean_limit": None if pd.isna(row[f"{step}_limit"]) else float(row[f"{step}_limit"]),
                    "within": within, "within_share": 100.0 * within / reached if reached else None})
    return pd.DataFrame(out)


@cached
def by_source(view: ViewState) -> pd.DataFrame:
    """Incidents by source (hotline or sensor), with open and overdue ones; the most first."""
    statement = (select(I.c.source, func.count().label("incidents"), _count_if(_is_open()).label("open"),
                        _count_if(_overdue()).label("overdue"))
                 .where(*incident_conditions(view)).group_by(I.c.source))
    return read(statement).sort_values("incidents", ascending=False).reset_index(drop=True)


@cached
def by_severity(view: ViewState) -> pd.DataFrame:
    """Incidents by severity I–IV (every level present, zero when none)."""
    statement = (select(I.c.severity, func.count().label("incidents"))
                 .where(*incident_conditions(view)).group_by(I.c.severity))
    found = read(statement).set_index("severity")["incidents"]
    return pd.DataFrame({"severity": [1, 2, 3, 4],
                         "incidents": [int(found.get(level, 0)) for level in (1, 2, 3, 4)]})


@cached
def by_status(view: ViewState) -> pd.DataFrame:
    """Incidents by the last step they reached, in closed-loop order (zero when none)."""
    statement = (select(I.c.status, func.count().label("incidents"), _count_if(_overdue()).label("overdue"))
                 .where(*incident_conditions(view)).group_by(I.c.status))
    found = read(statement).set_index("status")
    return pd.DataFrame([{"status": key, "status_zh": zh, "status_en": en,
                          "incidents": int(found["incidents"].get(key, 0)),
                          "overdue": int(found["overdue"].get(key, 0))} for key, zh, en in STAGES])


def county_codes(region: str) -> list[str]:
    """The rows of the county table: the counties under a city, or the county itself."""
    return child_codes(region) or [region]


def _row_of_county(rows: list[str]) -> dict[str, str]:
    """Each county → the row it counts in (itself, or its city when the rows are a province's cities)."""
    tree = region_tree()
    return {county.adcode: row for row in rows for county in tree.counties(row)}


@cached
def by_county(view: ViewState) -> pd.DataFrame:
    """Per county: incidents, open, open and overdue, closed, closed on time, on-time rate (%), mean
    minutes to accept and to close. Counties without incidents have zeros."""
    regions = county_codes(view.region)
    owner = _row_of_county(regions)
    closed = I.c.closed_at.is_not(None)
    statement = (select(I.c.adcode, func.count().label("incidents"), _count_if(_is_open()).label("open"),
                        _count_if(and_(_is_open(), _overdue())).label("open_overdue"),
                        _count_if(closed).label("closed"),
                        _count_if(and_(closed, I.c.overdue.is_(False))).label("closed_on_time"),
                        func.sum(minutes_between(I.c.accepted_at, I.c.reported_at)).label("accept_minutes"),
                        func.count(I.c.accepted_at).label("accepted"),
                        func.sum(minutes_between(I.c.closed_at, I.c.reported_at)).label("close_minutes"))
                 .where(*incident_conditions(view)).group_by(I.c.adcode))
    frame = read(statement)
    frame["adcode"] = frame["adcode"].map(owner)
    sums = frame.groupby("adcode").sum(numeric_only=True)
    names = region_names(view.lang)
    rows = []
    for code in regions:
        part = sums.loc[code] if code in sums.index else None

        def value(name):
            return 0 if part is None or pd.isna(part[name]) else part[name]

        closed_n, accepted = int(value("closed")), int(value("accepted"))
        rows.append({
            "adcode": code, "name": names.get(code, code), "incidents": int(value("incidents")),
            "open": int(value("open")), "open_overdue": int(value("open_overdue")), "closed": closed_n,
            "closed_on_time": int(value("closed_on_time")),
            "ontime_rate": 100.0 * value("closed_on_time") / closed_n if closed_n else None,
            "accept_minutes": value("accept_minutes") / accepted if accepted else None,
            "close_minutes": value("close_minutes") / closed_n if closed_n else None,
        })
    return pd.DataFrame(rows)


@cached
def trend(view: ViewState) -> pd.DataFrame:
    """Incidents per day, week or month of the range, with the same period last year aligned on it
    (columns bucket, value, last_year)."""
    grain = grain_for(view.start, view.end)
    day = func.date(I.c.reported_at)

    def daily(start: date, end: date) -> pd.Series:
        frame = read(select(day.label("day"), func.count().label("n"))
                     .where(*incident_conditions(view.with_range(start, end))).group_by(day))
        return pd.Series(frame["n"].to_numpy(), index=pd.to_datetime(frame["day"]), dtype=float)

    current = daily(view.start, view.end)
    last_start, last_end = view.same_period_last_year()
    last_year = daily(last_start, last_end)
    last_year.index = [_plus_year(d.date()) for d in last_year.index]
    every_day = pd.date_range(view.start, view.end, freq="D")
    frame = pd.DataFrame({"value": current.reindex(every_day, fill_value=0.0),
                          "last_year": last_year.reindex(every_day, fill_value=0.0)})
    if grain != "day":
        frame = frame.groupby(frame.index.to_period("W" if grain == "week" else "M").start_time).sum()
    frame = frame.rename_axis("bucket").reset_index()
    frame.attrs["grain"] = grain
    return frame


def _plus_year(day: date) -> pd.Timestamp:
    try:
        return pd.Timestamp(day.replace(year=day.year + 1))
    except ValueError:  # 29 February
        return pd.Timestamp(day + timedelta(days=365))


@cached
def hazards_by_county(view: ViewState) -> pd.DataFrame:
    """Hazard sources (危化品重大危险源) and fire-safety key units (消防重点单位) per county."""
    regions = county_codes(view.region)
    owner = _row_of_county(regions)
    kinds = view.filter_values("hazard") or HAZARD_KINDS
    frame = read(select(H.c.adcode, H.c.kind, func.count().label("sources"))
                 .where(H.c.adcode.in_(list(owner)), H.c.kind.in_(kinds)).group_by(H.c.adcode, H.c.kind))
    frame["adcode"] = frame["adcode"].map(owner)
    frame = frame.groupby(["adcode", "kind"], as_index=False)["sources"].sum()
    names = region_names(view.lang)
    full = pd.MultiIndex.from_product([regions, list(kinds)], names=["adcode", "kind"])
    frame = frame.set_index(["adcode", "kind"]).reindex(full, fill_value=0).reset_index()
    frame["name"] = frame["adcode"].map(names)
    return frame


@cached
def hazard_points(view: ViewState) -> pd.DataFrame:
    """The hazard sources and key units in the view's region (filter: hazard kind)."""
    tree = region_tree()
    codes = [c.adcode for c in tree.counties(view.region)] or [view.region]
    kinds = view.filter_values("hazard") or HAZARD_KINDS
    return read(select(H.c.id, H.c.name, H.c.kind, H.c.level, H.c.adcode, H.c.lat, H.c.lon)
                .where(H.c.adcode.in_(codes), H.c.kind.in_(kinds)).order_by(H.c.level, H.c.id))


@cached
def density(view: ViewState) -> pd.DataFrame:
    """Incidents of the view counted on a grid of cells per county (the city-level map):
    columns adcode, lat, lon (mean position of the cell's incidents), incidents, overdue."""
    cell_lat = func.round(I.c.lat * DENSITY_CELLS_PER_DEGREE)
    cell_lon = func.round(I.c.lon * DENSITY_CELLS_PER_DEGREE)
    statement = (select(I.c.adcode, func.avg(I.c.lat).label("lat"), func.avg(I.c.lon).label("lon"),
                        func.count().label("incidents"), _count_if(_overdue()).label("overdue"))
                 .where(*incident_conditions(view)).group_by(I.c.adcode, cell_lat, cell_lon))
    return read(statement).sort_values("incidents", ascending=False).reset_index(drop=True)


def _ranking_within(view: ViewState, code: str) -> pd.DataFrame:
    """A catalogue indicator per county of the view's region only (a drilled county shows itself,
    not its neighbours: a county user's view must not show other counties)."""
    frame = ranking(view, code, view.lang)
    return frame[frame["adcode"].isin(county_codes(view.region))].reset_index(drop=True)


def video_by_county(view: ViewState) -> pd.DataFrame:
    """Video network online rate per county (catalogue indicator, region_daily)."""
    return _ranking_within(view, "safety.video_online_rate")


def forest_fire_by_county(view: ViewState) -> pd.DataFrame:
    """The highest forest-fire risk level of the range per county."""
    return _ranking_within(view, "safety.forest_fire_risk")
