"""Helpers shared by the query modules: engine access, dialect-neutral date buckets, filters."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Date, Integer, cast, func, literal_column

from data.db import get_engine
from data.regions import region_tree


def read(statement, url: str | None = None) -> pd.DataFrame:
    """Run a SELECT on the configured database (or `url`) and return its rows as a DataFrame."""
    with get_engine(url).connect() as conn:
        result = conn.execute(statement)
        # plain tuples: pandas probes Row objects attribute by attribute, ten times slower
        return pd.DataFrame([tuple(row) for row in result.fetchall()], columns=list(result.keys()))


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
    if grain == "week":
        # SQLite before 3.46 has no ISO week (%V): take the Thursday of the day's Monday-to-Sunday
        # week, whose year is the ISO year and whose day of the year gives the ISO week number
        thursday = func.date(column, literal_column("'-3 days'"), literal_column("'weekday 4'"))
        number = (cast(func.strftime(literal_column("'%j'"), thursday), Integer) - 1) / 7 + 1
        return func.printf(literal_column("'%s-W%02d'"), func.strftime(literal_column("'%Y'"), thursday), number)
    return func.strftime(literal_column("'%Y-%m'"), column)


def grain_for(start: date, end: date) -> str:
    days = (end - start).days + 1
    if days <= 120:
        return "day"
    if days <= 400:
        return "week"
    return "month"


def date_expression(column):
    """The calendar day of a timestamp column, in the database's dialect."""
    if get_engine().dialect.name == "postgresql":
        return cast(column, Date)
    return func.date(column)


def hour_expression(column):
    """The hour of a timestamp column, 0…23, as an integer in the database's dialect."""
    if get_engine().dialect.name == "postgresql":
        return cast(func.extract("hour", column), Integer)
    return cast(func.strftime(literal_column("'%H'"), column), Integer)


def align_last_year(current: pd.DataFrame, last_year: pd.DataFrame, grain: str,
                    shift_days: int | None = None) -> pd.DataFrame:
    """Put a series of the same period last year beside this period's, bucket by bucket.

    current: columns bucket, value; last_year: columns bucket, last_year (its buckets a year
    earlier, or `shift_days` earlier: 364 compares a day with the same weekday 52 weeks before).
    Returns bucket, value, last_year sorted by bucket, days as timestamps."""
    def text(bucket, forward: bool) -> str:
        if grain == "day":
            day = pd.Timestamp(bucket).date()
            if not forward:
                return day.isoformat()
            if shift_days:
                return (day + timedelta(days=shift_days)).isoformat()
            try:
                return day.replace(year=day.year + 1).isoformat()
            except ValueError:  # 29 February
                return day.replace(year=day.year + 1, day=28).isoformat()
        year, rest = str(bucket).split("-", 1)
        return f"{int(year) + forward}-{rest}"

    current = current.assign(bucket=[text(b, False) for b in current["bucket"]])
    last_year = last_year.assign(bucket=[text(b, True) for b in last_year["bucket"]])
    merged = current.merge(last_year, on="bucket", how="left").sort_values("bucket").reset_index(drop=True)
    if grain == "day":
        merged["bucket"] = pd.to_datetime(merged["bucket"])
    merged.attrs["grain"] = grain
    return merged
