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
import re
from itertools import chain, repeat
from datetime import date, datetime

import numpy as np
import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.utility import _datetime_to_excel_datetime, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

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
# XlsxWriter writes everything but the data cells: title, header, widths, frozen panes, styles,
# the conditions sheet. Through its API each cell costs two calls and a tuple when written and
# again when the sheet is serialised (~25 µs a cell, 280 ms for 10 000 rows × 5 columns, over the
# 300 ms goal on a busy machine), so the data rows are built here, a column at a time, as the
# same XML XlsxWriter itself writes in constant_memory mode (numbers as "%.16G", dates as serial
# numbers with a date style, text as inline strings), and handed to the sheet as one string.
_EXCEL_ROWS = 1_048_576
_EXCEL_TEXT = 32_767  # UTF-16 units in a cell
_FIRST_DATA_ROW = 2  # 0-based: title, header, then data
_US_PER_DAY = 86_400_000_000
_EXCEL_EPOCH_US = int(np.datetime64("1899-12-31", "us").astype("int64"))
_ESCAPED_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")  # a literal "_x0041_" Excel would decode
_EDGE_SPACE = re.compile(r"^\s|\s$")


class _DataSheet(Worksheet):
    """A worksheet that appends ready-made <row> elements after the rows written through the API.
    Its dimension covers the data, but XlsxWriter's own row loop stops at the rows it holds."""

    data_rows_xml = ""

    def _write_rows(self) -> None:
        data_rowmax, self.dim_rowmax = self.dim_rowmax, max(self.table)
        try:
            super()._write_rows()
        finally:
            self.dim_rowmax = data_rowmax
        self.fh.write(self.data_rows_xml)


def _display_width(text: str) -> int:
    """Characters as Excel measures them: a Chinese character is about two Latin ones wide."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _cell(_sheet, value):
    """A value for a cell: text without characters Excel refuses (written as text, never a formula)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if not isinstance(value, (int, float, date, datetime)):
        return str(value)  # e.g. Decimal, Period: keep what the screen printed
    return value


def _shown(value) -> str:
    return str(value)


def _text_xml(text: str) -> str:
    """The inside of an inline string cell, escaped as XlsxWriter escapes it."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > _EXCEL_TEXT // 2:
        encoded = text.encode("utf-16-le")
        if len(encoded) > 2 * _EXCEL_TEXT:  # Excel's limit; a split surrogate pair is dropped
            text = encoded[:2 * _EXCEL_TEXT].decode("utf-16-le", errors="ignore")
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text).replace("\r", "_x000D_")
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<is><t{space}>{text}</t></is>'


class _Styles:
    """Style indices of the date formats, taken only when a column needs one."""

    def __init__(self, day_format, time_format):
        self._formats = {"day": day_format, "time": time_format}

    def __getitem__(self, name: str) -> int:
        return self._formats[name]._get_xf_index()


def _object_cell(ref: str, value, styles: _Styles, texts: dict) -> tuple[str, str]:
    """(cell XML, text shown for the width) for one value of a mixed column, typed as today."""
    if isinstance(value, str):
        inner = texts.get(value)
        if inner is None:
            inner = texts[value] = _text_xml(value)
        return f'<c r="{ref}" t="inlineStr">{inner}</c>', value
    if isinstance(value, (bool, np.bool_)):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>', str(bool(value))
    if isinstance(value, (int, float, np.integer)):
        if value != value or value in (float("inf"), float("-inf")):
            return "", str(value)
        return f'<c r="{ref}"><v>{value:.16G}</v></c>', str(value)
    if isinstance(value, datetime):
        serial = _datetime_to_excel_datetime(value, False, False)
        return f'<c r="{ref}" s="{styles["time"]}"><v>{serial:.16G}</v></c>', str(value)
    if isinstance(value, date):
        serial = _datetime_to_excel_datetime(value, False, False)
        return f'<c r="{ref}" s="{styles["day"]}"><v>{serial:.16G}</v></c>', str(value)
    shown = str(value)  # e.g. Decimal, Period, Timedelta: keep what the screen printed
    return f'<c r="{ref}" t="inlineStr">{_text_xml(shown)}</c>', shown


def _excel_serials(series: pd.Series) -> tuple[np.ndarray, bool]:
    """Excel serial day numbers of a datetime column (float, as XlsxWriter computes them) and
    whether every present value is midnight."""
    if series.dt.tz is not None:
        series = series.dt.tz_localize(None)  # Excel has no time zones: keep the wall time
    micros = series.to_numpy().astype("datetime64[us]").astype("int64") - _EXCEL_EPOCH_US
    days, rest = np.divmod(micros, _US_PER_DAY)
    seconds, fraction = np.divmod(rest, 1_000_000)
    serials = days + (seconds.astype(float) + fraction.astype(float) / 1e6) / 86_400
    serials[micros // _US_PER_DAY == 1] -= 1  # on 1900-01-01, as XlsxWriter does (its time-only case)
    serials[serials > 59] += 1  # Excel's phantom 1900-02-29
    present = ~series.isna().to_numpy()
    return serials, bool((rest[present] == 0).all())


def _column_xml(series: pd.Series, letter: str, rows: list[str],
                styles: _Styles) -> tuple[list[str], list[str]]:
    """A column as cell XML per row ("" for a blank) and the texts of its first rows (widths)."""
    blank = series.isna().to_numpy()
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        serials, whole_days = _excel_serials(series)
        style = styles["day" if whole_days else "time"]
        cells = ["" if is_blank else f'<c r="{letter}{row}" s="{style}"><v>{serial:.16G}</v></c>'
                 for serial, row, is_blank in zip(serials.tolist(), rows, blank.tolist())]
        head = series.iloc[:_WIDTH_SAMPLE].dropna()
        # Daily data shows as a date, not as "2026-11-01 00:00:00".
        sample = [str(v.date() if whole_days else v.to_pydatetime()) for v in head]
        return cells, sample
    if pd.api.types.is_bool_dtype(dtype):
        values = series.tolist()
        cells = ["" if is_blank else f'<c r="{letter}{row}" t="b"><v>{int(v)}</v></c>'
                 for v, row, is_blank in zip(values, rows, blank.tolist())]
        return cells, [str(v) for v, b in zip(values[:_WIDTH_SAMPLE], blank) if not b]
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        values = series.tolist()  # Python int/float
        writable = np.isfinite(series.to_numpy(dtype=float, na_value=np.nan)).tolist()
        cells = [f'<c r="{letter}{row}"><v>{v:.16G}</v></c>' if ok else ""
                 for v, row, ok in zip(values, rows, writable)]
        return cells, [str(v) for v, b in zip(values[:_WIDTH_SAMPLE], blank) if not b]
    cells, sample, texts = [], [], {}
    for number, (v, row, is_blank) in enumerate(zip(series.tolist(), rows, blank.tolist())):
        if is_blank:
            cells.append("")
            continue
        cell, shown = _object_cell(f"{letter}{row}", v, styles, texts)
        cells.append(cell)
        if number < _WIDTH_SAMPLE:
            sample.append(ILLEGAL_CHARACTERS_RE.sub("", shown))
    return cells, sample


def _column_width(name: str, sample: list[str]) -> int:
    longest = max([_display_width(name)] + [_display_width(text) for text in sample])
    return min(max(longest + 2, _WIDTH_MIN), _WIDTH_MAX)


def to_xlsx(df: pd.DataFrame, meta: ExportMeta) -> bytes:
    """Text is always written as text, so a value starting with "=" never becomes a formula."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    title_format = book.add_format({"bold": True, "font_size": 13})
    header_format = book.add_format({"bold": True, "bg_color": "#E8EEF5", "align": "center", "valign": "vcenter",
                                     "text_wrap": True})
    day_format = book.add_format({"num_format": "yyyy-mm-dd"})
    time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet = book.add_worksheet(pick(meta.lang, "数据", "Data"), worksheet_class=_DataSheet)
    header = headers(df, meta)
    data = df.iloc[:_EXCEL_ROWS - _FIRST_DATA_ROW]  # what fits on a sheet, as before
    row_numbers = [str(number) for number in range(_FIRST_DATA_ROW + 1, _FIRST_DATA_ROW + 1 + len(data))]
    styles = _Styles(day_format, time_format)
    columns = []
    for index, name in enumerate(header):
        cells, sample = _column_xml(data.iloc[:, index], xl_col_to_name(index), row_numbers, styles)
        columns.append(cells)
        sheet.set_column(index, index, _column_width(name, sample))
    sheet.freeze_panes(2, 0)
    sheet.write_string(0, 0, f"{title_text(meta)} · {range_text(meta)} · {filters_text(meta)}", title_format)
    for index, name in enumerate(header):
        sheet.write_string(1, index, name, header_format)
    # Row by row: the opening tag, each column's cell ("" when blank), the closing tag.
    row_starts = [f'<row r="{row}">' for row in row_numbers]
    sheet.data_rows_xml = "".join(chain.from_iterable(zip(row_starts, *columns, repeat("</row>"))))
    if len(data) and len(header):
        sheet._check_dimensions(_FIRST_DATA_ROW + len(data) - 1, len(header) - 1)  # <dimension ref>

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
