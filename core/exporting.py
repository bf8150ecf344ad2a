"""From a panel and the view on screen to an export: the same DataFrame the panel draws, the same
figure, labelled with the region, time range and filters (chips) the user sees.

Plain functions: the export callbacks (callbacks/export.py) and the background jobs call them,
and the tests call them directly.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from core.export import ExportMeta, SlideSpec, export_panel, render_report
from core.i18n import pick, t
from core.panels import PAGE_PANELS, Panel
from core.viewstate import FILTER_DIMENSIONS, PAGES, ViewState
from data.catalogue import catalogue
from data.regions import region_tree

# Display names of the columns query functions use; a panel may add its own in options["columns"].
COLUMN_LABELS = {
    "name": ("名称", "Name"), "adcode": ("区划代码", "Region code"), "value": ("数值", "Value"),
    "level": ("预警等级", "Warning level"), "selected": ("当前选中", "Selected"), "bucket": ("时间", "Period"),
    "last_year": ("去年同期", "Same period last year"), "incidents": ("事件数", "Incidents"),
    "overdue": ("超期数", "Overdue"), "theme": ("主题", "Theme"), "stage": ("环节", "Step"),
    "stage_zh": ("环节", "Step"), "stage_en": ("环节(英)", "Step"), "indicator": ("指标", "Indicator"),
    "previous": ("上期", "Previous period"), "change_prev": ("环比(%)", "vs previous (%)"),
    "change_yoy": ("同比(%)", "vs last year (%)"), "score": ("评分", "Score"), "dimension": ("维度", "Dimension"),
    "code": ("编号", "Code"), "type_zh": ("类型", "Type"), "type_en": ("类型(英)", "Type"),
    "severity": ("等级", "Severity"), "status": ("状态", "Status"), "department": ("部门", "Department"),
    "reported_at": ("上报时间", "Reported at"), "deadline_at": ("时限", "Deadline"),
    "actual": ("当前值", "Current value"), "year": ("年份", "Year"), "target_2023": ("2023目标", "2023 target"),
    "target_2025": ("2025目标", "2025 target"), "attained_2023": ("2023达标", "2023 met"),
    "attained_2025": ("2025达标", "2025 met"), "unit": ("单位", "Unit"), "group_name": ("类别", "Group"),
    "subject": ("对象", "Subject"), "threshold": ("阈值", "Threshold"), "since": ("起始时间", "Since"),
    "region_name": ("区域", "Region"),
}


def cockpit_name(view: ViewState) -> str:
    return t(PAGES.get(view.page, "overview"), view.lang)


def filter_chips(view: ViewState, labels: dict) -> list[tuple[str, str]]:
    return [(FILTER_DIMENSIONS[dim].label(view.lang), labels.get((dim, value), value))
            for dim, values in view.filters for value in values]


def export_meta(view: ViewState, title: str, source: str, user: str, labels: dict,
                units: dict | None = None) -> ExportMeta:
    tree = region_tree()
    path = tree.path(view.region)
    return ExportMeta(
        title=title, cockpit=cockpit_name(view), region_name=path[-1].label(view.lang),
        region_path=" › ".join(r.label(view.lang) for r in path), start=view.start, end=view.end,
        filters=tuple(filter_chips(view, labels)), source=source, lang=view.lang, units=units or {},
        user=user, generated_at=datetime.now().replace(microsecond=0),
    )


def display_frame(panel: Panel, frame: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, dict]:
    """The panel's DataFrame with display column names, and the unit of each column."""
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame)
    labels = {**COLUMN_LABELS, **panel.options.get("columns", {})}
    index = 1 if lang == "en" else 0
    units: dict[str, str] = {}
    renamed = {}
    first = catalogue().get(panel.indicators[0]) if panel.indicators else None
    for column in frame.columns:
        if column == "value" and first is not None:
            renamed[column] = first.name(lang)
            units[renamed[column]] = first.unit(lang)
        elif column in labels:
            renamed[column] = labels[column][index]
        else:
            renamed[column] = column
    out = frame.rename(columns=renamed)
    out = out.loc[:, ~out.columns.duplicated()]
    return out, units


def table_figure(frame: pd.DataFrame, max_rows: int = 25) -> go.Figure:
    """A figure for panels that are not charts (KPI cards, lists): their data as a table."""
    shown = frame.head(max_rows)
    cells = [[_cell(v) for v in shown[c]] for c in shown.columns]
    fig = go.Figure(go.Table(header={"values": [str(c) for c in shown.columns], "fill_color": "#1c64f2",
                                     "font": {"color": "white"}},
                             cells={"values": cells, "align": "left"}))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def map_figure(panel: Panel, view: ViewState, frame: pd.DataFrame) -> go.Figure:
    """A map panel drawn as filled polygons on plain axes: no base map, nothing fetched from outside."""
    tree = region_tree()
    from components.figures import base_layout

    layer = tree.layer(view.region if tree.get(view.region).level == "county" else view.region)
    values = dict(zip(frame["adcode"], frame["value"])) if "adcode" in frame else {}
    finite = [v for v in values.values() if v is not None and not pd.isna(v)]
    low, high = (min(finite), max(finite)) if finite else (0, 1)
    fig = go.Figure()
    for feature in layer["features"]:
        code = feature["properties"]["adcode"]
        value = values.get(code)
        share = 0.5 if value is None or pd.isna(value) or high == low else (value - low) / (high - low)
        colour = f"rgba(29,78,216,{0.2 + 0.7 * share:.2f})"
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            ring = polygon[0]
            fig.add_trace(go.Scatter(x=[p[0] for p in ring], y=[p[1] for p in ring], fill="toself", mode="lines",
                                     line={"color": "white", "width": 1}, fillcolor=colour, hoverinfo="skip"))
        info = tree.get(code)
        label = info.label(view.lang) + ("" if value is None or pd.isna(value) else f"\n{value:,.1f}")
        fig.add_annotation(x=info.lon, y=info.lat, text=label.replace("\n", "<br>"), showarrow=False,
                           font={"size": 12, "color": "#1d2633"})
    base_layout(fig)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.15)
    return fig


def panel_figure(panel: Panel, view: ViewState, frame: pd.DataFrame) -> go.Figure:
    if panel.kind == "graph":
        return panel.figure(frame, view, panel)
    if panel.kind == "map":
        return map_figure(panel, view, frame)
    return table_figure(display_frame(panel, frame, view.lang)[0])


def key_figures(frame: pd.DataFrame, limit: int = 8) -> list[tuple[str, str]]:
    """Up to `limit` (label, value) pairs: the first text column against the first number column."""
    if frame.empty:
        return []
    text_columns = [c for c in frame.columns if frame[c].dtype == object]
    number_columns = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
                      and not pd.api.types.is_bool_dtype(frame[c])]
    if not text_columns or not number_columns:
        return []
    label, value = text_columns[0], number_columns[0]
    return [(str(r[label]), _cell(r[value])) for _, r in frame.head(limit).iterrows()]


def panel_export(panel: Panel, view: ViewState, fmt: str, user: str, labels: dict) -> tuple[str, str, bytes]:
    """One panel, exactly as on screen, in one format: (file name, MIME type, bytes)."""
    frame = panel.data(view)
    table, units = display_frame(panel, frame, view.lang)
    meta = export_meta(view, panel.title(view.lang), panel.source(view.lang), user, labels, units)
    figure = panel_figure(panel, view, frame) if fmt in ("png", "svg") else None
    return export_panel(fmt, figure, table, meta)


def cockpit_report(view: ViewState, fmt: str, user: str, labels: dict, progress=None) -> tuple[str, str, bytes]:
    """The whole cockpit as one PPTX or PDF: a title slide, then a slide per panel."""
    slides = []
    for panel in PAGE_PANELS.get(view.page, []):
        if not panel.export:
            continue
        frame = panel.data(view)
        table, _ = display_frame(panel, frame, view.lang)
        slides.append(SlideSpec(title=panel.title(view.lang), fig=panel_figure(panel, view, frame),
                                key_figures=key_figures(table), source=panel.source(view.lang)))
    title = pick(view.lang, f"{cockpit_name(view)}报告", f"{cockpit_name(view)} report")
    meta = export_meta(view, title, pick(view.lang, "城市大脑主题库", "City Brain topic tables"), user, labels)
    return render_report(slides, meta, progress=progress, formats=(fmt,))[fmt]
