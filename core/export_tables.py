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
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.export_meta import (ExportMeta, column_header, condition_rows, filters_text, range_text,
                              title_text)
from core.i18n import pick

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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


def _cell(_sheet, value):
    """A value for a cell: text without characters Excel refuses (written as text, never a formula)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if not isinstance(value, (int, float, date, datetime)):
        return str(value)  # e.g. Decimal, Period: keep what the screen printed
    return value


def _shown(value) -> str:
    return str(value)


def _column_widths(header: list[str], columns: list[list]) -> list[int]:
    widths = []
    for name, values in zip(header, columns):
        sample = [_shown(v) for v in values[:_WIDTH_SAMPLE] if v is not None]
        longest = max([_display_width(name)] + [_display_width(text) for text in sample])
        widths.append(min(max(longest + 2, _WIDTH_MIN), _WIDTH_MAX))
    return widths


def to_xlsx(df: pd.DataFrame, meta: ExportMeta) -> bytes:
    """XlsxWriter streams the workbook (several times faster than openpyxl for 10 000 rows).
    Text is always written as text, so a value starting with "=" never becomes a formula."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    title_format = book.add_format({"bold": True, "font_size": 13})
    header_format = book.add_format({"bold": True, "bg_color": "#E8EEF5", "align": "center", "valign": "vcenter",
                                     "text_wrap": True})
    day_format = book.add_format({"num_format": "yyyy-mm-dd"})
    time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet = book.add_worksheet(pick(meta.lang, "数据", "Data"))
    header = headers(df, meta)
    columns = [_excel_column(df[column], None) for column in df.columns]
    for index, width in enumerate(_column_widths(header, columns)):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(2, 0)
    sheet.write_string(0, 0, f"{title_text(meta)} · {range_text(meta)} · {filters_text(meta)}", title_format)
    for index, name in enumerate(header):
        sheet.write_string(1, index, name, header_format)
    for col, values in enumerate(columns):
        for offset, value in enumerate(values):
            _write(sheet, 2 + offset, col, value, day_format, time_format)

    conditions = book.add_worksheet(pick(meta.lang, "筛选条件", "Conditions"))
    rows = [(pick(meta.lang, "项目", "Item"), pick(meta.lang, "内容", "Value"))] + condition_rows(meta)
    rows.append((pick(meta.lang, "数据行数", "Rows"), len(df)))
    conditions.set_column(0, 0, max(_display_width(label) for label, _ in rows) + 4)
    conditions.set_column(1, 1, min(max(_display_width(str(value)) for _, value in rows) + 4, 80))
    for number, (label, value) in enumerate(rows):
        conditions.write_string(number, 0, str(label), header_format if number == 0 else bold)
        _write(conditions, number, 1, _cell(None, value), day_format, time_format)
    book.close()
    return buffer.getvalue()


def _write(sheet, row: int, col: int, value, day_format, time_format) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, time_format)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), day_format)
    else:
        sheet.write_string(row, col, _shown(value))
