"""The cockpit's figures are built as plain plotly JSON (components.plot), not as graph objects:
the calls they are built with mean what they mean in plotly, and every panel's figure is one plotly
accepts — validated here, since nothing validates it as it is built."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from components import figures, plot


def built_with(kind):
    """The same figure, through the calls the builders use, with plotly's graph objects (go) or
    components.plot."""
    days = pd.Series(pd.date_range("2026-11-01", periods=3))
    fig = kind.Figure(kind.Bar(x=pd.Series(["黄山区", "徽州区", None]), y=pd.Series([3.5, np.nan, 2.0]),
                               customdata=pd.Series(["341003", "341004", "341021"]),
                               marker_color="#3d8bfd", marker={"line": {"width": 1}}, text=["a", "b", "c"]))
    fig.add_trace(kind.Scatter(x=days, y=[1, 2, 3], yaxis="y2", mode="lines", fill=None, name="趋势"))
    fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 5]}, legend_title_text="图例", plot_bgcolor="#000")
    fig.update_layout(yaxis2={"side": "right"}, margin={"t": 26})
    fig.update_xaxes(type="category")
    fig.update_yaxes(fixedrange=True)
    fig.update_traces(opacity=0.9)
    fig.data[0].hovertemplate = "%{y}<extra></extra>"
    fig.data[0].marker.opacity = [1.0, 0.28, 0.28]
    fig.add_annotation(text="按期办结率", x=1, y=1, xref="paper", yref="paper", showarrow=False, font={"size": 13})
    fig.add_shape(type="rect", x0=-0.5, x1=0.5, y0=0, y1=1, line={"width": 2})
    return fig


def as_plotly_json(fig) -> dict:
    """The JSON plotly.js receives, after plotly's validation (which coerces, e.g. text to strings)."""
    return json.loads(pio.to_json(go.Figure(fig.to_plotly_json()) if isinstance(fig, plot.Figure) else fig))


def test_plain_figures_are_what_the_same_calls_on_graph_objects_make():
    ours, theirs = as_plotly_json(built_with(plot)), as_plotly_json(built_with(go))
    assert ours == theirs
    assert ours["layout"]["template"] == json.loads(pio.to_json(figures.COCKPIT_TEMPLATE))
    assert ours["layout"]["yaxis2"] == {"overlaying": "y", "range": [0, 5], "side": "right", "fixedrange": True}
    assert ours["data"][0]["marker"]["color"] == "#3d8bfd" and ours["data"][0]["marker"]["line"] == {"width": 1}
    assert "fill" not in ours["data"][1]  # None leaves a property unset


def test_the_json_is_a_copy_the_receiver_may_change():
    fig = built_with(plot)
    first = fig.to_plotly_json()
    first["layout"]["template"]["layout"]["font"]["size"] = 99  # what the wall does to every font
    first["layout"]["annotations"][0]["font"]["size"] = 99
    first["data"][0]["marker"]["line"]["width"] = 99
    again = fig.to_plotly_json()
    assert again["layout"]["template"]["layout"]["font"]["size"] == 12
    assert again["layout"]["annotations"][0]["font"]["size"] == 13
    assert again["data"][0]["marker"]["line"]["width"] == 1


def test_a_misspelt_property_fails_when_the_figure_is_validated():
    fig = plot.Figure(plot.Bar(x=[1], y=[2], colour="red"))
    with pytest.raises(ValueError, match="colour"):
        go.Figure(fig.to_plotly_json())


def _every_figure(views):
    import app  # noqa: F401 — registers the pages and their panels
    from callbacks.state import resolve_view
    from components.figures import empty_figure
    from core.panels import PAGE_PANELS

    for page, panels in sorted(PAGE_PANELS.items()):
        for search in views:
            view = resolve_view(page, search)
            for panel in panels:
                if panel.figure is None:
                    continue
                frame = panel.data(view)
                empty = frame is None or (isinstance(frame, pd.DataFrame) and frame.empty)
                yield f"{page}{search} {panel.id}", (empty_figure("—") if empty else panel.figure(frame, view, panel))


def test_every_panels_figure_is_valid_plotly(demo_env):
    """Each graph panel of each cockpit — city and county, Chinese and English, desk and wall —
    builds a figure plotly validates, with data in it."""
    checked = 0
    for name, fig in _every_figure(["", "?region=341003", "?region=341003&lang=en", "?screen=1"]):
        assert isinstance(fig, plot.Figure), name
        try:
            validated = go.Figure(fig.to_plotly_json())
        except ValueError as error:
            pytest.fail(f"{name}: {error}")
        assert validated.data, name
        checked += 1
    assert checked > 150
