"""Incident queries shared by the overview, the theme cockpits and the incident desk.

One function turns the view (region, time, incident filters) into the WHERE clause, so a count
on a cockpit and the rows behind it on the desk are always the same set.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, or_, select

from core.viewstate import ViewState
from data.cache import cached
from data.models import Incident, IncidentType
from data.queries.common import counties_under, day_bounds, read

I = Incident.__table__
INCIDENT_FILTERS = ("theme", "type", "severity", "status", "source", "overdue")
OPEN_STATUSES = ("reported", "accepted", "dispatched", "handled")
STAGES = (("reported", "上报", "Reported"), ("accepted", "受理", "Accepted"), ("dispatched", "派遣", "Dispatched"),
          ("handled", "处置", "Handled"), ("closed", "办结", "Closed"), ("visited", "回访", "Visited"))
STAGE_COLUMNS = {"reported": I.c.reported_at, "accepted": I.c.accepted_at, "dispatched": I.c.dispatched_at,
                 "handled": I.c.handled_at, "closed": I.c.closed_at, "visited": I.c.visited_at}


def incident_conditions(view: ViewState, *, with_time: bool = True) -> list:
    """WHERE conditions for the incidents of a view: region, reported in the time range, filters."""
    conditions = []
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
            parts.append(I.c.status.in_(OPEN_STATUSES))
            statuses.discard("open")
        if statuses:
            parts.append(I.c.status.in_(sorted(statuses)))
        conditions.append(or_(*parts))
    if filters.get("overdue"):
        conditions.append(I.c.overdue.is_(True))
    return conditions


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
    T = IncidentType.__table__
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
    T = IncidentType.__table__
    statement = (select(I.c.id, I.c.code, I.c.theme, I.c.type_code, T.c.name.label("type_zh"),
                        T.c.name_en.label("type_en"), I.c.severity, I.c.status, I.c.adcode, I.c.department,
                        I.c.reported_at, I.c.deadline_at)
                 .join(T, T.c.code == I.c.type_code)
                 .where(*incident_conditions(view, with_time=False), I.c.status.in_(OPEN_STATUSES),
                        I.c.overdue.is_(True))
                 .order_by(I.c.deadline_at.asc()).limit(limit))
    return read(statement)


@cached
def points(view: ViewState, limit: int = 3000) -> pd.DataFrame:
    """Incidents of the range as map points (the newest first, at most `limit`)."""
    T = IncidentType.__table__
    statement = (select(I.c.id, I.c.code, I.c.lat, I.c.lon, I.c.severity, I.c.status, I.c.overdue,
                        T.c.name.label("type_zh"), T.c.name_en.label("type_en"))
                 .join(T, T.c.code == I.c.type_code)
                 .where(*incident_conditions(view)).order_by(I.c.reported_at.desc()).limit(limit))
    return read(statement)
