"""What a click leads to, worked out on the server before anyone clicks.

A panel's declaration says what a click on it means (Drill, CrossFilter, KeyedFilter, OpenLink).
When a page's panels are filled, the URL each clickable mark leads to is computed here from the
view in show and sent beside them (the page's `click-targets` store: {panel: {value: URL}}; for a map,
{"regions": …, "points": …}). The browser then follows a click with no round trip
(assets/cockpit_events.js), and the new URL is resolved — scope and all — like any other.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from urllib.parse import quote_plus

import pandas as pd

from callbacks.state import links_for_everyone
from core.panels import CrossFilter, Drill, KeyedFilter, OpenLink
from core.viewstate import FILTER_DIMENSIONS, ViewState
from data.regions import region_tree


def apply_click(view: ViewState, behaviour, value: str) -> ViewState | str | None:
    """The view (or, for OpenLink, the URL) a click on `value` leads to; None when it means nothing."""
    value = str(value)
    if isinstance(behaviour, Drill):
        # Scope is checked again when the new URL is resolved; here only whether it is a region.
        if not region_tree().exists(value) or value == view.region:
            return None
        return view.with_region(value)
    toggle = filter_toggle(behaviour, value)
    if toggle is not None:
        return view.toggle_filter(*toggle)
    if isinstance(behaviour, OpenLink):
        return behaviour.href(value, view)
    return None


def filter_toggle(behaviour, value: str) -> tuple[str, str] | None:
    """(dimension, clean value) of the filter a click on `value` toggles; None when the click is
    no filter, or the value no value of its dimension."""
    if isinstance(behaviour, CrossFilter):
        dimension, raw = behaviour.dimension, value
    elif isinstance(behaviour, KeyedFilter) and (keyed := behaviour.split(value)) is not None:
        dimension, raw = keyed
    else:
        return None
    spec = FILTER_DIMENSIONS.get(dimension)
    clean = spec.clean(raw) if spec is not None else None
    return None if clean is None else (dimension, clean)


def view_href(view: ViewState) -> str:
    """A view's URL that means the same to every user who may see it: the region is written out
    unless it is the deployment's own (a user's default region differs by scope, and these URLs
    are memoized with the figures, across users)."""
    from callbacks.state import href

    return href(view, root=region_tree().root)


# stands for the clicked value in a URL worked out once per dimension (quote_plus leaves it as it is)
CLICKED = "CLICKED_VALUE_"


class _ToggleLinks:
    """The URLs that toggling one value of a dimension leads to. Adding a value appends it to the
    dimension's values in the query string, so the URL is worked out once with a stand-in and the
    value's text put in its place: a county map's thousands of points, each a URL, cost one each."""

    def __init__(self, view: ViewState):
        self.view = view
        self.templates: dict[str, str] = {}

    def href(self, dimension: str, value: str) -> str:
        if value in self.view.filter_values(dimension):  # taking a value off: worked out whole
            return view_href(self.view.toggle_filter(dimension, value))
        if dimension not in self.templates:
            self.templates[dimension] = view_href(self.view.toggle_filter(dimension, CLICKED))
        return self.templates[dimension].replace(CLICKED, quote_plus(value, safe=","))


def click_targets(view: ViewState, behaviour, values: Iterable) -> dict[str, str]:
    """{clicked value: URL} for every distinct value that leads somewhere else than the view."""
    if behaviour is None:
        return {}
    with links_for_everyone():  # an OpenLink's own URLs too
        return _targets(view, behaviour, values)


def _targets(view: ViewState, behaviour, values: Iterable) -> dict[str, str]:
    targets: dict[str, str] = {}
    here = view_href(view)
    toggles = _ToggleLinks(view)
    for value in {str(value) for value in values}:
        toggle = filter_toggle(behaviour, value)
        if toggle is not None:
            target = toggles.href(*toggle)
        else:
            result = apply_click(view, behaviour, value)
            if result is None:
                continue
            target = result if isinstance(result, str) else view_href(result)
        if target != here:
            targets[value] = target
    return targets


# Where the clicked value goes in a URL template of point_targets (the browser puts it in as it is)
POINT_VALUE = "{value}"


def point_targets(targets: dict[str, str], keys: Iterable, here: str) -> dict:
    """A map's point targets ({key: URL}, for thousands of points) written compactly and exactly:
    {"templates": [[prefix, URL with POINT_VALUE], …], "urls": {key: URL}}. A key starting with a
    template's prefix leads to the template with the rest of the key put in; a key in "urls" leads
    there ("" is nowhere), whatever the templates say. The browser's rule (cockpitEvents.pointTarget)
    and `point_target` below are the same; every key drawn gets exactly the URL in `targets`.
    A county's 1,657 traffic points took 89 KB as one URL each; most now share two templates."""
    groups: dict[tuple[str, str], list[str]] = {}
    for key, url in targets.items():
        for start in range(len(key)):
            value = key[start:]
            # only values a URL holds as they are, found once in it (no quoting to redo in the browser)
            if quote_plus(value, safe=",") == value and url.count(value) == 1 and POINT_VALUE not in url:
                groups.setdefault((key[:start], url.replace(value, POINT_VALUE)), []).append(key)
                break
    templates: dict[str, str] = {}
    for (prefix, template), members in sorted(groups.items(), key=lambda item: -len(item[1])):
        if len(members) > 1 and prefix not in templates:
            templates[prefix] = template
    ordered = sorted(templates.items(), key=lambda item: -len(item[0]))  # the longest prefix first
    compact = {"templates": [list(item) for item in ordered], "urls": {}}
    for key in {str(key) for key in keys} | set(targets):
        wanted = targets.get(key, "")
        got = point_target({"templates": compact["templates"], "urls": {}}, key)
        if got != wanted and not (wanted == "" and got == here):
            compact["urls"][key] = wanted
    return compact


def point_target(compact: dict, key: str) -> str:
    """The URL a click on the point `key` leads to under point_targets' rule ("" for nowhere)."""
    if key in compact["urls"]:
        return compact["urls"][key]
    for prefix, template in compact["templates"]:
        if key.startswith(prefix) and len(key) > len(prefix):
            return template.replace(POINT_VALUE, key[len(prefix):])
    return ""


def figure_values(figure: dict) -> list:
    """The values a click on a figure can carry: each trace's `customdata` (a row's first item)."""
    values = []
    for trace in figure.get("data", []) or []:
        custom = trace.get("customdata") if isinstance(trace, dict) else None
        if custom is None:
            continue
        for item in list(custom):
            while isinstance(item, (list, tuple)) or getattr(item, "ndim", 0):
                if len(item) == 0:
                    item = None
                    break
                item = item[0]
            if item is not None and not (isinstance(item, float) and pd.isna(item)):
                values.append(item)
    return values


def brushed_range(relayout: dict) -> tuple[date, date] | None:
    if not isinstance(relayout, dict):
        return None
    start = relayout.get("xaxis.range[0]")
    end = relayout.get("xaxis.range[1]")
    if start is None and isinstance(relayout.get("xaxis.range"), list):
        start, end = relayout["xaxis.range"][:2]
    if start is None or end is None:
        return None
    try:
        return pd.Timestamp(start).date(), pd.Timestamp(end).date()
    except (ValueError, TypeError):
        return None


def brush_target(view: ViewState, relayout: dict) -> str | None:
    """The URL a range brushed on a time chart leads to: the page narrowed to it."""
    brushed = brushed_range(relayout)
    if brushed is None:
        return None
    chosen = view.with_range(max(brushed[0], view.start), min(brushed[1], view.end))
    target = view_href(chosen)
    return None if target == view_href(view) else target
