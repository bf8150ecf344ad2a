"""Export for reports (SPEC §6): what staff take into Word/PPT is what the screen showed.

Image, PPTX and PDF tests need the system Chromium; they skip when there is none, except under
CI=true where they fail.
"""
from __future__ import annotations

import csv
import io
import os
import re
import struct
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.export import (ExportMeta, ExportUnavailable, SlideSpec, annotate_figure,
                         content_disposition, export_filename, export_panel, find_browser,
                         render_report, to_csv, to_pdf, to_png, to_pptx, to_svg, to_xlsx)
from core.export_render import ChromiumRenderer
from services import require

PROJECT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def meta() -> ExportMeta:
    return ExportMeta(
        title="客流监测", cockpit="文旅", region_name="黄山市", region_path="安徽省 › 黄山市",
        start=date(2026, 11, 1), end=date(2026, 11, 7),
        filters=[("景区", "宏村"), ("年龄段", "18-35岁")], source="市文化和旅游局",
        generated_at=datetime(2026, 11, 8, 9, 30), lang="zh",
        units={"接待游客": "人次", "收入": "万元"}, user="张三")


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "日期": pd.date_range("2026-11-01", periods=7, freq="D"),
        "景区": ["宏村", "西递", "=HYPERLINK(\"http://x\")", "黄山风景区", "屯溪老街", "齐云山", "呈坎"],
        "接待游客": [12000, 8000, 5000, 30000, 7000, 4000, 3000],
        "收入": [1.5, 2.25, None, 10.125, 0.75, 0.5, 0.25],
    })


@pytest.fixture
def figure(frame) -> go.Figure:
    fig = go.Figure(go.Bar(x=frame["景区"], y=frame["接待游客"], name="接待游客"))
    fig.update_layout(template="plotly_dark", title="屏幕上的标题", xaxis_title="景区")
    return fig


@pytest.fixture(scope="module")
def browser() -> str:
    """The browser exports use; skips without one (fails under CI=true)."""
    path = find_browser()
    require(path is not None, "Chromium for image export (install chromium or set BROWSER_PATH)")
    return path


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


# -- file names ----------------------------------------------------------------------------------
def test_filename_is_region_cockpit_title_and_range(meta):
    assert export_filename(meta, "png") == "黄山市_文旅_客流监测_2026-11-01_2026-11-07.png"
    assert export_filename(replace(meta, region_name="黄山区"), ".XLSX") == \
        "黄山区_文旅_客流监测_2026-11-01_2026-11-07.xlsx"
    single_day = replace(meta, start=date(2026, 11, 7), end=date(2026, 11, 7))
    assert export_filename(single_day, "csv") == "黄山市_文旅_客流监测_2026-11-07.csv"


def test_filename_drops_characters_file_systems_refuse(meta):
    name = export_filename(replace(meta, title='客流/监测: "周报"?<1>|*\\ 第2版.'), "png")
    assert not set('/\\:*?"<>|') & set(name)
    assert name.startswith("黄山市_文旅_客流-监测")
    assert name.endswith("_2026-11-01_2026-11-07.png")


def test_content_disposition_has_ascii_fallback_and_utf8_name(meta):
    filename = export_filename(meta, "png")
    header = content_disposition(filename)
    header.encode("ascii")  # a header must be ASCII
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert fallback == "huangshanshi_wenlv_keliujiance_2026-11-01_2026-11-07.png"
    encoded = re.search(r"filename\*=UTF-8''(\S+)", header).group(1)
    assert unquote(encoded) == filename


# -- CSV -----------------------------------------------------------------------------------------
def test_csv_opens_in_excel_as_utf8_with_units_and_the_same_numbers(frame, meta):
    data = to_csv(frame, meta)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["日期", "景区", "接待游客(人次)", "收入(万元)"]
    assert len(rows) == len(frame) + 1
    assert [int(r[2]) for r in rows[1:]] == frame["接待游客"].tolist()
    incomes = [float(r[3]) if r[3] else None for r in rows[1:]]
    assert incomes == [None if pd.isna(v) else v for v in frame["收入"]]
    assert [r[0] for r in rows[1:]] == [d.strftime("%Y-%m-%d") for d in frame["日期"]]
    assert rows[1][1] == "宏村"


def test_csv_does_not_hand_excel_a_formula(frame, meta):
    rows = list(csv.reader(io.StringIO(to_csv(frame, meta).decode("utf-8-sig"))))
    assert rows[3][1] == "'" + frame["景区"][2]


# -- XLSX ----------------------------------------------------------------------------------------
def test_xlsx_has_title_header_with_units_typed_data_and_conditions(frame, meta):
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(frame, meta)))
    assert wb.sheetnames == ["数据", "筛选条件"]
    ws = wb["数据"]
    rows = list(ws.iter_rows(values_only=True))
    assert "客流监测" in rows[0][0] and "黄山市" in rows[0][0]
    assert rows[1] == ("日期", "景区", "接待游客(人次)", "收入(万元)")
    data = rows[2:]
    assert len(data) == len(frame)
    assert [r[2] for r in data] == frame["接待游客"].tolist()
    assert all(isinstance(r[2], int) for r in data)
    assert [r[3] for r in data] == [None if pd.isna(v) else v for v in frame["收入"]]
    assert [r[0].date() for r in data] == [d.date() for d in frame["日期"]]
    assert ws.cell(3, 1).is_date and ws.cell(3, 1).number_format == "yyyy-mm-dd"
    # Text that looks like a formula stays text.
    assert ws.cell(5, 2).data_type == "s" and ws.cell(5, 2).value == frame["景区"][2]
    assert ws.column_dimensions["C"].width >= len("接待游客(人次)")

    conditions = dict(wb["筛选条件"].iter_rows(values_only=True))
    assert conditions["区域"] == "安徽省 › 黄山市"
    assert conditions["时间范围"] == "2026-11-01 至 2026-11-07"
    assert conditions["筛选 · 景区"] == "宏村"
    assert conditions["筛选 · 年龄段"] == "18-35岁"
    assert conditions["数据来源"] == "市文化和旅游局"
    assert conditions["生成时间"] == "2026-11-08 09:30"
    assert conditions["导出人"] == "张三"
    assert conditions["数据行数"] == len(frame)


def test_xlsx_without_filters_says_so_in_english_too(frame, meta):
    english = replace(meta, lang="en", filters=(), units={"接待游客": "persons"})
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(frame, english)))
    assert wb.sheetnames == ["Data", "Conditions"]
    assert wb["Data"].cell(2, 3).value == "接待游客 (persons)"
    assert dict(wb["Conditions"].iter_rows(values_only=True))["Filter"] == "No filters"


def test_xlsx_cells_keep_their_types_whatever_the_column_holds(meta):
    """The data rows are written as XML directly (speed), so every kind of column is checked."""
    from decimal import Decimal
    frame = pd.DataFrame({
        "时刻": pd.to_datetime(["2026-11-01 08:30:15", None, "2026-11-02 00:00:00"]),
        "本地日期": pd.date_range("2026-11-01", periods=3, freq="D", tz="Asia/Shanghai"),
        "文本": [" 前后空格 ", "a<b>&c", "@SUM(A1)"],
        "混合": [Decimal("1.50"), True, date(2026, 11, 3)],
        "小数": [1.25, float("nan"), float("inf")],
        "整数": pd.array([1, None, 2**40], dtype="Int64"),
        "是否": [True, False, True],
    })
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(frame, meta)))["数据"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0] == (datetime(2026, 11, 1, 8, 30, 15), datetime(2026, 11, 1), " 前后空格 ", "1.50",
                       1.25, 1, True)
    assert rows[1] == (None, datetime(2026, 11, 2), "a<b>&c", True, None, None, False)
    assert rows[2] == (datetime(2026, 11, 2), datetime(2026, 11, 3), "@SUM(A1)", datetime(2026, 11, 3),
                       None, 2**40, True)
    assert ws.cell(3, 1).number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws.cell(3, 2).number_format == "yyyy-mm-dd"  # whole days in local time stay dates
    assert ws.cell(5, 3).data_type == "s" and ws.cell(5, 4).number_format == "yyyy-mm-dd"
    assert ws.max_row == 2 + len(frame)


# -- the annotated figure ------------------------------------------------------------------------
def test_annotated_figure_states_title_region_range_filters_and_source(figure, meta):
    fig = annotate_figure(figure, meta)
    layout = fig.layout
    assert "客流监测" in layout.title.text and "黄山市" in layout.title.text
    subtitle = layout.title.subtitle.text
    assert "2026-11-01 至 2026-11-07" in subtitle
    assert "景区：宏村" in subtitle and "年龄段：18-35岁" in subtitle
    footer = layout.annotations[-1].text
    assert "数据来源：市文化和旅游局" in footer and "生成时间：2026-11-08 09:30" in footer
    assert layout.paper_bgcolor == "white" and layout.plot_bgcolor == "white"
    assert layout.font.family.startswith('"Noto Sans CJK SC"')
    assert figure.layout.title.text == "屏幕上的标题"  # the on-screen figure is untouched


def test_annotated_figure_says_when_nothing_is_filtered(figure, meta):
    assert "无筛选" in annotate_figure(figure, replace(meta, filters=())).layout.title.subtitle.text
    english = annotate_figure(figure, replace(meta, filters=(), lang="en"))
    assert "No filters" in english.layout.title.subtitle.text
    assert "Source: 市文化和旅游局" in english.layout.annotations[-1].text


def test_names_from_the_data_cannot_inject_markup(figure, meta):
    fig = annotate_figure(figure, replace(meta, filters=[("景区", '<a href="http://evil">宏村</a>')]))
    assert "<a" not in fig.layout.title.subtitle.text
    assert "&lt;a href" in fig.layout.title.subtitle.text


# -- no browser ----------------------------------------------------------------------------------
def test_missing_browser_raises_export_unavailable_and_tables_still_work(frame, meta):
    renderer = ChromiumRenderer(browser_path="/nonexistent/chromium")
    assert not renderer.available()
    with pytest.raises(ExportUnavailable, match="图片导出不可用.*Image export unavailable"):
        renderer.render(go.Figure(), "png", 100, 100, 1)
    assert to_csv(frame, meta) and to_xlsx(frame, meta)


def test_browser_path_pointing_nowhere_disables_images_in_a_fresh_process():
    script = (
        "from datetime import date\n"
        "import pandas as pd, plotly.graph_objects as go\n"
        "from core.export import ExportMeta, ExportUnavailable, export_panel, renderer_available\n"
        "meta = ExportMeta('客流监测', '文旅', '黄山市', '安徽省 › 黄山市', date(2026,11,1), date(2026,11,7))\n"
        "print('available', renderer_available())\n"
        "try:\n"
        "    export_panel('png', go.Figure(), None, meta)\n"
        "except ExportUnavailable as exc:\n"
        "    print('unavailable', exc)\n"
        "print('csv', len(export_panel('csv', None, pd.DataFrame({'a': [1]}), meta)[2]))\n"
    )
    env = dict(os.environ, BROWSER_PATH="/nonexistent/chromium", PYTHONPATH=str(PROJECT))
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "available False" in result.stdout
    assert "unavailable 图片导出不可用" in result.stdout and "BROWSER_PATH" in result.stdout
    assert "csv " in result.stdout


# -- images (Chromium) ---------------------------------------------------------------------------
@pytest.mark.browser
def test_png_is_print_resolution(browser, figure, meta):
    assert png_size(to_png(figure, meta)) == (3200, 1800)


@pytest.mark.browser
def test_svg_keeps_chinese_text(browser, figure, meta):
    svg = to_svg(figure, meta).decode("utf-8")
    assert "<svg" in svg
    assert "客流监测" in svg and "数据来源：市文化和旅游局" in svg


@pytest.mark.browser
def test_export_panel_dispatches_every_format(browser, figure, frame, meta):
    expected = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    for fmt, mimetype in expected.items():
        filename, got_mimetype, data = export_panel(fmt, figure, frame, meta)
        assert filename == f"黄山市_文旅_客流监测_2026-11-01_2026-11-07.{fmt}"
        assert got_mimetype == mimetype and data
    with pytest.raises(ValueError, match="unknown export format"):
        export_panel("gif", figure, frame, meta)


@pytest.mark.browser
def test_concurrent_exports_each_get_their_own_image(browser, figure, meta):
    renderer = ChromiumRenderer()
    results: dict[int, tuple[int, int]] = {}

    def render(width: int):
        results[width] = png_size(renderer.render(annotate_figure(figure, meta), "png", width, 300, 1))

    try:
        threads = [threading.Thread(target=render, args=(w,)) for w in (400, 500, 600, 700)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        renderer.close()
    assert results == {w: (w, 300) for w in (400, 500, 600, 700)}


@pytest.mark.browser
def test_renderer_starts_a_new_browser_when_the_old_one_died(browser, figure):
    renderer = ChromiumRenderer()
    try:
        assert png_size(renderer.render(figure, "png", 300, 200, 1)) == (300, 200)
        first = renderer._session
        first._kaleido.subprocess.terminate()  # as if the browser crashed or was OOM-killed
        first._kaleido.subprocess.wait(15)
        assert png_size(renderer.render(figure, "png", 320, 200, 1)) == (320, 200)
        assert renderer._session is not first
    finally:
        renderer.close()


# -- reports (Chromium) --------------------------------------------------------------------------
@pytest.fixture
def slides(figure) -> list[SlideSpec]:
    return [
        SlideSpec("客流监测", figure, [("接待游客", "6.9 万人次"), ("同比", "+12.3%")]),
        SlideSpec("旅游收入", figure, [("收入", "15.4 万元")], source="市统计局", filters=()),
        SlideSpec("客源地", figure),
    ]


@pytest.mark.browser
def test_pptx_has_a_title_slide_and_one_slide_per_panel(browser, slides, meta):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    report = replace(meta, title="文旅驾驶舱报告")
    prs = Presentation(io.BytesIO(to_pptx(slides, report)))
    assert len(prs.slides) == 1 + len(slides)

    def texts(slide) -> str:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        return "\n".join(parts)

    cover = texts(prs.slides[0])
    for expected in ("文旅驾驶舱报告", "安徽省 › 黄山市", "2026-11-01 至 2026-11-07", "宏村",
                     "市文化和旅游局", "2026-11-08 09:30"):
        assert expected in cover
    first, second, third = (prs.slides[i] for i in (1, 2, 3))
    assert "客流监测 · 黄山市" in texts(first) and "6.9 万人次" in texts(first)
    assert "数据来源：市文化和旅游局" in texts(first)
    assert "数据来源：市统计局" in texts(second) and "无筛选" in texts(second)
    for slide in (first, second, third):
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        assert png_size(pictures[0].image.blob) == (3200, 1800)


@pytest.mark.browser
def test_pdf_has_a_title_page_and_a_page_per_panel(browser, slides, meta):
    data = to_pdf(slides, replace(meta, title="文旅驾驶舱报告"))
    assert data.startswith(b"%PDF")
    assert pdf_pages(data) >= len(slides) + 1


@pytest.mark.browser
def test_report_job_reports_progress_and_builds_both_documents(browser, slides, meta):
    calls = []
    report = replace(meta, title="文旅驾驶舱报告")
    result = render_report(slides, report, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert set(result) == {"pptx", "pdf"}
    filename, mimetype, data = result["pdf"]
    assert filename == "黄山市_文旅_文旅驾驶舱报告_2026-11-01_2026-11-07.pdf"
    assert mimetype == "application/pdf" and pdf_pages(data) >= 4
    assert result["pptx"][0].endswith(".pptx")


def test_a_slide_holds_at_most_eight_key_figures(figure):
    with pytest.raises(ValueError, match="at most 8"):
        SlideSpec("客流监测", figure, [(f"指标{i}", str(i)) for i in range(9)])


def test_printed_series_keep_their_screen_colours(figure, meta):
    figure.update_layout(colorway=["#00e5ff", "#ffb000"])
    assert list(annotate_figure(figure, meta).layout.colorway) == ["#00e5ff", "#ffb000"]
    from_template = go.Figure(go.Bar(x=[1], y=[1]), layout=dict(template="ggplot2"))
    expected = list(from_template.layout.template.layout.colorway)
    assert list(annotate_figure(from_template, meta).layout.colorway) == expected
