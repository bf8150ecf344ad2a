"""Database engines: one URL setting, SQLite (WAL) by default, PostgreSQL in production.

The same SQLAlchemy Core/ORM code serves both; dialect differences (upsert, bulk copy) are
kept in this module and in data/loader.py.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from core.settings import get_settings


class Base(DeclarativeBase):
    pass


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    # WAL lets the web workers read while the live generator or a loader writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().db_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                # No parallel plans and no JIT: a cockpit's reads are small index scans, for which starting
                # workers costs more than it saves (measured 29–44 ms against 19–20 ms on 2 cores), and
                # compiling a plan (which PostgreSQL starts above a cost a big year-long sum reaches at
                # scale) costs tens of milliseconds that an interactive read does not win back;
                # and the web workers' own concurrency already keeps the cores busy.
                # (connect_args' options replace the URL's: a search_path given there is kept)
                given = make_url(url).query.get("options") or ""
                given = given if isinstance(given, str) else " ".join(given)
                options = f"{given} -c max_parallel_workers_per_gather=0 -c jit=off".strip()
                engine = create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True,
                                       connect_args={"options": options})
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def is_postgres(engine: Engine | None = None) -> bool:
    return (engine or get_engine()).dialect.name == "postgresql"


@contextmanager
def session_scope(url: str | None = None):
    """A transaction: committed when the block ends, rolled back whole on any error."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def create_schema(url: str | None = None) -> None:
    from data import models, security_models  # noqa: F401  (registers the tables)

    engine = get_engine(url)
    before = set(inspect(engine).get_table_names())
    # a summary table an earlier release defined otherwise is made anew (its rows follow from the raw rows)
    redefined = _redefined_summaries(engine, before)
    if redefined:
        from data.summaries import SUMMARIES

        with engine.begin() as conn:
            for name in redefined:
                SUMMARIES[name].table.drop(conn)
    Base.metadata.create_all(engine)
    # create_all builds the indexes of the tables it creates, not those declared since on a table
    # that exists: build them here, so that a database made by an earlier release gets them too.
    with engine.begin() as conn:
        existing = {table: {index["name"] for index in inspect(conn).get_indexes(table)}
                    for table in inspect(conn).get_table_names()}
        for table in Base.metadata.sorted_tables:
            for index in table.indexes:
                if index.name not in existing.get(table.name, set()):
                    index.create(conn, checkfirst=True)
    if before:  # a database made by an earlier release: the summaries it did not have are built now
        from data.summaries import SUMMARIES, build_new_summaries

        build_new_summaries(engine, [name for name in SUMMARIES if name not in before or name in redefined])


def _redefined_summaries(engine: Engine, tables: set[str]) -> list[str]:
    """The summary tables of the database whose columns are not those their model declares now."""
    from data.summaries import SUMMARIES

    inspector = inspect(engine)
    return [name for name, summary in SUMMARIES.items() if name in tables
            and {column["name"] for column in inspector.get_columns(name)} != {c.name for c in summary.table.columns}]
