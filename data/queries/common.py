"""Helpers shared by the query modules: engine access, dialect-neutral date buckets, filters."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import func, literal_column

from data.db import get_engine
from data.regions import region_tree


def read(statement) -> pd.DataFrame:
    with get_engine().connect() as conn:
        result = conn.execute(statement)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def scalar(statement):
    with get_engine().connect() as conn:
        return conn.execute(statement).scalar()


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) for timestamp columns."""
    return datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())


def counties_under(adcode: str) -> list[str]:
    """The county codes at or below a region (a county gives itself)."""
    tree = region_tree()
    info = tree.get(adcode)
    if info.level == "county":
        return [adcode]
    return [c.adcode for c in tree.counties(adcode)]


def child_codes(adcode: str) -> list[str]:
    """The regions one level below (the bars of a ranking); a county has none."""
    return [c.adcode for c in region_tree().children(adcode)]


def region_names(lang: str = "zh") -> dict[str, str]:
    return {r.adcode: r.label(lang) for r in region_tree().all()}


def bucket_expression(column, grain: str):
    """A text label of the day's bucket: day, ISO week or month, in the database's dialect."""
    dialect = get_engine().dialect.name
    if grain == "day":
        return column
    if dialect == "postgresql":
        fmt = {"week": "IYYY-\"W\"IW", "month": "YYYY-MM"}[grain]
        return func.to_char(column, literal_column(f"'{fmt}'"))
    fmt = {"week": "%Y-W%W", "month": "%Y-%m"}[grain]
    return func.strftime(literal_column(f"'{fmt}'"), column)


def grain_for(start: date, end: date) -> str:
    days = (end - start).days + 1
    if days <= 120:
        return "day"
    if days <= 400:
        return "week"
    return "month"


def hour_expression(column):
    if get_engine().dialect.name == "postgresql":
        return func.extract("hour", column)
    return func.cast(func.strftime(literal_column("'%H'"), column), type_=None)
