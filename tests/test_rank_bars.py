"""Rankings drawn as HTML bars (components/rank_bars.py): the HTML says what the ranking's figure
says — bars in order, values, texts, colours, dimming, threshold lines, tooltips — with every text
escaped, and a figure it cannot draw faithfully is refused, not drawn otherwise."""
from __future__ import annotations

import re
from html import escape, unescape

import pandas as pd
import pytest

from components import figures, plot
from components.rank_bars import NotDrawable, rank_bars_html


def rows(html: str) -> list[dict]:
    """Each bar's attributes, label and text, top down."""
    found = []
    for match in re.finditer(r'<div class="rank-bar( rank-link)?"([^>]*)>(.*?)</div>', html):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(2)))
        label = re.search(r'<span class="rank-label"[^>]*>(.*?)</span>', match.group(3)).group(1)
        text = re.search(r'<span class="rank-text">(.*?)</span>', match.group(3)).group(1)
        fill = re.search(r'<span class="rank-fill" style="([^"]*)"', match.group(3)).group(1)
        found.append({"link": bool(match.group(1)), "label": unescape(label), "text": unescape(text),
                      "fill": fill, **{k: unescape(v) for k, v in attributes.items()}})
    return found


KEYS = ("341003", "341002", "341004", "7", "8", "1", "2", "a", '"><img src=x onerror=alert(1)>')
COUNTIES = pd.DataFrame({"adcode": ["341003", "341002", "341004"], "name": ["黄山区", "屯溪区", "徽州区"],
                         "value": [1.5, 1.2, 0.6], "level": [2, 1, 0]})


def test_a_ranking_reads_top_down_with_its_values_texts_colours_and_keys():
    figure = figures.ranking_bar(COUNTIES, label="name", value="value", key="adcode", colour_by_level="level",
                                 decimals=2, unit="指数").to_plotly_json()
    bars = rows(rank_bars_html(figure, links=KEYS))
    assert [b["label"] for b in bars] == ["黄山区", "屯溪区", "徽州区"]
    assert [float(b["data-v"]) for b in bars] == [1.5, 1.2, 0.6]
    assert [b["data-key"] for b in bars] == ["341003", "341002", "341004"]
    assert [b["text"] for b in bars] == ["▲ 1.50", "1.20", "0.60"]  # the warning level marked in text too
    assert [b["link"] for b in bars] == [True] * 3 and all(b["role"] == "link" for b in bars)
    assert figures.LEVEL_COLOURS[2] in bars[0]["fill"] and figures.LEVEL_COLOURS[1] in bars[1]["fill"]
    assert figures.ACCENT in bars[2]["fill"]  # level 0: the accent colour, as plotly drew it
    # lengths from zero to the longest bar
    assert [re.search(r"--to:([\d.]+)", b["fill"]).group(1) for b in bars] == ["1.0", "0.8", "0.4"]
    assert bars[0]["data-tip"] == "黄山区: ▲ 1.50 指数"


def test_a_selection_dims_the_other_bars_and_only_a_bar_that_leads_somewhere_is_a_link():
    figure = figures.ranking_bar(COUNTIES, label="name", value="value", key="adcode",
                                 selected={"341002"}).to_plotly_json()
    bars = rows(rank_bars_html(figure, links=KEYS))
    assert [b.get("style") for b in bars] == [f"opacity:{figures.DIMMED}", None, f"opacity:{figures.DIMMED}"]
    plain = rows(rank_bars_html(figure, links=()))
    assert not any(b["link"] or "role" in b or "tabindex" in b for b in plain)
    assert [b["data-key"] for b in plain] == ["341003", "341002", "341004"]  # still read by tests and tools
    # in a county, its own bar leads nowhere (its siblings' bars drill into them)
    assert [b["link"] for b in rows(rank_bars_html(figure, links={"341002", "341004"}))] == [False, True, True]


def test_every_text_is_escaped():
    hostile = pd.DataFrame({"key": ['"><img src=x onerror=alert(1)>'], "name": ["<script>alert(1)</script>"],
                            "value": [3]})
    html = rank_bars_html(figures.ranking_bar(hostile, label="name", value="value", key="key").to_plotly_json(),
                          links=KEYS)
    assert "<script>" not in html and "<img" not in html
    bar = rows(html)[0]
    assert bar["label"] == "<script>alert(1)</script>" and bar["data-key"] == '"><img src=x onerror=alert(1)>'


def test_threshold_lines_and_an_axis_range_scale_as_in_the_figure():
    from components.traffic_parts import segment_bars

    segments = pd.DataFrame({"segment_id": [7, 8], "name": ["黄山大道", "迎宾大道"], "county": ["屯溪区", "屯溪区"],
                             "congestion": [1.8, 1.2], "speed": [22.0, 41.0], "level": [2, 0]})
    html = rank_bars_html(segment_bars(segments, "zh", set()).to_plotly_json(), links=KEYS)
    guides = re.findall(r'class="rank-guide rank-guide-dash" style="--at:([\d.]+);--colour:([^"]+)">'
                        r'<span class="rank-guide-label">([^<]*)</span>', html)
    assert guides and all(label for _at, _colour, label in guides)
    for at, colour, label in guides:  # each line where its threshold is, from zero to the longest bar
        assert float(at) == pytest.approx(float(label) / 1.8, abs=1e-3)
        assert colour in figures.LEVEL_COLOURS.values()
    assert [b["text"] for b in rows(html)] == ["▲ 1.80 · 22 km/h", "1.20 · 41 km/h"]

    lots = figures.ranking_bar(pd.DataFrame({"k": ["a"], "n": ["P1"], "v": [52.5]}), label="n", value="v", key="k")
    lots.update_xaxes(range=[0, 105])
    assert "--to:0.5" in rank_bars_html(lots.to_plotly_json(), links=())


def test_a_range_without_numbers_is_ignored_as_plotly_ignores_it():
    """The six pollutants' axis reaches 1.2 × the highest IAQI: NaN when no station has a reading."""
    figure = figures.ranking_bar(COUNTIES, label="name", value="value", key="adcode")
    figure.update_xaxes(range=[0, float("nan")])
    assert [re.search(r"--to:([\d.]+)", b["fill"]).group(1) for b in rows(rank_bars_html(
        figure.to_plotly_json(), links=KEYS))] == ["1.0", "0.8", "0.4"]


def test_a_vertical_ranking_reads_left_to_right_and_a_multiline_text_keeps_its_lines():
    frame = pd.DataFrame({"k": ["1", "2"], "n": ["I 特别重大", "II 重大"], "v": [0, 4]})
    figure = figures.ranking_bar(frame, label="n", value="v", key="k", orientation="v")
    figure.update_traces(text=["0", "4 件<br>2 超期"])
    html = rank_bars_html(figure.to_plotly_json(), links=KEYS)
    assert 'class="rank-bars rank-v"' in html
    bars = rows(html)
    assert [b["label"] for b in bars] == ["I 特别重大", "II 重大"]
    assert bars[1]["text"] == "4 件<br>2 超期" and "&lt;br&gt;" not in html  # a line break, not the tag as text
    assert bars[1]["data-tip"] == "II 重大: 4 件\n2 超期"


def test_a_vertical_ranking_keeps_its_line_its_note_its_axis_labels_and_its_formatted_tooltip():
    frame = pd.DataFrame({"k": ["pm25", "o3"], "n": ["PM2.5", "O3"], "v": [1234.5, 50.0]})
    figure = figures.ranking_bar(frame, label="n", value="v", key="k", orientation="v")
    figure.update_traces(hovertemplate="%{x}: IAQI %{y:,.1f}<extra></extra>")
    figures.Guides().hline(100, {"color": "#e8590c", "dash": "dash"}, "二级标准").draw(figure)
    figure.add_annotation(text="优良天数比例 98.0%", xref="paper", yref="paper", x=1, y=1, showarrow=False)
    figure.update_xaxes(tickvals=["PM2.5", "O3"], ticktext=["PM2.5<br>细颗粒物", "O3"])
    html = rank_bars_html(figure.to_plotly_json(), links=KEYS)
    assert html.startswith('<p class="rank-note">优良天数比例 98.0%</p>')
    assert re.search(r'class="rank-guide rank-guide-dash" style="--at:0.081;--colour:#e8590c">'
                     r'<span class="rank-guide-label">二级标准</span>', html)
    bars = rows(html)
    assert bars[0]["label"] == "PM2.5<br>细颗粒物" and 'title="PM2.5"' in html
    assert [b["data-tip"] for b in bars] == ["PM2.5: IAQI 1,234.5", "O3: IAQI 50.0"]


def test_grouped_bars_share_a_row_each_with_its_value_text_and_colour_and_a_legend():
    """Incidents by kind: all of them and, beside, the overdue ones (figures.incident_kinds)."""
    kinds = pd.DataFrame({"type_code": ["T1", "T2"], "name": ["交通事故", "车辆故障"], "incidents": [44, 0],
                          "overdue": [3, 0]})
    figure = figures.incident_kinds(kinds, total_name="上报", ontime_rate=98.25, lang="zh")
    html = rank_bars_html(figure.to_plotly_json(), links={"T1"})
    assert html.startswith('<p class="rank-note">按期办结率 98.2%</p>')
    bars = rows(html)
    assert [b["label"] for b in bars] == ["交通事故", "车辆故障"]
    assert [b["link"] for b in bars] == [True, False] and bars[0]["data-key"] == "T1"
    first = html[html.index('data-key="T1"'):html.index('data-key="T2"')]
    assert re.findall(r'class="rank-series" data-v="([^"]+)"', first) == ["44.0", "3.0"]
    assert re.findall(r'<span class="rank-text">([^<]*)</span>', first) == ["44", "⏰3"]
    assert [c in first for c in (figures.ACCENT, figures.LEVEL_COLOURS[4])] == [True, True]
    assert bars[0]["data-tip"] == "交通事故 · 上报: 44\n交通事故 · 超期: 3"
    assert '<p class="rank-legend">' in html and "上报" in html.split('<p class="rank-legend">')[1]


def test_stacked_bars_lie_end_to_end_with_the_text_written_after_them():
    """Emergency calls by kind, stacked by response-time band, the total and mean response after
    each row (eldercare_parts.calls_figure); a band name with "<" is text, not markup."""
    from components.eldercare_parts import band_names, calls_figure

    calls = pd.DataFrame({"kind": ["fall", "fall", "call", "call"], "name": ["跌倒报警", "跌倒报警", "一键呼叫", "一键呼叫"],
                          "level": [0, 2, 0, 2], "calls": [30, 10, 12, 0], "total": [40, 40, 12, 12],
                          "mean_response": [300.0, 300.0, 120.0, 120.0]})
    figure = calls_figure(calls, "en", {"call"}).to_plotly_json()
    html = rank_bars_html(figure, links={"fall", "call"})
    assert 'class="rank-bars rank-h rank-stacked"' in html
    bars = rows(html)
    assert [b["label"] for b in bars] == ["跌倒报警", "一键呼叫"] and [b["data-key"] for b in bars] == ["fall", "call"]
    assert [b["text"] for b in bars] == ["40 · mean 5.0 min", "12 · mean 2.0 min"]
    assert bars[0]["style"] == f"opacity:{figures.DIMMED}" and "style" not in bars[1]  # "call" is chosen
    first = html[html.index('data-key="fall"'):html.index('data-key="call"')]
    # the second band starts where the first ends: shares of the axis' range (0 to 1.7 × the largest total)
    spans = re.findall(r'class="rank-fill" style="--from:([\d.]+);--to:([\d.]+);background:([^"]+)" data-v="([^"]+)"',
                       first)
    assert [(float(a), float(b), float(v)) for a, b, _, v in spans] == [(0.0, round(30 / 68, 4), 30.0),
                                                                       (round(30 / 68, 4), round(40 / 68, 4), 10.0)]
    assert [colour for *_, colour, _ in spans] == [figures.LEVEL_COLOURS[0], figures.LEVEL_COLOURS[2]]
    bands = band_names("en")
    assert bars[0]["data-tip"] == f"跌倒报警 · {bands[0]}: 30\n跌倒报警 · {bands[2]}: 10"
    assert bands[0].startswith("< ") and escape(bands[0]) in html and bands[0] not in html  # escaped
    legend = html.split('<p class="rank-legend">')[1]
    assert legend.count('class="rank-swatch"') == 2  # the bands drawn (no call of the third band)


def test_a_stacked_ranking_of_older_residents_keeps_its_text_and_its_tooltips():
    from components.eldercare_parts import population_figure

    people = pd.DataFrame({"adcode": ["341003", "341002"], "name": ["黄山区", "屯溪区"], "aged_60_79": [30000, 20000],
                           "aged_80": [6000, 5000], "aged_60": [36000, 25000], "ageing_rate": [24.5, 21.0]})
    html = rank_bars_html(population_figure(people, "zh", "341002").to_plotly_json(), links={"341003"})
    bars = rows(html)
    assert [b["label"] for b in bars] == ["黄山区", "屯溪区"]
    assert [b["text"] for b in bars] == ["老龄化率 24.5%", "老龄化率 21.0%"]
    assert [b["link"] for b in bars] == [True, False]
    assert bars[0]["data-tip"] == "黄山区 · 60–79岁 30,000 人\n黄山区 · 80岁及以上 6,000 人\n黄山区 · 60+ 36,000 (  老龄化率 24.5%)"


def test_marks_on_the_rows_sit_at_their_values_with_their_tooltips_and_legend():
    """A spot's load with its peak of the range as a ◆ (a spot without a peak has none); a plan
    indicator's bar with its two targets as ticks."""
    from components.tourism_parts import spot_load_figure
    from data.catalogue import indicator

    ind = indicator("tourism.spot_load")
    spots = pd.DataFrame({"spot_id": [1, 2], "label": ["黄山风景区", "宏村"], "load": [85.0, 40.0], "level": [2, 0],
                          "arrivals": [42500, 8000], "capacity": [50000, 20000], "peak_load": [95.0, float("nan")],
                          "peak_day": [pd.Timestamp("2026-11-22"), pd.NaT]})
    html = rank_bars_html(spot_load_figure(spots, ind, "zh", set()).to_plotly_json(), links={"1", "2"})
    bars = rows(html)
    assert [b["label"] for b in bars] == ["黄山风景区", "宏村"] and [b["data-key"] for b in bars] == ["1", "2"]
    top = max(85.0, 95.0, ind.thresholds[3]) * 1.15
    assert re.findall(r'class="rank-marker rank-marker-diamond" data-m="0" data-v="([^"]+)" style="--at:([\d.]+);',
                      html) == [("95.0", f"{round(95.0 / top, 4):g}")]
    assert bars[0]["data-tip"] == "黄山风景区\n承载率 85.0%\n入园/日容量 42,500 / 50,000\n黄山风景区\n峰值 95.0% (11-22)"
    assert "峰值" not in bars[1]["data-tip"]
    legend = html.split('<p class="rank-legend">')[1]
    assert "当日承载率" in legend and 'rank-marker-diamond' in legend and "区间峰值" in legend
    assert html.count('class="rank-guide ') == 2  # the yellow and red crowd thresholds

    plan = pd.DataFrame({"indicator": ["5G基站", "森林覆盖率"], "actual": [8000.0, 82.0], "target_2023": [6000.0, 82.0],
                         "target_2025": [10000.0, 83.0], "unit": ["个", "%"], "attained": [False, False]})
    html = rank_bars_html(figures.bullets(plan, name="indicator", actual="actual", target_a="target_2023",
                                          target_b="target_2025", unit="unit", label_a="2023目标", label_b="2025目标",
                                          attained="attained", label_actual="当前值").to_plotly_json(), links=())
    ticks = re.findall(r'class="rank-marker rank-marker-line-ns-open" data-m="(\d)" data-v="([^"]+)"', html)
    assert ticks == [("0", "60.0"), ("1", "100.0"), ("0", f"{82 / 83 * 100!r}"), ("1", "100.0")]
    assert rows(html)[0]["data-tip"] == "5G基站: ✗ 8000个\n2023目标: 6000\n2025目标: 10000"
    assert [name for name in ("当前值", "2023目标", "2025目标") if name in html.split('<p class="rank-legend">')[1]] == [
        "当前值", "2023目标", "2025目标"]


@pytest.mark.parametrize("change, reason", [
    (lambda f: f.update_traces(marker_symbol="circle", selector={"type": "scatter"}), "symbol 'circle'"),
    (lambda f: f.update_traces(marker_color=["red", "blue"], selector={"type": "scatter"}), "several colours"),
    (lambda f: setattr(f.data[1], "y", ["黄山风景区", "宏村"]), "not one per row"),  # drawn bottom up: reversed
])
def test_marks_these_bars_cannot_draw_faithfully_are_refused(change, reason):
    from components.tourism_parts import spot_load_figure
    from data.catalogue import indicator

    spots = pd.DataFrame({"spot_id": [1, 2], "label": ["黄山风景区", "宏村"], "load": [85.0, 40.0], "level": [2, 0],
                          "arrivals": [42500, 8000], "capacity": [50000, 20000], "peak_load": [95.0, 50.0],
                          "peak_day": [pd.Timestamp("2026-11-22"), pd.Timestamp("2026-11-20")]})
    figure = spot_load_figure(spots, indicator("tourism.spot_load"), "zh", set())
    change(figure)
    with pytest.raises(NotDrawable, match=reason):
        rank_bars_html(figure.to_plotly_json(), links=KEYS)


@pytest.mark.parametrize("change, reason", [
    (lambda f: f.update_traces(x=[1, 1], selector={"mode": "text"}), "not at the ends"),
    (lambda f: f.update_traces(textposition="middle left", selector={"mode": "text"}), "not to the right"),
    (lambda f: f.update_layout(barmode="group"), "beside grouped"),
    (lambda f: f.update_traces(text=["a", "b"], selector={"type": "bar"}), "texts of their own"),
])
def test_stacked_bars_these_bars_cannot_draw_faithfully_are_refused(change, reason):
    from components.eldercare_parts import population_figure

    people = pd.DataFrame({"adcode": ["341003", "341002"], "name": ["黄山区", "屯溪区"], "aged_60_79": [30000, 20000],
                           "aged_80": [6000, 5000], "aged_60": [36000, 25000], "ageing_rate": [24.5, 21.0]})
    figure = population_figure(people, "zh", "")
    change(figure)
    with pytest.raises(NotDrawable, match=reason):
        rank_bars_html(figure.to_plotly_json(), links=KEYS)


def test_the_no_data_figure_gives_its_note_and_a_ranking_of_no_rows_is_empty():
    html = rank_bars_html(figures.empty_figure("暂无数据 <无>").to_plotly_json(), links=KEYS)
    assert html == '<p class="rank-bars-note">暂无数据 &lt;无&gt;</p>'
    nothing = COUNTIES.assign(value=float("nan"))  # every value missing: ranking_bar keeps no row
    assert rows(rank_bars_html(figures.ranking_bar(nothing, label="name", value="value", key="adcode").to_plotly_json(),
                               links=KEYS)) == []


@pytest.mark.parametrize("change, reason", [
    (lambda f: f.add_trace(plot.Scatter(x=[1], y=["b"])), "not bar traces"),
    (lambda f: f.add_trace(plot.Bar(x=[1, 2, 3], y=["徽州区", "屯溪区", "黄山区"], orientation="h")), "not grouped"),
    (lambda f: f.update_traces(hovertemplate="%{y}: %{x:.2s}<extra></extra>"), "hovertemplate token"),
    (lambda f: f.add_annotation(text="note", x=0.5, y="屯溪区", xref="x", yref="y"), "label without its line"),
    (lambda f: f.add_annotation(text="note", x=0.5, y=0.5, xref="x domain", yref="paper"), "annotation"),
    (lambda f: figures.Guides().hrect(0, 1, "red", 0.2).draw(f), "threshold line"),
])
def test_a_figure_these_bars_cannot_draw_faithfully_is_refused(change, reason):
    figure = figures.ranking_bar(COUNTIES, label="name", value="value", key="adcode")
    change(figure)
    with pytest.raises(NotDrawable, match=reason):
        rank_bars_html(figure.to_plotly_json(), links=KEYS)


def test_every_declared_ranking_fills_as_bars_on_every_cockpit(demo_env):
    """Each panel declared `bars=True` fills with bars — city and county, Chinese and English, desk
    and wall — and its figure is still the plotly figure exports draw."""
    import app  # noqa: F401  registers the pages and their panels
    from callbacks.panels import fill
    from callbacks.state import resolve_view
    from core.panels import PAGE_PANELS

    checked = links = 0
    for page, panels in PAGE_PANELS.items():
        ranked = [panel for panel in panels if panel.bars]
        for search in ("", "?region=341003", "?region=341003&lang=en", "?screen=1"):
            view = resolve_view(page, search)
            requested = [("bars", {"type": "bars", "id": panel.id}, None) for panel in ranked]
            for panel, filled in zip(ranked, fill(requested, view, refresh=False)):
                assert panel.kind == "bars" and panel.figure is not None
                assert '<div class="rank-bars rank-' in filled.content, (page, search, panel.id)
                assert len(rows(filled.content)) > 0 and filled.hash
                if panel.click is not None:  # every bar with a target is a link, and only those
                    assert all(b["link"] == (b["data-key"] in (filled.targets or {})) for b in rows(filled.content))
                    links += sum(b["link"] for b in rows(filled.content))
                checked += 1
    assert checked >= 20 * 4 and links > 100
