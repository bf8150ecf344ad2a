"""Fast bulk writes of pandas frames into the topic tables, inside the caller's transaction.

PostgreSQL: COPY … FROM STDIN (CSV) through psycopg 3's `cursor.copy`. SQLite: `executemany` in
large batches. Values are converted per column type from the table's metadata, and for SQLite
written exactly as SQLAlchemy writes them (DATETIME as 'YYYY-MM-DD HH:MM:SS.ffffff', DATE as
'YYYY-MM-DD'), so that ORM queries compare them correctly.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Connection, Date, DateTime, Engine, Float, Integer, Table, text

SQLITE_BATCH = 100_000
COPY_BATCH = 200_000


def _is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _format_times(values: pd.Series, with_time: bool, sqlite: bool) -> np.ndarray:
    """Datetimes as text (None where missing), formatting each distinct value once."""
    array = values.to_numpy(dtype="datetime64[s]" if with_time else "datetime64[D]")
    missing = np.isnat(array)
    out = np.full(len(array), None, dtype=object)
    if missing.all():
        return out
    unique, inverse = np.unique(array[~missing], return_inverse=True)
    text_values = np.datetime_as_string(unique, unit="s" if with_time else "D")
    if with_time:
        text_values = np.strings.replace(text_values, "T", " ")
        if sqlite:
            text_values = np.strings.add(text_values, ".000000")
    out[~missing] = text_values[inverse].astype(object)
    return out


def _column_values(series: pd.Series, column, sqlite: bool) -> np.ndarray:
    """One column as an object array of DB-API values (None for NULL)."""
    kind = column.type
    if isinstance(kind, DateTime):
        return _format_times(series, True, sqlite)
    if isinstance(kind, Date):
        return _format_times(series, False, sqlite)
    missing = series.isna().to_numpy()
    if isinstance(kind, Boolean):
        values = series.fillna(False).to_numpy(dtype=bool)
        values = values.astype(int) if sqlite else values
    elif isinstance(kind, Integer):
        values = series.fillna(0).to_numpy(dtype=np.int64)
    elif isinstance(kind, Float):
        values = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = series.to_numpy(dtype=object)
    out = np.array(values.tolist(), dtype=object) if len(values) else np.empty(0, dtype=object)
    out[missing] = None
    return out


def insert_frame(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert the frame's rows into `table` (columns matched by name; extra columns ignored).
    Returns the number of rows written."""
    if frame is None or frame.empty:
        return 0
    columns = [c for c in table.columns if c.name in frame.columns]
    names = [c.name for c in columns]
    if _is_postgres(conn):
        _copy(conn, table, frame, columns)
    else:
        sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
        cursor = conn.connection.driver_connection.cursor()
        try:
            for start in range(0, len(frame), SQLITE_BATCH):
                part = frame.iloc[start:start + SQLITE_BATCH]
                values = [_column_values(part[c.name], c, sqlite=True) for c in columns]
                cursor.executemany(sql, zip(*values))
        finally:
            cursor.close()
    return len(frame)


def _copy(conn: Connection, table: Table, frame: pd.DataFrame, columns) -> None:
    names = ", ".join(f'"{c.name}"' for c in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for start in range(0, len(frame), COPY_BATCH):
                part = frame.iloc[start:start + COPY_BATCH]
                values = pd.DataFrame({c.name: _column_values(part[c.name], c, sqlite=False) for c in columns})
                buffer = io.StringIO()
                values.to_csv(buffer, header=False, index=False, na_rep="\\N")
                copy.write(buffer.getvalue())
    finally:
        cursor.close()


def clear_tables(conn: Connection, tables: Iterable[Table]) -> None:
    """Delete every row of the tables (given children first)."""
    tables = list(tables)
    if _is_postgres(conn):
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)))
    else:
        for table in tables:
            conn.execute(table.delete())


@contextmanager
def loading_connection(engine: Engine):
    """A connection for a big load. On SQLite the sorts of index builds spill to temporary files
    rather than memory (the app's connections keep temp_store=MEMORY for fast queries), which
    keeps a hundredfold demo load within a couple of gigabytes."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA temp_store=FILE")
            conn.commit()
        try:
            yield conn
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
                conn.commit()


@contextmanager
def secondary_indexes_dropped(conn: Connection, tables: Iterable[Table]):
    """Drop the tables' secondary indexes for a bulk load and build them again afterwards:
    one sorted build is much faster than millions of B-tree insertions."""
    indexes = [index for table in tables for index in table.indexes]
    for index in indexes:
        index.drop(conn, checkfirst=True)
    yield
    for index in indexes:
        index.create(conn, checkfirst=True)


def analyze(engine: Engine, tables: Iterable[Table]) -> None:
    """Refresh the planner's statistics of the tables after a bulk load. PostgreSQL also vacuums
    them: freshly written pages are not marked all-visible until a VACUUM, and until then every
    index-only read (the covering indexes of the cockpits' range sums) visits the table's rows
    too — after a big load, or where autovacuum is off, that lasts until someone vacuums."""
    names = ", ".join(f'"{table.name}"' for table in tables)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # VACUUM cannot run inside a transaction
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"VACUUM (ANALYZE) {names}")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
