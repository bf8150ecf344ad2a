"""One view state, serialised in the URL (SPEC §4).

    ViewState = {page, region (adcode), start, end, filters: {dimension: values}, screen, lang}

`parse_view` turns a path and a query string into a ViewState and a list of problems (an unknown
region, reversed dates, an unknown filter …); it never raises on user input: a bad part falls
back to its default and the problem is shown in the page. `view_to_search` writes a ViewState
back. Every click that changes the view goes through `ViewState` methods and ends as a new URL,
so the back button, reload and shared links work the same for every page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

PAGES = {
    "/": "overview",
    "/tourism": "tourism",
    "/environment": "environment",
    "/traffic": "traffic",
    "/safety": "safety",
    "/eldercare": "eldercare",
    "/incidents": "incidents",
}
RESERVED = ("region", "start", "end", "screen", "lang", "metric")
MAX_RANGE_DAYS = 3 * 366 + 1
_VALUE = re.compile(r"^[\w\u4e00-\u9fff.\-]{1,40}$")


@dataclass(frozen=True)
class FilterDimension:
    """A dimension a click can filter by. `kind` validates its values: int, code (short token)."""

    name: str
    label_zh: str
    label_en: str
    kind: str = "code"
    choices: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh

    def clean(self, raw: str) -> str | None:
        raw = raw.strip()
        if self.kind == "int":
            return raw if raw.isdigit() and len(raw) <= 12 else None
        if self.choices:
            return raw if raw in self.choices else None
        return raw if _VALUE.match(raw) else None


FILTER_DIMENSIONS: dict[str, FilterDimension] = {
    d.name: d
    for d in (
        FilterDimension("spot", "景区", "Scenic spot", "int"),
        FilterDimension("station", "监测站", "Station", "int"),
        FilterDimension("pollutant", "污染物", "Pollutant", choices=("pm25", "pm10", "o3", "no2", "so2", "co")),
        FilterDimension("section", "断面", "Water section", "int"),
        FilterDimension("segment", "路段", "Road segment", "int"),
        FilterDimension("lot", "停车场", "Parking lot", "int"),
        FilterDimension("service", "服务类型", "Service kind"),
        FilterDimension("tier", "机构层级", "Institution tier"),
        FilterDimension("call", "呼叫类型", "Call kind", choices=("call", "fall")),
        FilterDimension("origin", "客源省份", "Origin province"),
        FilterDimension("age", "年龄段", "Age band"),
        FilterDimension("theme", "主题", "Theme",
                        choices=("tourism", "environment", "traffic", "safety", "eldercare", "governance")),
        FilterDimension("type", "事件类型", "Incident type"),
        FilterDimension("source", "来源", "Source"),
        FilterDimension("severity", "等级", "Severity", choices=("1", "2", "3", "4")),
        FilterDimension("status", "状态", "Status",
                        choices=("reported", "accepted", "dispatched", "handled", "closed", "visited", "open")),
        FilterDimension("overdue", "超期", "Overdue", choices=("1",)),
        FilterDimension("hazard", "危险源类型", "Hazard kind", choices=("hazmat", "fire_key")),
        FilterDimension("indicator", "指标", "Indicator"),
        FilterDimension("weekday", "星期", "Weekday", choices=tuple("0123456")),
        FilterDimension("hour", "时段", "Hour", "int"),
    )
}


@dataclass(frozen=True)
class ViewState:
    page: str = "/"
    region: str = ""
    start: date = date(2026, 1, 1)
    end: date = date(2026, 1, 1)
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    screen: bool = False
    lang: str = "zh"
    detail: str = ""  # /incidents/<id>
    metric: str = ""  # the indicator the map is coloured by ("" = the page's default)
    scope: str = ""  # the top region the user may see (set from the user, never from the URL)
    errors: tuple[str, ...] = field(default=(), compare=False)

    # -- reading -------------------------------------------------------------------------------
    def filter_values(self, dimension: str) -> tuple[str, ...]:
        for name, values in self.filters:
            if name == dimension:
                return values
        return ()

    @property
    def filter_dict(self) -> dict[str, tuple[str, ...]]:
        return dict(self.filters)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous_period(self) -> tuple[date, date]:
        return self.start - timedelta(days=self.days), self.start - timedelta(days=1)

    def same_period_last_year(self) -> tuple[date, date]:
        return _minus_year(self.start), _minus_year(self.end)

    def cache_key(self, *dimensions: str) -> tuple:
        """What a query depends on: region, time, and only the filters it reads."""
        wanted = tuple((d, self.filter_values(d)) for d in dimensions if self.filter_values(d))
        return (self.region, self.start.isoformat(), self.end.isoformat(), wanted)

    # -- changing (each returns a new view; the caller writes it to the URL) --------------------
    def with_region(self, adcode: str) -> "ViewState":
        return replace(self, region=adcode, errors=())

    def with_range(self, start: date, end: date) -> "ViewState":
        if end < start:
            start, end = end, start
        return replace(self, start=start, end=end, errors=())

    def toggle_filter(self, dimension: str, value: str) -> "ViewState":
        """A click on a category: select it, or deselect it when it is selected already."""
        current = dict(self.filters)
        values = list(current.get(dimension, ()))
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        if values:
            current[dimension] = tuple(values)
        else:
            current.pop(dimension, None)
        return replace(self, filters=_sorted_filters(current), errors=())

    def set_filter(self, dimension: str, values: tuple[str, ...]) -> "ViewState":
        current = dict(self.filters)
        if values:
            current[dimension] = tuple(values)
        else:
            current.pop(dimension, None)
        return replace(self, filters=_sorted_filters(current), errors=())

    def remove_filter(self, dimension: str, value: str | None = None) -> "ViewState":
        if value is None:
            return self.set_filter(dimension, ())
        return self.set_filter(dimension, tuple(v for v in self.filter_values(dimension) if v != value))

    def clear_filters(self) -> "ViewState":
        return replace(self, filters=(), errors=())

    def with_metric(self, code: str) -> "ViewState":
        return replace(self, metric=code, errors=())

    def with_page(self, page: str, keep_filters: bool = False) -> "ViewState":
        return replace(self, page=page, detail="", filters=self.filters if keep_filters else (), errors=())


def _sorted_filters(filters: dict[str, tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, tuple(v)) for k, v in filters.items()))


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def default_range(today: date, days: int = 7) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The time presets of the header: 今日, 近7天, 近30天, 本月, 本年."""
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - timedelta(days=6), today
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "month":
        return today.replace(day=1), today
    if preset == "year":
        return today.replace(month=1, day=1), today
    raise ValueError(f"unknown time preset '{preset}'")


def parse_view(pathname: str | None, search: str | None, *, root: str, today: date,
               region_exists=lambda code: True, first_day: date | None = None,
               allowed_region=lambda code: True, metric_exists=lambda code: True) -> ViewState:
    """Parse a URL into a ViewState. Problems become messages in `errors`, never exceptions.

    root: the deployment's region (the default); today: the data's current day;
    region_exists: whether an adcode is in the deployment; allowed_region: the user's scope.
    """
    errors: list[str] = []
    path = (pathname or "/").rstrip("/") or "/"
    screen = False
    if path == "/screen" or path.startswith("/screen/"):
        screen = True
        path = path[len("/screen"):] or "/"
    detail = ""
    if path.startswith("/incidents/"):
        detail = path.split("/", 2)[2]
        path = "/incidents"
        if not (detail.isdigit() and len(detail) <= 18):  # ids are yyyymmdd·100000 + n
            errors.append(f"事件编号“{detail[:20]}”无效 · invalid incident id")
            detail = ""
    if path not in PAGES:
        errors.append(f"页面“{path[:40]}”不存在 · page not found")
        path = "/"

    params: dict[str, list[str]] = {}
    for key, value in parse_qsl((search or "").lstrip("?"), keep_blank_values=True):
        params.setdefault(key, []).append(value)

    region = root
    raw_region = (params.get("region") or [""])[-1].strip()
    if raw_region:
        if not (raw_region.isdigit() and len(raw_region) == 6) or not region_exists(raw_region):
            errors.append(f"区域代码“{raw_region[:12]}”不存在 · unknown region code")
        elif not allowed_region(raw_region):
            errors.append(f"无权查看区域 {raw_region} · region outside your scope")
        else:
            region = raw_region

    start, end = default_range(today)
    raw_start = (params.get("start") or [""])[-1].strip()
    raw_end = (params.get("end") or [""])[-1].strip()
    if raw_start or raw_end:
        try:
            parsed_start = date.fromisoformat(raw_start) if raw_start else None
            parsed_end = date.fromisoformat(raw_end) if raw_end else None
        except ValueError:
            errors.append("日期格式应为 YYYY-MM-DD · dates must be YYYY-MM-DD")
        else:
            parsed_start = parsed_start or parsed_end
            parsed_end = parsed_end or parsed_start
            if parsed_end < parsed_start:
                errors.append("开始日期晚于结束日期 · start date is after end date")
            elif (parsed_end - parsed_start).days + 1 > MAX_RANGE_DAYS:
                errors.append("时间范围超过三年 · range longer than three years")
            elif first_day and parsed_end < first_day or parsed_start > today:
                errors.append("时间范围内没有数据 · no data in that range")
            else:
                start, end = parsed_start, parsed_end

    filters: dict[str, tuple[str, ...]] = {}
    for key, values in params.items():
        if key in RESERVED:
            continue
        dimension = FILTER_DIMENSIONS.get(key)
        if dimension is None:
            errors.append(f"未知筛选条件“{key[:20]}” · unknown filter")
            continue
        cleaned = []
        for chunk in ",".join(values).split(","):
            if not chunk.strip():
                continue
            value = dimension.clean(chunk)
            if value is None:
                errors.append(f"筛选“{key}”的取值“{chunk[:20]}”无效 · invalid filter value")
            elif value not in cleaned:
                cleaned.append(value)
        if cleaned:
            filters[key] = tuple(cleaned[:50])

    screen = screen or (params.get("screen") or [""])[-1] in ("1", "true")
    metric = (params.get("metric") or [""])[-1].strip()
    if metric and not (metric_exists(metric)):
        errors.append(f"指标“{metric[:40]}”不存在 · unknown indicator")
        metric = ""
    lang = (params.get("lang") or ["zh"])[-1]
    if lang not in ("zh", "en"):
        errors.append("语言参数应为 zh 或 en · lang must be zh or en")
        lang = "zh"
    return ViewState(page=path, region=region, start=start, end=end, filters=_sorted_filters(filters),
                     screen=screen, lang=lang, detail=detail, metric=metric, scope=root, errors=tuple(errors))


def view_to_search(view: ViewState, *, root: str, today: date) -> str:
    """The query string of a view. Defaults are left out so that links stay short."""
    params: list[tuple[str, str]] = []
    if view.region != root:
        params.append(("region", view.region))
    if (view.start, view.end) != default_range(today):
        params.append(("start", view.start.isoformat()))
        params.append(("end", view.end.isoformat()))
    for name, values in view.filters:
        params.append((name, ",".join(values)))
    if view.metric:
        params.append(("metric", view.metric))
    if view.lang != "zh":
        params.append(("lang", view.lang))
    if view.screen:
        params.append(("screen", "1"))
    return ("?" + urlencode(params, safe=",")) if params else ""


def view_to_path(view: ViewState) -> str:
    path = view.page
    if view.page == "/incidents" and view.detail:
        path = f"/incidents/{view.detail}"
    return path


def narrow(view: ViewState, dimensions: tuple[str, ...]) -> ViewState:
    """The part of a view a query depends on: region, time and only the filters it reads.

    Queries receive narrowed views, so that their cache entries survive clicks on filters they
    ignore, and so that page, language and screen mode never split the cache.
    """
    kept = tuple((name, values) for name, values in view.filters if name in dimensions)
    return ViewState(page="", region=view.region, start=view.start, end=view.end, filters=kept, lang=view.lang,
                     scope=view.scope)
