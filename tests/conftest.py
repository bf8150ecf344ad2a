"""Shared fixtures: a generated demo database, the app served on a free port, a headless Chromium."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from served import CHROMIUM_ARGS, ServedApp  # noqa: E402
from services import require_chromium  # noqa: E402

DEMO_END = date(2026, 11, 25)  # fixed "today" so figures are reproducible
DEMO_DAYS = 400  # enough for same-period-last-year comparisons
DEMO_SCALE = 0.2


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory):
    """A small generated 黄山 database and var/ folder, and settings pointing at them."""
    from core.settings import override_settings
    from data.generator import generate

    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'cockpit.db'}"
    settings = override_settings(database_url=url, var_dir=folder / "var", demo_end=DEMO_END,
                                 auth_required=False)
    generate(url, scale=DEMO_SCALE, days=DEMO_DAYS, end=DEMO_END, seed=7)
    from data.alerts import evaluate_warnings

    evaluate_warnings(url)
    return {"url": url, "folder": folder, "settings": settings}


@pytest.fixture(scope="session")
def pg_demo_env(tmp_path_factory):
    """The same demo data generated into PostgreSQL (a schema of its own, dropped at the end)."""
    from services import drop_pg_schema, pg_schema_url

    from data.alerts import evaluate_warnings
    from data.db import dispose_engines
    from data.generator import generate

    url, schema = pg_schema_url("demo")
    generate(url, scale=DEMO_SCALE, days=DEMO_DAYS, end=DEMO_END, seed=7)
    evaluate_warnings(url)
    yield {"url": url, "schema": schema}
    dispose_engines()
    drop_pg_schema(schema)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request, demo_env):
    """Runs a module's tests once on SQLite and once on PostgreSQL: the same code, the same tests."""
    from core.settings import override_settings
    from data.cache import forget_data_version

    if request.param == "sqlite":
        url = demo_env["url"]
    else:
        url = request.getfixturevalue("pg_demo_env")["url"]
    override_settings(database_url=url)
    forget_data_version()
    yield url
    override_settings(database_url=demo_env["url"])
    forget_data_version()


@contextmanager
def demo_database(request, database: str):
    """The demo data on `database` ('sqlite' or 'postgresql') as the configured database for a block,
    then the SQLite demo again: for tests parametrized over both that switch within the test."""
    from core.settings import override_settings
    from data.cache import forget_data_version

    sqlite_url = request.getfixturevalue("demo_env")["url"]
    url = sqlite_url if database == "sqlite" else request.getfixturevalue("pg_demo_env")["url"]
    override_settings(database_url=url)
    forget_data_version()
    try:
        yield url
    finally:
        override_settings(database_url=sqlite_url)
        forget_data_version()


@pytest.fixture
def app_client(demo_env):
    """The app in this process, asked without a server (Flask's test client). Its prewarming stays
    off: started by a first request, its thread would read the database beside later tests."""
    from core.settings import get_settings, override_settings

    import app

    before = get_settings().prewarm_seconds
    override_settings(prewarm_seconds=0)
    yield app.server.test_client()
    override_settings(prewarm_seconds=before)


@pytest.fixture(scope="session")
def served_app(demo_env):
    app = ServedApp(demo_env["url"], demo_env["folder"], {"COCKPIT_DEMO_END": DEMO_END.isoformat()})
    yield app
    app.stop()


@pytest.fixture(scope="session")
def browser():
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, served_app):
    """A fresh browser page that records console errors and every request to another host."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    tab = context.new_page()
    tab.console_errors = []
    tab.outside_requests = []
    tab.on("console", lambda msg: tab.console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: tab.console_errors.append(str(exc)))

    def check_host(request):
        host = request.url.split("/")[2] if "://" in request.url else ""
        if request.url.startswith(("data:", "blob:")):
            return
        if not host.startswith(("127.0.0.1", "localhost")):
            tab.outside_requests.append(request.url)

    tab.on("request", check_host)
    tab.base = served_app.base
    yield tab
    context.close()
