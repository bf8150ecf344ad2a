"""Incident queries shared by the overview, the theme cockpits and the incident desk.

One function turns the view (region, time, incident filters) into the WHERE clause, so a count
on a cockpit and the rows behind it on the desk are always the same set.
"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import and_, case, func, literal_column, or_, select

from core.viewstate import ViewState
from data.cache import cached
from data.db import get_engine
from data.models import Incident, IncidentType
from data.queries.common import counties_under, day_bounds, read
from data.regions import region_tree

I = Incident.__table__
T = IncidentType.__table__
INCIDENT_FILTERS = ("theme", "type", "severity", "status", "source", "overdue")
OPEN_STATUSES = ("reported", "accepted", "dispatched", "handled")
STAGES = (("reported", "上报", "Reported"), ("accepted", "受理", "Accepted"), ("dispatched", "派遣", "Dispatched"),
          ("handled", "处置", "Handled"), ("closed", "办结", "Closed"), ("visited", "回访", "Visited"))
STAGE_COLUMNS = {"reported": I.c.reported_at, "accepted": I.c.accepted_at, "dispatched": I.c.dispatched_at,
                 "handled": I.c.handled_at, "closed": I.c.closed_at, "visited": I.c.visited_at}


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
    filters = view.filter_dict
    if filters.get("theme"):
        conditions.append(I.c.theme.in_(filters["theme"]))
    if filters.get("type"):
        conditions.append(I.c.type_code.in_(filters["type"]))
    if filters.get("severity"):
        conditions.append(I.c.severity.in_([int(v) for v in filters["severity"]]))
    if filters.get("source"):
        conditions.append(I.c.source.in_(filters["source"]))
    if filters.get("status"):
        statuses = set(filters["status"])
        parts = []
        if "open" in statuses:
            parts.append(status_is_open())
            statuses.discard("open")
        if statuses:
            parts.append(I.c.status.in_(sorted(statuses)))
        conditions.append(or_(*parts))
    if filters.get("overdue"):
        conditions.append(I.c.overdue.is_(True))
    return conditions


def status_is_open():
    """`status is open` as a WHERE condition, marked rare for SQLite's planner.

    Open incidents are a sliver of the history (a few thousand in millions), but SQLite's
    statistics hold only averages per status, so without the hint it walks a county's whole
    history instead of the status index. PostgreSQL keeps real frequencies and needs no hint."""
    condition = I.c.status.in_(OPEN_STATUSES)
    if get_engine().dialect.name == "sqlite":
        return func.likelihood(condition, literal_column("0.001"))  # a constant, as SQLite requires
    return condition


@cached
def counts(view: ViewState) -> dict:
    """Incidents reported in the range; of them still open, overdue, open and overdue; closed on time."""
    conditions = incident_conditions(view)
    is_open = I.c.status.in_(OPEN_STATUSES)
    statement = select(
        func.count().label("total"),
        func.sum(case((is_open, 1), else_=0)).label("open"),
        func.sum(case((I.c.overdue.is_(True), 1), else_=0)).label("overdue"),
        func.sum(case((and_(is_open, I.c.overdue.is_(True)), 1), else_=0)).label("open_overdue"),
        func.sum(case((I.c.closed_at.is_not(None), 1), else_=0)).label("closed"),
        func.sum(case((and_(I.c.closed_at.is_not(None), I.c.overdue.is_(False)), 1), else_=0)).label("closed_on_time"),
    ).where(*conditions)
    row = read(statement).iloc[0].to_dict()
    out = {k: int(v or 0) for k, v in row.items()}
    out["ontime_rate"] = (100.0 * out["closed_on_time"] / out["closed"]) if out["closed"] else None
    return out


@cached
def by_theme(view: ViewState) -> pd.DataFrame:
    statement = (select(I.c.theme, func.count().label("incidents"),
                        func.sum(case((I.c.overdue.is_(True), 1), else_=0)).label("overdue"))
                 .where(*incident_conditions(view)).group_by(I.c.theme))
    frame = read(statement)
    return frame.sort_values("incidents", ascending=False).reset_index(drop=True)


@cached
def by_type(view: ViewState, lang: str = "zh") -> pd.DataFrame:
    name = T.c.name_en if lang == "en" else T.c.name
    statement = (select(I.c.type_code, name.label("name"), func.count().label("incidents"),
                        func.sum(case((I.c.overdue.is_(True), 1), else_=0)).label("overdue"))
                 .join(T, T.c.code == I.c.type_code)
                 .where(*incident_conditions(view)).group_by(I.c.type_code, name))
    return read(statement).sort_values("incidents", ascending=False).reset_index(drop=True)


@cached
def closed_loop(view: ViewState) -> pd.DataFrame:
    """The closed-loop funnel: how many of the range's incidents reached each step."""
    columns = [func.count(STAGE_COLUMNS[key]).label(key) for key, _, _ in STAGES]
    row = read(select(*columns).where(*incident_conditions(view))).iloc[0]
    return pd.DataFrame([{"stage": key, "stage_zh": zh, "stage_en": en, "incidents": int(row[key] or 0)}
                         for key, zh, en in STAGES])


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


def minutes_between(later, earlier):
    """Minutes from `earlier` to `later` as an SQL expression (NULL when either is NULL)."""
    if get_engine().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 60.0
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def time_number(column):
    """A timestamp ready for `minutes_of`, NULL for NULL: on SQLite its Julian day, so that a text
    time is parsed once per row however often the minutes are used; PostgreSQL subtracts its
    timestamps directly (the epoch of each one, numeric, costs more than the interval's)."""
    if get_engine().dialect.name == "postgresql":
        return column
    return func.julianday(column)


def minutes_of(later, earlier):
    """Minutes between two `time_number`s: exactly the figure `minutes_between` gives for the times."""
    if get_engine().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 60.0
    return (later - earlier) * 1440.0


def computed_once(statement):
    """A SELECT used as a derived table whose expressions are evaluated once per row.

    SQLite merges a subquery into the aggregate around it and then evaluates the subquery's
    expressions wherever the outer query names them (julianday() on every row, once per name);
    a LIMIT (-1: none) keeps it a separate step. On PostgreSQL `time_number` is the column itself,
    so the subquery it merges costs nothing."""
    if get_engine().dialect.name == "sqlite":
        return statement.limit(-1)
    return statement


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
