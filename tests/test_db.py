"""Database engines: PostgreSQL connections keep the URL's own options (a deployment's schema)."""
from __future__ import annotations

from sqlalchemy import text

from services import drop_pg_schema, pg_schema_url


def test_postgres_engine_keeps_the_urls_search_path_and_plans_without_parallel_workers_or_jit():
    from data.db import get_engine

    url, schema = pg_schema_url("db")
    try:
        engine = get_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SHOW search_path")).scalar() == schema
            assert conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
            assert conn.execute(text("SHOW jit")).scalar() == "off"
        engine.dispose()
    finally:
        drop_pg_schema(schema)


def test_an_index_declared_since_a_database_was_made_is_built_at_the_next_start(tmp_path):
    """A release that declares a new index gets it on the databases that earlier releases made."""
    from sqlalchemy import inspect

    from data.db import create_schema, get_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    create_schema(url)
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_home_care_day"))
        conn.execute(text("DROP INDEX ix_region_daily_series"))
    create_schema(url)
    names = {table: {index["name"] for index in inspect(engine).get_indexes(table)}
             for table in ("home_care_daily", "region_daily")}
    assert "ix_home_care_day" in names["home_care_daily"]
    assert "ix_region_daily_series" in names["region_daily"]
    create_schema(url)  # and a start with nothing to add changes nothing
    engine.dispose()


def wait_for_no_older_snapshot(engine, timeout: float = 60.0) -> None:
    """Wait until no other session of the database holds a snapshot: VACUUM marks a page all-visible
    only when no open transaction may still see its old rows, and the suite's other work (a data load,
    a served app) shares the database (seen once: a run's VACUUM left every page unmarked)."""
    import time

    deadline = time.time() + timeout
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL")).scalar():
            if time.time() > deadline:
                break  # the assertion below then says what VACUUM could not do
            time.sleep(0.2)


def test_a_bulk_load_leaves_postgresql_tables_vacuumed_for_index_only_reads():
    """After data.bulk.analyze the loaded table's pages are all-visible (what index-only scans
    need) and the planner has its statistics, without waiting for autovacuum."""
    from data import bulk
    from data.db import create_schema, get_engine
    from data.models import HomeCareDaily

    url, schema = pg_schema_url("vac")
    try:
        create_schema(url)
        engine = get_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO home_care_daily (adcode, day, kind, services) "
                              "SELECT '341002', DATE '2026-01-01' + i, 'meal', i FROM generate_series(0, 4999) i"))
        table = HomeCareDaily.__table__
        wait_for_no_older_snapshot(engine)
        bulk.analyze(engine, [table])
        with engine.connect() as conn:
            pages, visible, tuples = conn.execute(text(
                "SELECT relpages, relallvisible, reltuples FROM pg_class WHERE oid = 'home_care_daily'::regclass")).one()
        assert pages > 0 and visible == pages and tuples == 5000
        engine.dispose()
    finally:
        drop_pg_schema(schema)


def test_a_summary_table_a_release_adds_is_built_at_the_next_start(tmp_path):
    """A database whose data came before a summary table existed gets the table filled at the next
    start (its cockpits read it: empty, they would show nothing), and the caches told."""
    from datetime import date

    from data.db import create_schema, get_engine
    from data.generator import generate
    from data.summaries import check_summaries

    def data_version() -> str:
        with get_engine(url).connect() as conn:
            return conn.execute(text("SELECT value FROM data_meta WHERE key = 'version'")).scalar()

    url = f"sqlite:///{tmp_path / 'old.db'}"
    generate(url, scale=0.2, days=3, end=date(2025, 10, 2))
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE summary_region_period"))
    version = data_version()
    create_schema(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT COUNT(*) FROM summary_region_period")).scalar()
        days = conn.execute(text("SELECT COUNT(*) FROM region_daily")).scalar()
    assert rows > days > 0  # a row per day, and the week and month rows
    assert check_summaries(url, tables=["summary_region_period"]) == []
    assert data_version() != version
    engine.dispose()


def test_a_summary_table_a_release_redefines_is_made_anew_at_the_next_start(tmp_path):
    """A summary table whose columns an earlier release defined otherwise (here: the incident map
    cells before they were kept per severity) is dropped, created as declared and filled."""
    from datetime import date

    from data.db import create_schema, get_engine
    from data.generator import generate
    from data.summaries import check_summaries

    url = f"sqlite:///{tmp_path / 'old.db'}"
    generate(url, scale=0.2, days=3, end=date(2025, 10, 2))
    engine = get_engine(url)
    with engine.begin() as conn:
        incidents = conn.execute(text("SELECT COUNT(*) FROM incident")).scalar()
        conn.execute(text("DROP TABLE summary_incident_cell"))
        conn.execute(text("CREATE TABLE summary_incident_cell (period VARCHAR(5), start DATE, adcode VARCHAR(12), "
                          "cell_lat INTEGER, cell_lon INTEGER, incidents INTEGER, overdue INTEGER, lat_sum FLOAT, "
                          "lon_sum FLOAT, PRIMARY KEY (period, start, adcode, cell_lat, cell_lon))"))
    create_schema(url)
    with engine.connect() as conn:
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(summary_incident_cell)"))}
        counted = conn.execute(text("SELECT SUM(incidents) FROM summary_incident_cell WHERE period = 'day'")).scalar()
    assert "severity" in columns and counted == incidents > 0
    assert check_summaries(url, tables=["summary_incident_cell"]) == []
    engine.dispose()
