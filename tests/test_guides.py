"""Threshold lines and bands drawn by components.figures.Guides are the shapes and labels plotly's
own add_vline / add_hline / add_vrect / add_hrect make (only cheaper to build)."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import pytest

from components import plot


def layout_marks(fig: go.Figure) -> tuple[list, list]:
    layout = fig.to_plotly_json()["layout"]
    return layout.get("shapes", []), layout.get("annotations", [])


@pytest.mark.parametrize("kind", [plot, go], ids=["plain figure", "graph object"])
def test_guides_draw_what_plotlys_helpers_draw(kind):
    from components.figures import Guides

    line = {"color": "#f08c00", "dash": "dash", "width": 1.2}
    font = {"size": 10, "color": "#f08c00"}
    theirs = go.Figure(go.Scatter(x=[date(2026, 10, 1), date(2026, 10, 9)], y=[1, 2]))
    theirs.add_annotation(text="already there", x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    theirs.add_vline(x=1.5, line=line, annotation_text="1.5", annotation_position="top", annotation_font=font)
    theirs.add_hline(y=100, line=line, annotation_text="二级标准", annotation_position="top left",
                     annotation_font=font)
    theirs.add_hline(y=3, yref="y2", line=line, annotation_text="3 min", annotation_position="top left",
                     annotation_font=font)
    theirs.add_vrect(x0=date(2026, 10, 1), x1=date(2026, 10, 8), fillcolor="rgba(245,159,0,0.16)", line_width=0,
                     annotation_text="国庆节", annotation_position="top left", annotation_font=font)
    theirs.add_hrect(y0=0, y1=50, fillcolor="#00e400", opacity=0.12, line_width=0, layer="below",
                     annotation_text="优", annotation_position="right", annotation_font=font)
    theirs.add_vline(x=2, line=line)

    ours = kind.Figure(kind.Scatter(x=[date(2026, 10, 1), date(2026, 10, 9)], y=[1, 2]))
    ours.add_annotation(text="already there", x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    (Guides().vline(1.5, line, "1.5", font).hline(100, line, "二级标准", font).hline(3, line, "3 min", font, yref="y2")
     .vrect(date(2026, 10, 1), date(2026, 10, 8), "rgba(245,159,0,0.16)", "国庆节", font)
     .hrect(0, 50, "#00e400", 0.12, "优", font).vline(2, line).draw(ours))
    assert layout_marks(go.Figure(ours.to_plotly_json())) == layout_marks(theirs)
    assert len(layout_marks(ours)[0]) == 6 and len(layout_marks(ours)[1]) == 6


@pytest.mark.parametrize("kind", [plot, go], ids=["plain figure", "graph object"])
def test_no_guides_leave_the_figure_as_it_was(kind):
    from components.figures import Guides

    fig = kind.Figure(kind.Bar(x=[1], y=[2]))
    before = fig.to_plotly_json()
    assert Guides().draw(fig).to_plotly_json() == before
