"""Queries of the 智慧文旅 cockpit (SPEC §3.2): visitors, scenic-spot load, origins, profiles, holidays.

Region-level figures (visitors, revenue, hotel occupancy, complaints) come from the catalogue
indicators in region_daily through data/queries/indicators.py; what needs the entity tables is here.

A scenic spot's load is the day's arrivals so far over its daily capacity (catalogue
`tourism.spot_load`, factor 100) — the same measure the warnings engine raises 大客流预警 on, so the
bars, the map and the warnings agree. When spots are selected (filter `spot`), the visitor trend and
the holiday comparison count the arrivals at those spots instead of all visitors of the region.

Arrivals over days and visitors by origin are read from the summary tables (data/summaries.py),
whose sums give the figures of the rows: a spot's days from summary_spot_day's day rows, the
arrivals of a range from its pieces (whole months, weeks, days), origins from the pieces of
summary_visitor_origin's rows of the view's region. Hours (visitors inside, the day by hour) come
from spot_hourly itself.
"""
from __future__ import annotations

import functools
import math
from dataclasses import replace
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Date, and_, bindparam, func, literal_column, select, union_all

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import indicator
from data.generator.calendar import HOLIDAYS, Holiday, holidays_between
from data.generator.vocab import PROFILE_BUCKETS
from data.models import DataMeta, ScenicSpot, SpotHourly, SummarySpotDay, SummaryVisitorOrigin, VisitorProfileDaily
from data.queries.common import (align_last_year, counties_under, day_bounds, dialect_name, fetch, on_one_connection,
                                 read, shared_connection)
from data.queries.indicators import period_values, trend
from data.summaries import period_condition, pieces

SPOT_LOAD = "tourism.spot_load"
VISITORS = "tourism.visitors"
REVENUE = "tourism.revenue"
# What the visitor trend counts: all visitors of the region, or the arrivals at the selected spots.
MEASURE_VISITORS, MEASURE_SPOTS = "visitors", "spot_arrivals"
SPOT = ScenicSpot.__table__
HOURLY = SpotHourly.__table__
SPOT_DAYS = SummarySpotDay.__table__  # arrivals per spot and day, week, month
ORIGINS = SummaryVisitorOrigin.__table__  # visitors per region, period and origin
PROFILE = VisitorProfileDaily.__table__
# How far back the holiday comparison reaches at least: the holidays of the past year.
HOLIDAY_WINDOW_DAYS = 365


def _last_year(start: date, end: date) -> tuple[date, date]:
    return ViewState(start=start, end=end).same_period_last_year()


def _spot_ids(view: ViewState) -> list[int]:
    return [int(v) for v in view.filter_values("spot")]


def _spots_in_region(view: ViewState):
    return SPOT.c.adcode.in_(counties_under(view.region))


def data_span() -> tuple[date | None, datetime | None]:
    """The first day with data, and when the data were last updated (that day is complete only up
    to then). A comparison reaching before the first day has nothing to compare with."""
    rows = dict(fetch(select(DataMeta.key, DataMeta.value).where(DataMeta.key.in_(["first_day", "updated_at"]))))
    first = date.fromisoformat(rows["first_day"]) if rows.get("first_day") else None
    updated = datetime.fromisoformat(rows["updated_at"]) if rows.get("updated_at") else None
    return first, updated


def _change(current: float | None, base: float | None) -> float | None:
    if current is None or base is None or pd.isna(current) or pd.isna(base) or base == 0:
        return None
    return (current - base) / base * 100


# ------------------------------------------------------------------------------------- headlines
def _region_span_sums(view: ViewState, spans) -> dict[tuple[str, tuple[date, date]], float | None]:
    """Visitors and revenue of the view's region summed over each (first, last) day span, by
    (indicator, span); absent or None for a span without data. Spans may overlap (today, this
    month, this year): each is a range sum of its own in one statement
    (indicators.period_values). Both indicators add up over days (catalogue time_agg sum)."""
    for code in (VISITORS, REVENUE):
        if indicator(code).time_agg != "sum":
            raise ValueError(f"{code} must add up over days to be summed over spans")
    spans = list(dict.fromkeys(spans))
    values = period_values([VISITORS, REVENUE], [view.region], {i: span for i, span in enumerate(spans)})
    return {(code, spans[i]): value for (code, _, i), value in values.items()}


@cached
def period_totals(view: ViewState) -> pd.DataFrame:
    """Visitors and revenue of the range's last day, its month to date and its year to date, each
    with the same days a year earlier (columns indicator, period, start, end, value, last_year,
    change_yoy, as_of). A day still running (as_of = the time of the last update) is not compared
    with a whole day of last year, and a period whose last-year days precede the data has no
    comparison."""
    day = view.end
    periods = {"day": (day, day), "month": (day.replace(day=1), day), "year": (day.replace(month=1, day=1), day)}
    last_year = {name: _last_year(*span) for name, span in periods.items()}
    with shared_connection():
        first_day, updated = data_span()
        sums = _region_span_sums(view, [*periods.values(), *last_year.values()])
    running = updated if updated is not None and updated.date() == day else None
    rows = []
    for code in (VISITORS, REVENUE):
        for name, (start, end) in periods.items():
            covered = first_day is None or last_year[name][0] >= first_day
            current = sums.get((code, (start, end)))
            previous = sums.get((code, last_year[name])) if covered else None
            partial = name == "day" and running is not None
            rows.append({"indicator": code, "period": name, "start": start, "end": end, "value": current,
                         "last_year": previous, "change_yoy": None if partial else _change(current, previous),
                         "as_of": running if partial else None})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------- spot load
@functools.lru_cache(maxsize=4)
def _spot_load_statement(dialect: str):
    """The statement of `spot_load`, built once (parameters counties, first, end, end_low,
    end_high): each spot of the counties with the last day's arrivals, the peak day's arrivals and
    day, and the visitors inside at the latest hour of the last day."""
    in_region = SPOT.c.adcode.in_(bindparam("counties", expanding=True))
    region_spots = select(SPOT.c.id).where(in_region)
    ts = HOURLY.c.ts
    end = bindparam("end", type_=Date)
    daily = (select(SPOT_DAYS.c.spot_id, SPOT_DAYS.c.start.label("day"), SPOT_DAYS.c.arrivals)
             .where(SPOT_DAYS.c.period == "day", SPOT_DAYS.c.start.between(bindparam("first", type_=Date), end),
                    SPOT_DAYS.c.spot_id.in_(region_spots), SPOT_DAYS.c.arrivals > 0)
             .cte("daily"))
    # the peak: each spot's most arrivals, then the first day with that many (two aggregates cost
    # SQLite a third of a window ranking the days)
    most = select(daily.c.spot_id, func.max(daily.c.arrivals).label("arrivals")).group_by(daily.c.spot_id).cte("most")
    peak = (select(daily.c.spot_id, most.c.arrivals, func.min(daily.c.day).label("day"))
            .join_from(daily, most, and_(most.c.spot_id == daily.c.spot_id, most.c.arrivals == daily.c.arrivals))
            .group_by(daily.c.spot_id, most.c.arrivals)
            .subquery())
    last_day = (select(SPOT_DAYS.c.spot_id, SPOT_DAYS.c.arrivals)
                .where(SPOT_DAYS.c.period == "day", SPOT_DAYS.c.start == end).subquery())
    latest_hour = (select(func.max(ts))
                   .where(ts >= bindparam("end_low", type_=ts.type), ts < bindparam("end_high", type_=ts.type),
                          HOURLY.c.spot_id.in_(region_spots))
                   .scalar_subquery())
    present = (select(HOURLY.c.spot_id, HOURLY.c.present)
               .where(ts == latest_hour, HOURLY.c.spot_id.in_(region_spots)).subquery())
    return (select(SPOT.c.id, SPOT.c.name, SPOT.c.name_en, SPOT.c.adcode, SPOT.c.capacity, SPOT.c.lat, SPOT.c.lon,
                   last_day.c.arrivals, peak.c.arrivals, peak.c.day, present.c.present)
            .select_from(SPOT)
            .outerjoin(last_day, last_day.c.spot_id == SPOT.c.id)
            .outerjoin(peak, peak.c.spot_id == SPOT.c.id)
            .outerjoin(present, present.c.spot_id == SPOT.c.id)
            .where(in_region))


@cached
def spot_load(view: ViewState) -> pd.DataFrame:
    """Every scenic spot of the region, most loaded first: the load of the range's last day (live
    when the range ends today), visitors inside at its latest hour, the peak daily load of the range
    (its first day on a tie), and the warning level of the load by the catalogue thresholds.

    One statement: the arrivals of each spot and day of the range with any (summary_spot_day's day
    rows), the peak day of each spot among them, the last day's arrivals, and the visitors inside
    at the latest hour (spot_hourly), joined to the spots.

    Columns spot_id, name, name_en, label (the name in the view's language), adcode, capacity, lat,
    lon, arrivals, load, peak_load, peak_day, present, level."""
    ind = indicator(SPOT_LOAD)
    end_low, end_high = day_bounds(view.end, view.end)
    params = {"counties": counties_under(view.region), "first": view.start, "end": view.end,
              "end_low": end_low, "end_high": end_high}
    rows = []
    statement = _spot_load_statement(dialect_name())
    for spot_id, name, name_en, adcode, capacity, lat, lon, arrivals, peak_arrivals, peak_day, inside in fetch(
            statement, params=params):
        arrivals = float(arrivals or 0)
        load = ind.factor * arrivals / capacity
        label = name_en if view.lang == "en" and name_en else name
        rows.append((spot_id, name, name_en, label, adcode, capacity, lat, lon, arrivals, load,
                     ind.factor * float(peak_arrivals) / capacity if peak_arrivals is not None else 0.0,
                     peak_day if peak_day is not None else math.nan, int(inside or 0), ind.level_of(load)))
    rows.sort(key=lambda row: (math.isnan(row[9]), -row[9] if not math.isnan(row[9]) else 0, row[0]))
    columns = ["spot_id", "name", "name_en", "label", "adcode", "capacity", "lat", "lon", "arrivals", "load",
               "peak_load", "peak_day", "present", "level"]
    frame = pd.DataFrame({column: [row[i] for row in rows] for i, column in enumerate(columns)})
    frame["peak_day"] = pd.Series([row[11] for row in rows], dtype=object)
    return frame


@cached
def spot_hours(view: ViewState) -> pd.DataFrame:
    """Arrivals and visitors inside by hour on the range's last day, for the selected spots (all
    spots of the region when none is selected), with the same date a year earlier
    (columns hour, arrivals, present, arrivals_ly, present_ly)."""
    ids = _spot_ids(view)
    condition = _spots_in_region(view) if not ids else (_spots_in_region(view) & SPOT.c.id.in_(ids))
    spot_ids = select(SPOT.c.id).where(condition)
    parts = []
    for number, day in enumerate((view.end, _last_year(view.end, view.end)[0])):
        low, high = day_bounds(day, day)
        parts.append(select(literal_column(str(number)), HOURLY.c.ts, func.sum(HOURLY.c.arrivals),
                            func.sum(HOURLY.c.present))
                     .where(HOURLY.c.ts >= low, HOURLY.c.ts < high, HOURLY.c.spot_id.in_(spot_ids))
                     .group_by(HOURLY.c.ts))
    by_hour: list[dict[int, tuple]] = [{}, {}]  # the day's hours, and the same date's a year earlier
    for number, ts, arrivals, present in fetch(union_all(*parts)):
        by_hour[int(number)][pd.Timestamp(ts).hour] = (arrivals, present)
    columns = {"hour": list(range(24))}
    for suffix, hours in zip(("", "_ly"), by_hour):
        for i, name in enumerate(("arrivals", "present")):
            values = [hours[hour][i] if hour in hours else math.nan for hour in range(24)]
            # an hour without rows is NaN, as a join leaves it; a day without any, a column of objects
            columns[name + suffix] = values if hours else pd.Series(values, dtype=object)
    return pd.DataFrame(columns)


# ------------------------------------------------------------------------------------- trends
def _selected_spots(view: ViewState, ids: list[int]):
    return select(SPOT.c.id).where(_spots_in_region(view) & SPOT.c.id.in_(ids))


def _spot_days(ids: list[int], view: ViewState, spans: list[tuple[date, date]]) -> list[dict[date, float]]:
    """Arrivals per day at the given spots over each (first, last) span, in one statement, from
    summary_spot_day's day rows (a day with hourly rows but no arrival counts 0)."""
    day = SPOT_DAYS.c.start
    parts = []
    for number, (start, end) in enumerate(spans):
        parts.append(select(literal_column(str(number)), day, func.sum(SPOT_DAYS.c.arrivals))
                     .where(SPOT_DAYS.c.period == "day", day.between(start, end),
                            SPOT_DAYS.c.spot_id.in_(_selected_spots(view, ids)))
                     .group_by(day))
    days: list[dict[date, float]] = [{} for _ in spans]
    for number, day, arrivals in fetch(parts[0] if len(parts) == 1 else union_all(*parts)):
        days[int(number)][day] = float(arrivals)
    return days


def _spot_span_sums(ids: list[int], view: ViewState, spans) -> dict[tuple[date, date], float | None]:
    """Arrivals at the given spots summed over each (first, last) day span; None for a span without
    hourly rows. One sum of summary_spot_day's pieces per span in one statement, so that spans a
    year apart do not read the year between them."""
    spans = list(dict.fromkeys(spans))
    if not spans:
        return {}
    selected = _selected_spots(view, ids)
    dialect = dialect_name()
    parts = []
    for number, (start, end) in enumerate(spans):
        parts.append(select(literal_column(str(number)), func.sum(SPOT_DAYS.c.arrivals))
                     .where(SPOT_DAYS.c.spot_id.in_(selected),
                            period_condition(SPOT_DAYS, pieces(start, end), dialect)))
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    sums = {spans[int(number)]: (float(total) if total is not None else None) for number, total in fetch(statement)}
    return {span: sums.get(span) for span in spans}


@cached
def selected_spots_arrivals(view: ViewState) -> dict | None:
    """Arrivals at the selected spots over the range, the previous period and the same period last
    year, with the changes in % (None when no spot is selected)."""
    ids = _spot_ids(view)
    if not ids:
        return None
    periods = {"current": (view.start, view.end), "previous": view.previous_period(),
               "last_year": view.same_period_last_year()}
    with shared_connection():
        first_day, _ = data_span()
        covered = {name: span for name, span in periods.items() if first_day is None or span[0] >= first_day}
        totals = _spot_span_sums(ids, view, covered.values())
    sums = {name: (totals[span] if name in covered else None) for name, span in periods.items()}
    return {"value": sums["current"], "previous": sums["previous"], "last_year": sums["last_year"],
            "change_prev": _change(sums["current"], sums["previous"]),
            "change_yoy": _change(sums["current"], sums["last_year"])}


@cached
def visitor_trend(view: ViewState) -> pd.DataFrame:
    """Visitors per day over the range with the same days a year earlier (columns bucket, value,
    last_year); the arrivals at the selected spots when spots are selected. Always daily, so that
    holidays can be marked on it. attrs: measure, and as_of when the last day is still running."""
    ids = _spot_ids(view)
    with shared_connection():
        if not ids:
            frame = trend(replace(view, filters=()), VISITORS, "day").copy()
            frame.attrs["measure"] = MEASURE_VISITORS
        else:
            current, previous = _spot_days(ids, view, [(view.start, view.end), view.same_period_last_year()])
            frame = align_last_year(pd.DataFrame({"bucket": list(current), "value": list(current.values())}),
                                    pd.DataFrame({"bucket": list(previous), "last_year": list(previous.values())}),
                                    "day")
            frame.attrs["measure"] = MEASURE_SPOTS
        _, updated = data_span()
    frame.attrs["as_of"] = updated if updated is not None and updated.date() == view.end else None
    return frame


def _same_holiday_a_year_before(holiday: Holiday) -> Holiday | None:
    """The same holiday (by key) about a year earlier; None when it had no namesake then (中秋 of a
    year when it was merged into the 国庆 break)."""
    candidates = [other for other in HOLIDAYS if other.key == holiday.key
                  and 300 <= (holiday.start - other.start).days <= 430]
    return min(candidates, key=lambda other: abs((holiday.start - other.start).days - 365), default=None)


@cached
@on_one_connection
def holiday_comparison(view: ViewState) -> pd.DataFrame:
    """Each holiday of the past year up to the range's end (and any earlier one in the range),
    against the same holiday a year before — the whole break against the whole break, as holiday
    figures are reported even when the breaks differ in length; a holiday under way counts its days
    so far against as many first days of last year's. Visitors of the region, or arrivals at the selected
    spots; revenue of the region too when no spot is selected.

    Columns key, name_zh, name_en, start, end, days, visitors, last_year, change_yoy, revenue,
    revenue_last_year, last_start, last_end."""
    window_start = min(view.start, view.end - timedelta(days=HOLIDAY_WINDOW_DAYS - 1))
    first_day, _ = data_span()
    pairs = []
    for holiday in holidays_between(window_start, view.end):
        if holiday.start < window_start or holiday.start > view.end:
            continue
        end = min(holiday.end, view.end)
        before = _same_holiday_a_year_before(holiday)
        if before is not None and first_day is not None and before.start < first_day:
            before = None  # no data that far back
        before_span = None
        if before is not None:  # whole holiday against whole holiday; one under way, day for day
            under_way = end < holiday.end
            before_span = (before.start, min(before.end, before.start + (end - holiday.start)) if under_way
                           else before.end)
        pairs.append((holiday, (holiday.start, end), before_span))
    columns = ["key", "name_zh", "name_en", "start", "end", "days", "visitors", "last_year", "change_yoy",
               "revenue", "revenue_last_year", "last_start", "last_end"]
    if not pairs:
        return pd.DataFrame(columns=columns)
    ids = _spot_ids(view)
    spans = [span for _, span, _ in pairs] + [before for _, _, before in pairs if before]
    if ids:
        arrivals = _spot_span_sums(ids, view, spans)

        def total(code, span):
            return arrivals.get(span) if span and code == VISITORS else None
    else:
        sums = _region_span_sums(view, spans)

        def total(code, span):
            return sums.get((code, span)) if span else None

    rows = []
    for holiday, span, before in pairs:
        current, previous = total(VISITORS, span), total(VISITORS, before)
        rows.append({
            "key": holiday.key, "name_zh": holiday.name_zh, "name_en": holiday.name_en, "start": span[0],
            "end": span[1], "days": (span[1] - span[0]).days + 1, "visitors": current, "last_year": previous,
            "change_yoy": _change(current, previous), "revenue": total(REVENUE, span),
            "revenue_last_year": total(REVENUE, before),
            "last_start": before[0] if before else None, "last_end": before[1] if before else None,
        })
    return pd.DataFrame(rows, columns=columns)


def holiday_marks(start: date, end: date, lang: str) -> list[tuple[date, date, str]]:
    """The holidays overlapping a range as (first day, last day, name) for shading a time chart."""
    return [(max(h.start, start), min(h.end, end), h.name(lang)) for h in holidays_between(start, end)]


# ------------------------------------------------------------------------------------- visitors
def _origin_conditions(view: ViewState) -> list:
    """The summary_visitor_origin rows of the view's region and range: the pieces of the range."""
    return [ORIGINS.c.adcode == view.region,
            period_condition(ORIGINS, pieces(view.start, view.end), dialect_name())]


def _with_shares(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame with each row's share of all visitors in % (column share)."""
    visitors = [row[columns.index("visitors")] for row in rows]
    total = float(sum(visitors))
    frame = pd.DataFrame({column: [row[i] for row in rows] for i, column in enumerate(columns)})
    frame["share"] = [value / total * 100 for value in visitors] if rows else []
    return frame


@cached
def origin_provinces(view: ViewState) -> pd.DataFrame:
    """Visitors by home province (客源地), largest first (columns province, visitors, share %)."""
    statement = (select(ORIGINS.c.origin_province, func.sum(ORIGINS.c.visitors))
                 .where(*_origin_conditions(view)).group_by(ORIGINS.c.origin_province))
    rows = sorted(((province, float(visitors)) for province, visitors in fetch(statement)),
                  key=lambda row: (-row[1], row[0]))
    return _with_shares(rows, ["province", "visitors"])


@cached
def origin_cities(view: ViewState) -> pd.DataFrame:
    """Visitors by home city, largest first, within the selected provinces (filter `origin`) or
    all of them (columns province, city, label, visitors, share % of the cities shown). A province's
    remaining cities are one row, labelled “<province>其他”."""
    conditions = _origin_conditions(view)
    provinces = view.filter_values("origin")
    if provinces:
        conditions.append(ORIGINS.c.origin_province.in_(provinces))
    statement = (select(ORIGINS.c.origin_province, ORIGINS.c.origin_city, func.sum(ORIGINS.c.visitors))
                 .where(*conditions).group_by(ORIGINS.c.origin_province, ORIGINS.c.origin_city))
    rows = []
    for province, city, visitors in fetch(statement):
        label = f"{province}{city}" if city == "其他" and province != "其他省份" else (province if city == "其他" else city)
        rows.append((province, city, float(visitors), label))
    rows.sort(key=lambda row: (-row[2], row[3]))
    return _with_shares(rows, ["province", "city", "visitors", "label"])


@cached
def visitor_profile(view: ViewState, dimension: str) -> pd.DataFrame:
    """Visitors by age band (dimension 'age') or length of stay ('stay'), in the bands' natural
    order (columns bucket, label_zh, label_en, visitors, share %)."""
    buckets = PROFILE_BUCKETS[dimension]
    statement = (select(PROFILE.c.bucket, func.sum(PROFILE.c.visitors).label("visitors"))
                 .where(PROFILE.c.adcode.in_(counties_under(view.region)), PROFILE.c.dimension == dimension,
                        PROFILE.c.day >= view.start, PROFILE.c.day <= view.end)
                 .group_by(PROFILE.c.bucket))
    sums = read(statement).set_index("bucket")["visitors"]
    frame = pd.DataFrame(buckets, columns=["bucket", "label_zh", "label_en"])
    frame["visitors"] = frame["bucket"].map(sums).fillna(0).astype(float)
    total = frame["visitors"].sum()
    frame["share"] = frame["visitors"] / total * 100 if total else 0.0
    return frame
