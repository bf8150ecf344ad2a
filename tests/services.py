"""Which outside services the tests can use. Under CI=true a missing one is a failure, never a skip."""
from __future__ import annotations

import os
import shutil
import socket
import uuid

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("COCKPIT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("COCKPIT_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(available: bool, what: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} not available on this machine")


def chromium_path() -> str | None:
    for name in (os.environ.get("BROWSER_PATH") or "", "chromium", "chromium-browser", "google-chrome"):
        if name and (shutil.which(name) or os.path.exists(name)):
            return shutil.which(name) or name
    return None


def require_chromium() -> str:
    path = chromium_path()
    require(path is not None, "Chromium (apt-get install chromium fonts-noto-cjk)")
    return path


def require_postgres() -> str:
    require(_port_open("127.0.0.1", 5432), "PostgreSQL at 127.0.0.1:5432")
    return PG_ADMIN_URL


def require_redis() -> str:
    require(_port_open("127.0.0.1", 6379), "Redis at 127.0.0.1:6379")
    return REDIS_URL


def pg_schema_url(prefix: str = "t") -> tuple[str, str]:
    """A PostgreSQL URL whose search_path is a new, unique schema (created here); returns (url, schema)."""
    from sqlalchemy import create_engine, text

    admin = require_postgres()
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in admin else "?"
    return f"{admin}{separator}options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def answers_on_both(demo_env: dict, prefix: str, functions, views) -> tuple[list, list]:
    """Each query function's answer for each view on the demo SQLite database, then on the same
    generated data in a PostgreSQL schema of its own (dropped afterwards): ([[sqlite]], [[postgres]])."""
    from conftest import DEMO_DAYS, DEMO_END, DEMO_SCALE
    from core.settings import override_settings
    from data.db import dispose_engines
    from data.generator import generate

    on_sqlite = [[fn(view) for fn in functions] for view in views]
    url, schema = pg_schema_url(prefix)
    try:
        generate(url, scale=DEMO_SCALE, days=DEMO_DAYS, end=DEMO_END, seed=7)
        override_settings(database_url=url)
        on_postgres = [[fn(view) for fn in functions] for view in views]
    finally:
        override_settings(database_url=demo_env["url"])
        dispose_engines()
        drop_pg_schema(schema)
    return on_sqlite, on_postgres
