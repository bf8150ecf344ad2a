"""Warm the cache for the views people open first, each time the data change.

A leader opens a cockpit and drills into a county: those views — every cockpit, the deployment's
region and each of its child regions, the default time range, on the desk and on the wall — are
computed in the background as soon as a new data version appears, so the first click on a county
is answered from the cache. Then, unless `COCKPIT_PREWARM_CLICKS=0`, the views one click away from
those on the desk: each station, pollutant, segment, lot, spot or kind a chart or ranking offers
to filter by (and each point of a map with few points), at the city first, then in each county; a
duty officer's first cross-filter is answered from the cache too (about a thousand views for
黄山 at 1×, in half a minute: a figure a filter leaves as it was is computed once, not per view).

One process per data version does it (a cache key elects it), at most once per
`COCKPIT_PREWARM_SECONDS`; with live data changing every few seconds a version may be skipped,
never queued, and a warming the data outrun stops. While the data stay the same the views are
warmed again after half the cache's lifetime (`COCKPIT_CACHE_TIMEOUT`), so they never drop out of it.
"""
from __future__ import annotations

import logging
import threading
import time

from core.panels import PAGE_PANELS
from core.settings import get_settings
from core.viewstate import ViewState, default_range

log = logging.getLogger("cockpit.prewarm")
COCKPITS = ("/", "/tourism", "/environment", "/traffic", "/safety", "/eldercare")


def prewarm_views(today) -> list[ViewState]:
    """The views warmed: each cockpit at the region and each child region, the default range, in
    Chinese on the desk; and each cockpit on the wall at the region."""
    from data.regions import region_tree

    tree = region_tree()
    start, end = default_range(today)
    regions = [tree.root] + [child.adcode for child in tree.children(tree.root)]
    views = [ViewState(page=page, region=region, start=start, end=end, scope=tree.root)
             for page in COCKPITS if page in PAGE_PANELS for region in regions]
    views += [ViewState(page=page, region=tree.root, start=start, end=end, screen=True, scope=tree.root)
              for page in COCKPITS if page in PAGE_PANELS]
    return views


# A map's points are filters to warm when it has at most this many (a county's thousands of
# institutions or lots are not; a city's few stations are).
MAX_POINT_VIEWS = 60


def warm(view: ViewState) -> None:
    """What filling the view's panels reads from the cache: figures, the data of HTML panels (their
    rendering depends on the user and is not cached), the maps' whole content."""
    from callbacks.panels import figure_view, graph_content, map_content

    for panel in PAGE_PANELS.get(view.page, []):
        if view.screen and not panel.screen:
            continue
        try:
            if panel.kind in ("graph", "bars"):
                graph_content(panel.id, figure_view(panel, view))
            elif panel.kind == "map":
                map_content(panel.id, view)
            else:
                panel.data(view)
        except Exception:  # a panel that fails here fails for its user too, with a message
            log.exception("prewarm of %s for %s failed", panel.id, view)


def one_click_views(view: ViewState) -> list[ViewState]:
    """The views a click on one of the view's marks filters to, in the panels' order: each value a
    chart or ranking that filters carries, and each point of a map that filters by its points and
    has at most MAX_POINT_VIEWS of them. Drills lead to first views, warmed already; links lead
    out of the cockpit. Read from the cache (the view has been warmed)."""
    from callbacks.clicks import filter_toggle
    from callbacks.panels import figure_view, graph_content, map_content

    found: dict[ViewState, None] = {}
    for panel in PAGE_PANELS.get(view.page, []):
        try:
            if panel.kind in ("graph", "bars"):
                behaviour = panel.click
                values = graph_content(panel.id, figure_view(panel, view))[2]
            elif panel.kind == "map" and panel.map.point_click is not None:
                behaviour = panel.map.point_click
                points = map_content(panel.id, view).content["points"]["features"]
                values = [point["properties"]["key"] for point in points]
                values = values if len(values) <= MAX_POINT_VIEWS else []
            else:
                continue
        except Exception:  # warm() has logged it
            continue
        for value in dict.fromkeys(str(value) for value in values):
            toggle = filter_toggle(behaviour, value)  # None for a drill, a link, or no click at all
            if toggle is not None:
                found[view.toggle_filter(*toggle)] = None
    found.pop(view, None)
    return list(found)


def prewarm_once(server) -> int:
    """Warm every view for the current data version, if no process has; the number warmed."""
    from callbacks.state import data_days
    from data.cache import cache, code_version, data_version, refreshing

    global _last_version
    with server.app_context():
        version = data_version()
        # Warmed again after half the cache's lifetime, renewing every entry, so that the first views
        # stay answered from the cache for as long as the data do not change.
        lifetime = max(60, get_settings().cache_timeout // 2)
        if not cache.add(f"prewarm:{version}:{code_version()}", "1", timeout=lifetime):
            if version != _last_version:
                log.info("views for data version %s warmed already (or being warmed)", version)
                _last_version = version
            return 0  # another process has it, or it is done
        _last_version = version
        today, _ = data_days()
        views = prewarm_views(today)
        started = time.perf_counter()
        token = refreshing.set(set())
        try:
            if not _warm_all(views, version):
                return 0
            log.info("warmed %d views for data version %s in %.1f s", len(views), version,
                     time.perf_counter() - started)
            if not get_settings().prewarm_clicks:
                return len(views)
            # the city's cross-filters before the counties': the city is where a cockpit opens
            desk = sorted((view for view in views if not view.screen), key=lambda view: view.region != view.scope)
            clicked = [view for first in desk for view in one_click_views(first)]
            if not _warm_all(clicked, version):
                return 0
        finally:
            refreshing.reset(token)
        log.info("warmed %d views one click away for data version %s in %.1f s", len(clicked), version,
                 time.perf_counter() - started)
        return len(views) + len(clicked)


def _warm_all(views: list[ViewState], version: str) -> bool:
    """Warm the views in turn; False when the data changed meanwhile (the rest is left)."""
    from data.cache import data_version

    for view in views:
        if data_version() != version:
            log.info("data changed while warming: %s left for the next version", version)
            return False
        warm(view)
    return True


_started = False
_lock = threading.Lock()
_last_version: str | None = None


def start_prewarming(server) -> None:
    """Start this process's prewarming thread (once; after a fork, in the worker that serves)."""
    global _started
    interval = get_settings().prewarm_seconds
    with _lock:
        if _started or interval <= 0:
            return
        _started = True

    def loop() -> None:
        while True:
            try:
                prewarm_once(server)
            except Exception:
                log.exception("prewarm failed")
            time.sleep(interval)

    threading.Thread(target=loop, name="prewarm", daemon=True).start()
