"""Generic queries over region_daily, for any catalogue indicator.

KPI cards, trend charts, county rankings and the county map of every cockpit are these few
functions applied to different indicator codes. Aggregation follows the catalogue's time_agg rule
and runs in SQL: the database returns the few sums it needs, `_rule_value` applies the rule.
"""
from __future__ import annotations

import functools
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Date, Float, bindparam, cast, func, literal_column, null, select, union_all

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import DIMENSIONS, Indicator, catalogue, indicator
from data.models import RegionDaily, SummaryRegionPeriod
from data.queries.common import (as_date, bucket_expression, child_codes, dialect_name, fetch, grain_for,
                                 region_names, scalar, shared_connection)
from data.regions import region_tree
from data.summaries import pieces, runs_condition

T = RegionDaily.__table__
S = SummaryRegionPeriod.__table__


def _rule_sums(rule: str) -> tuple:
    """The three sums a time_agg rule is finished from (`_rule_value`), NULL where it needs fewer.
    'last' reads its last day's value with a join instead (`_statement`)."""
    value, none = T.c.value, cast(null(), Float)
    if rule == "sum":
        return func.sum(value), none, none
    if rule == "mean":
        return func.avg(value), none, none
    if rule == "max":
        return func.max(value), none, none
    if rule == "weighted_mean":
        return func.sum(value * T.c.weight), func.sum(T.c.weight), func.avg(value)
    if rule == "ratio":
        return func.sum(T.c.numerator), func.sum(T.c.denominator), none
    raise ValueError(f"unknown time aggregation '{rule}'")


def _rule_value(ind: Indicator, first, second, third) -> float | None:
    """An indicator's value over a group of days from the sums `_rule_sums` had the database return,
    by its catalogue time_agg rule; None when undefined (no data, a zero denominator)."""
    rule, first = ind.time_agg, _number(first)
    if rule == "weighted_mean":  # Σ(value·weight) / Σweight, or the plain mean without weight
        weight = _number(second)
        value = first / weight if weight > 0 else math.nan
        if math.isnan(value):
            value = _number(third)
    elif rule == "ratio":
        den = _number(second)
        value = ind.factor * first / den if den != 0 and not math.isnan(den) else math.nan
    else:  # sum, mean, max, last: the value itself
        value = first
    return None if math.isnan(value) else value


def _number(value) -> float:
    return math.nan if value is None else float(value)


@functools.lru_cache(maxsize=512)
def _statement(rules: tuple[str, ...], periods: int, by: str | None, dialect: str):
    """The SELECT of `period_values` for indicators of these time_agg rules over this many periods,
    built once per shape (building it costs more than running it on small ranges): bind parameters
    codes_<rule> (list), adcodes (list), start_<n> and end_<n> (dates). Each row is (indicator,
    adcode, [bucket], period number, three sums)."""
    adcodes = T.c.adcode.in_(bindparam("adcodes", expanding=True))
    codes = {rule: T.c.indicator.in_(bindparam(f"codes_{rule}", expanding=True)) for rule in rules}
    keys = [T.c.indicator, T.c.adcode] + ([bucket_expression(T.c.day, by)] if by else [])
    none = cast(null(), Float)
    parts = []
    for number in range(periods):
        days = T.c.day.between(bindparam(f"start_{number}", type_=Date), bindparam(f"end_{number}", type_=Date))
        period = literal_column(str(number))
        for rule in rules:
            where = (codes[rule], adcodes, days)
            if rule != "last":
                parts.append(select(*keys, period, *_rule_sums(rule)).where(*where).group_by(*keys))
                continue
            # the value of the latest day of each group: the group's last day, joined back to its row
            last = (select(*[key.label(f"k{i}") for i, key in enumerate(keys)], func.max(T.c.day).label("last_day"))
                    .where(*where).group_by(*keys).subquery())
            parts.append(select(last.c.k0, last.c.k1, *([last.c.k2] if by else []), period, T.c.value, none, none)
                         .join_from(last, T, (T.c.indicator == last.c.k0) & (T.c.adcode == last.c.k1)
                                    & (T.c.day == last.c.last_day)))
    return parts[0] if len(parts) == 1 else union_all(*parts)


# The time_agg rules a period's value is finished from summary_region_period's sums for (a 'last'
# value is its last day's, read from region_daily).
SUMMED_RULES = frozenset({"sum", "mean", "max", "weighted_mean", "ratio"})


def period_values(codes: list[str], adcodes: list[str], periods: dict[str, tuple[date, date]],
                  by: str | None = None, url: str | None = None) -> dict[tuple, float | None]:
    """Aggregated value of each indicator × region × period (× bucket when by='day'|'week'|'month'),
    keyed (indicator, adcode, period[, bucket]); a group without any row is absent.

    A whole period (no buckets) is summed from the summary rows of the months, weeks and days that
    make it up (`_summed_values`: a year at one region is some twenty rows per indicator, not three
    hundred). Buckets, and 'last' values, come from region_daily in one statement, whatever the
    periods (overlapping or not): a UNION ALL of one plain range aggregate per period and time_agg
    rule, so the database reads each period's days through an index and computes only the sums the
    rule needs (a conditional sum per period would evaluate every sum for every row and period:
    several times slower on SQLite)."""
    if not codes or not adcodes or not periods:
        return {}
    inds = {code: indicator(code) for code in codes}
    by_rule: dict[str, list[str]] = {}
    for code, ind in inds.items():
        by_rule.setdefault(ind.time_agg, []).append(code)
    values: dict[tuple, float | None] = {}
    if by is None:
        summed = [code for code in codes if inds[code].time_agg in SUMMED_RULES]
        if summed:
            values = _summed_values({code: inds[code] for code in summed}, adcodes, periods, url)
        by_rule = {rule: rule_codes for rule, rule_codes in by_rule.items() if rule not in SUMMED_RULES}
        if not by_rule:
            return values
    labels = list(periods)
    params = {"adcodes": list(adcodes)}
    params.update({f"codes_{rule}": rule_codes for rule, rule_codes in by_rule.items()})
    for number, label in enumerate(labels):
        params[f"start_{number}"], params[f"end_{number}"] = periods[label]
    statement = _statement(tuple(by_rule), len(labels), by, dialect_name(url))
    for row in fetch(statement, url, params):
        if by:
            code, adcode, bucket, number, first, second, third = row
            key = (code, adcode, labels[int(number)], bucket)
        else:
            code, adcode, number, first, second, third = row
            key = (code, adcode, labels[int(number)])
        values[key] = _rule_value(inds[code], first, second, third)
    return values


def _summed_values(inds: dict[str, Indicator], adcodes: list[str], periods: dict[str, tuple[date, date]],
                   url: str | None) -> dict[tuple, float | None]:
    """`period_values` of indicators of the summed rules: each period is cut into the months, weeks
    and days of summary_region_period that cover it exactly once, read as runs of consecutive
    pieces (one range of the key each: a year to date is a handful per indicator and region), the
    database adds up their sums, and the rule is finished from them as from region_daily's rows."""
    labels = list(periods)
    parts = [select(S.c.indicator, S.c.adcode, literal_column(str(number)), func.sum(S.c.n_value),
                    func.sum(S.c.s_value), func.max(S.c.m_value), func.sum(S.c.s_vw), func.sum(S.c.s_w),
                    func.sum(S.c.s_num), func.sum(S.c.s_den))
             .where(S.c.indicator.in_(list(inds)), S.c.adcode.in_(list(adcodes)),
                    runs_condition(S, pieces(*periods[label])))
             .group_by(S.c.indicator, S.c.adcode) for number, label in enumerate(labels)]
    values = {}
    for code, adcode, number, n, value, largest, vw, weight, num, den in fetch(
            parts[0] if len(parts) == 1 else union_all(*parts), url):
        ind = inds[code]
        mean = value / n if n and value is not None else None
        sums = {"sum": (value, None, None), "mean": (mean, None, None), "max": (largest, None, None),
                "weighted_mean": (vw, weight, mean), "ratio": (num, den, None)}[ind.time_agg]
        values[(code, adcode, labels[int(number)])] = _rule_value(ind, *sums)
    return values


def indicator_values(codes: list[str], adcodes: list[str], periods: dict[str, tuple[date, date]],
                     by: str | None = None, url: str | None = None) -> pd.DataFrame:
    """Aggregated value of each indicator × region × period (× bucket when by='day'|'week'|'month').

    Returns columns indicator, adcode, period, [bucket], value (None where undefined)."""
    values = period_values(codes, adcodes, periods, by, url)
    columns = ["indicator", "adcode", "period"] + (["bucket"] if by else [])
    if not values:
        return pd.DataFrame(columns=columns + ["value"])
    keys = list(values)
    frame = pd.DataFrame(keys, columns=columns)
    frame["value"] = pd.Series(list(values.values()), dtype=object)
    return frame


def comparison_periods(view: ViewState) -> dict[str, tuple[date, date]]:
    return {"current": (view.start, view.end), "previous": view.previous_period(),
            "last_year": view.same_period_last_year()}


def _change(current, base) -> float | None:
    if current is None or base is None or pd.isna(current) or pd.isna(base) or base == 0:
        return None
    return (current - base) / abs(base) * 100.0


@cached
def kpis(view: ViewState, codes: tuple[str, ...]) -> pd.DataFrame:
    """Headline figures: value for the range, change vs previous period and vs same period last year,
    warning level from the catalogue thresholds."""
    periods = comparison_periods(view)
    with shared_connection():
        first = first_data_day()
        if first is not None:  # a period the data do not fully cover compares nothing (no false +2684 %)
            periods = {label: span for label, span in periods.items() if label == "current" or span[0] >= first}
        values = period_values(list(codes), [view.region], periods)
    rows = []
    for code in codes:
        ind = indicator(code)
        current = values.get((code, view.region, "current"))
        previous = values.get((code, view.region, "previous"))
        last_year = values.get((code, view.region, "last_year"))
        rows.append({
            "indicator": code, "value": current, "previous": previous, "last_year": last_year,
            "change_prev": _change(current, previous), "change_yoy": _change(current, last_year),
            "level": ind.level_of(current) if ind.time_agg != "sum" else 0,
        })
    return pd.DataFrame(rows)


@cached
def trend(view: ViewState, code: str, grain: str | None = None) -> pd.DataFrame:
    """The indicator over the range for the view's region, with the same period last year
    aligned bucket by bucket (columns bucket, value, last_year)."""
    grain = grain or grain_for(view.start, view.end)
    values = period_values([code], [view.region], {"current": (view.start, view.end),
                                                   "last_year": view.same_period_last_year()}, by=grain)
    last_year: dict[object, list] = {}
    for (_, _, period, bucket), value in values.items():
        if period == "last_year":
            last_year.setdefault(_shift_bucket(bucket, grain), []).append(value)
    rows = []  # a left join of this period's buckets with last year's, shifted a year on
    for (_, _, period, bucket), value in values.items():
        if period == "current":
            rows += [(bucket, value, before) for before in last_year.get(bucket, [math.nan])]
    rows.sort(key=lambda row: row[0])
    frame = pd.DataFrame({"bucket": [row[0] for row in rows],
                          "value": pd.Series([row[1] for row in rows], dtype=object),
                          "last_year": pd.Series([row[2] for row in rows], dtype=object)})
    if grain == "day":
        frame["bucket"] = pd.to_datetime(frame["bucket"])
    frame.attrs["grain"] = grain
    return frame


def _shift_bucket(bucket, grain: str):
    if grain == "day":
        day = as_date(bucket)
        try:
            return day.replace(year=day.year + 1)
        except ValueError:
            return day.replace(year=day.year + 1, day=28)
    year, rest = str(bucket).split("-", 1)
    return f"{int(year) + 1}-{rest}"


def ranking_regions(adcode: str, scope: str = "") -> tuple[list[str], str | None]:
    """The regions a ranking compares: the children of a city, or a county among its siblings —
    only when the user's scope covers them (a county user sees their own county alone)."""
    tree = region_tree()
    info = tree.get(adcode)
    if info.level == "county":
        parent = info.parent if info.parent and tree.exists(info.parent) else None
        if parent and scope and not tree.contains(parent, scope):
            parent = None
        return (child_codes(parent) if parent else [adcode]), adcode
    return child_codes(adcode), None


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def sorted_by(items: list, value, ascending: bool) -> list:
    """Items in the order of their value (missing ones last), ties kept in their order: what
    pandas' sort_values(na_position='last') gives on a few rows, without building a frame."""
    present = [item for item in items if not _is_missing(value(item))]
    missing = [item for item in items if _is_missing(value(item))]
    return sorted(present, key=value, reverse=not ascending) + missing


@cached
def ranking(view: ViewState, code: str, lang: str = "zh") -> pd.DataFrame:
    """The indicator per county (columns adcode, value, name, level, selected), best first."""
    regions, selected = ranking_regions(view.region, view.scope)
    values = period_values([code], regions, {"current": (view.start, view.end)})
    ind = indicator(code)
    names = region_names(lang)
    rows = [(adcode, values.get((code, adcode, "current"), math.nan)) for adcode in regions]
    rows = sorted_by(rows, lambda row: row[1], ascending=ind.direction == "lower_better")
    return pd.DataFrame({
        "adcode": [adcode for adcode, _ in rows],
        "value": pd.Series([value for _, value in rows], dtype=object),
        "name": [names.get(adcode, math.nan) for adcode, _ in rows],
        "level": [ind.level_of(v) if ind.time_agg != "sum" and not _is_missing(v) else 0 for _, v in rows],
        "selected": [adcode == selected for adcode, _ in rows],
    })


@cached
def dimension_scores(view: ViewState, lang: str = "zh") -> pd.DataFrame:
    """The six dimensions of the city as a 0–100 score per county.

    Each dimension averages its catalogue indicators (field `dimension`), each scored by its place
    between the worst and the best county (reversed where lower is better), so counties compare
    on one scale whatever the units.
    """
    regions, selected = ranking_regions(view.region, view.scope)
    by_dimension: dict[str, list[Indicator]] = {d: [] for d in DIMENSIONS}
    for ind in catalogue().values():
        if ind.dimension and ind.grain == "region_day":
            by_dimension[ind.dimension].append(ind)
    codes = [i.code for inds in by_dimension.values() for i in inds]
    values = period_values(codes, regions, {"current": (view.start, view.end)})
    names = region_names(lang)
    rows = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for dimension, inds in by_dimension.items():
            scores = []  # one array over the regions per indicator
            for ind in inds:
                series = np.array([_number(values.get((ind.code, adcode, "current"))) for adcode in regions])
                if ind.time_agg == "sum":  # compare sizes fairly: per county, relative to the mean
                    series = series / (_nan_mean(series) or 1)
                present = series[~np.isnan(series)]
                low, high = (present.min(), present.max()) if len(present) else (math.nan, math.nan)
                if math.isnan(low) or high == low:
                    score = np.full(len(regions), 50.0)
                else:
                    score = (series - low) / (high - low) * 100
                    if ind.direction == "lower_better":
                        score = 100 - score
                scores.append(score)
            if not scores:
                continue
            table = np.column_stack(scores)
            counted = (~np.isnan(table)).sum(axis=1)
            mean_score = np.where(counted > 0, np.where(np.isnan(table), 0.0, table).sum(axis=1) / counted, math.nan)
            for adcode, score in zip(regions, mean_score):
                rows.append({"adcode": adcode, "name": names.get(adcode, adcode), "dimension": dimension,
                             "score": round(float(score), 1), "selected": adcode == selected})
    return pd.DataFrame(rows)


def _nan_mean(values: np.ndarray) -> float:
    """The mean of the values that are not NaN (NaN when none is), as pandas' Series.mean gives it."""
    counted = int((~np.isnan(values)).sum())
    return float(np.where(np.isnan(values), 0.0, values).sum() / counted) if counted else math.nan


def first_data_day() -> date | None:
    """The first day the topic tables hold (data_meta 'first_day')."""
    from data.models import DataMeta

    value = scalar(select(DataMeta.value).where(DataMeta.key == "first_day"))
    return date.fromisoformat(value) if value else None


def latest_day(code: str | None = None) -> date | None:
    statement = select(func.max(T.c.day))
    if code:
        statement = statement.where(T.c.indicator == code)
    value = scalar(statement)
    return as_date(value) if value is not None else None


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
