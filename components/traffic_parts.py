"""Builders of the 智慧交通 cockpit's own figures, cards and map points (DataFrame → figure or HTML).

Congestion is coloured by the warning level of the catalogue's traffic.congestion thresholds and
parking by those of traffic.parking_occupancy; every level is also written out (▲ marks, level
names, values), never told by colour alone. Clickable marks carry the value a click means in
`customdata` (a segment id, a lot id, an hour, a weekday).
"""
from __future__ import annotations

import math

import pandas as pd
from dash import html

from components import figures, plot
from components.kpi import count_card, kpi_card
from core.i18n import pick
from data.catalogue import LEVEL_NAMES, Indicator, indicator
from data.queries.labels import fixed_label



def _level_colours(levels) -> list[str]:
    return [figures.LEVEL_COLOURS[int(lv)] if int(lv) > 0 else figures.ACCENT for lv in levels]


def weekday_name(day: int, lang: str) -> str:
    return fixed_label("weekday", str(day), lang)


# -- KPI strip ----------------------------------------------------------------------------------
def kpi_strip(frame: pd.DataFrame, lang: str, links: dict[str, str]) -> html.Div:
    """Headline cards: congestion, speed, parking occupancy, free spaces now, bus ridership,
    accidents and traffic incidents (the last two link to the incident desk, `links`)."""
    rows = {row["key"]: row for row in frame.to_dict("records")}
    free, open_count = rows["free_spaces"], rows["open"]
    free_text = None
    if free["value"] is not None and not pd.isna(free["value"]):
        free_text = pick(lang, f"共 {int(free['spaces']):,} 个车位 · {free['at']}",
                         f"of {int(free['spaces']):,} spaces · {free['at']}")
    open_text = pick(lang, f"在办 {int(open_count['value']):,} 件", f"open {int(open_count['value']):,}")
    cards = [
        kpi_card(indicator("traffic.congestion"), rows["traffic.congestion"], lang, card_id="kpi-congestion"),
        kpi_card(indicator("traffic.speed"), rows["traffic.speed"], lang, card_id="kpi-speed"),
        kpi_card(indicator("traffic.parking_occupancy"), rows["traffic.parking_occupancy"], lang,
                 card_id="kpi-parking"),
        count_card(pick(lang, "当前空余车位", "Free spaces now"), _int_or_none(free["value"]), pick(lang, "个", ""),
                   lang, card_id="kpi-free-spaces",
                   extra=html.Div(free_text or pick(lang, "无实时数据（仅保留近90天）", "no live data (90-day store)"),
                                  className="kpi-sub")),
        kpi_card(indicator("traffic.bus_ridership"), rows["traffic.bus_ridership"], lang, card_id="kpi-bus"),
        kpi_card(indicator("traffic.accidents"), rows["traffic.accidents"], lang, href=links["accidents"],
                 card_id="kpi-accidents"),
        count_card(pick(lang, "交通事件", "Traffic incidents"), _int_or_none(rows["incidents"]["value"]),
                   pick(lang, "件", ""), lang, href=links["incidents"], card_id="kpi-traffic-incidents",
                   extra=html.Div(open_text, className="kpi-sub bad" if open_count["value"] else "kpi-sub")),
    ]
    return html.Div(cards, className="kpi-strip")


def _int_or_none(value) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


# -- road segments ------------------------------------------------------------------------------
def segment_bars(frame: pd.DataFrame, lang: str, selected: set[str], *, max_bars: int = 12) -> plot.Figure:
    """Segments ranked by congestion, coloured and ▲-marked by level; the text gives index and speed."""
    # labels told apart among the bars drawn (a city's ranking has thousands of rows)
    frame = figures.without_missing(frame, "congestion").head(max_bars)
    frame = frame.assign(label=figures.distinct_labels(frame["name"], frame["county"]))
    fig = figures.ranking_bar(frame, label="label", value="congestion", key="segment_id", selected=selected,
                              colour_by_level="level", decimals=2, max_bars=max_bars)
    shown = frame.iloc[::-1]
    bars = fig.data[0]
    bars.text = [f"{'▲ ' if lv >= 2 else ''}{c:.2f} · {s:.0f} km/h" for c, s, lv in
                 zip(shown["congestion"], shown["speed"], shown["level"])]
    bars.hovertemplate = ("%{y}<br>" + pick(lang, "拥堵指数 · 车速", "Congestion · speed") + ": %{text}<extra></extra>")
    _threshold_marks(fig, indicator("traffic.congestion"), axis="x",
                     top=float(shown["congestion"].max()) if not shown.empty else 1)
    return fig


def _threshold_marks(fig: plot.Figure, ind: Indicator, *, axis: str, top: float) -> None:
    """Dashed lines, in their level's colour and labelled with their value, at the catalogue
    thresholds within reach of the data (the first one always, so that "normal" has a limit)."""
    marks = figures.Guides()
    for level, threshold in enumerate(ind.thresholds, start=1):
        if threshold > top * 1.1 and level > 1:
            continue
        style = {"color": figures.LEVEL_COLOURS[level], "dash": "dash", "width": 1.2}
        font = {"size": 10, "color": figures.LEVEL_COLOURS[level]}
        if axis == "x":
            marks.vline(threshold, style, f"{threshold:g}", font)
        else:
            marks.hline(threshold, style, f"{threshold:g}", font)
    marks.draw(fig)
    fig.update_layout(margin={"l": 8, "r": 8, "t": 22, "b": 8})


def hour_profile_figure(frame: pd.DataFrame, lang: str, selected_hours: set[str]) -> plot.Figure:
    """Congestion by hour of day as bars (coloured by level; a click filters that hour) and the
    mean speed as a line on a second axis."""
    hours = [f"{h:02d}" for h in frame["hour"]]
    keys = frame["hour"].astype(str)
    fig = plot.Figure()
    fig.add_trace(plot.Bar(
        x=hours, y=frame["congestion"], name=pick(lang, "拥堵指数", "Congestion index"), customdata=keys,
        marker={"color": _level_colours(frame["level"]), "opacity": figures.opacities(keys, selected_hours)},
        text=["▲" if lv >= 2 else "" for lv in frame["level"]], textposition="outside", cliponaxis=False,
        hovertemplate="%{x}:00 " + pick(lang, "拥堵指数", "congestion") + " %{y:.2f}<extra></extra>",
    ))
    fig.add_trace(plot.Scatter(
        x=hours, y=frame["speed"], name=pick(lang, "平均车速 km/h", "Mean speed km/h"), yaxis="y2",
        mode="lines+markers", line={"color": figures.PALETTE[2], "width": 2}, marker={"size": 4},
        customdata=keys, hovertemplate="%{x}:00 " + pick(lang, "车速", "speed") + " %{y:.1f} km/h<extra></extra>",
    ))
    figures.base_layout(fig, legend=True)
    low = max(0.0, float(frame["congestion"].min()) - 0.15)
    fig.update_layout(yaxis={"range": [low, float(frame["congestion"].max()) * 1.08]},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero",
                              "tickformat": ".0f"},
                      bargap=0.2, hovermode="x unified")
    fig.update_xaxes(type="category", title=None, tickangle=0, nticks=12)
    return fig


def weekday_hour_figure(frame: pd.DataFrame, lang: str, selected_days: set[str],
                        selected_hours: set[str]) -> plot.Figure:
    """Hour (columns) × weekday (rows) heat map of congestion, coloured from free flow (1.0) to the
    red threshold; a click filters that weekday; chosen weekdays and hours are framed."""
    ind = indicator("traffic.congestion")
    fig = figures.heatmap(frame, x="hour", y="weekday", z="congestion", x_order=list(range(24)),
                          y_order=list(range(7)), zmin=1.0, zmax=ind.thresholds[-1], decimals=2,
                          customdata="weekday")
    heat = fig.data[0]
    heat.texttemplate = None  # 168 cells: the values are in the hover, the colours carry the pattern
    heat.y = [weekday_name(int(d), lang) for d in heat.y]
    heat.x = [f"{int(h):02d}" for h in heat.x]
    heat.hovertemplate = "%{y} %{x}:00 · " + pick(lang, "拥堵指数", "congestion") + " %{text}<extra></extra>"
    heat.showscale = True
    heat.colorbar = {"thickness": 8, "len": 0.9, "outlinewidth": 0, "tickfont": {"size": 10}}
    rows, columns = list(heat.y), list(heat.x)
    for day in selected_days:
        name = weekday_name(int(day), lang)
        if name in rows:
            position = rows.index(name)
            fig.add_shape(type="rect", x0=-0.5, x1=len(columns) - 0.5, y0=position - 0.5, y1=position + 0.5,
                          line={"color": "#f59f00", "width": 2.5})
    for hour in selected_hours:
        label = f"{int(hour):02d}"
        if label in columns:
            position = columns.index(label)
            fig.add_shape(type="rect", x0=position - 0.5, x1=position + 0.5, y0=-0.5, y1=len(rows) - 0.5,
                          line={"color": "#f59f00", "width": 2.5})
    fig.update_xaxes(side="bottom", tickangle=0, nticks=12)
    return fig


def scenic_roads_figure(frame: pd.DataFrame, lang: str, selected: set[str], *, max_roads: int = 8) -> plot.Figure:
    """Roads around scenic spots (the most congested at the holiday): congestion on the holiday's
    days against the ordinary days before it, side by side; the holiday bar's text gives the rise (▲ %)."""
    frame = frame.head(max_roads).iloc[::-1]
    first = frame.iloc[0]
    holiday = first["holiday_en"] if lang == "en" else first["holiday_zh"]
    span = f"{first['holiday_start']:%m-%d}–{first['holiday_end']:%m-%d}"
    keys = frame["segment_id"].astype(str)
    labels = figures.distinct_labels(frame["spot"], frame["name"])
    fig = plot.Figure()
    fig.add_trace(plot.Bar(
        y=labels, x=frame["normal"], orientation="h", name=pick(lang, "节前四周平日", "Ordinary days before"),
        customdata=keys, marker={"color": "rgba(127,142,163,0.55)", "opacity": figures.opacities(keys, selected)},
        hovertemplate="%{y} · " + pick(lang, "平日", "ordinary days") + " %{x:.2f}<extra></extra>",
    ))
    fig.add_trace(plot.Bar(
        y=labels, x=frame["holiday"], orientation="h", name=f"{holiday} {span}", customdata=keys,
        marker={"color": _level_colours(frame["level"]), "opacity": figures.opacities(keys, selected)},
        text=[f"{h:.2f}" + ("" if pd.isna(c) else f" {'▲' if c >= 0 else '▼'}{abs(c):.0f}%")
              for h, c in zip(frame["holiday"], frame["change"])],
        textposition="auto", cliponaxis=False,
        hovertemplate="%{y} · " + holiday + " %{x:.2f}<extra></extra>",
    ))
    figures.base_layout(fig, legend=True)
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    fig.update_yaxes(type="category")
    return fig


# -- parking ------------------------------------------------------------------------------------
def parking_bars(frame: pd.DataFrame, lang: str, selected: set[str], *, max_bars: int = 10) -> plot.Figure:
    """Lots by occupancy now (the fullest first), coloured and ▲-marked by level; the text gives
    occupancy and free spaces."""
    frame = figures.without_missing(frame, "occupancy").head(max_bars)
    frame = frame.assign(label=figures.distinct_labels(frame["name"], frame["county"]))
    fig = figures.ranking_bar(frame, label="label", value="occupancy", key="lot_id", selected=selected,
                              colour_by_level="level", decimals=1, max_bars=max_bars)
    shown = frame.iloc[::-1]
    bars = fig.data[0]
    free_word = pick(lang, "空", "free")
    bars.text = [f"{'▲ ' if lv >= 2 else ''}{o:.0f}% · {free_word} {f:,}" for o, f, lv in
                 zip(shown["occupancy"], shown["free"], shown["level"])]
    bars.hovertemplate = "%{y}<br>" + pick(lang, "占用率 · 空余", "Occupancy · free") + ": %{text}<extra></extra>"
    fig.update_xaxes(range=[0, 105], ticksuffix="%")
    return fig


def parking_trend_figure(frame: pd.DataFrame, lang: str) -> plot.Figure:
    """Occupancy over the range (and last year's, when the frame has it) against the thresholds."""
    ind = indicator("traffic.parking_occupancy")
    fig = figures.trend_lines(frame, x="bucket", series=[("occupancy", pick(lang, "占用率", "Occupancy")),
                                                        ("last_year", pick(lang, "去年同期", "Last year"))],
                              unit="%", decimals=1, area=True)
    _threshold_marks(fig, ind, axis="y", top=float(frame["occupancy"].max()))
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    return fig


# -- the map ------------------------------------------------------------------------------------
def map_points(segments: pd.DataFrame, lots: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Segments (small dots coloured by congestion level) and lots (circles sized by free spaces,
    coloured by occupancy level). Keys: "segment-<id>" and "lot-<id>". The chosen ones are drawn
    from the map's hideout (assets/cockpit_map.js: outlined, the rest dimmed), so a choice changes
    nothing here and the page is sent only the choice, not the county's points again."""
    names = LEVEL_NAMES[lang]
    # column by column, each label in the page's language only (a county has hundreds of each,
    # thousands at production scale)
    segment_label = pick(lang, "{} · 拥堵指数 {:.2f} · {:.0f} km/h · {}", "{} · congestion {:.2f} · {:.0f} km/h · {}").format
    lot_label = pick(lang, "{} · 空余 {:,}/{:,} · 占用 {:.0f}%", "{} · free {:,}/{:,} · {:.0f}% full").format
    segment_ids, lot_ids = segments["segment_id"].tolist(), lots["lot_id"].tolist()
    segment_levels = [int(level) for level in segments["level"].tolist()]
    lot_levels = [int(level) for level in lots["level"].tolist()]
    free, spaces = [int(value) for value in lots["free"].tolist()], [int(value) for value in lots["spaces"].tolist()]
    return pd.DataFrame({
        "key": [f"segment-{segment}" for segment in segment_ids] + [f"lot-{lot}" for lot in lot_ids],
        "name": segments["name"].tolist() + lots["name"].tolist(),
        "lat": segments["lat"].tolist() + lots["lat"].tolist(),
        "lon": segments["lon"].tolist() + lots["lon"].tolist(),
        "level": segment_levels + lot_levels,
        # a lot's area ∝ free spaces: radius 5 (full) … about 16 (a thousand free)
        "radius": [6] * len(segment_ids) + [5 + math.sqrt(max(room, 0)) / 3 for room in free],
        "label": [segment_label(name, congestion, speed, names[level]) for name, congestion, speed, level in zip(
                      segments["name"].tolist(), segments["congestion"].tolist(), segments["speed"].tolist(),
                      segment_levels)]
                 + [lot_label(name, room, total, share) for name, room, total, share in zip(
                      lots["name"].tolist(), free, spaces, lots["occupancy"].tolist())],
    }, columns=["key", "name", "lat", "lon", "level", "radius", "label"])

