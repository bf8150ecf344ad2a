"""Queries of the 智慧文旅 cockpit (SPEC §3.2): visitors, scenic-spot load, origins, profiles, holidays.

Region-level figures (visitors, revenue, hotel occupancy, complaints) come from the catalogue
indicators in region_daily through data/queries/indicators.py; what needs the entity tables is here.

A scenic spot's load is the day's arrivals so far over its daily capacity (catalogue
`tourism.spot_load`, factor 100) — the same measure the warnings engine raises 大客流预警 on, so the
bars, the map and the warnings agree. When spots are selected (filter `spot`), the visitor trend and
the holiday comparison count the arrivals at those spots instead of all visitors of the region.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import case, func, select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import indicator
from data.generator.calendar import HOLIDAYS, Holiday, holidays_between
from data.generator.vocab import PROFILE_BUCKETS
from data.models import DataMeta, RegionDaily, ScenicSpot, SpotHourly, VisitorOriginDaily, VisitorProfileDaily
from data.queries.common import align_last_year, counties_under, date_expression, day_bounds, read
from data.queries.indicators import trend

SPOT_LOAD = "tourism.spot_load"
VISITORS = "tourism.visitors"
REVENUE = "tourism.revenue"
# What the visitor trend counts: all visitors of the region, or the arrivals at the selected spots.
MEASURE_VISITORS, MEASURE_SPOTS = "visitors", "spot_arrivals"
REGION = RegionDaily.__table__
SPOT = ScenicSpot.__table__
HOURLY = SpotHourly.__table__
ORIGIN = VisitorOriginDaily.__table__
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
    rows = dict(read(select(DataMeta.key, DataMeta.value)
                     .where(DataMeta.key.in_(["first_day", "updated_at"]))).itertuples(index=False))
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
    (indicator, span); None for a span without data. Spans may overlap (today, this month, this
    year), so each is its own conditional sum in one statement. Both indicators add up over days
    (catalogue time_agg sum)."""
    for code in (VISITORS, REVENUE):
        if indicator(code).time_agg != "sum":
            raise ValueError(f"{code} must add up over days to be summed over spans")
    spans = list(dict.fromkeys(spans))
    sums = [func.sum(case((REGION.c.day.between(*span), REGION.c.value))).label(f"span_{i}")
            for i, span in enumerate(spans)]
    statement = (select(REGION.c.indicator, *sums)
                 .where(REGION.c.indicator.in_([VISITORS, REVENUE]), REGION.c.adcode == view.region,
                        REGION.c.day.between(min(s for s, _ in spans), max(e for _, e in spans)))
                 .group_by(REGION.c.indicator))
    out: dict[tuple[str, tuple[date, date]], float | None] = {}
    for row in read(statement).to_dict("records"):
        for i, span in enumerate(spans):
            value = row[f"span_{i}"]
            out[(row["indicator"], span)] = None if value is None or pd.isna(value) else float(value)
    return out


def _span_total(series: pd.Series, start: date, end: date) -> float | None:
    """The sum of a daily series over [start, end]; None when no day of the span has data."""
    inside = series[(series.index >= start) & (series.index <= end)].dropna()
    return float(inside.sum()) if len(inside) else None


@cached
def period_totals(view: ViewState) -> pd.DataFrame:
    """Visitors and revenue of the range's last day, its month to date and its year to date, each
    with the same days a year earlier (columns indicator, period, start, end, value, last_year,
    change_yoy, as_of). A day still running (as_of = the time of the last update) is not compared
    with a whole day of last year, and a period whose last-year days precede the data has no
    comparison."""
    first_day, updated = data_span()
    day = view.end
    periods = {"day": (day, day), "month": (day.replace(day=1), day), "year": (day.replace(month=1, day=1), day)}
    last_year = {name: _last_year(*span) for name, span in periods.items()}
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
def _daily_arrivals(spot_condition, start: date, end: date, busy_hours_only: bool = False) -> pd.DataFrame:
    """Arrivals per spot and day (columns spot_id, day, arrivals) for the spots a condition selects.

    busy_hours_only leaves out the hours without arrivals — more than half of them (the nights), so
    a long range sums much faster — at the price that a day without any arrival is missing."""
    low, high = day_bounds(start, end)
    day = date_expression(HOURLY.c.ts)
    conditions = [HOURLY.c.ts >= low, HOURLY.c.ts < high, HOURLY.c.spot_id.in_(select(SPOT.c.id).where(spot_condition))]
    if busy_hours_only:
        conditions.append(HOURLY.c.arrivals > 0)
    statement = (select(HOURLY.c.spot_id, day.label("day"), func.sum(HOURLY.c.arrivals).label("arrivals"))
                 .where(*conditions).group_by(HOURLY.c.spot_id, day))
    frame = read(statement)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["arrivals"] = frame["arrivals"].astype(float)
    return frame


@cached
def spot_load(view: ViewState) -> pd.DataFrame:
    """Every scenic spot of the region, most loaded first: the load of the range's last day (live
    when the range ends today), visitors inside at its latest hour, the peak daily load of the range,
    and the warning level of the load by the catalogue thresholds.

    Columns spot_id, name, name_en, label (the name in the view's language), adcode, capacity, lat,
    lon, arrivals, load, peak_load, peak_day, present, level."""
    ind = indicator(SPOT_LOAD)
    spots = read(select(SPOT.c.id.label("spot_id"), SPOT.c.name, SPOT.c.name_en, SPOT.c.adcode, SPOT.c.capacity,
                        SPOT.c.lat, SPOT.c.lon)
                 .where(_spots_in_region(view)))
    spots.insert(3, "label", [en if view.lang == "en" and en else zh
                              for zh, en in zip(spots["name"], spots["name_en"])])
    daily = _daily_arrivals(_spots_in_region(view), view.start, view.end, busy_hours_only=True)
    last = daily[daily["day"] == view.end].set_index("spot_id")["arrivals"]
    spots["arrivals"] = spots["spot_id"].map(last).fillna(0.0)
    spots["load"] = ind.factor * spots["arrivals"] / spots["capacity"]
    daily = daily.merge(spots[["spot_id", "capacity"]], on="spot_id")
    daily["load"] = ind.factor * daily["arrivals"] / daily["capacity"]
    peak = daily.sort_values("load", ascending=False).drop_duplicates("spot_id").set_index("spot_id")
    spots["peak_load"] = spots["spot_id"].map(peak["load"]).fillna(0.0)
    spots["peak_day"] = spots["spot_id"].map(peak["day"])
    present = _present_at_latest_hour(view)
    spots["present"] = spots["spot_id"].map(present["present"]).fillna(0).astype(int)
    spots["level"] = [ind.level_of(v) for v in spots["load"]]
    return spots.sort_values(["load", "spot_id"], ascending=[False, True]).reset_index(drop=True)


def _present_at_latest_hour(view: ViewState) -> pd.DataFrame:
    """Visitors inside each spot at the latest hour recorded on the range's last day (index spot_id)."""
    low, high = day_bounds(view.end, view.end)
    in_region = HOURLY.c.spot_id.in_(select(SPOT.c.id).where(_spots_in_region(view)))
    latest = select(func.max(HOURLY.c.ts)).where(HOURLY.c.ts >= low, HOURLY.c.ts < high, in_region)
    frame = read(select(HOURLY.c.spot_id, HOURLY.c.ts, HOURLY.c.present)
                 .where(HOURLY.c.ts == latest.scalar_subquery(), in_region))
    return frame.set_index("spot_id")


@cached
def spot_hours(view: ViewState) -> pd.DataFrame:
    """Arrivals and visitors inside by hour on the range's last day, for the selected spots (all
    spots of the region when none is selected), with the same date a year earlier
    (columns hour, arrivals, present, arrivals_ly, present_ly)."""
    ids = _spot_ids(view)
    condition = _spots_in_region(view) if not ids else (_spots_in_region(view) & SPOT.c.id.in_(ids))
    spot_ids = select(SPOT.c.id).where(condition)
    frames = {}
    for suffix, day in (("", view.end), ("_ly", _last_year(view.end, view.end)[0])):
        low, high = day_bounds(day, day)
        statement = (select(HOURLY.c.ts, func.sum(HOURLY.c.arrivals).label("arrivals"),
                            func.sum(HOURLY.c.present).label("present"))
                     .where(HOURLY.c.ts >= low, HOURLY.c.ts < high, HOURLY.c.spot_id.in_(spot_ids))
                     .group_by(HOURLY.c.ts))
        frame = read(statement)
        frame["hour"] = pd.to_datetime(frame["ts"]).dt.hour
        frames[suffix] = frame.drop(columns="ts").set_index("hour").add_suffix(suffix)
    hours = pd.DataFrame(index=pd.RangeIndex(24, name="hour"))
    return hours.join(frames[""]).join(frames["_ly"]).reset_index()


# ------------------------------------------------------------------------------------- trends
def _spot_day_series(ids: list[int], view: ViewState, start: date, end: date) -> pd.Series:
    """Arrivals per day at the given spots (index: date)."""
    daily = _daily_arrivals(_spots_in_region(view) & SPOT.c.id.in_(ids), start, end)
    return daily.groupby("day")["arrivals"].sum()


@cached
def selected_spots_arrivals(view: ViewState) -> dict | None:
    """Arrivals at the selected spots over the range, the previous period and the same period last
    year, with the changes in % (None when no spot is selected)."""
    ids = _spot_ids(view)
    if not ids:
        return None
    periods = {"current": (view.start, view.end), "previous": view.previous_period(),
               "last_year": view.same_period_last_year()}
    series = _spot_day_series(ids, view, min(start for start, _ in periods.values()), view.end)
    first_day, _ = data_span()
    sums = {name: (_span_total(series, start, end) if first_day is None or start >= first_day else None)
            for name, (start, end) in periods.items()}
    return {"value": sums["current"], "previous": sums["previous"], "last_year": sums["last_year"],
            "change_prev": _change(sums["current"], sums["previous"]),
            "change_yoy": _change(sums["current"], sums["last_year"])}


@cached
def visitor_trend(view: ViewState) -> pd.DataFrame:
    """Visitors per day over the range with the same days a year earlier (columns bucket, value,
    last_year); the arrivals at the selected spots when spots are selected. Always daily, so that
    holidays can be marked on it. attrs: measure, and as_of when the last day is still running."""
    ids = _spot_ids(view)
    if not ids:
        frame = trend(replace(view, filters=()), VISITORS, "day").copy()
        frame.attrs["measure"] = MEASURE_VISITORS
    else:
        current = _spot_day_series(ids, view, view.start, view.end)
        previous = _spot_day_series(ids, view, *view.same_period_last_year())
        frame = align_last_year(pd.DataFrame({"bucket": current.index, "value": current.values}),
                                pd.DataFrame({"bucket": previous.index, "last_year": previous.values}), "day")
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
    if ids:
        first = min([span[0] for _, span, _ in pairs] + [before[0] for _, _, before in pairs if before])
        arrivals = _spot_day_series(ids, view, first, view.end)

        def total(code, span):
            return _span_total(arrivals, *span) if span and code == VISITORS else None
    else:
        sums = _region_span_sums(view, [span for _, span, _ in pairs] + [b for _, _, b in pairs if b])

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
    return [ORIGIN.c.adcode.in_(counties_under(view.region)), ORIGIN.c.day >= view.start, ORIGIN.c.day <= view.end]


@cached
def origin_provinces(view: ViewState) -> pd.DataFrame:
    """Visitors by home province (客源地), largest first (columns province, visitors, share %)."""
    statement = (select(ORIGIN.c.origin_province.label("province"), func.sum(ORIGIN.c.visitors).label("visitors"))
                 .where(*_origin_conditions(view)).group_by(ORIGIN.c.origin_province))
    frame = read(statement)
    frame["visitors"] = frame["visitors"].astype(float)
    frame["share"] = frame["visitors"] / frame["visitors"].sum() * 100 if not frame.empty else []
    return frame.sort_values(["visitors", "province"], ascending=[False, True]).reset_index(drop=True)


@cached
def origin_cities(view: ViewState) -> pd.DataFrame:
    """Visitors by home city, largest first, within the selected provinces (filter `origin`) or
    all of them (columns province, city, label, visitors, share % of the cities shown). A province's
    remaining cities are one row, labelled “<province>其他”."""
    conditions = _origin_conditions(view)
    provinces = view.filter_values("origin")
    if provinces:
        conditions.append(ORIGIN.c.origin_province.in_(provinces))
    statement = (select(ORIGIN.c.origin_province.label("province"), ORIGIN.c.origin_city.label("city"),
                        func.sum(ORIGIN.c.visitors).label("visitors"))
                 .where(*conditions).group_by(ORIGIN.c.origin_province, ORIGIN.c.origin_city))
    frame = read(statement)
    frame["visitors"] = frame["visitors"].astype(float)
    frame["label"] = [f"{p}{c}" if c == "其他" and p != "其他省份" else (p if c == "其他" else c)
                      for p, c in zip(frame["province"], frame["city"])]
    frame["share"] = frame["visitors"] / frame["visitors"].sum() * 100 if not frame.empty else []
    return frame.sort_values(["visitors", "label"], ascending=[False, True]).reset_index(drop=True)


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
