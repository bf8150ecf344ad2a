"""Incident queries shared by the overview, the theme cockpits and the incident desk.

One function turns the view (region, time, incident filters) into the WHERE clause, so a count
on a cockpit and the rows behind it on the desk are always the same set. Counts over a range read
an incident summary (data/summaries.py; `summary_table`) instead of the rows: `summary_conditions`
chooses there exactly the incidents `incident_conditions` chooses here (the summary's rows of the
view's region, its filters on the same columns), so that each count equals the desk's number of rows.
"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import and_, case, func, literal_column, or_, select, union_all

from core.viewstate import ViewState
from data.cache import cached
from data.db import get_engine
from data.models import Incident, IncidentType, SummaryIncident, SummaryIncidentStatus
from data.queries.common import counties_under, day_bounds, dialect_name, fetch, read
from data.regions import region_tree
from data.summaries import period_condition, pieces

I = Incident.__table__
T = IncidentType.__table__
U = SummaryIncident.__table__  # incidents counted per region, period and every filter dimension
N = SummaryIncidentStatus.__table__  # the same without type, source and severity: several times fewer rows
INCIDENT_FILTERS = ("theme", "type", "severity", "status", "source", "overdue")
OPEN_STATUSES = ("reported", "accepted", "dispatched", "handled")
STAGES = (("reported", "上报", "Reported"), ("accepted", "受理", "Accepted"), ("dispatched", "派遣", "Dispatched"),
          ("handled", "处置", "Handled"), ("closed", "办结", "Closed"), ("visited", "回访", "Visited"))


def incident_conditions(view: ViewState, *, with_time: bool = True) -> list:
    """WHERE conditions for the incidents of a view: region, reported in the time range, filters.

    At the deployment's root there is no region condition: every incident lies in one of its
    counties (the generator and the loader write no other codes), and `adcode IN (all counties)`
    would only make the database read each row where an index alone answers a count."""
    conditions = []
    if view.region != region_tree().root:
        counties = counties_under(view.region)
        conditions.append(I.c.adcode.in_(counties) if len(counties) > 1 else I.c.adcode == counties[0])
    if with_time:
        start, end = day_bounds(view.start, view.end)
        conditions += [I.c.reported_at >= start, I.c.reported_at < end]
    return conditions + _filter_conditions(I, view, status_is_open())


def _filter_conditions(table, view: ViewState, is_open) -> list:
    """The incident filters of the view on `table` (incident or summary_incident: the same columns);
    `is_open` is the condition that the status filter's 'open' means."""
    conditions = []
    filters = view.filter_dict
    if filters.get("theme"):
        conditions.append(table.c.theme.in_(filters["theme"]))
    if filters.get("type"):
        conditions.append(table.c.type_code.in_(filters["type"]))
    if filters.get("severity"):
        conditions.append(table.c.severity.in_([int(v) for v in filters["severity"]]))
    if filters.get("source"):
        conditions.append(table.c.source.in_(filters["source"]))
    if filters.get("status"):
        statuses = set(filters["status"])
        parts = []
        if "open" in statuses:
            parts.append(is_open)
            statuses.discard("open")
        if statuses:
            parts.append(table.c.status.in_(sorted(statuses)))
        conditions.append(or_(*parts))
    if filters.get("overdue"):
        conditions.append(table.c.overdue.is_(True))
    return conditions


def summary_table(view: ViewState, by: str | None = None):
    """The incident summary a figure reads: summary_incident_status unless the view's filters or the
    grouping (`by`, a column) need the incidents' type, source or severity (summary_incident)."""
    if by in ("type_code", "source", "severity") or any(view.filter_values(d) for d in ("type", "source", "severity")):
        return U
    return N


def summary_conditions(view: ViewState, table, *, regions: list[str] | None = None, largest: str = "month") -> list:
    """WHERE conditions on an incident summary (`summary_table`) for the incidents `incident_conditions`
    chooses: the rows of the view's region (or of these regions, each its own incidents), the pieces
    of its time range (whole months, weeks, days: `largest` 'week' or 'day' to group them into such
    buckets), its filters."""
    region = table.c.adcode.in_(regions) if regions is not None else table.c.adcode == view.region
    return [region, period_condition(table, pieces(view.start, view.end, largest), dialect_name()),
            *_filter_conditions(table, view, table.c.status.in_(OPEN_STATUSES))]


def summed_if(condition, column):
    """Σ of a summary count over the rows where `condition` holds."""
    return func.sum(case((condition, column), else_=0))


def status_is_open():
    """`status is open` as a WHERE condition, marked rare for SQLite's planner.

    Open incidents are a sliver of the history (a few thousand in millions), but SQLite's
    statistics hold only averages per status, so without the hint it walks a county's whole
    history instead of the status index. PostgreSQL keeps real frequencies and needs no hint."""
    condition = I.c.status.in_(OPEN_STATUSES)
    if get_engine().dialect.name == "sqlite":
        return func.likelihood(condition, literal_column("0.001"))  # a constant, as SQLite requires
    return condition


COUNTS = ("total", "open", "overdue", "open_overdue", "closed", "closed_on_time")


@cached
def counts(view: ViewState) -> dict:
    """Incidents reported in the range; of them still open, overdue, open and overdue; closed on time."""
    return counts_of_ranges(view, [(view.start, view.end)])[0]


def counts_of_ranges(view: ViewState, ranges: list[tuple]) -> list[dict]:
    """`counts` of the view over each of these ranges (first, last day), in one statement."""
    table = summary_table(view)
    is_open, overdue = table.c.status.in_(OPEN_STATUSES), table.c.overdue.is_(True)
    sums = [func.sum(table.c.incidents), summed_if(is_open, table.c.incidents), summed_if(overdue, table.c.incidents),
            summed_if(and_(is_open, overdue), table.c.incidents), func.sum(table.c.closed),
            summed_if(table.c.overdue.is_(False), table.c.closed)]
    parts = [select(literal_column(str(number)).label("part"), *sums)
             .where(*summary_conditions(view.with_range(first, last), table))
             for number, (first, last) in enumerate(ranges)]
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    out = [{}] * len(ranges)
    for number, *values in fetch(statement):
        figures = {name: int(value or 0) for name, value in zip(COUNTS, values)}
        figures["ontime_rate"] = (100.0 * figures["closed_on_time"] / figures["closed"]) if figures["closed"] else None
        out[int(number)] = figures
    return out


@cached
def by_theme(view: ViewState) -> pd.DataFrame:
    table = summary_table(view)
    statement = (select(table.c.theme, func.sum(table.c.incidents).label("incidents"),
                        summed_if(table.c.overdue.is_(True), table.c.incidents).label("overdue"))
                 .where(*summary_conditions(view, table)).group_by(table.c.theme))
    frame = read(statement)
    return frame.sort_values("incidents", ascending=False).reset_index(drop=True)


@cached
def by_type(view: ViewState, lang: str = "zh") -> pd.DataFrame:
    name = T.c.name_en if lang == "en" else T.c.name
    statement = (select(U.c.type_code, name.label("name"), func.sum(U.c.incidents).label("incidents"),
                        summed_if(U.c.overdue.is_(True), U.c.incidents).label("overdue"))
                 .join(T, T.c.code == U.c.type_code)
                 .where(*summary_conditions(view, U)).group_by(U.c.type_code, name))
    return read(statement).sort_values("incidents", ascending=False).reset_index(drop=True)


@cached
def closed_loop(view: ViewState) -> pd.DataFrame:
    """The closed-loop funnel: how many of the range's incidents reached each step."""
    table = summary_table(view)
    reached = {"reported": table.c.incidents, **{key: table.c[key] for key, _, _ in STAGES[1:]}}
    (row,) = fetch(select(*[func.sum(reached[key]) for key, _, _ in STAGES]).where(*summary_conditions(view, table)))
    return pd.DataFrame([{"stage": key, "stage_zh": zh, "stage_en": en, "incidents": int(value or 0)}
                         for (key, zh, en), value in zip(STAGES, row)])


@cached
def overdue_list(view: ViewState, limit: int = 10) -> pd.DataFrame:
    """Open incidents past their deadline, the longest overdue first."""
    statement = (select(I.c.id, I.c.code, I.c.theme, I.c.type_code, T.c.name.label("type_zh"),
                        T.c.name_en.label("type_en"), I.c.severity, I.c.status, I.c.adcode, I.c.department,
                        I.c.reported_at, I.c.deadline_at)
                 .join(T, T.c.code == I.c.type_code)
                 .where(*incident_conditions(view, with_time=False), status_is_open(), I.c.overdue.is_(True))
                 .order_by(I.c.deadline_at.asc()).limit(limit))
    return read(statement)


@cached
def points(view: ViewState, limit: int = 3000) -> pd.DataFrame:
    """Incidents of the range as map points (the newest first, at most `limit`)."""
    statement = (select(I.c.id, I.c.code, I.c.lat, I.c.lon, I.c.severity, I.c.status, I.c.overdue,
                        T.c.name.label("type_zh"), T.c.name_en.label("type_en"))
                 .join(T, T.c.code == I.c.type_code)
                 .where(*incident_conditions(view)).order_by(I.c.reported_at.desc()).limit(limit))
    return read(statement)


# -- the incident desk and the safety cockpit ---------------------------------------------------
# The time limit of each step, in minutes from the report (the generator and the departments'
# rules count them the same way); 回访 has none. The 办结 limit is the deadline.
STEP_LIMITS = {"accepted": T.c.accept_limit_min, "dispatched": T.c.dispatch_limit_min,
               "handled": T.c.handle_limit_min, "closed": T.c.close_limit_min}


@cached
def incident_types() -> pd.DataFrame:
    """Every incident type with its theme, names, step limits and department (a few dozen rows)."""
    return read(select(T).order_by(T.c.theme, T.c.code))


def type_names(lang: str = "zh") -> dict[str, str]:
    frame = incident_types()
    return dict(zip(frame["code"], frame["name_en" if lang == "en" else "name"]))


@cached
def detail(incident_id: int) -> dict | None:
    """One incident with its type's names and step limits, or None when there is no such incident."""
    statement = (select(I, T.c.name.label("type_zh"), T.c.name_en.label("type_en"),
                        *[column.label(f"{step}_limit_min") for step, column in STEP_LIMITS.items()])
                 .join(T, T.c.code == I.c.type_code).where(I.c.id == incident_id))
    with get_engine().connect() as conn:
        row = conn.execute(statement).mappings().first()
    return dict(row) if row is not None else None


def timeline(record: dict, now) -> list[dict]:
    """The closed loop of one incident, step by step: when each step happened, how long it took
    since the previous one, its limit (from the report), when it was due and whether it was late.
    A step not reached yet is late when its due time has passed (`now` is the current time)."""
    reported = record["reported_at"]
    steps = []
    previous = reported
    for key, zh, en in STAGES:
        at = record[f"{key}_at"]
        limit = record.get(f"{key}_limit_min")
        due = reported + timedelta(minutes=int(limit)) if limit is not None else None
        reached = at is not None
        late = due is not None and ((reached and at > due) or (not reached and now > due))
        steps.append({
            "step": key, "name_zh": zh, "name_en": en, "at": at, "reached": reached,
            "minutes_from_report": (at - reported).total_seconds() / 60 if reached else None,
            "minutes_from_previous": (at - previous).total_seconds() / 60 if reached and previous else None,
            "limit_min": None if limit is None else int(limit), "due_at": due, "late": bool(late),
        })
        previous = at if reached else None
    return steps
