"""The incident desk's grid, served page by page from SQL (SPEC §3.7, §8).

AG Grid's infinite row model asks for the rows [startRow, endRow) with its sort model and its
column-filter model. Everything in that request comes from the browser and may be forged, so:

- `parse_request` accepts only whitelisted columns, operators and value types and raises
  `GridRequestError` (with a message for the page) for anything else;
- conditions are built from SQLAlchemy column objects with bound parameters: no text from the
  request is ever formatted into SQL;
- the page's own filters (region, time, theme, type, severity, status, source, overdue) come from
  the URL through the view (`incidents.incident_conditions`), so a request cannot widen the
  user's regional scope.

Deep pages stay fast at millions of rows. Every page served remembers the sort keys of its first
and last row ("anchors", kept in the shared cache); a page is then read by a keyset seek from the
nearest anchor, or from the start or the end of the result, whichever leaves the smallest OFFSET.
Next, previous, first and last page — all the grid's pager offers — are therefore seeks with no
offset at all.

The total count is exact up to about EXACT_COUNT_LIMIT rows. Above, it is an estimate, kept for
ESTIMATE_SECONDS (`GridPage.exact` is False and the page says "about"): counting millions of rows
would cost more than the page itself. Paging stays exact from the first row; near the end of an
estimated result the page numbers are approximate, the rows are the true last ones.
"""
from __future__ import annotations

import hashlib
import math
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, literal, or_, select, tuple_

from core.settings import get_settings
from core.viewstate import ViewState
from data.cache import data_version
from data.db import get_engine
from data.queries.common import day_bounds
from data.queries.incidents import INCIDENT_FILTERS, I, incident_conditions

MAX_BLOCK_ROWS = 500  # a page of the grid is 100 rows; a forged request cannot ask for a million
MAX_START_ROW = 50_000_000
MAX_SORT_COLUMNS = 3
MAX_CONDITIONS = 2  # AG Grid's default maxNumConditions per column filter
MAX_TEXT_CHARS = 60
EXACT_COUNT_LIMIT = 40_000
SAMPLE_DAYS = (7, 14, 28, 56)  # whole days spread evenly over the range, tried in turn
SAMPLE_ROWS = 2000  # rows a sample needs for an estimate within a few percent
ESTIMATE_SECONDS = 600
ANCHOR_SECONDS = 1800
MAX_ANCHORS = 400

TEXT_OPERATORS = ("contains", "equals", "startsWith")
DATE_OPERATORS = ("equals", "lessThan", "greaterThan", "inRange")
NUMBER_OPERATORS = ("equals", "lessThan", "greaterThan", "inRange", "blank", "notBlank")
NO_VALUE_OPERATORS = ("blank", "notBlank")


@dataclass(frozen=True)
class GridColumn:
    """A column the grid may sort or filter by, and the table column behind it."""

    field: str
    column: object
    filter: str | None = None  # AG Grid filterType: text | number | date (None: no column filter)
    operators: tuple[str, ...] = ()
    sortable: bool = False


# The whitelist. Columns that the page's filter bar already filters (theme, type, severity, status,
# county, source, overdue) have no column filter: one place per filter, and it lives in the URL.
COLUMNS: dict[str, GridColumn] = {c.field: c for c in (
    GridColumn("code", I.c.code, "text", TEXT_OPERATORS, sortable=True),
    GridColumn("reported_at", I.c.reported_at, "date", DATE_OPERATORS, sortable=True),
    GridColumn("theme", I.c.theme, sortable=True),
    GridColumn("source", I.c.source, sortable=True),
    GridColumn("type", I.c.type_code, sortable=True),
    GridColumn("severity", I.c.severity, sortable=True),
    GridColumn("status", I.c.status, sortable=True),
    GridColumn("county", I.c.adcode, sortable=True),
    GridColumn("department", I.c.department, "text", ("contains", "equals"), sortable=True),
    GridColumn("address", I.c.address, "text", ("contains",)),
    GridColumn("summary", I.c.summary, "text", ("contains",)),
    GridColumn("deadline_at", I.c.deadline_at, "date", DATE_OPERATORS, sortable=True),
    GridColumn("closed_at", I.c.closed_at, "date", DATE_OPERATORS + NO_VALUE_OPERATORS),
    GridColumn("overdue", I.c.overdue, sortable=True),
    GridColumn("satisfaction", I.c.satisfaction, "number", NUMBER_OPERATORS),
)}
# Rows are ordered by the user's sort, then by report time and id in the direction of the user's
# last sort column: a unique, index-friendly key (the indexes are (x, reported_at)).
DEFAULT_SORT = (("reported_at", True),)
ROW_COLUMNS = (I.c.id, I.c.code, I.c.theme, I.c.source, I.c.type_code, I.c.severity, I.c.status, I.c.adcode,
               I.c.department, I.c.address, I.c.summary, I.c.reported_at, I.c.deadline_at, I.c.closed_at,
               I.c.overdue, I.c.satisfaction)


class GridRequestError(ValueError):
    """A grid request that is refused; `message(lang)` is what the page shows."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    def message(self, lang: str = "zh") -> str:
        return (f"表格请求无效，未返回数据：{self.zh}" if lang != "en"
                else f"Invalid grid request, no data returned: {self.en}")


@dataclass(frozen=True)
class Condition:
    operator: str
    value: object = None
    value_to: object = None


@dataclass(frozen=True)
class ColumnFilter:
    field: str
    join: str  # AND | OR
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class GridRequest:
    start: int
    end: int
    sort: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    filters: tuple[ColumnFilter, ...] = ()


@dataclass(frozen=True)
class GridPage:
    rows: list[dict]
    total: int
    exact: bool


# -- validation ---------------------------------------------------------------------------------
def parse_request(raw) -> GridRequest:
    """A validated GridRequest from AG Grid's getRowsRequest, or GridRequestError."""
    if not isinstance(raw, dict):
        raise GridRequestError("请求格式错误", "the request is not an object")
    start = _row_index(raw.get("startRow"), "startRow")
    end = _row_index(raw.get("endRow"), "endRow")
    if end <= start or end - start > MAX_BLOCK_ROWS:
        raise GridRequestError(f"行范围须为 1–{MAX_BLOCK_ROWS} 行", f"a block must be 1–{MAX_BLOCK_ROWS} rows")
    return GridRequest(start, end, _parse_sort(raw.get("sortModel")), _parse_filters(raw.get("filterModel")))


def _row_index(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_START_ROW:
        raise GridRequestError(f"{name} 须为非负整数", f"{name} must be a non-negative integer")
    return value


def _parse_sort(model) -> tuple[tuple[str, bool], ...]:
    if model is None:
        return ()
    if not isinstance(model, list) or len(model) > MAX_SORT_COLUMNS:
        raise GridRequestError(f"排序最多 {MAX_SORT_COLUMNS} 列", f"sort by at most {MAX_SORT_COLUMNS} columns")
    sort: list[tuple[str, bool]] = []
    for item in model:
        if not isinstance(item, dict):
            raise GridRequestError("排序条件格式错误", "a sort entry is not an object")
        field, direction = item.get("colId"), item.get("sort")
        column = COLUMNS.get(field) if isinstance(field, str) else None
        if column is None or not column.sortable:
            raise GridRequestError(f"不能按“{_shown(field)}”排序", f"cannot sort by '{_shown(field)}'")
        if direction not in ("asc", "desc"):
            raise GridRequestError(f"排序方向“{_shown(direction)}”无效", f"sort direction '{_shown(direction)}' invalid")
        if any(f == field for f, _ in sort):
            raise GridRequestError(f"重复的排序列“{field}”", f"column '{field}' sorted twice")
        sort.append((field, direction == "desc"))
    return tuple(sort)


def _parse_filters(model) -> tuple[ColumnFilter, ...]:
    if model is None:
        return ()
    if not isinstance(model, dict):
        raise GridRequestError("筛选条件格式错误", "the filter model is not an object")
    filters = []
    for field in sorted(model, key=str):
        column = COLUMNS.get(field) if isinstance(field, str) else None
        if column is None or column.filter is None:
            raise GridRequestError(f"不能按“{_shown(field)}”筛选", f"cannot filter by '{_shown(field)}'")
        entry = model[field]
        if not isinstance(entry, dict) or entry.get("filterType") != column.filter:
            raise GridRequestError(f"“{field}”的筛选类型无效", f"filter type of '{field}' invalid")
        if "conditions" in entry:
            join, raw_conditions = entry.get("operator"), entry.get("conditions")
            if join not in ("AND", "OR") or not isinstance(raw_conditions, list) \
                    or not 1 <= len(raw_conditions) <= MAX_CONDITIONS:
                raise GridRequestError(f"“{field}”的组合筛选无效", f"combined filter of '{field}' invalid")
        else:
            join, raw_conditions = "AND", [entry]
        conditions = tuple(_parse_condition(column, c) for c in raw_conditions)
        filters.append(ColumnFilter(field, join, conditions))
    return tuple(filters)


def _parse_condition(column: GridColumn, raw) -> Condition:
    if not isinstance(raw, dict) or raw.get("filterType", column.filter) != column.filter:
        raise GridRequestError(f"“{column.field}”的筛选条件格式错误", f"a condition of '{column.field}' is malformed")
    operator = raw.get("type")
    if operator not in column.operators:
        raise GridRequestError(f"“{column.field}”不支持筛选方式“{_shown(operator)}”",
                               f"operator '{_shown(operator)}' not allowed on '{column.field}'")
    if operator in NO_VALUE_OPERATORS:
        return Condition(operator)
    if column.filter == "text":
        return Condition(operator, _text(raw.get("filter"), column.field))
    if column.filter == "number":
        value = _number(raw.get("filter"), column.field)
        value_to = _number(raw.get("filterTo"), column.field) if operator == "inRange" else None
        return Condition(operator, value, value_to)
    value = _day(raw.get("dateFrom"), column.field)
    value_to = _day(raw.get("dateTo"), column.field) if operator == "inRange" else None
    return Condition(operator, value, value_to)


def _text(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_CHARS:
        raise GridRequestError(f"“{field}”的筛选文字须为 1–{MAX_TEXT_CHARS} 个字符",
                               f"filter text of '{field}' must be 1–{MAX_TEXT_CHARS} characters")
    return value.strip()


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > 1e9:
        raise GridRequestError(f"“{field}”的筛选值须为数字", f"filter value of '{field}' must be a number")
    return float(value)


def _day(value, field: str) -> date:
    """AG Grid sends dates as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'; only the day is used."""
    if isinstance(value, str) and 10 <= len(value) <= 19:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise GridRequestError(f"“{field}”的日期须为 YYYY-MM-DD", f"date of '{field}' must be YYYY-MM-DD")


def _shown(value) -> str:
    """A short, printable rendering of a refused value for the error message."""
    text = value if isinstance(value, str) else repr(value)
    return "".join(ch for ch in text if ch.isprintable())[:40]


# -- SQL ----------------------------------------------------------------------------------------
def filter_conditions(filters: tuple[ColumnFilter, ...]) -> list:
    """WHERE conditions of the grid's column filters (bound parameters only)."""
    out = []
    for column_filter in filters:
        column = COLUMNS[column_filter.field]
        parts = [_condition(column, c) for c in column_filter.conditions]
        out.append(and_(*parts) if column_filter.join == "AND" else or_(*parts))
    return out


def _condition(column: GridColumn, condition: Condition):
    col, op, value = column.column, condition.operator, condition.value
    if op == "blank":
        return col.is_(None)
    if op == "notBlank":
        return col.is_not(None)
    if column.filter == "text":
        if op == "equals":
            return col == value
        if op == "startsWith":
            return col.istartswith(value, autoescape=True)
        return col.icontains(value, autoescape=True)
    if column.filter == "number":
        if op == "equals":
            return col == value
        if op == "lessThan":
            return col < value
        if op == "greaterThan":
            return col > value
        low, high = sorted((value, condition.value_to))
        return col.between(low, high)
    start, end = _day_range(condition)
    return and_(*([col >= start] if start else []), *([col < end] if end else []))


def _day_range(condition: Condition) -> tuple[datetime | None, datetime | None]:
    """[start, end) of a date condition in whole days (None: open); a range includes both days."""
    op, value = condition.operator, condition.value
    if op == "equals":
        return day_bounds(value, value)
    if op == "lessThan":
        return None, day_bounds(value, value)[0]
    if op == "greaterThan":
        return day_bounds(value, value)[1], None
    return day_bounds(*sorted((value, condition.value_to)))


def _time_and_filters(view: ViewState, filters: tuple[ColumnFilter, ...]):
    """([start, end) of report times, the other column filters): a report-time column filter is
    folded into the view's range, so the database gets one range on its time index rather than
    two (SQLite would use one and check the other on every row of the first)."""
    start, end = day_bounds(view.start, view.end)
    others = []
    for column_filter in filters:
        foldable = column_filter.field == "reported_at" and (
            column_filter.join == "AND" or len(column_filter.conditions) == 1)
        if not foldable:
            others.append(column_filter)
            continue
        for condition in column_filter.conditions:
            low, high = _day_range(condition)
            start, end = max(start, low or start), min(end, high or end)
    return start, end, tuple(others)


def order_key(sort: tuple[tuple[str, bool], ...]) -> list[tuple[str, object, bool]]:
    """(name, column, descending) of the full, unique row order for a sort model."""
    sort = sort or DEFAULT_SORT
    key = [(field, COLUMNS[field].column, descending) for field, descending in sort]
    last_descending = sort[-1][1]
    if not any(field == "reported_at" for field, _ in sort):
        key.append(("reported_at", I.c.reported_at, last_descending))
    key.append(("id", I.c.id, last_descending))
    return key


def _after(key: list, values: tuple, reverse: bool):
    """Rows strictly after the anchor row in the key's order (before it when `reverse`)."""
    directions = [descending != reverse for _, _, descending in key]
    columns = [column for _, column, _ in key]
    # bound with the column's type: a boolean anchor (overdue) must compare as a value, not as IS
    values = [literal(value, type_=column.type) for value, column in zip(values, columns)]
    if len(set(directions)) == 1:
        descending = directions[0]
        row = tuple_(*columns)
        # The redundant bound on the leading column lets the database start the index scan there.
        lead = columns[0] <= values[0] if descending else columns[0] >= values[0]
        return and_(lead, row < tuple_(*values) if descending else row > tuple_(*values))
    ors = []
    for i, (column, descending) in enumerate(zip(columns, directions)):
        equal = [columns[j] == values[j] for j in range(i)]
        ors.append(and_(*equal, column < values[i] if descending else column > values[i]))
    return or_(*ors)


def _ordered(key: list, reverse: bool) -> list:
    return [column.desc() if descending != reverse else column.asc() for _, column, descending in key]


# -- shared memo: counts and anchors ------------------------------------------------------------
class _LocalMemo:
    """Used outside the web app (benchmarks, tests): a small per-process store with expiry."""

    def __init__(self, size: int = 512):
        self.size = size
        self.items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str):
        with self.lock:
            hit = self.items.get(key)
            if hit is None or hit[0] < time.monotonic():
                return None
            self.items.move_to_end(key)
            return hit[1]

    def set(self, key: str, value, timeout: int) -> None:
        with self.lock:
            self.items[key] = (time.monotonic() + timeout, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_local = _LocalMemo()


def _memo():
    """The app's cache (shared by workers and machines) inside a request, else the local store."""
    from flask import current_app, has_app_context

    from data.cache import cache

    if has_app_context() and "cache" in current_app.extensions:
        return cache
    return _local


def _memo_get(key: str):
    try:
        return _memo().get(key)
    except Exception:  # a cache outage costs speed, never the page
        return None


def _memo_set(key: str, value, timeout: int) -> None:
    try:
        _memo().set(key, value, timeout=timeout)
    except Exception:
        pass


def _signature(*parts) -> str:
    return hashlib.sha1(pickle.dumps(parts)).hexdigest()


# -- reading ------------------------------------------------------------------------------------
def _conditions(view: ViewState, request: GridRequest, within: tuple[datetime, datetime] | None = None) -> list:
    """The WHERE clause of a grid request; `within` replaces its report-time range by a part of it."""
    start, end, others = _time_and_filters(view, request.filters)
    start, end = within or (start, end)
    return (incident_conditions(view, with_time=False) + [I.c.reported_at >= start, I.c.reported_at < end]
            + filter_conditions(others))


def count(view: ViewState, request: GridRequest) -> tuple[int, bool]:
    """(incidents matching the view and the column filters, whether the figure is exact).

    A result of about EXACT_COUNT_LIMIT rows or fewer is counted exactly (and cached until the data
    change). A bigger one would cost seconds to count at millions of rows, so its total is
    estimated and kept for ESTIMATE_SECONDS: see `_estimate`."""
    where = _conditions(view, request)
    signature = _signature("grid-count", get_settings().db_url, view.cache_key(*INCIDENT_FILTERS), request.filters)
    estimate = _memo_get(f"grid:estimate:{signature}")
    if estimate is not None:
        return estimate, False
    versioned = f"grid:count:{signature}:{data_version()}"
    exact = _memo_get(versioned)
    if exact is not None:
        return exact, True
    with get_engine().connect() as conn:
        total = _count(conn, where, SAMPLE_ROWS + 1)  # a small result is counted at once
        if total > SAMPLE_ROWS:
            estimate = _estimate(conn, view, request)
            if estimate is not None and estimate > EXACT_COUNT_LIMIT:
                _memo_set(f"grid:estimate:{signature}", estimate, timeout=ESTIMATE_SECONDS)
                return estimate, False
            total = _count(conn, where, None)
    _memo_set(versioned, total, timeout=ANCHOR_SECONDS)
    return total, True


def _estimate(conn, view: ViewState, request: GridRequest) -> int | None:
    """The rows of a request estimated from a sample of whole days spread evenly over its range
    (whole days, because incidents follow the clock; spread, so that seasons and weekdays average
    out), more days until the sample holds SAMPLE_ROWS rows; None when the range is too short to
    sample. One short index range count per day: a single query with many ranges would defeat
    SQLite's planner."""
    start, end = _data_span(conn, view, request)
    span_days = (end - start) / timedelta(days=1)
    for n_days in SAMPLE_DAYS:
        if 2 * n_days > span_days:
            return None  # the sample would be half the range: count it all
        days = [datetime.combine((start + (i + 0.5) * (end - start) / n_days).date(), datetime.min.time())
                for i in range(n_days)]
        sampled = sum(_count(conn, _conditions(view, request, (day, day + timedelta(days=1))), None) for day in days)
        if sampled >= SAMPLE_ROWS:
            return round(sampled * span_days / n_days)
    return None


def _count(conn, where: list, cap: int | None) -> int:
    """Rows matching `where`, counting at most `cap` of them."""
    if cap is None:
        return conn.execute(select(func.count()).select_from(I).where(*where)).scalar_one()
    capped = select(I.c.id).where(*where).limit(cap).subquery()
    return conn.execute(select(func.count()).select_from(capped)).scalar_one()


def _data_span(conn, view: ViewState, request: GridRequest) -> tuple[datetime, datetime]:
    """The part of the requested time range that holds data (the first and last report overall:
    two index look-ups), so that a range reaching before the data or into today's future hours
    does not dilute the sample."""
    start, end, _ = _time_and_filters(view, request.filters)
    first, last = conn.execute(select(func.min(I.c.reported_at))).scalar(), \
        conn.execute(select(func.max(I.c.reported_at))).scalar()
    if first is not None:
        start, end = max(start, first), min(end, last + timedelta(seconds=1))
    return start, max(end, start + timedelta(seconds=1))


def page(view: ViewState, request: GridRequest, total: int | None = None) -> list[dict]:
    """The rows [start, end) of the view's incidents in the request's order and filters.

    `total` (the row count, when known) ends the result there and lets pages near the end be
    read backwards from it; an approximate total shifts those pages by the rows added since."""
    key = order_key(request.sort)
    signature = _signature("grid-anchors", get_settings().db_url, view.cache_key(*INCIDENT_FILTERS), request.filters,
                           request.sort)
    anchors: dict[int, tuple] = _memo_get(f"grid:anchors:{signature}") or {}
    end = min(request.end, total) if total is not None else request.end
    if end <= request.start:
        return []
    anchor, reverse, offset = _plan(anchors, request.start, end, total)
    statement = select(*ROW_COLUMNS).where(*_conditions(view, request))
    if anchor is not None:
        statement = statement.where(_after(key, anchors[anchor], reverse))
    statement = statement.order_by(*_ordered(key, reverse)).limit(end - request.start).offset(offset or None)
    with get_engine().connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(statement)]
    if reverse:
        rows.reverse()
    if rows:
        anchors = dict(anchors)
        anchors[request.start] = _key_values(rows[0], key)
        anchors[request.start + len(rows) - 1] = _key_values(rows[-1], key)
        while len(anchors) > MAX_ANCHORS:
            anchors.pop(next(iter(anchors)))
        _memo_set(f"grid:anchors:{signature}", anchors, timeout=ANCHOR_SECONDS)
    return rows


def _key_values(row: dict, key: list) -> tuple:
    """The anchor of a row: its values of the order key (every key column is a ROW_COLUMN)."""
    return tuple(row[column.name] for _, column, _ in key)


def _plan(anchors: dict[int, tuple], start: int, end: int, total: int | None) -> tuple[int | None, bool, int]:
    """(anchor row index or None, read backwards?, offset) with the smallest offset.

    Forwards from anchor a: rows after a, skipping start-a-1. Backwards from anchor b (b >= end):
    rows before b, nearest first, skipping b-end. No anchor: from the first or the last row."""
    best: tuple[int | None, bool, int] = (None, False, start)
    for index in anchors:
        if index < start and start - index - 1 < best[2]:
            best = (index, False, start - index - 1)
        elif index >= end and index - end < best[2]:
            best = (index, True, index - end)
    if total is not None and total - end < best[2]:
        best = (None, True, total - end)
    return best


def grid_page(view: ViewState, raw_request) -> tuple[GridPage, GridRequest]:
    """Validate a getRowsRequest and read its page: (page, parsed request). Raises GridRequestError."""
    request = parse_request(raw_request)
    total, exact = count(view, request)
    return GridPage(page(view, request, total), total, exact), request
