"""The big screen (大屏) and the phone (小屏) in a real headless Chromium.

Walls of 1920×1080, 3840×2160 and 32:9 (5760×1620) show the same 1920×1080 canvas, scaled
uniformly and letterboxed, with no scrollbar anywhere; the wall's carousel shows each cockpit
only once fully drawn, advances, and pauses on input; a refresh with unchanged data costs almost
nothing and a hidden page does not refresh; new data rolls the numbers, updates only the panels
whose data changed, and a new red warning is announced once; a server restart is noticed and
recovered from; the overview reads in one column on a 390 px phone.
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
from datetime import date, datetime
from unittest import mock

import pytest
from sqlalchemy import create_engine, text

import served
from served import ServedApp

pytestmark = pytest.mark.browser
CANVAS = (1920, 1080)
CAROUSEL_SECONDS = 5  # the shortest dwell the configuration accepts
QUIET_SECONDS = 2 * CAROUSEL_SECONDS  # components.screen.QUIET_INTERVALS
REFRESH_SECONDS = 2
WALL_ENV = {"COCKPIT_CAROUSEL": "/,/incidents", "COCKPIT_CAROUSEL_SECONDS": str(CAROUSEL_SECONDS),
            "COCKPIT_REFRESH_SECONDS": str(REFRESH_SECONDS), "COCKPIT_DEMO_END": "2026-11-25"}


# -- fixtures -----------------------------------------------------------------------------------
class RestartableApp(ServedApp):
    """A served app that can be stopped and started again on the same port (a server restart)."""

    def __init__(self, url, folder, extra_env):
        self._arguments = (url, folder, extra_env)
        super().__init__(url, folder, extra_env)

    def restart(self) -> None:
        port = self.port
        with mock.patch.object(served, "free_port", lambda: port):
            ServedApp.__init__(self, *self._arguments)


@pytest.fixture(scope="module")
def wall_db(demo_env, tmp_path_factory):
    """A copy of the demo database: these tests change data (a new warning, a new reading)."""
    folder = tmp_path_factory.mktemp("wall")
    # SQLite's backup copies what is still in the write-ahead log too (a file copy would not)
    with sqlite3.connect(demo_env["url"].removeprefix("sqlite:///")) as source, \
            sqlite3.connect(folder / "cockpit.db") as target:
        source.backup(target)
    return {"url": f"sqlite:///{folder / 'cockpit.db'}", "folder": folder}


@pytest.fixture(scope="module")
def wall_app(wall_db):
    """The app with a fast carousel (/ ↔ /incidents, 5 s each) and a 2-second refresh."""
    app = RestartableApp(wall_db["url"], wall_db["folder"], WALL_ENV)
    yield app
    app.stop()


def open_tab(browser, base: str, path: str, width: int, height: int, **context_options):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **context_options)
    tab = context.new_page()
    tab.console_errors, tab.page_errors, tab.dash_exchanges, tab.outside_requests = [], [], [], []
    tab.on("console", lambda msg: tab.console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("request", lambda request: tab.outside_requests.append(request.url)
           if request.url.startswith(("http:", "https:", "ws:")) and not request.url.startswith(base) else None)
    tab.on("pageerror", lambda exc: tab.page_errors.append(f"{exc} {exc.stack}"))
    tab.on("requestfinished", lambda request: tab.dash_exchanges.append(request)
           if "/_dash-update-component" in request.url else None)
    tab.goto(base + path)
    return tab


def wait_drawn(tab, timeout: float = 30000) -> None:
    tab.wait_for_function("() => window.cockpitScreen && window.cockpitScreen.drawn()", timeout=timeout)


def path_of(tab) -> str:
    return tab.evaluate("() => location.pathname")


# -- the canvas ---------------------------------------------------------------------------------
FIT_REPORT = """() => {
    const root = document.getElementById('app-root').getBoundingClientRect();
    const inside = (r) => r.left >= root.left - 1 && r.top >= root.top - 1 && r.right <= root.right + 1 &&
                          r.bottom <= root.bottom + 1;
    const scrolling = Array.from(document.querySelectorAll('#app-root *')).filter((el) => {
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || !el.clientHeight || !el.clientWidth) return false;  // measuring aids
        return (['auto', 'scroll'].includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1) ||
               (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1);
    }).map((el) => el.className || el.tagName);
    const visible = (sel) => Array.from(document.querySelectorAll(sel)).some((el) => el.offsetParent !== null);
    return {
        root: [root.left, root.top, root.width, root.height],
        page: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
        panels: document.querySelectorAll('.panel').length,
        panelsOutside: Array.from(document.querySelectorAll('.panel')).filter(
            (p) => !inside(p.getBoundingClientRect())).map((p) => p.id),
        header: inside(document.getElementById('app-header').getBoundingClientRect()),
        scrolling: scrolling,
        modebar: visible('.modebar-container'),
        deskTools: visible('#tools-slot > *') || visible('.panel-tools > *'),
        clock: document.getElementById('clock').textContent,
        dataTime: (document.getElementById('data-time') || {}).textContent || '',
    };
}"""


def assert_fits(tab, width: int, height: int) -> None:
    report = tab.evaluate(FIT_REPORT)
    left, top, w, h = report["root"]
    scale = min(width / CANVAS[0], height / CANVAS[1])
    assert w == pytest.approx(CANVAS[0] * scale, abs=1) and h == pytest.approx(CANVAS[1] * scale, abs=1), report
    assert w == pytest.approx(width, abs=1) or h == pytest.approx(height, abs=1), "fills neither axis"
    assert w / h == pytest.approx(CANVAS[0] / CANVAS[1], rel=1e-3), "aspect ratio changed"
    assert left == pytest.approx((width - w) / 2, abs=1) and top == pytest.approx((height - h) / 2, abs=1)
    assert report["page"][0] <= width and report["page"][1] <= height, "the window scrolls"
    assert report["panels"] >= 6 and not report["panelsOutside"], report["panelsOutside"]
    assert report["header"] and not report["scrolling"], report["scrolling"]
    assert not report["modebar"] and not report["deskTools"]
    assert re.search(r"\d{4}-\d{2}-\d{2} .+ \d{2}:\d{2}:\d{2}", report["clock"]), report["clock"]
    assert "数据更新于" in report["dataTime"]


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160), (5760, 1620)])
def test_canvas_fills_the_wall_without_scrollbars(browser, served_app, width, height):
    tab = open_tab(browser, served_app.base, "/?screen=1", width, height)
    wait_drawn(tab)
    assert tab.evaluate("() => document.getElementById('app-root').classList.contains('screen-mode')")
    assert_fits(tab, width, height)
    # a window resized (another wall, a browser window) is fitted again
    tab.set_viewport_size({"width": 1280, "height": 1000})
    tab.wait_for_timeout(300)
    assert_fits(tab, 1280, 1000)
    assert not tab.page_errors and not tab.console_errors, tab.page_errors + tab.console_errors
    assert not tab.outside_requests, tab.outside_requests
    tab.context.close()


def test_wall_type_is_large_and_figures_have_no_modebar(browser, served_app):
    tab = open_tab(browser, served_app.base, "/?screen=1", 1920, 1080)
    wait_drawn(tab)
    sizes = tab.evaluate("""() => ({
        kpi: parseFloat(getComputedStyle(document.querySelector('.kpi-value')).fontSize),
        title: parseFloat(getComputedStyle(document.querySelector('.panel-title')).fontSize),
        figure: document.querySelector('.js-plotly-plot')._fullLayout.font.size,
        background: getComputedStyle(document.getElementById('app-root')).backgroundImage,
    })""")
    assert sizes["kpi"] >= 30 and sizes["title"] >= 20 and sizes["figure"] >= 15, sizes
    assert "gradient" in sizes["background"]  # the dark wall theme, not the desk's
    tab.context.close()


# -- the carousel (the wall: assets/wall.html) -----------------------------------------------------
WALL = "/assets/wall.html"
FRONT = """() => { const frame = document.querySelector('.wall-frame.front');
                   try { return {path: frame.contentWindow.location.pathname, url: frame.contentWindow.location.href,
                                 drawn: frame.contentWindow.cockpitScreen.drawn()}; }
                   catch (e) { return {path: null, url: null, drawn: false}; } }"""


def front(tab) -> dict:
    return tab.evaluate(FRONT)


def wait_front(tab, path: str, timeout: float) -> dict:
    tab.wait_for_function(f"() => ({FRONT})().path === {json.dumps(path)}", timeout=timeout)
    return front(tab)


def test_wall_cycles_fully_drawn_cockpits_and_pauses_on_input(browser, wall_app):
    tab = open_tab(browser, wall_app.base, WALL + "?lang=en", 1920, 1080)
    wait_front(tab, "/", 20000)
    shown = wait_front(tab, "/incidents", (CAROUSEL_SECONDS + 25) * 1000)  # the next one is drawn first: slow on a busy machine
    assert shown["drawn"], "the next cockpit showed before it was drawn"
    assert "lang=en" in shown["url"] and "screen=1" in shown["url"]  # the wall's language, in screen mode
    assert front(tab)["drawn"]

    tab.mouse.click(300, 40)  # a touch on the header of the cockpit on show (no link there)
    touched = time.monotonic()
    notice = tab.frame_locator(".wall-frame.front").locator("#carousel-paused")
    tab.wait_for_timeout(1500)
    assert "resumes" in notice.inner_text()
    tab.wait_for_timeout((CAROUSEL_SECONDS + 1) * 1000)  # longer than the dwell: still here
    assert front(tab)["path"] == "/incidents"

    shown = wait_front(tab, "/", (QUIET_SECONDS + 4) * 1000)
    assert time.monotonic() - touched >= QUIET_SECONDS - 0.5
    assert shown["drawn"]
    assert not tab.page_errors and not tab.console_errors, tab.page_errors + tab.console_errors
    assert not tab.outside_requests, tab.outside_requests
    history = tab.evaluate("() => history.length")
    assert history <= 2, "the carousel fills the tab's history"
    tab.context.close()


def test_escape_leaves_the_wall_for_the_desk(browser, served_app):
    tab = open_tab(browser, served_app.base, "/?screen=1", 1600, 900)
    wait_drawn(tab)
    tab.keyboard.press("Escape")
    tab.wait_for_function("() => { const root = document.getElementById('app-root');"
                          "        return !!root && root.classList.contains('desk-mode'); }")
    assert "screen" not in tab.url
    tab.context.close()


# -- live ---------------------------------------------------------------------------------------
def dash_bytes(exchanges) -> int:
    total = 0
    for request in exchanges:
        sizes = request.sizes()
        total += sum(sizes[k] for k in ("requestHeadersSize", "requestBodySize", "responseHeadersSize",
                                        "responseBodySize"))
    return total


def test_refresh_with_unchanged_data_sends_almost_nothing(browser, wall_app):
    tab = open_tab(browser, wall_app.base, "/?screen=1", 1920, 1080)
    wait_drawn(tab)
    tab.wait_for_timeout(1500)
    tab.dash_exchanges.clear()
    ticks = 3
    tab.wait_for_timeout(ticks * REFRESH_SECONDS * 1000 + 500)
    exchanges = list(tab.dash_exchanges)
    assert len(exchanges) >= ticks - 1, "the refresh tick did not run"
    assert all(request.response().status == 204 for request in exchanges)  # nothing to update
    assert dash_bytes(exchanges) / len(exchanges) <= 50_000
    tab.context.close()


def test_a_hidden_page_does_not_refresh(browser, wall_app):
    tab = open_tab(browser, wall_app.base, "/", 1600, 900)
    wait_drawn(tab)
    tab.evaluate("""() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
                            document.dispatchEvent(new Event('visibilitychange')); }""")
    tab.wait_for_timeout(500)
    tab.dash_exchanges.clear()
    tab.wait_for_timeout(3 * REFRESH_SECONDS * 1000)
    assert tab.dash_exchanges == []
    tab.evaluate("""() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
                            document.dispatchEvent(new Event('visibilitychange')); }""")
    tab.wait_for_timeout(2 * REFRESH_SECONDS * 1000 + 500)
    assert tab.dash_exchanges, "refresh did not resume when the page came back"
    tab.context.close()


def bump_data(url: str, statements: list[tuple[str, dict]], indicator_days: list = ()) -> None:
    """Change the data as a loader would (with the indicator summary of the region_daily days
    changed), and bump the data version the pages watch."""
    from data.summaries import refresh_days

    engine = create_engine(url)
    with engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)
        refresh_days(conn, [date.fromisoformat(str(day)[:10]) for day in indicator_days],
                     tables=["summary_region_period"])
        conn.execute(text("UPDATE data_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                          "WHERE key = 'version'"))
    engine.dispose()


def new_red_warning(url: str) -> tuple[str, dict]:
    """An INSERT (for bump_data) of a red AQI warning in a county that has none open."""
    engine = create_engine(url)
    with engine.connect() as conn:
        open_keys = {tuple(row) for row in conn.execute(text(
            "SELECT indicator, adcode FROM warning_state WHERE cleared_at IS NULL"))}
    engine.dispose()
    county = next(code for code in ("341004", "341003", "341021", "341022", "341023", "341024")
                  if ("env.aqi", code) not in open_keys)
    now = datetime.now().replace(microsecond=0)
    return ("INSERT INTO warning_state (indicator, adcode, subject, level, value, threshold, since, reached, "
            "updated_at, cleared_at) VALUES ('env.aqi', :adcode, '', 4, 320, 300, :now, '', :now, NULL)",
            {"adcode": county, "now": now})


def test_new_data_rolls_numbers_updates_only_changed_panels_and_announces_red(browser, wall_app, wall_db):
    tab = open_tab(browser, wall_app.base, "/?screen=1", 1920, 1080)
    wait_drawn(tab)
    tab.wait_for_timeout(1000)
    value = tab.locator('[id="kpi-tourism.visitors"] .kpi-value')
    before = float(value.get_attribute("data-value"))
    tab.evaluate("""() => {  // every text the value shows, frame by frame
        window.__texts = [];
        (function sample() {
            const el = document.querySelector('[id="kpi-tourism.visitors"] .kpi-value');
            const shown = el ? el.textContent : null;
            if (shown !== window.__texts[window.__texts.length - 1]) { window.__texts.push(shown); }
            requestAnimationFrame(sample);
        })();
    }""")
    engine = create_engine(wall_db["url"])
    with engine.connect() as conn:
        last_day = conn.execute(text("SELECT value FROM data_meta WHERE key = 'last_day'")).scalar()
    engine.dispose()
    tab.dash_exchanges.clear()
    bump_data(wall_db["url"], [
        ("UPDATE region_daily SET value = value + 500000 WHERE indicator = 'tourism.visitors' "
         "AND adcode = '341000' AND day = :day", {"day": last_day}),
        new_red_warning(wall_db["url"]),
    ], indicator_days=[last_day])

    banner = tab.locator(".announce-card")
    banner.wait_for(state="visible", timeout=15000)
    assert "新增红色预警" in banner.inner_text() and "红色预警" in banner.inner_text()
    assert "320" in banner.inner_text()
    tab.wait_for_function(f"() => parseFloat(document.querySelector('[id=\"kpi-tourism.visitors\"] .kpi-value')"
                          f".dataset.value) > {before + 400000}")
    tab.wait_for_timeout(1500)  # the roll takes under a second
    texts = tab.evaluate("() => window.__texts")
    final = value.inner_text()
    assert texts[-1] == final and final.endswith("万")
    numbers = [float(t.rstrip("万").replace(",", "")) for t in texts]
    start, end = numbers[0], numbers[-1]
    between = [n for n in numbers[1:-1] if start < n < end]
    assert len(between) >= 3, texts  # the number rolled up through values on the way

    # The incidents did not change: their panels were not sent again; the visitors' trend was.
    sent = set()
    for request in tab.dash_exchanges:
        if request.response().status == 200:
            body = request.response().json().get("response", {})
            sent.update(json.loads(key).get("id", key) if key.startswith("{") else key for key in body)
    assert "overview.trend" in sent and "overview.themes" not in sent and "overview.funnel" not in sent, sent
    assert not tab.page_errors and not tab.console_errors, tab.page_errors + tab.console_errors
    tab.context.close()


def test_the_wall_announces_a_new_red_warning_once(browser, wall_app, wall_db):
    tab = open_tab(browser, wall_app.base, WALL, 1920, 1080)
    wait_front(tab, "/", 20000)
    tab.wait_for_function(f"() => ({FRONT})().drawn", timeout=20000)
    tab.wait_for_timeout(2000)  # both pages have looked at the warnings once
    tab.mouse.click(300, 40)  # hold the carousel while the warning comes in
    bump_data(wall_db["url"], [new_red_warning(wall_db["url"])])
    banner = tab.frame_locator(".wall-frame.front").locator(".announce-card")
    banner.wait_for(state="visible", timeout=(QUIET_SECONDS - 2) * 1000)
    assert "320" in banner.inner_text()
    first = front(tab)["path"]
    tab.wait_for_function(f"() => ({FRONT})().path !== {json.dumps(first)}",
                          timeout=(QUIET_SECONDS + CAROUSEL_SECONDS + 8) * 1000)
    tab.wait_for_timeout(2 * REFRESH_SECONDS * 1000)  # the page now on show has the new data too
    repeated = tab.evaluate("() => !!document.querySelector('.wall-frame.front').contentDocument"
                            "                 .querySelector('.announce-card')")
    assert not repeated, "the next cockpit announced the same warning again"
    tab.context.close()


# -- unattended ---------------------------------------------------------------------------------
def test_server_restart_is_noticed_and_recovered_from(browser, wall_db):
    app = RestartableApp(wall_db["url"], wall_db["folder"], WALL_ENV)
    try:
        tab = open_tab(browser, app.base, WALL, 1920, 1080)
        wait_front(tab, "/", 20000)
        tab.wait_for_function(f"() => ({FRONT})().drawn", timeout=20000)
        app.stop()
        shown = tab.frame_locator(".wall-frame.front")
        status = shown.locator("#connection-status")
        status.locator("text=连接已中断").wait_for(timeout=(REFRESH_SECONDS + 5) * 1000)
        stuck = front(tab)["path"]
        tab.wait_for_timeout((CAROUSEL_SECONDS + 1) * 1000)
        assert front(tab)["path"] == stuck, "the wall moved on while the server was away"
        app.restart()
        tab.wait_for_function(f"() => {{ const frame = document.querySelector('.wall-frame.front');"
                              f"  return !frame.contentWindow.cockpitScreen.connection().offline; }}", timeout=15000)
        tab.wait_for_function(f"() => ({FRONT})().drawn", timeout=15000)  # whatever the outage cut is drawn
        tab.wait_for_function(f"() => ({FRONT})().path !== {json.dumps(stuck)}",
                              timeout=(CAROUSEL_SECONDS + 25) * 1000)  # and the carousel goes on
        # The cockpit brought forward may still be taking its first refresh after the outage.
        tab.wait_for_function(f"() => ({FRONT})().drawn", timeout=15000)
        assert not tab.page_errors, tab.page_errors
        tab.context.close()
    finally:
        app.stop()


# -- the phone ----------------------------------------------------------------------------------
def test_overview_reads_in_one_column_on_a_phone(browser, served_app):
    tab = open_tab(browser, served_app.base, "/", 390, 844, is_mobile=True, has_touch=True, device_scale_factor=3)
    wait_drawn(tab)
    layout = tab.evaluate("""() => {
        const rect = (el) => el.getBoundingClientRect();
        const cards = Array.from(document.querySelectorAll('.kpi-card')).map(rect);
        const warnings = Array.from(document.querySelectorAll('.ticker-item')).map(rect);
        const panels = Array.from(document.querySelectorAll('.panel')).map((p) => [p.id, rect(p).top, rect(p).right]);
        return {
            width: document.documentElement.scrollWidth,
            cards: cards.map((r) => [r.left, r.width, r.top]),
            warnings: warnings.map((r) => [r.left, r.right, r.top]),
            panels: panels,
            valueSize: parseFloat(getComputedStyle(document.querySelector('.kpi-value')).fontSize),
            labelSize: parseFloat(getComputedStyle(document.querySelector('.kpi-label')).fontSize),
        };
    }""")
    assert layout["width"] <= 390, "the page scrolls sideways"
    assert all(right <= 391 for _, _, right in layout["panels"])
    order = [pid for pid, _, _ in sorted(layout["panels"], key=lambda p: p[1])]
    assert order[:2] == ["panel-overview.kpis", "panel-overview.warnings"]
    lefts = {round(left) for left, _, _ in layout["cards"]}
    tops = [top for _, _, top in layout["cards"]]
    assert len(layout["cards"]) >= 6 and len(lefts) == 1 and tops == sorted(tops), layout["cards"]
    assert min(width for _, width, _ in layout["cards"]) >= 330
    assert layout["warnings"], "no warnings shown"
    warning_tops = [top for _, _, top in layout["warnings"]]
    assert warning_tops == sorted(warning_tops) and len(set(warning_tops)) == len(warning_tops)  # stacked
    assert all(right <= 390 for _, right, _ in layout["warnings"])
    assert layout["valueSize"] >= 26 and layout["labelSize"] >= 14
    assert not tab.page_errors and not tab.console_errors, tab.page_errors + tab.console_errors
    tab.context.close()
