"""Helpers shared by the query modules: engine access, dialect-neutral date buckets, filters."""
from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Date, Integer, cast, func, literal_column, or_, select

from core.settings import get_settings
from data.db import get_engine
from data.regions import region_tree

# The connection that `shared_connection` holds open for the reads made inside it.
_shared: contextvars.ContextVar[_SharedConnection | None] = contextvars.ContextVar("shared_connection",
                                                                                   default=None)


class _SharedConnection:
    """The connection of a `shared_connection` block, checked out at its first read: a block whose
    reads all come from the cache costs no checkout."""

    def __init__(self, url: str):
        self.url = url
        self.conn = None

    def get(self):
        if self.conn is not None and self.conn.invalidated:  # lost (a database restart): the next read reconnects
            self.conn.close()
            self.conn = None
        if self.conn is None:
            self.conn = _connect(self.url)
        return self.conn


@contextmanager
def shared_connection(url: str | None = None):
    """Make the reads inside use one connection (nested uses share the outer one).

    A query function that runs several statements checks a connection out of the pool once: every
    checkout costs PostgreSQL a round trip (the pool's ping), which on small queries weighs as much
    as the query. Reads are in autocommit, so a failed statement leaves the connection usable for
    the next one."""
    url = url or get_settings().db_url
    current = _shared.get()
    if current is not None and current.url == url:
        yield
        return
    shared = _SharedConnection(url)
    token = _shared.set(shared)
    try:
        yield
    finally:
        _shared.reset(token)
        if shared.conn is not None:
            shared.conn.close()


@contextmanager
def own_connection(url: str | None = None):
    """Make the reads inside share a connection of their own, not that of a block around them: for
    work run in another thread beside that block (one connection is never used by two threads)."""
    token = _shared.set(None)
    try:
        with shared_connection(url):
            yield
    finally:
        _shared.reset(token)


def on_one_connection(fn):
    """Run a query function that makes several reads on one connection (`shared_connection`)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with shared_connection():
            return fn(*args, **kwargs)

    return wrapper


def _connect(url: str | None):
    """A connection for reading: in autocommit, so that PostgreSQL is not sent a BEGIN before the
    first SELECT and a ROLLBACK when the connection goes back to the pool (two round trips, on
    small queries as long as the query)."""
    return get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT")


def _execute(statement, url: str | None, handle, params: dict | None = None):
    current = _shared.get()
    if current is not None and current.url == (url or get_settings().db_url):
        return handle(current.get().execute(statement, params))
    with _connect(url) as conn:
        return handle(conn.execute(statement, params))


def read(statement, url: str | None = None) -> pd.DataFrame:
    """Run a SELECT on the configured database (or `url`) and return its rows as a DataFrame."""
    def frame(result):
        # plain tuples: pandas probes Row objects attribute by attribute, ten times slower
        return pd.DataFrame([tuple(row) for row in result.fetchall()], columns=list(result.keys()))

    return _execute(statement, url, frame)


def fetch(statement, url: str | None = None, params: dict | None = None) -> list[tuple]:
    """Run a SELECT (with the values of its bind parameters) and return its rows as plain tuples:
    for small answers that are finished in Python, where building a DataFrame would cost more than
    the query."""
    return _execute(statement, url, lambda result: [tuple(row) for row in result.fetchall()], params)


def leading_rows(rows, key, limit: int, rounding: float):
    """SELECT of the rows of `rows` (a CTE) that can be among the first `limit` by `key` descending
    once `key` is rounded to a step of `rounding`: those within `rounding` of the limit-th exact
    value (every row, when there are fewer). Python rounds and orders these few as it would all of
    them; the database does not pass every row of a city to Python for the first ten."""
    limit_th = select(key).order_by(key.desc()).offset(limit - 1).limit(1).scalar_subquery()
    return select(rows).where(or_(limit_th.is_(None), key >= limit_th - rounding))


def dialect_name(url: str | None = None) -> str:
    """'sqlite' or 'postgresql': part of the key of statements built once per shape (their SQL
    differs by dialect, e.g. `bucket_expression`)."""
    return get_engine(url).dialect.name


def scalar(statement, url: str | None = None):
    return _execute(statement, url, lambda result: result.scalar())


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


def bucket_label(day: date, grain: str) -> str:
    """The label `bucket_expression` gives a day's week ('2026-W07', ISO) or month ('2026-02'): for
    summing days into buckets in Python, which is cheaper than the database computing the label of
    every row (SQLite's ISO week takes five date functions a row)."""
    if grain == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if grain == "month":
        return f"{day.year:04d}-{day.month:02d}"
    raise ValueError(f"no label for grain '{grain}'")


def as_date(value) -> date:
    """A day read from the database: a date (PostgreSQL, SQLAlchemy's Date on SQLite), a
    datetime, or SQLite's 'YYYY-MM-DD' text of date()."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


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
    Returns bucket, value, last_year sorted by bucket, days as timestamps: a left join of this
    period's buckets with last year's shifted on (a bucket meeting two of last year's, 29 February,
    is there twice). Joined with plain Python on the few rows: a pandas merge costs milliseconds."""
    if list(current.columns) != ["bucket", "value"] or list(last_year.columns) != ["bucket", "last_year"]:
        return _align_by_merge(current, last_year, grain, shift_days)
    earlier: dict[str, list[int]] = {}
    for position, bucket in enumerate(last_year["bucket"].tolist()):
        earlier.setdefault(_bucket_text(bucket, True, grain, shift_days), []).append(position)
    pairs = []  # (bucket, row of current, row of last year or -1)
    for position, bucket in enumerate(current["bucket"].tolist()):
        label = _bucket_text(bucket, False, grain, shift_days)
        pairs += [(label, position, match) for match in earlier.get(label, (-1,))]
    pairs.sort(key=lambda pair: pair[0])
    buckets = [label for label, _, _ in pairs]
    merged = pd.DataFrame({
        "bucket": pd.to_datetime(buckets) if grain == "day" else buckets,
        "value": current["value"].take([row for _, row, _ in pairs]).reset_index(drop=True),
        # reindex fills a bucket without one of last year with NaN, as a merge does (ints become floats)
        "last_year": last_year["last_year"].reset_index(drop=True).reindex([row for _, _, row in pairs])
        .reset_index(drop=True),
    })
    merged.attrs["grain"] = grain
    return merged


def _bucket_text(bucket, forward: bool, grain: str, shift_days: int | None) -> str:
    """A bucket as text, moved on by a year (or `shift_days`) when `forward`: the join key of
    `align_last_year`."""
    if grain == "day":
        day = bucket if type(bucket) is date else pd.Timestamp(bucket).date()
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


def _align_by_merge(current: pd.DataFrame, last_year: pd.DataFrame, grain: str,
                    shift_days: int | None = None) -> pd.DataFrame:
    """`align_last_year` with a pandas merge: for frames of other columns."""
    current = current.assign(bucket=[_bucket_text(b, False, grain, shift_days) for b in current["bucket"]])
    last_year = last_year.assign(bucket=[_bucket_text(b, True, grain, shift_days) for b in last_year["bucket"]])
    merged = current.merge(last_year, on="bucket", how="left").sort_values("bucket").reset_index(drop=True)
    if grain == "day":
        merged["bucket"] = pd.to_datetime(merged["bucket"])
    merged.attrs["grain"] = grain
    return merged
