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
