"""Loading a department's file (CSV, XLSX, Parquet) into one topic table: validated, all or nothing.

The file's columns, types, nullability and natural key come from the SQLAlchemy model of the table
(data/models.py); this module adds only what a model cannot say: value ranges, allowed codes and a
few cross-field rules. Every problem is collected — not just the first — and named by row, column
and reason in a LoadReport. A file with any problem is rejected whole: the rows are written in one
transaction, and a failure found late (a database constraint, a roll-up that no longer reconciles
once the rows are in) rolls everything back. Rows are upserted on the natural key and only rows
that really change are written, so loading the same file twice changes nothing. The summary rows
of the days a load changes (data/summaries.py) are rebuilt in the same transaction.

Row numbers are those of a spreadsheet: the header is row 1 and the first data row is row 2 (for a
CSV file this is its line number). Parquet rows are numbered the same way.

Command line: python -m data.load FILE --table TABLE [--url DB] [--sheet NAME] [--dry-run]
"""
from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    SmallInteger,
    String,
    Text,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from data import models
from data.catalogue import THEMES, catalogue
from data.db import Base, create_schema, get_engine
from data.reconcile import (
    CARRIED,
    KEY,
    MEASURES,
    NO_CHILDREN,
    NO_PARENT,
    Difference,
    check_connection,
    compare,
    expected_rollups,
    parent_of_children,
)
from data.regions import region_tree
from data.summaries import refresh_days, summaries_of

# The tables that departments feed. Lookup tables (region, incident_type), the plan's targets and
# the app's own state (warnings, data_meta) are not loaded from files.
LOADABLE_TABLES = (
    "region_daily", "air_hourly", "air_daily", "water_monthly", "spot_hourly", "visitor_origin_daily",
    "visitor_profile_daily", "road_hourly", "parking_quarter", "incident", "elderly_population",
    "home_care_daily", "device_call", "pollution_source_daily", "plan_actual",
    "scenic_spot", "air_station", "road_segment", "parking_lot", "care_institution", "hazard_source",
    "water_section", "pollution_source",
)
# The natural key is the primary key, except where a table numbers its rows itself.
NATURAL_KEYS = {"incident": ("code",)}
HEADER_ROW = 1
BATCH_ROWS = 10_000
MAX_LISTED_PROBLEMS = 1_000  # kept in the report; beyond this they are only counted
NULL_TEXTS = frozenset({"", "NULL", "null", "\\N"})
TRUE_TEXTS = frozenset({"true", "t", "yes", "y", "1", "是"})
FALSE_TEXTS = frozenset({"false", "f", "no", "n", "0", "否"})
DATE_FORMATS = ("ISO8601", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日")
TIME_ZONE_SUFFIX = re.compile(r"\d[T ]\d.*(?:Z|[+-]\d\d:?\d\d)$")
LOCAL_ZONE = "Asia/Shanghai"

# Bounds of numeric columns by column name: a name means the same thing in every table. An indicator
# of region_daily named like a column ("env.aqi" → "aqi") is bounded like it. Integer columns without
# an entry are counts, ids or codes and must not be negative.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "aqi": (0, 500), "grade": (1, 6), "target_grade": (1, 6), "severity": (1, 4), "level": (1, 4),
    "satisfaction": (1, 5), "forest_fire_risk": (1, 5), "year": (1949, 2100),
    "lat": (-90, 90), "lon": (-180, 180), "online_hours": (0, 24),
    **{name: (0, None) for name in ("pm25", "pm10", "o3", "o3_8h", "no2", "so2", "co", "cod", "nh3n", "tp",
                                    "dissolved_oxygen", "speed_kmh", "length_km", "congestion_index",
                                    "numerator", "denominator", "weight")},
}
INTEGER_RANGE = (0, None)
PERCENT_RANGE = (0, 100)
# Every catalogue indicator is an amount, a count, a rate or an index: none is negative.
INDICATOR_RANGE = (0, None)
# Closed lists of codes, as documented in data/models.py.
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("air_station", "kind"): frozenset({"national", "provincial"}),
    ("pollution_source", "kind"): frozenset({"water", "gas"}),
    ("road_segment", "kind"): frozenset({"urban", "highway", "scenic"}),
    ("hazard_source", "kind"): frozenset({"hazmat", "fire_key"}),
    ("care_institution", "tier"): frozenset({"county_center", "street_center", "community_station",
                                             "nursing_home"}),
    ("device_call", "kind"): frozenset({"call", "fall"}),
    ("visitor_profile_daily", "dimension"): frozenset({"age", "stay"}),
    ("incident", "status"): frozenset({"reported", "accepted", "dispatched", "handled", "closed", "visited"}),
    ("incident", "theme"): frozenset(THEMES),
    ("incident", "source"): frozenset({"110", "119", "122", "120", "12345", "sensor", "complaint"}),
}
INCIDENT_STEPS = ("reported_at", "accepted_at", "dispatched_at", "handled_at", "closed_at", "visited_at")
# What a file's first bytes say it is, for telling a user what they actually sent.
SIGNATURES = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\xd0\xcf\x11\xe0", "an old-style Office file (.xls/.doc); save it as .xlsx"),
    (b"PK\x03\x04", "a ZIP archive (an XLSX workbook is one)"), (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip archive"),
)
EXPECTED_CONTENT = {".csv": None, ".xlsx": b"PK\x03\x04", ".parquet": b"PAR1"}


# ----------------------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class Problem:
    row: int | None  # spreadsheet row (header = 1); None: the file as a whole
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = [f"row {self.row}" if self.row is not None else "file"]
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}"


@dataclass
class LoadReport:
    path: str
    table: str
    dry_run: bool = False
    rows_read: int = 0
    rows_written: int = 0  # inserted or changed (would be, in a dry run)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0  # all problems, also those beyond MAX_LISTED_PROBLEMS
    rows_with_problems: set[int] = field(default_factory=set, repr=False)
    cells_with_problems: set[tuple[int, str]] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, row: int | None, column: str | None, reason: str) -> None:
        self.problem_count += 1
        if row is not None:
            self.rows_with_problems.add(int(row))
            self.cells_with_problems.add((int(row), column))
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(Problem(None if row is None else int(row), column, reason))

    def add_rows(self, rows, column: str | None, reasons) -> None:
        """One problem per row; `reasons` is one text for all rows or one per row."""
        rows = list(rows)
        texts = [reasons] * len(rows) if isinstance(reasons, str) else list(reasons)
        for row, reason in zip(rows, texts):
            self.add(row, column, reason)

    def format(self) -> str:
        target = f"{self.table} ← {self.path}"
        if self.ok:
            verb = "would be written (dry run: nothing was written)" if self.dry_run else "written"
            return (f"OK {target}: {self.rows_read} rows read, {self.rows_written} {verb} "
                    f"(new or changed), {self.rows_read - self.rows_written} already up to date.")
        lines = [f"REJECTED {target}: {self.problem_count} problem(s); nothing was written.",
                 "Rows are numbered as in a spreadsheet: the header is row 1, the first data row is row 2."]
        ordered = sorted(self.problems, key=lambda p: (p.row or 0, p.column or ""))
        lines += [f"  {problem}" for problem in ordered]
        if self.problem_count > len(self.problems):
            lines.append(f"  … and {self.problem_count - len(self.problems)} more")
        return "\n".join(lines)


# ------------------------------------------------------------------------ the table, from its model
@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # int | float | text | date | datetime | bool
    nullable: bool
    default: object  # the model's scalar default, used for an empty cell; None: no default
    max_length: int | None
    int_bounds: tuple[int, int] | None
    references: tuple[str, str] | None  # (table, column) of a foreign key

    @property
    def required(self) -> bool:
        return not self.nullable and self.default is None


@dataclass(frozen=True)
class TableSpec:
    name: str
    table: object  # sqlalchemy Table
    columns: dict[str, ColumnSpec]
    key: tuple[str, ...]  # the natural key: upserts conflict on it
    generated_id: str | None  # the primary key the loader numbers when the natural key is another column

    def required_columns(self) -> list[str]:
        return [name for name, column in self.columns.items() if column.required and name != self.generated_id]

    def unique_sets(self) -> list[tuple[str, ...]]:
        """Column sets that must be unique: the natural key, the primary key, unique columns."""
        sets = [self.key, tuple(c.name for c in self.table.primary_key.columns)]
        sets += [(c.name,) for c in self.table.columns if c.unique]
        return list(dict.fromkeys(sets))


def _kind(column_type) -> str:
    for sql_type, kind in ((Boolean, "bool"), (DateTime, "datetime"), (Date, "date"), (Integer, "int"),
                           (Float, "float"), (String, "text")):
        if isinstance(column_type, sql_type):
            return kind
    raise TypeError(f"no loader kind for column type {column_type!r}")


def _int_bounds(column_type) -> tuple[int, int] | None:
    if isinstance(column_type, SmallInteger):
        return (-(2 ** 15), 2 ** 15 - 1)
    if isinstance(column_type, BigInteger):
        return (-(2 ** 63), 2 ** 63 - 1)
    if isinstance(column_type, Integer):
        return (-(2 ** 31), 2 ** 31 - 1)
    return None


def table_spec(name: str) -> TableSpec:
    """The loader's view of a topic table, read from its SQLAlchemy model."""
    if name not in LOADABLE_TABLES:
        raise KeyError(f"'{name}' is not a table that files are loaded into; choose one of "
                       f"{', '.join(LOADABLE_TABLES)}")
    table = Base.metadata.tables[name]
    columns = {}
    for column in table.columns:
        default = column.default.arg if column.default is not None and column.default.is_scalar else None
        foreign = next(iter(column.foreign_keys), None)
        columns[column.name] = ColumnSpec(
            name=column.name, kind=_kind(column.type), nullable=bool(column.nullable), default=default,
            max_length=getattr(column.type, "length", None) if not isinstance(column.type, Text) else None,
            int_bounds=_int_bounds(column.type),
            references=(foreign.column.table.name, foreign.column.name) if foreign is not None else None,
        )
    primary = tuple(c.name for c in table.primary_key.columns)
    key = NATURAL_KEYS.get(name, primary)
    generated = primary[0] if key != primary else None
    return TableSpec(name, table, columns, key, generated)


# -------------------------------------------------------------------------------- reading the file
def _signature(head: bytes) -> str | None:
    for magic, description in SIGNATURES:
        if head.startswith(magic):
            return description
    return "binary data" if b"\x00" in head else None


def _read_csv(path: Path) -> pd.DataFrame:
    options = {"header": None, "dtype": str, "keep_default_na": False, "skip_blank_lines": False}
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **options)
    except UnicodeDecodeError:
        # Spreadsheets saved as CSV on Chinese Windows are in the GB code page.
        return pd.read_csv(path, encoding="gb18030", **options)


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    with pd.ExcelFile(path, engine="openpyxl") as workbook:
        if sheet is not None and sheet not in workbook.sheet_names:
            raise ValueError(f"the workbook has no sheet '{sheet}'; its sheets: {', '.join(workbook.sheet_names)}")
        return workbook.parse(sheet if sheet is not None else 0, header=None, dtype=object)


def read_table_file(path: Path, sheet: str | None, report: LoadReport) -> pd.DataFrame | None:
    """The file's data rows, indexed by spreadsheet row number, columns named by the (lower-case)
    header; None, with the reason in the report, when the file is not a readable table."""
    suffix = path.suffix.lower()
    if suffix not in EXPECTED_CONTENT:
        report.add(None, None, f"unknown file type '{suffix or path.name}'; expected .csv, .xlsx or .parquet")
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        report.add(None, None, f"cannot open the file: {exc.strerror or exc}")
        return None
    if not head:
        report.add(None, None, "the file is empty")
        return None
    found, wanted = _signature(head), EXPECTED_CONTENT[suffix]
    if (wanted is None and found is not None) or (wanted is not None and not head.startswith(wanted)):
        report.add(None, None, f"the file is {found or 'plain text'}, not a {suffix[1:].upper()} table")
        return None
    try:
        if suffix == ".parquet":
            rows = pd.read_parquet(path)  # typed columns, the header is the schema
            names = [str(name) for name in rows.columns]
        else:
            cells = _read_csv(path) if suffix == ".csv" else _read_xlsx(path, sheet)
            names, rows = [_cell_text(v) for v in cells.iloc[0]], cells.iloc[1:]
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        report.add(int(line.group(1)) if line else None, None,
                   f"not a regular table: {str(exc).split('. ', 1)[-1].strip()}")
        return None
    except (pd.errors.EmptyDataError, IndexError):
        report.add(None, None, "the file is empty")
        return None
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, UnicodeError) as exc:
        report.add(None, None, f"cannot read the file as {suffix[1:].upper()}: {exc}")
        return None
    rows.index = range(HEADER_ROW + 1, HEADER_ROW + 1 + len(rows))
    return _tidy([name.strip().lower() for name in names], rows, report)


def _tidy(names: list[str], rows: pd.DataFrame, report: LoadReport) -> pd.DataFrame | None:
    """Drops blank rows and unnamed empty columns (spreadsheets leave both), names the columns."""
    if not any(names):
        report.add(HEADER_ROW, None, "the header row is empty; the column names must be on row 1")
        return None
    empty = pd.DataFrame({i: _texts(rows.iloc[:, i]) == "" for i in range(len(names))}, index=rows.index)
    keep = [i for i, name in enumerate(names) if name or not empty[i].all()]
    rows = rows.iloc[:, keep][~empty.all(axis=1)]
    rows.columns = [names[i] for i in keep]
    for name in sorted({n for n in rows.columns[rows.columns.duplicated()] if n}):
        report.add(HEADER_ROW, name, "column appears more than once in the header")
    rows = rows.loc[:, ~rows.columns.duplicated()]
    if "" in rows.columns:
        report.add(HEADER_ROW, None, "a column with values has no name in the header")
    if rows.empty:
        report.add(None, None, "the file has a header but no data rows")
        return None
    return rows


def _cell_text(value) -> str:
    """A cell as text: spreadsheet numbers that are whole (341002.0) lose their '.0'."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _texts(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(raw):
        return raw.fillna("").str.strip()
    return raw.map(_cell_text).astype(object)


# ----------------------------------------------------------------------------------- parsing cells
@dataclass
class Parsed:
    values: pd.Series  # float for int/float, datetime64 for date/datetime, object otherwise
    missing: pd.Series  # empty cells
    bad: pd.Series  # cells that are not a value of the column's type
    reasons: pd.Series  # why, for the bad cells


def parse_column(raw: pd.Series, column: ColumnSpec) -> Parsed:
    """A column's cells as values of the column's type; typed Parquet columns are taken as they are."""
    types = pd.api.types
    texts = None
    if column.kind in ("int", "float") and types.is_numeric_dtype(raw) and not types.is_bool_dtype(raw):
        values = raw.astype(float)
        missing = values.isna()
    elif column.kind in ("date", "datetime") and types.is_datetime64_any_dtype(raw):
        # Timestamps with a zone become the deployment's local (China) time, as stored everywhere.
        values = raw.dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None) if raw.dt.tz is not None else raw
        missing = values.isna()
    else:
        texts = _texts(raw)
        missing = texts.isin(NULL_TEXTS)
    reasons = pd.Series(None, index=raw.index, dtype=object)

    def flag(mask: pd.Series, template: str) -> None:
        mask = mask.fillna(False).astype(bool) & reasons.isna()
        reasons[mask] = [template.format(_cell_text(v)) for v in raw[mask]]

    if column.kind in ("int", "float"):
        if texts is not None:
            values = pd.to_numeric(texts.where(~missing), errors="coerce").astype(float)
        flag(~missing & ~np.isfinite(values), "'{}' is not a number")
        if column.kind == "int":
            flag(~missing & (values % 1 != 0), "'{}' is not a whole number")
            low, high = column.int_bounds
            flag(~missing & ((values < low) | (values > high)), "{} is too large for this column")
    elif column.kind in ("date", "datetime"):
        if texts is not None:
            zoned = ~missing & texts.str.contains(TIME_ZONE_SUFFIX)
            flag(zoned, "'{}' has a time-zone offset; give local time without one")
            values = _parse_times(texts, ~missing & ~zoned)
        expected = "a date (YYYY-MM-DD)" if column.kind == "date" else "a time (YYYY-MM-DD HH:MM:SS)"
        flag(~missing & values.isna(), "'{}' is not " + expected)
        if column.kind == "date":
            flag(values != values.dt.normalize(), "'{}' has a time of day; expected a date (YYYY-MM-DD)")
    elif column.kind == "bool":
        lowered = texts.str.lower()
        values = pd.Series(None, index=raw.index, dtype=object)
        values[lowered.isin(TRUE_TEXTS)] = True
        values[lowered.isin(FALSE_TEXTS)] = False
        flag(~missing & values.isna(), "'{}' is not yes/no (true/false, 1/0)")
    else:
        values = texts.where(~missing, None).astype(object)
        if column.max_length is not None:
            flag(texts.str.len() > column.max_length, f"longer than {column.max_length} characters")
    bad = reasons.notna()
    return Parsed(values, missing, bad, reasons)


def _parse_times(texts: pd.Series, todo: pd.Series) -> pd.Series:
    """Timestamps from text in the accepted formats, tried in turn; NaT where none fits."""
    todo = todo.copy()
    pieces = []
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        found = pd.to_datetime(texts[todo], format=fmt, errors="coerce").dropna()
        pieces.append(found)
        todo[found.index] = False
    if not pieces:
        return pd.Series(pd.NaT, index=texts.index, dtype="datetime64[us]")
    return pd.to_datetime(pd.concat(pieces).reindex(texts.index))


# -------------------------------------------------------------------------------------- validation
def validate(spec: TableSpec, rows: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Parsed, checked values of the file's known columns (index: row numbers); problems in the report.

    These checks need no database; foreign keys and the roll-up after writing are checked in the
    load's transaction.
    """
    present = [name for name in rows.columns if name in spec.columns]
    for name in spec.required_columns():
        if name not in rows.columns:
            report.add(HEADER_ROW, name, "required column is missing")
    for name in rows.columns:
        if name and name not in spec.columns:
            report.add(HEADER_ROW, name, f"unknown column; {spec.name} has {', '.join(spec.columns)}")

    clean = pd.DataFrame(index=rows.index)
    for name in present:
        column = spec.columns[name]
        parsed = parse_column(rows[name], column)
        report.add_rows(parsed.bad.index[parsed.bad], name, parsed.reasons[parsed.bad])
        values = parsed.values
        if column.default is not None:
            values = values.where(~parsed.missing, column.default)
        elif not column.nullable and name != spec.generated_id:
            report.add_rows(parsed.missing.index[parsed.missing], name, "a value is required")
        clean[name] = values.where(~parsed.bad)

    _check_ranges(spec, clean, report)
    _check_codes(spec, clean, report)
    _check_cross_fields(spec, clean, report)
    _check_duplicates(spec, clean, report)
    if spec.name == "region_daily" and set(KEY) <= set(clean.columns):
        _check_file_rollups(clean, report)
    return clean


def _report_outside(report: LoadReport, values: pd.Series, bounds, column: str, what: str = "") -> None:
    low, high = bounds
    if low is not None:
        below = values[values < low]
        report.add_rows(below.index, column, [f"{_show(v)} is below the minimum {low:g}{what}" for v in below])
    if high is not None:
        above = values[values > high]
        report.add_rows(above.index, column, [f"{_show(v)} is above the maximum {high:g}{what}" for v in above])


def _check_ranges(spec: TableSpec, clean: pd.DataFrame, report: LoadReport) -> None:
    for name in clean.columns:
        column = spec.columns[name]
        if column.kind not in ("int", "float") or (spec.name, name) == ("region_daily", "value"):
            continue
        bounds = RANGES.get(name, INTEGER_RANGE if column.kind == "int" else None)
        if bounds is not None:
            _report_outside(report, clean[name], bounds, name)
    if spec.name == "region_daily" and {"indicator", "value"} <= set(clean.columns):
        _check_indicator_values(clean, report)


def _check_indicator_values(clean: pd.DataFrame, report: LoadReport) -> None:
    """region_daily: the value's range and the carried sums its aggregation needs, per indicator."""
    for code, rows in clean.groupby("indicator", sort=False):
        ind = catalogue().get(code)
        if ind is None or ind.grain != "region_day":
            continue  # reported by _check_codes
        if ind.unit_en == "%":
            bounds = PERCENT_RANGE
        else:
            bounds = RANGES.get(code.split(".", 1)[1], INDICATOR_RANGE)
        _report_outside(report, rows["value"], bounds, "value", f" for {code}")
        for name in CARRIED.get(ind.region_agg, ()):
            if name not in rows:
                report.add(HEADER_ROW, name, f"column is missing; {code} aggregates as {ind.region_agg} and needs it")
                continue
            unreadable = pd.Series([(row, name) in report.cells_with_problems for row in rows.index],
                                   index=rows.index, dtype=bool)
            empty = rows[name].isna() & ~unreadable
            report.add_rows(empty.index[empty], name, f"{code} aggregates as {ind.region_agg} and needs {name}")


def _check_codes(spec: TableSpec, clean: pd.DataFrame, report: LoadReport) -> None:
    tree = region_tree()
    if "adcode" in clean:
        codes = clean["adcode"].dropna()
        known = {code: tree.exists(code) for code in codes.unique()}
        unknown = codes[~codes.map(known)]
        report.add_rows(unknown.index, "adcode",
                        [f"region code {code} does not exist under {tree.root}" for code in unknown])
    if spec.name == "region_daily" and "indicator" in clean:
        codes = clean["indicator"].dropna()
        reasons = codes.map({code: _not_region_day(code) for code in codes.unique()}).dropna()
        report.add_rows(reasons.index, "indicator", reasons)
    for (table, name), allowed in ALLOWED.items():
        if table == spec.name and name in clean:
            values = clean[name].dropna()
            wrong = values[~values.isin(allowed)]
            report.add_rows(wrong.index, name, [f"'{v}' is not one of {', '.join(sorted(allowed))}" for v in wrong])


def _not_region_day(code: str) -> str | None:
    ind = catalogue().get(code)
    if ind is None:
        return f"'{code}' is not an indicator of the catalogue"
    if ind.grain != "region_day":
        return f"{code} is kept per {ind.grain}, not in region_daily"
    return None


def _check_cross_fields(spec: TableSpec, clean: pd.DataFrame, report: LoadReport) -> None:
    def flag(column: str, bad: pd.Series, reason: str) -> None:
        bad = bad.fillna(False).astype(bool)
        report.add_rows(bad.index[bad], column, reason)

    has = set(clean.columns).issuperset
    if spec.name == "water_monthly" and has({"month"}):
        flag("month", clean["month"].dt.day != 1, "a month is given by its first day (YYYY-MM-01)")
    if spec.name == "care_institution" and has({"occupied", "beds"}):
        flag("occupied", clean["occupied"] > clean["beds"], "more occupied beds than beds")
    if spec.name == "elderly_population" and has({"population", "aged_60", "aged_80"}):
        flag("aged_60", clean["aged_60"] > clean["population"], "more people aged 60+ than people")
        flag("aged_80", clean["aged_80"] > clean["aged_60"], "more people aged 80+ than aged 60+")
    if spec.name == "incident":
        # Each step that happened is not before any earlier step that happened (a skipped step is NULL).
        steps = [step for step in INCIDENT_STEPS if step in clean]
        for done, step in enumerate(steps[1:], start=1):
            latest_before = clean[steps[:done]].max(axis=1)
            flag(step, clean[step] < latest_before, "earlier than a previous step of the closed loop")


def _check_duplicates(spec: TableSpec, clean: pd.DataFrame, report: LoadReport) -> None:
    for columns in spec.unique_sets():
        if not set(columns) <= set(clean.columns):
            continue
        keyed = clean[list(columns)].dropna()
        repeated = keyed.duplicated(keep="first")
        if not repeated.any():
            continue
        first_row = keyed.index.to_series().groupby([keyed[c] for c in columns], sort=False).transform("first")
        label = ", ".join(columns)
        shown = keyed[repeated].map(_show).agg(", ".join, axis=1)
        report.add_rows(shown.index, label, f"duplicate ({label}) = (" + shown + "): same as row "
                        + first_row[repeated].astype(str))


def _show(value) -> str:
    """A parsed value as the file would show it (whole numbers without '.0', dates without a time)."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return _cell_text(value)


def _check_file_rollups(clean: pd.DataFrame, report: LoadReport) -> None:
    """A file's parent rows against its own children rows, where it has the parent and all children."""
    rows = clean[~clean.index.isin(report.rows_with_problems)].reindex(columns=KEY + MEASURES)
    # Indicators whose carried sums are not in the file cannot be compared (already reported).
    comparable = {code for code in rows["indicator"].unique()
                  if set(CARRIED.get(catalogue()[code].region_agg, ())) <= set(clean.columns)}
    rows = rows[rows["indicator"].isin(comparable)]
    parents = parent_of_children()
    family_size = pd.Series(parents.values()).value_counts()
    children = rows.assign(parent=rows["adcode"].map(parents)).dropna(subset=["parent"])
    counts = children.groupby(["indicator", "parent", "day"]).size().rename("n").reset_index()
    complete = counts[counts["n"] == counts["parent"].map(family_size)]
    complete = complete.rename(columns={"parent": "adcode"})[KEY]
    stored = rows.merge(complete, on=KEY)
    if stored.empty:
        return
    whole_families = children.merge(stored[KEY].rename(columns={"adcode": "parent"}),
                                     on=["indicator", "parent", "day"])
    differences = compare(stored, expected_rollups(whole_families.drop(columns="parent"), parents))
    _report_differences(differences, clean, report, in_database=False)


def _report_differences(differences: list[Difference], clean: pd.DataFrame, report: LoadReport,
                        in_database: bool) -> None:
    """Roll-up differences as problems on the file's parent row, or its first child row."""
    if not differences:
        return
    parents = parent_of_children()
    keyed = clean[KEY].assign(row=clean.index, day=pd.to_datetime(clean["day"]).dt.date)
    row_of = {(k.indicator, k.adcode, k.day): k.row for k in keyed.itertuples(index=False)}
    for k in keyed.itertuples(index=False):
        if k.adcode in parents:
            row_of.setdefault((k.indicator, parents[k.adcode], k.day, "child"), k.row)
    prefix = "after loading, the database has " if in_database else ""
    for difference in differences:
        key = (difference.indicator, difference.region, difference.day)
        row = row_of.get(key, row_of.get(key + ("child",)))
        column = difference.field if difference.field not in (NO_CHILDREN, NO_PARENT) else "adcode"
        report.add(row, column, prefix + difference.describe())


# ------------------------------------------------------------------------------------------ writing
def _insert_for(conn: Connection):
    dialects = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if conn.dialect.name not in dialects:
        raise NotImplementedError(f"loading into {conn.dialect.name} is not supported")
    return dialects[conn.dialect.name]


def _check_foreign_keys(conn: Connection, spec: TableSpec, clean: pd.DataFrame, report: LoadReport) -> None:
    for name, column in spec.columns.items():
        if column.references is None or name not in clean:
            continue
        table_name, key_name = column.references
        target = Base.metadata.tables[table_name].c[key_name]
        values = clean[name].dropna()
        wanted = [int(v) if column.kind == "int" else v for v in values.unique()]
        found = set()
        for start in range(0, len(wanted), 500):
            found.update(conn.execute(select(target).where(target.in_(wanted[start:start + 500]))).scalars())
        missing = values[~values.isin(list(found))]
        report.add_rows(missing.index, name, [f"{_show(v)} does not exist in {table_name}.{key_name}"
                                              for v in missing])


def _assign_ids(conn: Connection, spec: TableSpec, clean: pd.DataFrame) -> pd.DataFrame:
    """Numbers rows without an id (incident: keyed by code): existing rows keep theirs, new ones count on
    from the largest id in use — the database's own sequence may lag behind generated rows."""
    id_column, key_column = spec.table.c[spec.generated_id], spec.table.c[spec.key[0]]
    ids = clean[spec.generated_id] if spec.generated_id in clean else pd.Series(np.nan, index=clean.index)
    codes = list(clean.loc[ids.isna(), spec.key[0]].unique())
    existing = {}
    for start in range(0, len(codes), 500):
        existing.update(conn.execute(select(key_column, id_column)
                                     .where(key_column.in_(codes[start:start + 500]))).all())
    ids = ids.fillna(clean[spec.key[0]].map(existing))
    new = ids.isna()
    largest = max(conn.execute(select(func.max(id_column))).scalar() or 0, ids.max() if ids.notna().any() else 0)
    ids[new] = np.arange(largest + 1, largest + 1 + new.sum())
    return clean.assign(**{spec.generated_id: ids.astype(float)})


def _python_values(series: pd.Series, kind: str) -> list:
    """Column values as the database driver wants them: Python objects, None for missing."""
    if kind == "int":
        return [None if math.isnan(v) else int(v) for v in series.tolist()]
    if kind == "float":
        return [None if math.isnan(v) else v for v in series.tolist()]
    if kind in ("date", "datetime"):
        moments = pd.to_datetime(series)
        return [None if v is pd.NaT else (v.date() if kind == "date" else v.to_pydatetime()) for v in moments]
    return [None if pd.isna(v) else v for v in series.tolist()]


def _upsert(conn: Connection, spec: TableSpec, clean: pd.DataFrame) -> int:
    """INSERT … ON CONFLICT (natural key) DO UPDATE only where a value differs; the number of rows
    inserted or changed."""
    insert = _insert_for(conn)
    table = spec.table
    names = list(clean.columns)
    changeable = [n for n in names if n not in spec.key and n != spec.generated_id]
    statement = insert(table)
    if changeable:
        statement = statement.on_conflict_do_update(
            index_elements=list(spec.key),
            set_={n: statement.excluded[n] for n in changeable},
            where=or_(*(table.c[n].is_distinct_from(statement.excluded[n]) for n in changeable)))
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(spec.key))
    written = 0
    for start in range(0, len(clean), BATCH_ROWS):
        batch = clean.iloc[start:start + BATCH_ROWS]
        columns = [_python_values(batch[n], spec.columns[n].kind) for n in names]
        records = [dict(zip(names, values)) for values in zip(*columns)]
        # The drivers' executemany rowcount sums the rows inserted or updated (not those the WHERE
        # above skipped); SQLAlchemy passes it on only when asked to preserve it.
        written += conn.execute(statement, records, execution_options={"preserve_rowcount": True}).rowcount
    return written


def bump_version(conn: Connection) -> None:
    """data_meta: 'version' + 1 (created as 1) and 'updated_at' now, so caches see the new data."""
    meta = models.DataMeta.__table__
    bumped = conn.execute(update(meta).where(meta.c.key == "version")
                          .values(value=cast(cast(meta.c.value, BigInteger) + 1, Text)))
    if bumped.rowcount == 0:
        conn.execute(meta.insert().values(key="version", value="1"))
    insert = _insert_for(conn)
    stamp = insert(meta).values(key="updated_at", value=datetime.now().isoformat(timespec="seconds"))
    conn.execute(stamp.on_conflict_do_update(index_elements=["key"], set_={"value": stamp.excluded.value}))


def _advance_last_day(conn: Connection, clean: pd.DataFrame) -> None:
    """New days of data move the app's "today" (data_meta 'last_day') forward, never back."""
    column = next((c for c in ("day", "ts", "reported_at") if c in clean.columns), None)
    if column is None or clean.empty:
        return
    newest = pd.to_datetime(clean[column]).max().date()
    meta = models.DataMeta.__table__
    current = conn.execute(select(meta.c.value).where(meta.c.key == "last_day")).scalar()
    if current is None:
        conn.execute(meta.insert().values(key="last_day", value=newest.isoformat()))
    elif newest > date.fromisoformat(current):
        conn.execute(update(meta).where(meta.c.key == "last_day").values(value=newest.isoformat()))


def _check_rollups_after_write(conn: Connection, clean: pd.DataFrame, report: LoadReport) -> None:
    """The stored roll-ups of the indicator/days the file touched, seen inside the load's transaction."""
    touched = clean[["indicator", "day"]].assign(day=pd.to_datetime(clean["day"]).dt.date).drop_duplicates()
    days_of = touched.groupby("indicator")["day"].agg(set).to_dict()
    differences = check_connection(conn, start=min(touched["day"]), end=max(touched["day"]),
                                   indicators=sorted(days_of))
    _report_differences([d for d in differences if d.day in days_of[d.indicator]], clean, report,
                        in_database=True)


def _days_of(values) -> set[date]:
    return set(pd.to_datetime(pd.Series(list(values))).dropna().dt.date)


def _summary_days(conn: Connection, spec: TableSpec, clean: pd.DataFrame) -> set[date]:
    """The days whose summary rows (data/summaries.py) loading these rows may change, read before they
    are written: the rows' own days and the days of the rows they replace (an incident reported at
    another time; a road segment or parking lot moved to another county, a lot with other spaces:
    every day of their readings; a device call stamped at another time)."""
    if spec.name in ("road_hourly", "parking_quarter", "spot_hourly"):
        return _days_of(clean["ts"])
    if spec.name in ("region_daily", "visitor_origin_daily", "home_care_daily", "pollution_source_daily"):
        return _days_of(clean["day"])
    replaced = {"incident": ("reported_at", "code"), "device_call": ("ts", "id")}
    if spec.name in replaced:
        stamp, key = replaced[spec.name]
        days = _days_of(clean[stamp])
        stamps, keys = spec.table.c[stamp], spec.table.c[key]
        values = list(dict.fromkeys(v for v in _python_values(clean[key], spec.columns[key].kind) if v is not None))
        for start in range(0, len(values), 500):
            days |= _days_of(conn.execute(select(stamps).where(keys.in_(values[start:start + 500]))).scalars())
        return days
    entities = {"road_segment": (models.RoadSegment, ("adcode",), models.RoadHourly.__table__.c.segment_id),
                "parking_lot": (models.ParkingLot, ("adcode", "spaces"), models.ParkingQuarter.__table__.c.lot_id)}
    if spec.name in entities and {"id", *entities[spec.name][1]} <= set(clean.columns):
        model, columns, reading_of = entities[spec.name]
        # entities whose county (or a lot's spaces) change: every day of their readings
        wanted = {int(key): tuple(values) for key, *values in clean[["id", *columns]].itertuples(index=False)}
        ids, changed = list(wanted), []
        for start in range(0, len(ids), 500):
            rows = conn.execute(select(model.id, *[model.__table__.c[c] for c in columns])
                                .where(model.id.in_(ids[start:start + 500])))
            changed += [key for key, *values in rows if wanted[key] != tuple(values)]
        if changed:
            readings = reading_of.table
            low, high = conn.execute(select(func.min(readings.c.ts), func.max(readings.c.ts))
                                     .where(reading_of.in_(changed))).one()
            if low is not None:
                first, last = pd.Timestamp(low).date(), pd.Timestamp(high).date()
                return {first + timedelta(days=i) for i in range((last - first).days + 1)}
    return set()


def load_file(path: str | Path, table: str, url: str | None = None, *, sheet: str | None = None,
              dry_run: bool = False) -> LoadReport:
    """Validate `path` and upsert it into `table` in one transaction; the report says what happened.

    Nothing is written when any problem is found or when `dry_run` (which still runs every check,
    including those inside the transaction, and then rolls back).
    """
    path = Path(path)
    report = LoadReport(str(path), table, dry_run=dry_run)
    try:
        spec = table_spec(table)
    except KeyError as exc:
        report.add(None, None, exc.args[0])
        return report
    rows = read_table_file(path, sheet, report)
    if rows is None:
        return report
    report.rows_read = len(rows)
    clean = validate(spec, rows, report)
    create_schema(url)
    try:
        with get_engine(url).connect() as conn, conn.begin() as transaction:
            _check_foreign_keys(conn, spec, clean, report)
            if report.ok:
                if spec.generated_id is not None:
                    clean = _assign_ids(conn, spec, clean)
                summary_days = _summary_days(conn, spec, clean) if summaries_of(spec.name) else set()
                report.rows_written = _upsert(conn, spec, clean)
                if report.rows_written and summary_days:
                    refresh_days(conn, summary_days, tables=summaries_of(spec.name))
                if spec.name == "region_daily":
                    _check_rollups_after_write(conn, clean, report)
            if report.ok and report.rows_written:
                bump_version(conn)
                _advance_last_day(conn, clean)
            if not report.ok or dry_run:
                transaction.rollback()
    except SQLAlchemyError as exc:
        report.add(None, None, f"the database refused the load: {getattr(exc, 'orig', None) or exc}")
    if not report.ok:
        report.rows_written = 0
    return report
