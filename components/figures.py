"""Figure builders: DataFrame + view → plotly figure. They know nothing of SQL.

All figures share one look (transparent background so they sit on the desk's light theme and
the wall's dark one, CJK fonts, compact margins) and one convention for clicks: every clickable
trace carries the value a click means in `customdata`, and items not selected are dimmed.
"""
from __future__ import annotations

import collections
import math

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from components import plot
from core.viewstate import ViewState

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
INK = "#7f8ea3"  # readable on both the light desk and the dark wall
GRID = "rgba(127,142,163,0.18)"
PALETTE = ["#3d8bfd", "#20c997", "#f59f00", "#e8590c", "#ae3ec9", "#15aabf", "#82c91e", "#f06595",
           "#845ef7", "#fab005"]
ACCENT = PALETTE[0]
LEVEL_COLOURS = {0: "#2f9e44", 1: "#1c7ed6", 2: "#f59f00", 3: "#e8590c", 4: "#e03131"}
DIMMED = 0.28


# The look every figure shares, as a plotly template: plotly.js applies it, so a figure carries a
# small template instead of plotly's default one (7 KB of every figure's JSON), and building a
# figure does not pay for setting each of these on it (that was most of a small figure's time).
COCKPIT_TEMPLATE = go.layout.Template(layout={
    "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": FONT, "color": INK, "size": 12},
    "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
    "showlegend": False,
    "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 11}},
    "hoverlabel": {"font": {"family": FONT}},
    "hovermode": "closest",
    "separators": ".,",
    "clickmode": "event",
    "dragmode": False,
    "colorway": PALETTE,
    "xaxis": {"gridcolor": GRID, "zeroline": False, "automargin": True},
    "yaxis": {"gridcolor": GRID, "zeroline": False, "automargin": True},
})
pio.templates["cockpit"] = COCKPIT_TEMPLATE
pio.templates.default = "cockpit"  # for graph objects: exports, tests
plot.use_template(COCKPIT_TEMPLATE.to_plotly_json())


def base_layout(fig: plot.Figure, *, legend: bool = False, height: int | None = None) -> plot.Figure:
    """The shared look comes from the template; here only what differs from it."""
    if legend:
        fig.layout.showlegend = True
    if height:
        fig.layout.height = height
    return fig


class Guides:
    """Threshold lines, bands and their labels, added to a figure in one layout update: the shapes
    and labels plotly's add_vline / add_hline / add_vrect / add_hrect make, without their cost
    (each of those validates the layout anew, about 4 ms apiece: more than a chart's bars)."""

    def __init__(self) -> None:
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []

    def _label(self, text: str | None, font: dict | None, **place) -> None:
        if text is not None:
            self.annotations.append({"text": text, "showarrow": False, **({"font": font} if font else {}), **place})

    def vline(self, x, line: dict, text: str | None = None, font: dict | None = None) -> "Guides":
        """A vertical line across the plot at x, labelled above it."""
        self.shapes.append({"type": "line", "xref": "x", "yref": "y domain", "x0": x, "x1": x, "y0": 0, "y1": 1,
                            "line": line})
        self._label(text, font, xref="x", yref="y domain", x=x, y=1, xanchor="center", yanchor="bottom")
        return self

    def hline(self, y, line: dict, text: str | None = None, font: dict | None = None, yref: str = "y") -> "Guides":
        """A horizontal line across the plot at y (of axis `yref`), labelled above its left end."""
        self.shapes.append({"type": "line", "xref": "x domain", "yref": yref, "x0": 0, "x1": 1, "y0": y, "y1": y,
                            "line": line})
        self._label(text, font, xref="x domain", yref=yref, x=0, y=y, xanchor="left", yanchor="bottom")
        return self

    def vrect(self, x0, x1, fillcolor: str, text: str | None = None, font: dict | None = None) -> "Guides":
        """A band from x0 to x1 over the plot's height, labelled inside its top left corner."""
        self.shapes.append({"type": "rect", "xref": "x", "yref": "y domain", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                            "fillcolor": fillcolor, "line": {"width": 0}})
        self._label(text, font, xref="x", yref="y domain", x=x0, y=1, xanchor="left", yanchor="top")
        return self

    def hrect(self, y0, y1, fillcolor: str, opacity: float, text: str | None = None,
              font: dict | None = None) -> "Guides":
        """A band from y0 to y1 across the plot, below the data, labelled at its right end."""
        self.shapes.append({"type": "rect", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": y0, "y1": y1,
                            "fillcolor": fillcolor, "opacity": opacity, "layer": "below", "line": {"width": 0}})
        self._label(text, font, xref="x domain", yref="y", x=1, y=(y0 + y1) / 2, xanchor="right", yanchor="middle")
        return self

    def draw(self, fig: plot.Figure) -> plot.Figure:
        if self.shapes or self.annotations:
            fig.update_layout(shapes=[*(fig.layout.shapes or ()), *self.shapes],
                              annotations=[*(fig.layout.annotations or ()), *self.annotations])
        return fig


def empty_figure(message: str) -> plot.Figure:
    fig = plot.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": INK})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig)


def without_missing(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows with a value in `column` (frame.dropna(subset=[column]) costs over a millisecond
    even when nothing is missing, as it mostly is)."""
    missing = pd.isna(frame[column].to_numpy())
    return frame[~missing] if missing.any() else frame


def opacities(keys, selected: set[str]) -> list[float]:
    if not selected:
        return [1.0] * len(keys)
    return [1.0 if str(k) in selected else DIMMED for k in keys]


def ranking_bar(frame: pd.DataFrame, *, label: str, value: str, key: str, selected: set[str] = frozenset(),
                unit: str = "", colour_by_level: str | None = None, decimals: int = 0,
                orientation: str = "h", max_bars: int = 15, text_suffix: str = "") -> plot.Figure:
    """Bars ranked by value; a click gives the bar's key. Levels colour bars and label them too
    (status is never colour alone: the label carries the value and a ▲ mark for warnings)."""
    frame = without_missing(frame, value).head(max_bars)
    if orientation == "h":
        frame = frame.iloc[::-1]
    colours = ([LEVEL_COLOURS[int(lv)] if int(lv) > 0 else ACCENT for lv in frame[colour_by_level]]
               if colour_by_level else [ACCENT] * len(frame))
    marks = (["▲ " if int(lv) >= 2 else "" for lv in frame[colour_by_level]]
             if colour_by_level else [""] * len(frame))
    text = [f"{m}{v:,.{decimals}f}{text_suffix}" for m, v in zip(marks, frame[value])]
    bar = plot.Bar(
        x=frame[value] if orientation == "h" else frame[label],
        y=frame[label] if orientation == "h" else frame[value],
        orientation=orientation, customdata=frame[key].astype(str), text=text, textposition="auto",
        marker={"color": colours, "opacity": opacities(frame[key], selected)},
        hovertemplate=f"%{{{'y' if orientation == 'h' else 'x'}}}: %{{text}} {unit}<extra></extra>",
        cliponaxis=False,
    )
    fig = plot.Figure(bar)
    base_layout(fig)
    if orientation == "h":
        fig.update_yaxes(type="category")
    else:
        fig.update_xaxes(type="category")
    return fig


def trend_lines(frame: pd.DataFrame, *, x: str, series: list[tuple[str, str]], unit: str = "",
                markers: list[tuple] | None = None, decimals: int = 0, area: bool = False) -> plot.Figure:
    """Lines over time; series = [(column, legend name)]. The second series is drawn dashed and
    lighter (last year, target). markers = [(start, end, label)] shades holidays."""
    fig = plot.Figure()
    for i, (column, name) in enumerate(series):
        if column not in frame:
            continue
        fig.add_trace(plot.Scatter(
            x=frame[x], y=frame[column], name=name, mode="lines",
            line={"color": PALETTE[i], "width": 2.4 if i == 0 else 1.6, "dash": "solid" if i == 0 else "dot"},
            fill="tozeroy" if area and i == 0 else None,
            hovertemplate=f"%{{x}}<br>{name}: %{{y:,.{decimals}f}} {unit}<extra></extra>",
        ))
    holidays = Guides()
    for start, end, label in markers or []:
        holidays.vrect(start, end, "rgba(245,159,0,0.16)", label, {"size": 10, "color": INK})
    holidays.draw(fig)
    base_layout(fig, legend=len(series) > 1)
    # Dragging along the time axis brushes a range (it becomes the page's time range).
    fig.update_layout(dragmode="zoom", hovermode="x unified")
    fig.update_yaxes(fixedrange=True)
    return fig


def donut(frame: pd.DataFrame, *, label: str, value: str, key: str, selected: set[str] = frozenset(),
          unit: str = "") -> plot.Figure:
    pulls = [0.06 if str(k) in selected else 0 for k in frame[key]]
    fig = plot.Figure(plot.Pie(
        labels=frame[label], values=frame[value], customdata=frame[key].astype(str), hole=0.55,
        sort=False, pull=pulls, textinfo="label+percent", textposition="outside",
        marker={"colors": [PALETTE[i % len(PALETTE)] for i in range(len(frame))],
                "line": {"width": [3 if str(k) in selected else 0 for k in frame[key]], "color": "#ffffff"}},
        opacity=1.0, hovertemplate=f"%{{label}}: %{{value:,}} {unit}<extra></extra>",
    ))
    base_layout(fig)
    if selected:  # plotly pies have no per-slice opacity: dim through colours instead
        colours = [PALETTE[i % len(PALETTE)] if str(k) in selected else "rgba(127,142,163,0.35)"
                   for i, k in enumerate(frame[key])]
        fig.update_traces(marker_colors=colours)
    return fig


def funnel(frame: pd.DataFrame, *, stage: str, value: str, key: str, selected: set[str] = frozenset()) -> plot.Figure:
    fig = plot.Figure(plot.Funnel(
        y=frame[stage], x=frame[value], customdata=frame[key].astype(str), textinfo="value+percent initial",
        marker={"color": [PALETTE[i % len(PALETTE)] if not selected or str(k) in selected
                          else "rgba(127,142,163,0.35)" for i, k in enumerate(frame[key])]},
        connector={"line": {"color": GRID}},
    ))
    return base_layout(fig)


def bullets(frame: pd.DataFrame, *, name: str, actual: str, target_a: str, target_b: str, unit: str,
            label_a: str, label_b: str, attained: str, label_actual: str) -> plot.Figure:
    """Plan indicators as bullet charts: the bar is the current value, ticks the two targets;
    attainment colours the bar and a ✓/✗ mark says it in text too."""
    frame = frame.iloc[::-1]
    colours = [LEVEL_COLOURS[0] if ok else LEVEL_COLOURS[3] for ok in frame[attained]]
    marks = ["✓" if ok else "✗" for ok in frame[attained]]
    # Each row is scaled to its 2025 target so that %, Mbps and counts share one axis.
    scale = frame[target_b].where(frame[target_b] > 0, frame[actual]).replace(0, 1)
    fig = plot.Figure()
    fig.add_trace(plot.Bar(
        y=frame[name], x=frame[actual] / scale * 100, orientation="h", marker={"color": colours},
        text=[f"{m} {v:g}{u}" for m, v, u in zip(marks, frame[actual], frame[unit])], textposition="auto",
        customdata=frame[name], width=0.45, name=label_actual,
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    fig.add_trace(plot.Scatter(
        y=frame[name], x=frame[target_a] / scale * 100, mode="markers", name=label_a,
        marker={"symbol": "line-ns-open", "size": 18, "line": {"width": 3, "color": "#f59f00"}},
        text=[f"{v:g}" for v in frame[target_a].fillna(0)], hovertemplate=f"{label_a}: %{{text}}<extra></extra>",
    ))
    fig.add_trace(plot.Scatter(
        y=frame[name], x=[100] * len(frame), mode="markers", name=label_b,
        marker={"symbol": "line-ns-open", "size": 22, "line": {"width": 3, "color": INK}},
        text=[f"{v:g}" for v in frame[target_b].fillna(0)], hovertemplate=f"{label_b}: %{{text}}<extra></extra>",
    ))
    base_layout(fig, legend=True)
    fig.update_xaxes(range=[0, 115], ticksuffix="%", title=None)
    fig.update_yaxes(type="category")
    return fig


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


_REDUCERS = {"mean": lambda values: sum(values) / len(values), "max": max, "min": min}


def cell_grid(frame: pd.DataFrame, *, x: str, y: str, z: str, reduce: str = "mean", x_order=None, y_order=None,
              columns_without_data: bool = False) -> tuple[list, list, list[list]]:
    """(rows, columns, cells) of a heat map: each cell the mean (max, min) of z over the frame's rows
    at (y, x), NaN where none has a value — what pandas' pivot_table gives, put together in Python
    (a few hundred cells, where each pivot_table costs several milliseconds).

    Rows and columns come in the order given, or sorted; only those with data, unless
    `columns_without_data` keeps every column of x_order (e.g. all 24 hours)."""
    groups: dict[tuple, list] = {}
    for row_key, column_key, value in zip(frame[y].tolist(), frame[x].tolist(), frame[z].tolist()):
        if not _missing(value):
            groups.setdefault((row_key, column_key), []).append(value)
    present_rows = {row_key for row_key, _ in groups}
    present_columns = {column_key for _, column_key in groups}
    if x_order is None:
        columns = sorted(present_columns)
    else:
        columns = list(x_order) if columns_without_data else [c for c in x_order if c in present_columns]
    rows = [r for r in y_order if r in present_rows] if y_order is not None else sorted(present_rows)
    combine = _REDUCERS[reduce]
    cells = [[combine(groups[(r, c)]) if (r, c) in groups else math.nan for c in columns] for r in rows]
    return rows, columns, cells


def heatmap(frame: pd.DataFrame, *, x: str, y: str, z: str, x_order=None, y_order=None, zmin=None, zmax=None,
            colourscale="RdYlGn_r", decimals: int = 1, customdata: str | None = None) -> plot.Figure:
    rows, columns, values = cell_grid(frame, x=x, y=y, z=z, x_order=x_order, y_order=y_order)
    fig = plot.Figure(plot.Heatmap(
        z=values, x=columns, y=rows, colorscale=colourscale, zmin=zmin, zmax=zmax,
        text=[[("" if math.isnan(v) else f"{v:.{decimals}f}") for v in row] for row in values],
        texttemplate="%{text}", hovertemplate="%{y} · %{x}: %{text}<extra></extra>", showscale=False,
        customdata=[[str(r)] * len(columns) for r in rows] if customdata else None,
    ))
    base_layout(fig)
    fig.update_xaxes(type="category", side="top")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def grouped_bars(frame: pd.DataFrame, *, x: str, group: str, value: str, key: str, group_labels: dict,
                 selected: set[str] = frozenset(), decimals: int = 0) -> plot.Figure:
    fig = plot.Figure()
    for i, (group_value, rows) in enumerate(frame.groupby(group, sort=False)):
        fig.add_trace(plot.Bar(
            x=rows[x], y=rows[value], name=group_labels.get(group_value, str(group_value)),
            customdata=rows[key].astype(str), marker={"color": PALETTE[i % len(PALETTE)],
                                                       "opacity": opacities(rows[key], selected)},
            hovertemplate=f"%{{x}} · {group_labels.get(group_value, group_value)}: %{{y:,.{decimals}f}}<extra></extra>",
        ))
    base_layout(fig, legend=True)
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(type="category")
    return fig


def selected_of(view: ViewState, dimension: str | None) -> set[str]:
    if dimension is None:
        return set()
    return set(view.filter_values(dimension))


def incident_kinds(frame: pd.DataFrame, *, total_name: str, ontime_rate: float | None, lang: str) -> plot.Figure:
    """Incidents by kind (columns type_code, name, incidents, overdue): all of them and, beside, the
    overdue ones, each bar carrying its type code so that a click can open them on the incident desk;
    the on-time closure rate (按期办结率) is written above them."""
    from core.i18n import pick

    overdue_name = pick(lang, "超期", "Overdue")
    frame = frame.iloc[::-1]
    fig = plot.Figure()
    for column, name, colour, mark in (("incidents", total_name, ACCENT, ""),
                                       ("overdue", overdue_name, LEVEL_COLOURS[4], "⏰")):
        fig.add_trace(plot.Bar(
            y=frame["name"], x=frame[column], orientation="h", name=name, customdata=frame["type_code"],
            marker={"color": colour}, text=[f"{mark}{v:,}" if v else "" for v in frame[column]],
            textposition="outside", cliponaxis=False, hovertemplate=f"%{{y}} · {name}: %{{x:,}}<extra></extra>",
        ))
    base_layout(fig, legend=True)
    # the legend goes under the bars, the rate above them, so neither hides the other
    fig.update_layout(barmode="group", bargap=0.25, legend={"y": -0.08, "yanchor": "top"},
                      margin={"l": 8, "r": 8, "t": 26, "b": 8})
    fig.update_yaxes(type="category")
    rate = "—" if ontime_rate is None else f"{ontime_rate:.1f}%"
    fig.add_annotation(text=f"{pick(lang, '按期办结率', 'Closed on time')} {rate}", xref="paper", yref="paper",
                       x=1, y=1.02, yanchor="bottom", xanchor="right", showarrow=False, font={"size": 13},
                       name="ontime-rate")
    return fig


def distinct_labels(labels, *qualifiers) -> list[str]:
    """Category labels made unique for a chart's axis: a label that occurs more than once gets the
    first qualifier that tells its rows apart (e.g. the county), then its position as a last resort.
    Plotly draws rows with equal category labels on top of each other, hiding all but one."""
    result = [str(label) for label in labels]
    for qualifier in qualifiers:
        counts = collections.Counter(result)
        result = [f"{label} · {extra}" if counts[label] > 1 else label
                  for label, extra in zip(result, qualifier)]
    counts = collections.Counter(result)
    seen: dict[str, int] = {}
    unique = []
    for label in result:
        seen[label] = seen.get(label, 0) + 1
        unique.append(f"{label} ({seen[label]})" if counts[label] > 1 else label)
    return unique
