"""Shared fixtures: a generated demo database, the app served on a free port, a headless Chromium."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedApp:
    def __init__(self, env: dict, extra_env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "DATABASE_URL": env["url"],
                   "COCKPIT_VAR_DIR": str(env["folder"] / "var"), "COCKPIT_DEMO_END": DEMO_END.isoformat(),
                   "COCKPIT_AUTH": "0", "PYTHONUNBUFFERED": "1", **(extra_env or {})}
        self.log = open(env["folder"] / f"server-{self.port}.log", "w")
        self.process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=environ,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited: see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status in (200, 503):
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the app did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def served_app(demo_env):
    app = ServedApp(demo_env)
    yield app
    app.stop()


@pytest.fixture(scope="session")
def browser():
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"])
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
