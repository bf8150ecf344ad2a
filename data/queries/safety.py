"""城市安全 · City safety queries (SPEC §3.5): incidents by source, type, severity, status and county,
step times against their limits, hazard sources, and the map's incident density.

Every incident figure counts exactly the set of rows the incident desk shows for the same view and
filters: read from an incident summary through `incidents.summary_conditions` (counts, minute sums
and steps within their limits per region, period and filter dimension; data/summaries.py), or from
the rows through `incidents.incident_conditions` (the map's density under incident filters).
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import indicator
from data.models import HazardSource, SummaryIncidentCell
from data.queries.common import (child_codes, counties_under, dialect_name, fetch, grain_for, on_one_connection, read,
                                 region_names)
from data.queries.indicators import kpis as indicator_kpis
from data.queries.indicators import ranking
from data.queries.incidents import (INCIDENT_FILTERS, OPEN_STATUSES, STAGES, STEP_LIMITS, I, U, counts_of_ranges,
                                    incident_conditions, summary_conditions, summary_table, summed_if)
from data.regions import region_tree
from data.summaries import DENSITY_CELLS_PER_DEGREE, bucket_of, period_condition, pieces

H = HazardSource.__table__
C = SummaryIncidentCell.__table__  # incidents per county, period and map cell
SOURCES = ("110", "119", "120", "122", "12345", "sensor", "complaint")
HAZARD_KINDS = ("hazmat", "fire_key")


def _is_open(table):
    return table.c.status.in_(OPEN_STATUSES)


def _overdue(table):
    return table.c.overdue.is_(True)


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


KPI_INDICATORS = ("safety.video_online_rate", "safety.forest_fire_risk")


@cached
@on_one_connection
def kpis(view: ViewState) -> pd.DataFrame:
    """The cockpit's headline figures, one row each (columns key, value, change_prev, change_yoy,
    level, limit, within_share):

    incidents, open, open_overdue, ontime_rate   from the incident rows (they follow every filter),
                                                 with change vs the previous period and last year;
    accept_minutes, close_minutes                mean minutes from the report, mean limit, share within;
    safety.video_online_rate, safety.forest_fire_risk   catalogue indicators (region_daily);
    hazmat, fire_key                             hazard sources and fire-safety key units in the region.
    """
    current, previous, last_year = counts_of_ranges(
        view, [(view.start, view.end), view.previous_period(), view.same_period_last_year()])
    rows = []
    for key, column in (("incidents", "total"), ("open", "open"), ("open_overdue", "open_overdue"),
                        ("ontime_rate", "ontime_rate")):
        rows.append({"key": key, "value": current[column], "change_prev": _change(current[column], previous[column]),
                     "change_yoy": _change(current[column], last_year[column]),
                     "level": ontime_level(current[column]) if key == "ontime_rate" else 0})
    steps = {figures["step"]: figures for figures in _step_figures(view)}
    for key, step in (("accept_minutes", "accepted"), ("close_minutes", "closed")):
        share = steps[step]["within_share"]
        rows.append({"key": key, "value": steps[step]["mean_minutes"], "limit": steps[step]["mean_limit"],
                     "within_share": share, "level": ontime_level(share)})
    for row in indicator_kpis(view, KPI_INDICATORS).to_dict("records"):
        rows.append({"key": row["indicator"], "value": row["value"], "change_prev": row["change_prev"],
                     "change_yoy": row["change_yoy"], "level": row["level"]})
    hazards = Counter()
    for (_, kind), sources in _hazard_sources(view)[2].items():
        hazards[kind] += sources
    for kind in HAZARD_KINDS:
        rows.append({"key": kind, "value": hazards[kind], "level": 0})
    return pd.DataFrame(rows, columns=["key", "value", "change_prev", "change_yoy", "level", "limit", "within_share"])


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
    return pd.DataFrame(_step_figures(view))


def _step_figures(view: ViewState) -> list[dict]:
    """The rows of `step_times`, as dicts."""
    table = summary_table(view)
    columns = [func.sum(table.c[f"{step}{part}"]).label(f"{step}{part}")
               for step in STEP_LIMITS for part in ("", "_minutes", "_limits", "_within")]
    statement = select(*columns).where(*summary_conditions(view, table))
    (values,) = fetch(statement)
    row = {column.name: value for column, value in zip(statement.selected_columns, values)}
    names = {key: (zh, en) for key, zh, en in STAGES}
    out = []
    for step in STEP_LIMITS:
        reached = int(row[step] or 0)
        within = int(row[f"{step}_within"] or 0)
        out.append({"step": step, "step_zh": names[step][0], "step_en": names[step][1], "reached": reached,
                    "mean_minutes": float(row[f"{step}_minutes"]) / reached if reached else None,
                    "mean_limit": float(row[f"{step}_limits"]) / reached if reached else None,
                    "within": within, "within_share": 100.0 * within / reached if reached else None})
    return out


@cached
def by_source(view: ViewState) -> pd.DataFrame:
    """Incidents by source (hotline or sensor), with open and overdue ones; the most first."""
    statement = (select(U.c.source, func.sum(U.c.incidents).label("incidents"),
                        summed_if(_is_open(U), U.c.incidents).label("open"),
                        summed_if(_overdue(U), U.c.incidents).label("overdue"))
                 .where(*summary_conditions(view, U)).group_by(U.c.source))
    return read(statement).sort_values("incidents", ascending=False).reset_index(drop=True)


@cached
def by_severity(view: ViewState) -> pd.DataFrame:
    """Incidents by severity I–IV (every level present, zero when none)."""
    statement = (select(U.c.severity, func.sum(U.c.incidents).label("incidents"))
                 .where(*summary_conditions(view, U)).group_by(U.c.severity))
    found = read(statement).set_index("severity")["incidents"]
    return pd.DataFrame({"severity": [1, 2, 3, 4],
                         "incidents": [int(found.get(level, 0)) for level in (1, 2, 3, 4)]})


@cached
def by_status(view: ViewState) -> pd.DataFrame:
    """Incidents by the last step they reached, in closed-loop order (zero when none)."""
    table = summary_table(view)
    statement = (select(table.c.status, func.sum(table.c.incidents).label("incidents"),
                        summed_if(_overdue(table), table.c.incidents).label("overdue"))
                 .where(*summary_conditions(view, table)).group_by(table.c.status))
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
    # each county's own rows: the incidents of the view's region grouped by their county
    table = summary_table(view)
    statement = (select(table.c.adcode, func.sum(table.c.incidents).label("incidents"),
                        summed_if(_is_open(table), table.c.incidents).label("open"),
                        summed_if(and_(_is_open(table), _overdue(table)), table.c.incidents).label("open_overdue"),
                        func.sum(table.c.closed).label("closed"),
                        summed_if(table.c.overdue.is_(False), table.c.closed).label("closed_on_time"),
                        func.sum(table.c.accepted_minutes).label("accept_minutes"),
                        func.sum(table.c.accepted).label("accepted"),
                        func.sum(table.c.closed_minutes).label("close_minutes"))
                 .where(*summary_conditions(view, table, regions=list(owner))).group_by(table.c.adcode))
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
@on_one_connection
def trend(view: ViewState) -> pd.DataFrame:
    """Incidents per day, week or month of the range, with the same period last year aligned on it
    (columns bucket, value, last_year)."""
    grain = grain_for(view.start, view.end)

    def by_piece(start: date, end: date, largest: str) -> list[tuple]:
        """(period, start, incidents) per summary piece of [start, end] (whole weeks or months up to
        `largest`)."""
        within = view.with_range(start, end)
        table = summary_table(within)
        return fetch(select(table.c.period, table.c.start, func.sum(table.c.incidents))
                     .where(*summary_conditions(within, table, largest=largest))
                     .group_by(table.c.period, table.c.start))

    # a few hundred days and buckets at most: added up in Python, where pandas' steps cost more
    days = [view.start + timedelta(days=i) for i in range(view.days)]
    buckets = list(dict.fromkeys(bucket_of("day", day, grain) for day in days))
    # this period: whole weeks or months of the buckets, the days at the ends
    value = dict.fromkeys(buckets, 0.0)
    for period, start, incidents in by_piece(view.start, view.end, grain):
        value[bucket_of(period, _day(start), grain)] += float(incidents or 0)
    # last year by day: its days move by a year, out of step with the weeks (a leap year's 28 and
    # 29 February both land on 28 February)
    moved = Counter()
    for _, start, incidents in by_piece(*view.same_period_last_year(), "day"):
        moved[_a_year_later(_day(start))] += float(incidents or 0)
    last_year = dict.fromkeys(buckets, 0.0)
    for day in days:
        last_year[bucket_of("day", day, grain)] += moved[day]
    frame = pd.DataFrame({"bucket": pd.DatetimeIndex(buckets).as_unit("ns"), "value": list(value.values()),
                          "last_year": list(last_year.values())})
    frame.attrs["grain"] = grain
    return frame


def _day(value) -> date:
    """A day as the drivers hand it back: a date, or a date and time at midnight."""
    return value.date() if isinstance(value, datetime) else value


def _a_year_later(day: date) -> date:
    """The day one calendar year later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@cached
def hazards_by_county(view: ViewState) -> pd.DataFrame:
    """Hazard sources (危化品重大危险源) and fire-safety key units (消防重点单位) per county."""
    regions, kinds, sources = _hazard_sources(view)
    names = region_names(view.lang)
    return pd.DataFrame([{"adcode": code, "kind": kind, "sources": sources[(code, kind)], "name": names.get(code)}
                         for code in regions for kind in kinds], columns=["adcode", "kind", "sources", "name"])


def _hazard_sources(view: ViewState) -> tuple[list[str], tuple[str, ...], Counter]:
    """The rows of the county table, the hazard kinds shown, and the sources per (row, kind): a few
    dozen counts, summed in Python."""
    regions = county_codes(view.region)
    owner = _row_of_county(regions)
    kinds = tuple(view.filter_values("hazard") or HAZARD_KINDS)
    sources = Counter()
    for adcode, kind, count in fetch(select(H.c.adcode, H.c.kind, func.count())
                                     .where(H.c.adcode.in_(list(owner)), H.c.kind.in_(kinds))
                                     .group_by(H.c.adcode, H.c.kind)):
        sources[(owner[adcode], kind)] += int(count)
    return regions, kinds, sources


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
    columns adcode, lat, lon (mean position of the cell's incidents), incidents, overdue.
    Without incident filters, or with severities alone, from summary_incident_cell; with others from
    the rows."""
    if not any(view.filter_values(d) for d in INCIDENT_FILTERS if d != "severity"):
        # the region's counties as incident_conditions chooses them (the root: every incident)
        where = [period_condition(C, pieces(view.start, view.end), dialect_name())]
        if view.region != region_tree().root:
            where.append(C.c.adcode.in_(counties_under(view.region)))
        if view.filter_values("severity"):
            where.append(C.c.severity.in_([int(v) for v in view.filter_values("severity")]))
        incidents = func.sum(C.c.incidents)
        statement = (select(C.c.adcode, (func.sum(C.c.lat_sum) / incidents).label("lat"),
                            (func.sum(C.c.lon_sum) / incidents).label("lon"), incidents.label("incidents"),
                            func.sum(C.c.overdue).label("overdue"))
                     .where(*where).group_by(C.c.adcode, C.c.cell_lat, C.c.cell_lon))
    else:
        cell_lat = func.round(I.c.lat * DENSITY_CELLS_PER_DEGREE)
        cell_lon = func.round(I.c.lon * DENSITY_CELLS_PER_DEGREE)
        statement = (select(I.c.adcode, func.avg(I.c.lat).label("lat"), func.avg(I.c.lon).label("lon"),
                            func.count().label("incidents"), _count_if(I.c.overdue.is_(True)).label("overdue"))
                     .where(*incident_conditions(view)).group_by(I.c.adcode, cell_lat, cell_lon))
    # cells with as many incidents in the same order on every database (its groups come in any order)
    return read(statement).sort_values(["incidents", "adcode", "lat", "lon"], ascending=[False, True, True, True]) \
        .reset_index(drop=True)


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
