"""Database engines: PostgreSQL connections keep the URL's own options (a deployment's schema)."""
from __future__ import annotations

from sqlalchemy import text

from services import drop_pg_schema, pg_schema_url


def test_postgres_engine_keeps_the_urls_search_path_and_plans_without_parallel_workers():
    from data.db import get_engine

    url, schema = pg_schema_url("db")
    try:
        engine = get_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SHOW search_path")).scalar() == schema
            assert conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
        engine.dispose()
    finally:
        drop_pg_schema(schema)
