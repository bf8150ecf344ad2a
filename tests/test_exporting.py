"""Exports of real panels after a drill and a cross-filter: the file holds exactly the query layer's
numbers for that selection, and says which selection it is."""
import io
from datetime import date

import pandas as pd
import pytest

from core.viewstate import ViewState

VIEW = ViewState(page="/", region="341003", start=date(2026, 11, 1), end=date(2026, 11, 21),
                 filters=(("theme", ("safety",)),))


@pytest.fixture(scope="module")
def overview(demo_env):
    import app  # noqa: F401  registers the pages and their panels
    from core.panels import PANELS

    return PANELS


def test_csv_and_xlsx_hold_the_panels_numbers_for_the_selection(overview):
    from openpyxl import load_workbook

    from core.exporting import panel_export
    from data.queries.incidents import by_theme, closed_loop

    labels = {("theme", "safety"): "城市安全"}
    name, _mime, content = panel_export(overview["overview.funnel"], VIEW, "csv", "tester", labels)
    assert name == "黄山区_总体态势_事件闭环_2026-11-01_2026-11-21.csv"
    frame = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    expected = closed_loop(VIEW)
    assert frame["事件数"].tolist() == expected["incidents"].tolist()
    assert sum(expected["incidents"]) > 0

    name, _mime, content = panel_export(overview["overview.themes"], VIEW, "xlsx", "tester", labels)
    book = load_workbook(io.BytesIO(content))
    data = book["数据"]
    rows = [[c.value for c in row] for row in data.iter_rows()]
    header_row = next(i for i, r in enumerate(rows) if "事件数" in r)
    header = rows[header_row]
    counts = [r[header.index("事件数")] for r in rows[header_row + 1:] if r[header.index("事件数")] is not None]
    # the chart clicked to filter shows every theme (the chosen one highlighted), and so does its export
    assert counts == by_theme(ViewState(region="341003", start=VIEW.start, end=VIEW.end))["incidents"].tolist()
    conditions = "\n".join(str(c.value) for row in book["筛选条件"].iter_rows() for c in row if c.value)
    assert "城市安全" in conditions and "黄山区" in conditions and "2026-11-01" in conditions


def test_png_figure_carries_title_region_range_and_filters(overview):
    from core.export import annotate_figure
    from core.exporting import export_meta, panel_figure

    panel = overview["overview.ranking"]
    meta = export_meta(VIEW, panel.title("zh"), panel.source("zh"), "tester", {("theme", "safety"): "城市安全"})
    figure = annotate_figure(panel_figure(panel, VIEW, panel.data(VIEW)), meta)
    texts = " ".join([figure.layout.title.text or "", figure.layout.title.subtitle.text or ""]
                     + [a.text for a in figure.layout.annotations])
    for fragment in ("区县排名", "黄山区", "2026-11-01", "2026-11-21", "城市安全", "市文化和旅游局"):
        assert fragment in texts


@pytest.mark.browser
def test_png_and_report_render(overview):
    from services import require_chromium

    require_chromium()
    from core.exporting import cockpit_report, panel_export

    name, _mime, png = panel_export(overview["overview.map"], VIEW, "png", "tester", {})
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and name.endswith(".png")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (3200, 1800)
    steps = []
    name, _mime, pptx = cockpit_report(VIEW, "pptx", "tester", {}, progress=lambda d, t: steps.append((d, t)))
    from pptx import Presentation

    from core.panels import PAGE_PANELS

    exported = [p for p in PAGE_PANELS["/"] if p.export]
    assert len(Presentation(io.BytesIO(pptx)).slides) == 1 + len(exported)
    assert steps[-1][0] == steps[-1][1]
    _name, _mime, pdf = cockpit_report(VIEW, "pdf", "tester", {})
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 1 + len(exported)
