"""Declared panels: a page is a list of them, and the few generic callbacks do the rest.

A Panel says what it shows (query → DataFrame, figure/render → what the user sees), what a
click on it means (drill into a region, cross-filter by a dimension, open a link), which filters
it reads, which indicators it shows (for its source line, its warnings and its export). The same
declaration drives the on-screen panel, its export and its place on the big screen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from core.viewstate import ViewState, narrow


@dataclass(frozen=True)
class Drill:
    """A click on a region (customdata = adcode) scopes the whole page to it."""

    kind: str = "drill"


@dataclass(frozen=True)
class CrossFilter:
    """A click on a category (customdata = its value) toggles a filter on `dimension`."""

    dimension: str
    kind: str = "filter"


@dataclass(frozen=True)
class KeyedFilter:
    """A click on a mark keyed "<dimension>-<value>" toggles a filter on that dimension, one of
    `dimensions` (a map that shows several kinds of points, e.g. road segments and parking lots)."""

    dimensions: tuple[str, ...]
    kind: str = "filter"

    def split(self, key: str) -> tuple[str, str] | None:
        """(dimension, value) of a mark's key; None for a key of no dimension of this click."""
        dimension, _, value = str(key).partition("-")
        return (dimension, value) if dimension in self.dimensions and value else None


@dataclass(frozen=True)
class OpenLink:
    """A click opens a URL built from the clicked value and the current view (e.g. an incident)."""

    href: Callable[[str, ViewState], str]
    kind: str = "link"


@dataclass(frozen=True)
class MapSpec:
    """A map panel: regions coloured by an indicator, and point entities at county level.

    metrics: the indicators the map can be coloured by (the first is the default);
    points(view) → DataFrame(key, name, lat, lon, level, label, radius[, colour]);
    point_click: what a click on a point means; points_at_city: show points above county level
    too (clustered), e.g. incidents as density."""

    metrics: tuple[str, ...]
    points: Callable[[ViewState], pd.DataFrame] | None = None
    point_click: CrossFilter | KeyedFilter | OpenLink | None = None
    cluster: bool = False
    points_at_city: bool = False
    point_filters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Panel:
    id: str
    title_zh: str
    title_en: str
    query: Callable[[ViewState], pd.DataFrame]
    figure: Callable[[pd.DataFrame, ViewState, "Panel"], object] | None = None
    render: Callable[[pd.DataFrame, ViewState, "Panel"], object] | None = None
    click: Drill | CrossFilter | OpenLink | None = None
    filters: tuple[str, ...] = ()  # filter dimensions the query reads
    indicators: tuple[str, ...] = ()  # catalogue codes shown (source line, export units)
    source_zh: str = ""
    source_en: str = ""
    brush: bool = False  # a range brushed on its time axis sets the page's time range
    # its figure is a ranking (figures.ranking_bar) the browser draws as HTML bars
    # (components/rank_bars.py): a fraction of a plotly chart's cost on every drill
    bars: bool = False
    width: int = 4  # columns of a 12-column grid
    height: int = 1  # rows of the grid
    map: MapSpec | None = None
    options: dict = field(default_factory=dict, hash=False, compare=False)
    export: bool = True
    screen: bool = True  # shown in the big-screen mode

    @property
    def kind(self) -> str:
        if self.map is not None:
            return "map"
        if self.figure is None:
            return "html"
        return "bars" if self.bars else "graph"

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh

    def source(self, lang: str = "zh") -> str:
        explicit = self.source_en if lang == "en" else self.source_zh
        if explicit:
            return explicit
        from data.catalogue import catalogue

        seen: list[str] = []
        for code in self.indicators:
            ind = catalogue().get(code)
            if ind and ind.source(lang) not in seen:
                seen.append(ind.source(lang))
        return "、".join(seen) if lang == "zh" else ", ".join(seen)

    def data(self, view: ViewState) -> pd.DataFrame:
        """The panel's DataFrame for a view: exactly what is drawn and what is exported."""
        return self.query(narrow(view, self.filters))


PANELS: dict[str, Panel] = {}
PAGE_PANELS: dict[str, list[Panel]] = {}


def register_panels(page_path: str, panels: list[Panel]) -> list[Panel]:
    for panel in panels:
        if panel.id in PANELS and PANELS[panel.id] is not panel:
            raise ValueError(f"panel id '{panel.id}' declared twice")
        PANELS[panel.id] = panel
    PAGE_PANELS[page_path] = panels
    return panels


def panel(panel_id: str) -> Panel:
    try:
        return PANELS[panel_id]
    except KeyError:
        raise KeyError(f"unknown panel '{panel_id}'") from None
