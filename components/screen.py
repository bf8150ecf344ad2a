"""The big screen (大屏): its configuration, the pieces the layout adds for it, and wall typography.

In screen mode `#app-root` becomes a fixed 1920×1080 design canvas that assets/screen.js scales to
the window; the header and the page are laid out on that canvas by assets/screen.css. What is
configured on the server (the carousel, how long each cockpit stays, the quiet period after a
touch) reaches the browser once, in the `screen-config` store.
"""
from __future__ import annotations

import logging

from dash import dcc, html

from core.i18n import pick
from core.settings import Settings, get_settings
from core.viewstate import PAGES
from data.catalogue import LEVEL_NAMES

log = logging.getLogger("cockpit.screen")

CANVAS = (1920, 1080)  # the design canvas every wall scales
RED = 4  # warning level announced on the wall
# A touch pauses the carousel; it resumes after this many carousel intervals without input.
QUIET_INTERVALS = 2
WALL_FONT_FACTOR = 1.4  # figure type on the wall relative to the desk (read from ten metres)
_FONT_KEYS = ("font", "tickfont", "textfont", "insidetextfont", "outsidetextfont", "titlefont")


def carousel_plan(settings: Settings | None = None) -> list[dict]:
    """The cockpits the wall cycles through, in order, each with its time on screen.

    Configured by COCKPIT_CAROUSEL as comma-separated paths, each optionally with its own seconds
    ("/:60,/tourism,/traffic:20"); a path without seconds stays COCKPIT_CAROUSEL_SECONDS.
    Unknown paths are skipped (and logged) rather than sending the wall to a 'page not found'.
    """
    settings = settings or get_settings()
    default = max(settings.carousel_seconds, 5)
    plan = []
    for entry in settings.carousel:
        path, _, seconds = entry.strip().partition(":")
        path = path.rstrip("/") or "/"
        if path not in PAGES:
            log.warning("carousel entry '%s' is not a cockpit: skipped", entry)
            continue
        try:
            dwell = max(int(seconds), 5) if seconds else default
        except ValueError:
            log.warning("carousel entry '%s' has bad seconds: using %s", entry, default)
            dwell = default
        plan.append({"path": path, "seconds": dwell})
    return plan


def screen_config(settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    return {
        "canvas": list(CANVAS),
        "pages": carousel_plan(settings),
        "quietSeconds": QUIET_INTERVALS * max(settings.carousel_seconds, 5),
        "healthUrl": "/healthz",
    }


def screen_stores() -> list:
    """Non-visual parts of the layout the wall needs (valid in desk mode too, where they idle)."""
    return [
        dcc.Store(id="screen-config", data=screen_config()),
        # {hidden, offline}: written by assets/screen.js, read by the interval switch below
        dcc.Store(id="screen-state", data={"hidden": False, "offline": False}),
        # keys of the red warnings the wall has already shown, to announce only new ones
        dcc.Store(id="screen-red-seen", data=None),
        # the carousel clock: a browser-side tick, no request to the server
        dcc.Interval(id="carousel-tick", interval=1000, disabled=True),
    ]


def screen_bar() -> html.Div:
    """The strip under the header: carousel progress, the paused notice, the connection state.
    Their content is set by assets/screen.js."""
    return html.Div([
        html.Div(html.Div(id="carousel-progress-bar", className="carousel-progress-bar"),
                 id="carousel-progress", className="carousel-progress"),
        html.Div(id="carousel-paused", className="carousel-paused", role="status"),
        html.Div(id="connection-status", className="connection-status", role="status",
                 **{"aria-live": "polite"}),
    ], className="screen-bar", id="screen-bar")


def announcement_slot() -> html.Div:
    return html.Div(id="screen-announce", className="screen-announce", role="alert",
                    **{"aria-live": "assertive"})


def announcement(rows: list[dict], lang: str, serial: str) -> html.Div:
    """A banner naming each new red warning in words (not colour alone); it fades by itself
    (CSS), and `serial` gives it a new identity so that a later announcement starts afresh."""
    items = [html.Li([
        html.Span(LEVEL_NAMES[lang][RED], className="badge level-4"),
        html.Span(f"{row['region_name']} · {row['name']}{(' · ' + row['subject']) if row['subject'] else ''}",
                  className="announce-what"),
        html.Span(f"{row['value_text']}（{pick(lang, '阈值', 'threshold')} {row['threshold_text']}）",
                  className="announce-value"),
    ]) for row in rows]
    return html.Div([
        html.Div(pick(lang, "新增红色预警", "New red warning"), className="announce-title"),
        html.Ul(items, className="announce-list"),
    ], className="announce-card", key=serial)


def wall_figure(figure, factor: float = WALL_FONT_FACTOR) -> dict:
    """The figure with every font enlarged for a wall read from ten metres.

    Builders set sizes for the desk (layout font 12 px, some explicit annotation and legend
    sizes); on the wall each one is scaled by `factor`, so proportions between them are kept."""
    data = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
    layout = data.setdefault("layout", {})
    base = layout.setdefault("font", {})
    base.setdefault("size", 12)
    _scale_fonts(data, factor)
    return data


def _scale_fonts(node, factor: float) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _FONT_KEYS and isinstance(value, dict) and isinstance(value.get("size"), (int, float)):
                value["size"] = round(value["size"] * factor, 1)
            _scale_fonts(value, factor)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _scale_fonts(item, factor)
