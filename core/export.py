"""Export for reports (SPEC §6): the one module the app imports to export a panel or a cockpit.

    export_panel("png", fig, df, meta) -> (filename, mimetype, bytes)    one panel
    render_report(slides, meta, progress) -> {"pptx": (...), "pdf": (...)}  a whole cockpit

Plain functions, no Dash: the download callbacks and the background job call these. The parts
live in export_meta (the words and file names), export_render (annotated figure, Chromium),
export_tables (CSV, XLSX) and export_report (PPTX, PDF).
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.export_meta import ExportMeta, ascii_filename, content_disposition, export_filename
from core.export_render import (ExportError, ExportUnavailable, annotate_figure, find_browser,
                                renderer_available, to_png, to_svg, warm_up_renderer)
from core.export_report import PDF_MIME, PPTX_MIME, SlideSpec, render_report, to_pdf, to_pptx
from core.export_tables import to_csv, to_xlsx

__all__ = [
    "ExportError", "ExportMeta", "ExportUnavailable", "PANEL_FORMATS", "SlideSpec",
    "annotate_figure", "ascii_filename", "content_disposition", "export_filename",
    "export_panel", "find_browser", "render_report", "renderer_available", "to_csv", "to_pdf",
    "to_png", "to_pptx", "to_svg", "to_xlsx", "warm_up_renderer",
]

MIMETYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": PPTX_MIME,
    "pdf": PDF_MIME,
}
PANEL_FORMATS = ("png", "svg", "csv", "xlsx")
IMAGE_FORMATS = ("png", "svg")  # need the browser (renderer_available)


def export_panel(fmt: str, fig: go.Figure | None, df: pd.DataFrame | None,
                 meta: ExportMeta) -> tuple[str, str, bytes]:
    """One panel in one format: (file name, MIME type, content).

    Images need `fig` (and a browser: ExportUnavailable otherwise); tables need `df`.
    """
    builders = {
        "png": lambda: to_png(fig, meta),
        "svg": lambda: to_svg(fig, meta),
        "csv": lambda: to_csv(df, meta),
        "xlsx": lambda: to_xlsx(df, meta),
    }
    if fmt not in builders:
        raise ValueError(f"unknown export format '{fmt}', expected one of {PANEL_FORMATS}")
    needed = fig if fmt in IMAGE_FORMATS else df
    if needed is None:
        raise ValueError(f"a {fmt} export needs {'a figure' if fmt in IMAGE_FORMATS else 'data'}")
    return export_filename(meta, fmt), MIMETYPES[fmt], builders[fmt]()
