"""The numbers behind a panel as CSV and XLSX: exactly the rows of its DataFrame (SPEC §6).

Headers carry units (接待游客(人次)). The CSV is UTF-8 with a BOM, which is what makes Excel on a
Chinese Windows read it as UTF-8 rather than GBK. The XLSX keeps numbers as numbers and dates as
dates, and a second sheet, 筛选条件, states the region, time, filters and source of the data.

Text that a spreadsheet would execute (=HYPERLINK(…), +cmd, @SUM) is neutralised: in XLSX it is
stored as a string cell (same text); in CSV, where there are no cell types, it gets the usual
leading apostrophe (OWASP "CSV injection").
"""
from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.export_meta import (ExportMeta, column_header, condition_rows, filters_text, range_text,
                              title_text)
from core.i18n import pick

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF5")
_WIDTH_SAMPLE = 500  # rows looked at to size a column
_WIDTH_MIN, _WIDTH_MAX = 8, 60


def headers(df: pd.DataFrame, meta: ExportMeta) -> list[str]:
    return [column_header(str(column), meta) for column in df.columns]


# -- CSV -----------------------------------------------------------------------------------------
def _csv_safe(value):
    if isinstance(value, str) and len(value) > 1 and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _is_text(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series))


def to_csv(df: pd.DataFrame, meta: ExportMeta) -> bytes:
    out = df.copy(deep=False)
    out.columns = headers(df, meta)
    for column in out.columns:
        if _is_text(out[column]):
            out[column] = out[column].map(_csv_safe)
    text = out.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


# -- XLSX ----------------------------------------------------------------------------------------
def _display_width(text: str) -> int:
    """Characters as Excel measures them: a Chinese character is about two Latin ones wide."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _excel_column(series: pd.Series, ws) -> list:
    """A column as Excel values: numbers as numbers, dates as dates, text as text, blanks as None."""
    blank = series.isna().tolist()
    if pd.api.types.is_datetime64_any_dtype(series):
        if series.dt.tz is not None:
            series = series.dt.tz_localize(None)  # Excel has no time zones: keep the wall time
        present = series.dropna()
        # Daily data shows as a date, not as "2026-11-01 00:00:00".
        whole_days = bool(present.eq(present.dt.normalize()).all())
        return [None if is_blank else (v.date() if whole_days else v.to_pydatetime())
                for v, is_blank in zip(series, blank)]
    values = series.tolist()  # Python int/float/bool, which openpyxl writes as numbers
    if pd.api.types.is_numeric_dtype(series):
        return [None if is_blank else v for v, is_blank in zip(values, blank)]
    return [None if is_blank else _cell(ws, v) for v, is_blank in zip(values, blank)]


def _cell(ws, value):
    """A value for a write-only row; text is kept as text even when Excel would read a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("=") or value in ERROR_CODES:
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            return cell
    elif not isinstance(value, (int, float, date, datetime)):
        return str(value)  # e.g. Decimal, Period: keep what the screen printed
    return value


def _shown(value) -> str:
    return str(value.value if isinstance(value, Cell) else value)


def _column_widths(header: list[str], columns: list[list]) -> list[int]:
    widths = []
    for name, values in zip(header, columns):
        sample = [_shown(v) for v in values[:_WIDTH_SAMPLE] if v is not None]
        longest = max([_display_width(name)] + [_display_width(text) for text in sample])
        widths.append(min(max(longest + 2, _WIDTH_MIN), _WIDTH_MAX))
    return widths


def to_xlsx(df: pd.DataFrame, meta: ExportMeta) -> bytes:
    wb = Workbook(write_only=True)  # streams rows: about half the time of a normal workbook
    ws = wb.create_sheet(pick(meta.lang, "数据", "Data"))
    header = headers(df, meta)
    columns = [_excel_column(df[column], ws) for column in df.columns]
    for index, width in enumerate(_column_widths(header, columns), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"

    title = WriteOnlyCell(ws, value=f"{title_text(meta)} · {range_text(meta)} · {filters_text(meta)}")
    title.font = Font(bold=True, size=13)
    ws.append([title])
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_cells.append(cell)
    ws.append(header_cells)
    for row in zip(*columns):
        ws.append(row)

    conditions = wb.create_sheet(pick(meta.lang, "筛选条件", "Conditions"))
    rows = [(pick(meta.lang, "项目", "Item"), pick(meta.lang, "内容", "Value"))] + condition_rows(meta)
    rows.append((pick(meta.lang, "数据行数", "Rows"), len(df)))
    conditions.column_dimensions["A"].width = max(_display_width(label) for label, _ in rows) + 4
    conditions.column_dimensions["B"].width = min(
        max(_display_width(str(value)) for _, value in rows) + 4, 80)
    for number, (label, value) in enumerate(rows):
        label_cell = WriteOnlyCell(conditions, value=label)
        label_cell.font = Font(bold=True)
        if number == 0:
            label_cell.fill = _HEADER_FILL
        conditions.append([label_cell, _cell(conditions, value)])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
