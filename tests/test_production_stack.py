"""The production stack on this machine: two gunicorn workers, a Celery worker, PostgreSQL and
Redis; a duty officer signs in through a real browser, drills and exports (the image through Celery)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import DEMO_END
from served import ROOT, ServedApp
from services import require_chromium, require_redis

pytestmark = pytest.mark.browser
PASSWORD = "Huangshan-2026!"
VENV_BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def stack(pg_demo_env, tmp_path_factory):
    require_chromium()
    redis_url = require_redis()
    from core.auth import create_user, find_user
    from core.settings import get_settings, override_settings

    before = get_settings().database_url
    override_settings(database_url=pg_demo_env["url"])
    try:
        if find_user("duty_officer") is None:
            create_user("duty_officer", PASSWORD, "duty", "341000")
    finally:
        override_settings(database_url=before)
    folder = tmp_path_factory.mktemp("stack")
    env = {"COCKPIT_AUTH": "1", "COCKPIT_DEMO_END": DEMO_END.isoformat(), "COCKPIT_REDIS_URL": redis_url,
           "COCKPIT_JOBS": "celery", "COCKPIT_CELERY_BROKER": "redis://127.0.0.1:6379/14",
           "COCKPIT_WORKERS": "2", "COCKPIT_SECRET_KEY": "stack-test-secret"}
    worker_log = open(folder / "celery.log", "w")
    worker = subprocess.Popen(
        [os.path.join(VENV_BIN, "celery"), "-A", "app:celery_app", "worker", "--concurrency", "1",
         "--loglevel", "INFO"], cwd=ROOT, stdout=worker_log, stderr=subprocess.STDOUT,
        env={**os.environ, "DATABASE_URL": pg_demo_env["url"], "COCKPIT_VAR_DIR": str(folder / "var"),
             "COCKPIT_DEMO": "0", **env})
    web = ServedApp(pg_demo_env["url"], folder, env,
                    command=[os.path.join(VENV_BIN, "gunicorn"), "-c", "gunicorn.conf.py", "app:server"])
    yield web
    web.stop()
    worker.terminate()
    worker.wait(timeout=20)
    worker_log.close()


def test_sign_in_drill_and_export_on_the_production_stack(stack, browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(stack.base + "/")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("input[name=username]", "duty_officer")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"^[^?]*/(\?.*)?$"))
    page.goto(stack.base + "/")  # a fresh load once signed in: workers and caches are warm by now
    assert "/login" not in page.url, "the sign-in did not take"
    label = page.locator(".cockpit-map-label", has_text="歙县").first
    label.wait_for(timeout=90000)
    box = label.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r"region=341021"))
    page.wait_for_function("() => document.querySelector('#breadcrumb .crumb.current').innerText === '歙县'")

    page.locator('[id="panel-overview.ranking"] .export-summary').click()
    with page.expect_download(timeout=60000) as csv_download:
        page.locator('[id="panel-overview.ranking"] button', has_text="CSV").click()
    assert csv_download.value.suggested_filename.startswith("歙县_总体态势_区县排名_")

    page.locator('[id="panel-overview.ranking"] .export-summary').click()
    with page.expect_download(timeout=120000) as png_download:  # rendered by the Celery worker
        page.locator('[id="panel-overview.ranking"] button', has_text="PNG").click()
    path = png_download.value.path()
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    assert errors == []
    context.close()
