"""Margins worked out on the server (components/margins.py): they hold a figure's tick labels, so
plotly.js can draw it once without measuring and widening them (automargin) — and where the labels
cannot be foreseen, automargin stays on."""
from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from components import figures
from components.margins import fit_margins, text_width


def fitted(fig: go.Figure) -> dict:
    return fit_margins(fig.to_plotly_json())


def test_long_category_labels_of_horizontal_bars_get_their_width_on_the_left():
    frame = pd.DataFrame({"name": ["黄山风景区连接线 · 黄山区", "屯溪老街"], "value": [1.4, 1.2], "key": ["1", "2"]})
    layout = fitted(figures.ranking_bar(frame, label="name", value="value", key="key"))["layout"]
    assert layout["margin"]["l"] >= text_width("黄山风景区连接线 · 黄山区", 12) + 10
    assert layout["yaxis"]["automargin"] is False and layout["xaxis"]["automargin"] is False
    assert layout["margin"]["b"] >= 12 * 1.3  # a row of numbers under the bars


def test_a_value_axis_holds_its_widest_number_with_suffix_and_a_date_axis_two_lines():
    fig = go.Figure(go.Scatter(x=pd.date_range("2026-11-01", periods=20), y=[120_000 + i for i in range(20)]))
    layout = fitted(fig)["layout"]
    assert layout["margin"]["l"] >= text_width("000.0k", 12)
    assert layout["margin"]["b"] >= 2 * 12 * 1.3  # the first day names its year under it
    percent = go.Figure(go.Bar(x=[10, 90], y=["a", "b"], orientation="h")).update_xaxes(range=[0, 105],
                                                                                      ticksuffix="%")
    assert fitted(percent)["layout"]["margin"]["r"] >= 4
    right = go.Figure([go.Bar(x=["a", "b"], y=[1, 2]), go.Scatter(x=["a", "b"], y=[3000, 5000], yaxis="y2")])
    right.update_layout(yaxis2={"overlaying": "y", "side": "right"})
    layout = fitted(right)["layout"]
    assert layout["margin"]["r"] >= text_width("5000", 12) and layout["yaxis2"]["automargin"] is False


def test_titles_add_their_line_and_wall_sizes_are_used():
    fig = go.Figure(go.Bar(x=["PM2.5", "O₃"], y=[30, 40])).update_yaxes(title="AQI")
    desk = fitted(fig)["layout"]["margin"]["l"]
    from components.screen import wall_figure

    wall = fit_margins(wall_figure(fig))["layout"]["margin"]["l"]
    assert desk >= text_width("40", 12) + 12 * 1.4 and wall > desk


def test_labels_plotly_may_tilt_and_figures_without_axes_keep_plotlys_own_fitting():
    many = go.Figure(go.Bar(x=[f"第{i}个很长的区县名称" for i in range(12)], y=list(range(12))))
    layout = fitted(many)["layout"]
    assert "automargin" not in (layout.get("xaxis") or {})  # left to the template's automargin
    assert layout["yaxis"]["automargin"] is False
    pie = go.Figure(go.Pie(labels=["a", "b"], values=[1, 2])).to_plotly_json()
    assert fit_margins(pie) == go.Figure(go.Pie(labels=["a", "b"], values=[1, 2])).to_plotly_json()


def test_every_cockpit_figure_leaves_fitted_margins_to_the_browser(demo_env):
    """The figures the pages receive carry their margins, with automargin off where estimated."""
    import app  # noqa: F401  registers the pages and their panels
    from callbacks.panels import figure_view, graph_content
    from core.panels import PAGE_PANELS
    from core.viewstate import ViewState

    for page in ("/", "/tourism", "/environment", "/traffic", "/safety", "/eldercare"):
        view = ViewState(page=page, region="341000", start=date(2026, 11, 19), end=date(2026, 11, 25))
        for panel in [p for p in PAGE_PANELS[page] if p.kind == "graph"]:
            content, _hash, _values = graph_content(panel.id, figure_view(panel, view))
            layout = content["layout"]
            axes = [key for key in layout if key.startswith(("xaxis", "yaxis"))]
            if any(t.get("type") == "pie" for t in content["data"]):
                continue
            assert any(layout[key].get("automargin") is False for key in axes), panel.id
