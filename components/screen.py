"""The big screen (大屏): its configuration, the pieces the layout adds for it, and wall typography.

In screen mode `#app-root` becomes a fixed 1920×1080 design canvas that assets/screen.js scales to
the window; the header and the page are laid out on that canvas by assets/screen.css. The wall
(assets/wall.html and wall.js) cycles through the cockpits in screen mode. What is configured on
the server (the carousel, how long each cockpit stays, the quiet period after a touch) reaches
the browser once, in the `screen-config` store, where the wall reads it.
"""
from __future__ import annotations

import logging

import dash
import pandas as pd
from dash import dcc, html

from core.i18n import pick
from core.settings import Settings, get_settings
from core.viewstate import PAGES
from data.catalogue import LEVEL_NAMES

log = logging.getLogger("cockpit.screen")

RED = 4  # warning level announced on the wall
# A touch pauses the carousel; it resumes after this many carousel intervals without input.
QUIET_INTERVALS = 2
WALL_FONT_FACTOR = 1.3  # figure type on the wall relative to the desk (read from ten metres)
WALL_MIN_TEXT = 13  # text inside marks that would be smaller is hidden, not shrunk
_FONT_KEYS = ("font", "tickfont", "textfont", "insidetextfont", "outsidetextfont", "titlefont")


def carousel_plan(settings: Settings | None = None) -> list[dict]:
    """The cockpits the wall cycles through, in order, each with its time on screen.

    Configured by COCKPIT_CAROUSEL as comma-separated paths, each optionally with its own seconds
    ("/:60,/tourism,/traffic:20"); a path without seconds stays COCKPIT_CAROUSEL_SECONDS.
    Paths that are not an installed cockpit are skipped (and logged) rather than sending the wall
    to a 'page not found'.
    """
    settings = settings or get_settings()
    default = max(settings.carousel_seconds, 5)
    installed = {page["path"] for page in dash.page_registry.values()} & set(PAGES) or set(PAGES)
    plan = []
    for entry in settings.carousel:
        path, _, seconds = entry.strip().partition(":")
        path = path.rstrip("/") or "/"
        if path not in installed:
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
        "pages": carousel_plan(settings),
        "quietSeconds": QUIET_INTERVALS * max(settings.carousel_seconds, 5),
    }


def screen_stores(on_screen: bool | None = None) -> list:
    """Non-visual parts of the layout the wall needs (valid in desk mode too, where they idle).
    A layout known to be for a desk (`on_screen` False) leaves out the red-warning check's stores:
    Dash would send their callback on every page load, for an answer of "no update"."""
    stores = [
        dcc.Store(id="screen-config", data=screen_config()),
        # {hidden, offline}: written by assets/screen.js, read by the interval switch below
        dcc.Store(id="screen-state", data={"hidden": False, "offline": False}),
    ]
    if on_screen is not False:
        # the open red warnings of the view's region (components.screen.red_warnings), and
        # {pathname, search, version} of a page in screen mode (set in the browser; none on a desk)
        stores += [dcc.Store(id="screen-reds", data=None), dcc.Store(id="screen-view", data=None)]
    return stores


def screen_bar() -> html.Div:
    """The bottom edge of the header: carousel progress, the paused notice, the connection state.
    Their content is set in the browser (assets/screen.js; the progress on behalf of the wall)."""
    return html.Div([
        html.Div(html.Div(id="carousel-progress-bar", className="carousel-progress-bar"),
                 id="carousel-progress", className="carousel-progress"),
        html.Div([
            html.Div(id="carousel-paused", className="carousel-paused", role="status"),
            html.Div(id="connection-status", className="connection-status", role="status",
                     **{"aria-live": "polite"}),
        ], className="screen-notices"),
    ], className="screen-bar", id="screen-bar")


def announcement_slot() -> html.Div:
    """Where a new red warning is announced (filled in the browser: assets/screen.js)."""
    return html.Div(id="screen-announce", className="screen-announce", role="alert",
                    **{"aria-live": "assertive"})


def red_warnings(frame: pd.DataFrame, lang: str) -> dict:
    """The open red warnings of the wall's region, as the words the announcement shows: the
    browser announces those it has not shown before (in words, never colour alone)."""
    rows = {}
    for row in frame.to_dict("records"):
        if int(row["level"]) < RED:
            continue
        key = f"{row['indicator']}|{row['adcode']}|{row['subject']}"
        rows[key] = {
            "key": key,
            "what": f"{row['region_name']} · {row['name']}{(' · ' + row['subject']) if row['subject'] else ''}",
            "value": f"{row['value_text']}（{pick(lang, '阈值', 'threshold')} {row['threshold_text']}）",
        }
    return {"title": pick(lang, "新增红色预警", "New red warning"), "level": LEVEL_NAMES[lang][RED],
            "rows": sorted(rows.values(), key=lambda r: r["key"])}


def wall_figure(figure, factor: float = WALL_FONT_FACTOR) -> dict:
    """The figure with every font enlarged for a wall read from ten metres.

    Builders set sizes for the desk (layout font 12 px, some explicit annotation and legend
    sizes); on the wall each one is scaled by `factor`, so proportions between them are kept."""
    data = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
    layout = data.setdefault("layout", {})
    base = layout.setdefault("font", {})
    base.setdefault("size", 12)
    _scale_fonts(data, factor)
    # plotly shrinks a label to fit inside its bar; on a wall a tiny label is noise
    layout.setdefault("uniformtext", {"minsize": WALL_MIN_TEXT, "mode": "hide"})
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
