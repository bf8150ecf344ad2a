"""A whole cockpit as one report: PPTX (a slide per panel) and PDF (a page per panel), SPEC §6.

Each panel is drawn once (the same annotated PNG as a single-panel export, so a chart copied
out of the deck still says what it shows) and placed next to its key figures. A title slide /
page states cockpit, region, time range, filters, source and time of generation.

PDF text needs a CJK font. reportlab embeds only TrueType outlines and the Noto CJK fonts that
Debian ships are CFF-based, so unless a TrueType CJK font is installed (WenQuanYi, AR PL) the
PDF names Adobe's standard CID font STSong-Light, which the reader supplies (readers with
Chinese support do; checked with poppler), and sets the few characters that font lacks
(· › µ ³ …) in embedded DejaVu Sans.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import groupby
from typing import Callable, Sequence
from xml.sax.saxutils import escape

import plotly.graph_objects as go

from core.export_meta import (ExportMeta, condition_rows, export_filename, footer_text,
                              generated_text, source_text, subtitle_text, title_text)
from core.export_render import to_png
from core.i18n import pick

log = logging.getLogger(__name__)

KEY_FIGURES_MAX = 8
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PDF_MIME = "application/pdf"
REPORT_FORMATS = ("pptx", "pdf")


@dataclass(frozen=True)
class SlideSpec:
    """One panel of a report: its chart and the key figures shown beside it.

    key_figures are (label, value as shown on screen, with its unit), e.g. ("接待游客", "12.3 万人次").
    filters: the filters that apply to this panel when they differ from the report's (a panel
    that was clicked to cross-filter the page is not filtered by its own click); None = report's.
    """

    title: str
    fig: go.Figure
    key_figures: Sequence[tuple[str, str]] = ()
    source: str = ""  # empty: the report's source
    filters: Sequence[tuple[str, str]] | None = None

    def __post_init__(self):
        if len(self.key_figures) > KEY_FIGURES_MAX:
            raise ValueError(f"a slide shows at most {KEY_FIGURES_MAX} key figures, "
                             f"'{self.title}' has {len(self.key_figures)}")

    def meta(self, report: ExportMeta) -> ExportMeta:
        return replace(report, title=self.title, source=self.source or report.source,
                       filters=report.filters if self.filters is None else tuple(self.filters))


@dataclass(frozen=True)
class _Panel:
    """A slide with its drawn chart: what both document builders lay out."""

    spec: SlideSpec
    meta: ExportMeta
    png: bytes


Progress = Callable[[int, int], None]


def _draw(slides: Sequence[SlideSpec], report: ExportMeta, progress: Progress | None = None,
          total: int = 0) -> list[_Panel]:
    panels = []
    for done, slide in enumerate(slides, start=1):
        meta = slide.meta(report)
        panels.append(_Panel(slide, meta, to_png(slide.fig, meta)))
        if progress:
            progress(done, total)
    return panels


def to_pptx(slides: Sequence[SlideSpec], meta_report: ExportMeta) -> bytes:
    return _build_pptx(_draw(slides, meta_report), meta_report)


def to_pdf(slides: Sequence[SlideSpec], meta_report: ExportMeta) -> bytes:
    return _build_pdf(_draw(slides, meta_report), meta_report)


def render_report(panels: Sequence[SlideSpec], meta_report: ExportMeta,
                  progress: Progress | None = None,
                  formats: Sequence[str] = REPORT_FORMATS) -> dict[str, tuple[str, str, bytes]]:
    """Both documents from one drawing of each panel: {fmt: (filename, mimetype, bytes)}.

    progress(done, total) is called after each panel, and a last time once the documents are
    assembled (total = panels + 1), so a progress bar reaches 100 % only when the files exist.
    """
    unknown = set(formats) - set(REPORT_FORMATS)
    if unknown:
        raise ValueError(f"unknown report format(s): {sorted(unknown)}")
    total = len(panels) + 1
    drawn = _draw(panels, meta_report, progress, total)
    builders = {"pptx": (_build_pptx, PPTX_MIME), "pdf": (_build_pdf, PDF_MIME)}
    result = {}
    for fmt in formats:
        build, mimetype = builders[fmt]
        result[fmt] = (export_filename(meta_report, fmt), mimetype, build(drawn, meta_report))
    if progress:
        progress(total, total)
    return result


def _report_heading(meta: ExportMeta) -> tuple[str, str]:
    """Title and second line of the title slide / page."""
    second = meta.region_name if meta.cockpit == meta.title else f"{meta.cockpit} · {meta.region_name}"
    return meta.title, second


# -- PPTX ----------------------------------------------------------------------------------------
PPT_FONT = "Microsoft YaHei"  # the usual Chinese UI font of Office; WPS substitutes its own
_INK, _MUTED = "1F2329", "5F6B7A"
_SLIDE_W, _SLIDE_H = 13.333, 7.5  # inches, 16:9
_CHART_TOP, _CHART_MAX_H = 1.4, 5.3  # inches; leaves room for the source line at the bottom


def _build_pptx(panels: list[_Panel], report: ExportMeta) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(_SLIDE_W), Inches(_SLIDE_H)
    blank = prs.slide_layouts[6]

    slide = prs.slides.add_slide(blank)
    heading, second = _report_heading(report)
    _text(slide, heading, 0.8, 1.2, 11.7, 1.0, size=36, bold=True)
    _text(slide, second, 0.8, 2.2, 11.7, 0.6, size=20, color=_MUTED)
    _table(slide, condition_rows(report), 0.8, 3.0, 11.7, size=13)

    for panel in panels:
        slide = prs.slides.add_slide(blank)
        meta = panel.meta
        _text(slide, title_text(meta), 0.5, 0.3, 12.3, 0.6, size=24, bold=True)
        _text(slide, subtitle_text(meta), 0.5, 0.85, 12.3, 0.4, size=12, color=_MUTED)
        figures = list(panel.spec.key_figures)
        room = 8.9 if figures else 12.3
        chart_width = min(room, _CHART_MAX_H * 16 / 9)
        chart_left = 0.5 if figures else (_SLIDE_W - chart_width) / 2
        slide.shapes.add_picture(io.BytesIO(panel.png), Inches(chart_left), Inches(_CHART_TOP),
                                 width=Inches(chart_width))
        if figures:
            header = (pick(meta.lang, "关键数据", "Key figures"), "")
            _table(slide, [header, *figures], 9.6, _CHART_TOP, 3.2, size=13, first_row_header=True)
        _text(slide, footer_text(meta), 0.5, 6.9, 12.3, 0.35, size=10, color=_MUTED)

    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def _add_run(paragraph, text: str, size: float, bold: bool = False, color: str = _INK) -> None:
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run = paragraph.add_run()
    run.text = text
    font = run.font
    font.size, font.bold, font.name = Pt(size), bold, PPT_FONT
    font.color.rgb = RGBColor.from_string(color)
    # python-pptx sets only the Latin typeface; Chinese text is laid out with the East Asian
    # one (<a:ea>), which comes right after <a:latin> in the schema.
    latin = run._r.get_or_add_rPr().find(qn("a:latin"))
    latin.addnext(latin.makeelement(qn("a:ea"), {"typeface": PPT_FONT}))


def _text(slide, text: str, left: float, top: float, width: float, height: float, *,
          size: float, bold: bool = False, color: str = _INK) -> None:
    from pptx.util import Inches

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    box.text_frame.word_wrap = True
    _add_run(box.text_frame.paragraphs[0], text, size, bold, color)


def _table(slide, rows: list[tuple[str, str]], left: float, top: float, width: float, *,
           size: float, first_row_header: bool = False) -> None:
    """A two-column label/value table; with first_row_header the first row is a merged caption."""
    from pptx.util import Inches

    row_height = size / 72 * 2.0
    table = slide.shapes.add_table(len(rows), 2, Inches(left), Inches(top), Inches(width),
                                   Inches(row_height * len(rows))).table
    table.first_row = first_row_header
    table.columns[0].width = Inches(width * 0.45)
    table.columns[1].width = Inches(width * 0.55)
    for r, (label, value) in enumerate(rows):
        caption = first_row_header and r == 0
        for c, text in enumerate((label, value)):
            cell = table.cell(r, c)
            cell.text_frame.word_wrap = True
            _add_run(cell.text_frame.paragraphs[0], str(text), size, bold=c == 0 or caption,
                     color="FFFFFF" if caption else _INK)
    if first_row_header:
        table.cell(0, 0).merge(table.cell(0, 1))


# -- PDF -----------------------------------------------------------------------------------------
# TrueType CJK fonts reportlab can embed, best first: (path, index in a .ttc). Debian's Noto
# CJK is CFF-based and refused today; it stays first in case a TrueType build is installed.
_CJK_TTF_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # 2 = SC
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
_CJK_CID_FALLBACK = "STSong-Light"
# STSong-Light covers ASCII and the GB set's CJK characters and punctuation, but misses much
# of U+0080–U+2E7F (· › µ ³ …), which would print as empty boxes: those go in DejaVu Sans.
_LATIN_TTF = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_LATIN_BUILTIN = "Helvetica"  # the PDF standard font, if DejaVu is not installed


@dataclass(frozen=True)
class PdfFonts:
    cjk: str  # the font the PDF is set in
    other: str | None  # for characters `cjk` lacks; None when `cjk` covers them

    def markup(self, text: str) -> str:
        """`text` as escaped Paragraph markup, each character in a font that has it."""
        if self.other is None:
            return escape(text)
        runs = []
        for needs_other, chars in groupby(text, key=lambda ch: 0x80 <= ord(ch) < 0x2E80):
            chunk = escape("".join(chars))
            runs.append(f'<font name="{self.other}">{chunk}</font>' if needs_other else chunk)
        return "".join(runs)


@lru_cache(maxsize=1)
def pdf_fonts() -> PdfFonts:
    """Register the PDF's fonts: an embeddable TrueType CJK font, else STSong-Light + DejaVu."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for path, index in _CJK_TTF_CANDIDATES:
        try:
            pdfmetrics.registerFont(TTFont("ReportCJK", path, subfontIndex=index))
            return PdfFonts("ReportCJK", None)
        except (TTFError, OSError) as exc:
            log.debug("PDF font %s unusable: %s", path, exc)
    pdfmetrics.registerFont(UnicodeCIDFont(_CJK_CID_FALLBACK))
    try:
        pdfmetrics.registerFont(TTFont("ReportLatin", _LATIN_TTF))
        return PdfFonts(_CJK_CID_FALLBACK, "ReportLatin")
    except (TTFError, OSError):
        return PdfFonts(_CJK_CID_FALLBACK, _LATIN_BUILTIN)


def _build_pdf(panels: list[_Panel], report: ExportMeta) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                    TableStyle)

    fonts = pdf_fonts()
    ink, muted = colors.HexColor("#1F2329"), colors.HexColor("#5F6B7A")

    def style(size: float, color=ink, leading: float = 1.35) -> ParagraphStyle:
        # wordWrap="CJK": Chinese has no spaces, lines may break between any two characters.
        return ParagraphStyle(f"s{size}", fontName=fonts.cjk, fontSize=size, leading=size * leading,
                              textColor=color, wordWrap="CJK")

    def para(text: str, paragraph_style: ParagraphStyle) -> Paragraph:
        return Paragraph(fonts.markup(text), paragraph_style)  # escaped: data, not markup

    def grid(rows: list[tuple[str, str]], widths: list[float], size: float,
             header: bool = False) -> Table:
        cells = [[para(label, style(size)), para(str(value), style(size))] for label, value in rows]
        table = Table(cells, colWidths=widths, hAlign="LEFT")
        commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#C9CED4")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F2F4F7"))]
        if header:
            commands += [("SPAN", (0, 0), (1, 0)), ("BACKGROUND", (0, 0), (-1, 0),
                                                    colors.HexColor("#E8EEF5"))]
        table.setStyle(TableStyle(commands))
        return table

    page_size = landscape(A4)
    margin = 14 * mm
    usable_width = page_size[0] - 2 * margin

    def page_footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(fonts.cjk, 8)
        canvas.setFillColor(muted)
        canvas.drawString(margin, 8 * mm, generated_text(report))  # digits and CJK only
        canvas.drawRightString(page_size[0] - margin, 8 * mm, str(doc.page))
        canvas.restoreState()

    heading, second = _report_heading(report)
    story = [Spacer(1, 30 * mm), para(heading, style(28)), Spacer(1, 4 * mm),
             para(second, style(16, muted)), Spacer(1, 10 * mm),
             grid(condition_rows(report), [60 * mm, usable_width - 60 * mm], 11)]

    key_width = 72 * mm  # the key figures sit to the right of the chart
    chart_max_height = 135 * mm  # title lines above, source line below
    for panel in panels:
        meta = panel.meta
        figures = list(panel.spec.key_figures)
        room = usable_width - key_width if figures else usable_width
        width = min(room, chart_max_height * 16 / 9)
        chart = Image(io.BytesIO(panel.png), width=width, height=width * 9 / 16)
        story += [PageBreak(), para(title_text(meta), style(18)),
                  para(subtitle_text(meta), style(10, muted)), Spacer(1, 4 * mm)]
        if figures:
            key_table = grid([(pick(meta.lang, "关键数据", "Key figures"), "")] + figures,
                             [30 * mm, 38 * mm], 10, header=True)
            story.append(Table([[chart, key_table]], colWidths=[width + 4 * mm, key_width - 4 * mm],
                               style=[("VALIGN", (0, 0), (-1, -1), "TOP"),
                                      ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        else:
            story.append(chart)
        if meta.source:
            story += [Spacer(1, 3 * mm), para(source_text(meta), style(9, muted))]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=page_size, leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=margin + 4 * mm,
                            title=f"{heading} · {report.region_name}", author=report.user,
                            creator="City Brain Cockpit")
    doc.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()
