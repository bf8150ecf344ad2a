"""City Brain Cockpit (城市大脑 · 领导驾驶舱) — the Dash application.

`python app.py` serves it on HOST:PORT (default 127.0.0.1:8050) with its embedded defaults:
an SQLite file under var/, demo data for the configured region generated on first run, and a
file-system cache. Production runs `gunicorn app:server` (see README).
"""
from __future__ import annotations

import gc
import logging
import os
import sys

# The web and job processes never read Parquet (data are loaded by the CLI loader, data/load.py):
# without pyarrow, which pandas would otherwise import whole, each worker holds ~60 MB less, and
# pandas keeps text as Python strings — the same "str" dtype, quicker on the small frames of a page.
if "pandas" not in sys.modules:
    sys.modules.setdefault("pyarrow", None)

import dash  # noqa: E402
from dash import dcc, html  # noqa: E402
from flask import abort, jsonify, send_file  # noqa: E402

from core.settings import get_settings  # noqa: E402

log = logging.getLogger("cockpit")


def prepare_data() -> None:
    """Validate the catalogue and the region, create the schema, generate demo data if empty."""
    from sqlalchemy import select

    from data.catalogue import catalogue
    from data.db import create_schema, get_engine
    from data.models import DataMeta
    from data.regions import region_tree

    settings = get_settings()
    catalogue()  # a bad catalogue entry stops start-up here, naming the entry and field
    region_tree()  # and so does an unknown region setting
    create_schema()
    with get_engine().connect() as conn:
        has_data = conn.execute(select(DataMeta.value).where(DataMeta.key == "version")).scalar() is not None
    if not has_data and settings.demo_generate:
        from data.generator import generate

        log.warning("empty database: generating demo data for %s (scale %s) …", settings.region_adcode,
                    settings.demo_scale)
        report = generate(scale=settings.demo_scale, seed=settings.demo_seed, end=settings.demo_end,
                          years=settings.demo_years)
        log.warning("demo data ready: %s", report)
        from data.alerts import evaluate_warnings

        evaluate_warnings()
    if settings.auth_required and not settings.production:
        # The embedded demo: a first administrator with a random password, shown once and kept in
        # var/initial_admin_password (0600). Never a default credential; production creates users
        # with the CLI.
        from core.auth import ensure_first_admin

        ensure_first_admin()


def layout():
    from callbacks.first_page import first_page, page_container
    from callbacks.frame import HEADER_PARTS
    from components.screen import announcement_slot, screen_bar, screen_stores
    from data.cache import data_version

    settings = get_settings()
    # the page the browser shows, drawn into the layout with its header (callbacks/first_page.py)
    first = first_page()
    header = dict(zip(HEADER_PARTS, first.header)) if first else {}
    # after the parts: their digests, the root's class, the range and the view links' hrefs (drawn in the parts)
    shown, root_class, view_range, _hrefs = first.header[len(HEADER_PARTS):] if first else (None, None, None, None)

    def slot(tag, name: str, class_name: str | None):
        return tag(header.get(name), id=name, **({"className": class_name} if class_name else {}))

    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Store(id="data-version", data=data_version()),
        dcc.Interval(id="refresh-tick", interval=settings.refresh_seconds * 1000),
        dcc.Store(id="ui-theme", storage_type="local"),
        # Choices the browser passes on only when the user made them (callbacks/interaction.py),
        # and the range the header shows, to tell a chosen range from the picker drawn again.
        *[dcc.Store(id=name) for name in ("brush-choice", "metric-choice", "range-choice", "export-choice",
                                           "page-stale")],
        dcc.Store(id="view-range", data=view_range),
        dcc.Store(id="header-shown", data=shown),  # digests of the header parts the page shows (callbacks/frame.py)
        *screen_stores(first.on_screen if first else None),
        html.Header([
            html.Div([
                slot(html.H1, "app-title", "app-title"),
                slot(html.Div, "nav-slot", "nav-slot"),
                html.Div([slot(html.Div, "status-slot", "status-slot"),
                          slot(html.Div, "tools-slot", "tools-slot")], className="header-right"),
            ], className="header-top"),
            html.Div([
                slot(html.Div, "crumb-slot", "crumb-slot"),
                html.Div([slot(html.Div, "presets-slot", "presets-slot"),
                          slot(html.Div, "picker-slot", "picker-slot")],
                         id="time-slot", className="time-slot time-controls"),
                slot(html.Div, "chips-slot", "chips-slot"),
            ], className="header-bottom"),
            screen_bar(),
        ], className="app-header", id="app-header"),
        slot(html.Div, "errors-slot", None),
        html.Main(page_container(first.page, first.store) if first else page_container(), className="app-main",
                  id="app-main"),
        # Exports: a signed job ticket, the background job's progress, the file.
        dcc.Store(id="export-ticket"),
        dcc.Download(id="export-download"),
        html.Div([html.Progress(id="export-progress", className="export-progress", value=0, max=1),
                  html.Span(id="export-status", role="status")], className="export-bar"),
        announcement_slot(),
    ], id="app-root", className=root_class or "app-root")


# Script chunks of the component packages that no cockpit page draws: with eager loading every
# page would parse them (~8 MB: MathJax, Markdown, the grid, DataTable, map editing tools);
# marked lazy, the browser fetches one only when a component needs it (the incident desk's grid).
LAZY_CHUNKS = {
    "dash.dcc": ("highlight", "markdown", "mathjax", "slider", "upload"),
    "dash.dash_table": ("export", "table", "highlight"),
    "dash_leaflet": ("LocateControl", "MeasureControl", "EditControl", "geobuf", "flatgeobuf"),
    "dash_ag_grid": ("community", "enterprise"),
}


def _load_lazily() -> None:
    import importlib

    for package, chunks in LAZY_CHUNKS.items():
        names = {f"async-{chunk}" for chunk in chunks}
        for resource in importlib.import_module(package)._js_dist:
            stem = resource.get("relative_package_path", "").rsplit("/", 1)[-1].split(".")[0]
            if resource.get("async") is True and stem in names:
                resource["async"] = "lazy"


def create_app() -> dash.Dash:
    settings = get_settings()
    prepare_data()
    from core.jobs import background_manager
    from core.security import SESSION_EXPIRY_SCRIPT

    _load_lazily()
    app = dash.Dash(
        __name__,
        background_callback_manager=background_manager(),
        use_pages=True,
        pages_folder="pages",
        suppress_callback_exceptions=True,
        serve_locally=True,  # intranet: every script and style ships with the app
        # Graphs, maps and pickers are scripts Dash would fetch only once a page has drawn one —
        # a chain of requests before the first panel can show; loaded with the page, they are
        # there (and cached) when it arrives. Chunks no cockpit draws stay lazy (_load_lazily).
        eager_loading=True,
        title="城市大脑 · 领导驾驶舱",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        external_scripts=[SESSION_EXPIRY_SCRIPT],  # a 401 from an expired session leads to sign-in
    )
    app.layout = layout
    server = app.server
    _cache_fingerprinted_assets(server)
    server.config["SECRET_KEY"] = settings.secret_key

    from data.cache import init_cache

    init_cache(server)
    _register_routes(server)
    _register_security(app)

    from callbacks.prewarm import start_prewarming

    # started by the first request, so that under gunicorn it runs in a worker, not before the fork
    server.before_request(lambda: start_prewarming(server))
    from callbacks.first_page import say_page_is_drawn

    server.after_request(say_page_is_drawn)

    import callbacks.export  # noqa: F401
    import callbacks.frame  # noqa: F401  (registers the generic callbacks)
    import callbacks.interaction  # noqa: F401
    import callbacks.panels  # noqa: F401
    import callbacks.screen  # noqa: F401

    return app


def _cache_fingerprinted_assets(server) -> None:
    """Assets are linked with their modification time (`?m=…`): such a URL names one version of the
    file, so browsers may keep it a year instead of asking again on every page load (on a wall,
    every cockpit that comes round). Without the fingerprint (wall.html) they ask as before."""
    from flask import request

    default = server.get_send_file_max_age

    def max_age(filename):
        return YEAR_SECONDS if request.args.get("m") else default(filename)

    server.get_send_file_max_age = max_age

    # Dash links its icon with its own version (`/_favicon.ico?v=4.4.1`) but serves it with no
    # caching headers: Chromium then fetched it again with every click that changes the URL.
    @server.after_request
    def keep_icon(response):
        if request.path.endswith("/_favicon.ico") and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = YEAR_SECONDS
        return response


YEAR_SECONDS = 365 * 24 * 3600


def _register_routes(server) -> None:
    from flask import redirect, request

    from data.regions import RegionError, region_tree

    @server.route("/wall")
    def wall():
        """The wall's carousel shell (two frames: the cockpit on show, the next one drawn behind it)."""
        query = request.query_string.decode("utf-8", "replace")
        return redirect("/assets/wall.html" + (f"?{query}" if query else ""))

    @server.route("/geo/layer/<adcode>.json")
    def region_layer(adcode: str):
        """Simplified boundaries of a region's children, a static file cached on disk."""
        tree = region_tree()
        if not (adcode.isdigit() and len(adcode) == 6) or not tree.exists(adcode):
            abort(404)
        try:
            tree.layer(adcode)
        except RegionError:
            abort(404)
        response = send_file(tree.cache_dir / f"layer_{adcode}.geojson", mimetype="application/geo+json",
                             max_age=86400)
        return response


def _register_security(app: dash.Dash) -> None:
    from core.security import init_security
    from data.cache import cache

    def cache_check() -> bool:
        cache.set("healthz", "1", timeout=10)
        return cache.get("healthz") == "1"

    init_security(app.server, cache_check=cache_check, script_hashes=app.csp_hashes)


def _start() -> dash.Dash:
    from data.catalogue import CatalogueError
    from data.regions import RegionError

    try:
        app = create_app()
    except (CatalogueError, RegionError) as exc:  # configuration errors: one clear line, no traceback
        sys.exit(f"City Brain Cockpit cannot start: {exc}")
    # What start-up built lives as long as the process (modules, plotly's validators, the catalogue,
    # the region tree: some 400,000 objects). Frozen, the collector's full passes skip them: such a
    # pass took 120–130 ms of whichever request set it off, and now takes under 10 ms (measured
    # on the 100× data). Under gunicorn this runs before the fork, so the workers share them too.
    gc.collect()
    gc.freeze()
    return app


app = _start() if os.environ.get("COCKPIT_NO_APP") != "1" else None
server = app.server if app is not None else None
from core.jobs import celery_app  # noqa: E402  (Celery workers: celery -A app:celery_app worker)

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    settings = get_settings()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8050"))
    if settings.live_mode:
        from data.generator import run_live
        import threading

        threading.Thread(target=run_live, kwargs={"interval_seconds": 5}, daemon=True).start()
    app.run(host=host, port=port, debug=False, threaded=True)
