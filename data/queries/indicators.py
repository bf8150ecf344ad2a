"""Generic queries over region_daily, for any catalogue indicator.

KPI cards, trend charts, county rankings and the county map of every cockpit are these few
functions applied to different indicator codes. Aggregation follows the catalogue's time_agg rule
and runs in SQL: the database returns the few sums it needs, `_finish` applies the rule.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, literal, or_, select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import DIMENSIONS, Indicator, catalogue, indicator
from data.models import RegionDaily
from data.queries.common import bucket_expression, child_codes, grain_for, read, region_names
from data.regions import region_tree

T = RegionDaily.__table__


def _sums():
    value = T.c.value
    return [
        func.sum(value).label("s_value"),
        func.avg(value).label("avg_value"),
        func.max(value).label("max_value"),
        func.sum(value * T.c.weight).label("s_weighted"),
        func.sum(T.c.weight).label("s_weight"),
        func.sum(T.c.numerator).label("s_num"),
        func.sum(T.c.denominator).label("s_den"),
        func.max(T.c.day).label("last_day"),
    ]


def _finish(frame: pd.DataFrame) -> pd.Series:
    """Apply each row's indicator time_agg rule to the sums the database returned (vectorised).

    On NumPy arrays: pandas compares its Arrow-backed strings a millisecond at a time, which made
    this step cost more than the query on small frames."""
    cat = catalogue()
    rows = [cat[code] for code in frame["indicator"]]
    rules = np.array([ind.time_agg for ind in rows], dtype=object)
    factors = np.array([ind.factor for ind in rows], dtype=float)

    def numbers(column: str) -> np.ndarray:
        if column not in frame:
            return np.full(len(frame), np.nan)
        return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    den, weight, mean = numbers("s_den"), numbers("s_weight"), numbers("avg_value")
    with np.errstate(divide="ignore", invalid="ignore"):
        weighted = numbers("s_weighted") / np.where(weight > 0, weight, np.nan)
        ratio = factors * numbers("s_num") / np.where(den != 0, den, np.nan)
    values = {
        "sum": numbers("s_value"),
        "mean": mean,
        "max": numbers("max_value"),
        "last": numbers("last_value"),
        "weighted_mean": np.where(np.isnan(weighted), mean, weighted),
        "ratio": ratio,
    }
    result = np.full(len(frame), np.nan)
    for rule, column in values.items():
        mask = rules == rule
        result[mask] = column[mask]
    result[frame["last_day"].isna().to_numpy()] = np.nan
    result = pd.Series(result, index=frame.index)
    return result.astype(object).where(result.notna(), None)


def indicator_values(codes: list[str], adcodes: list[str], periods: dict[str, tuple[date, date]],
                     by: str | None = None, url: str | None = None) -> pd.DataFrame:
    """Aggregated value of each indicator × region × period (× bucket when by='day'|'week'|'month').

    Returns columns indicator, adcode, period, [bucket], value.
    """
    if not codes or not adcodes:
        return pd.DataFrame(columns=["indicator", "adcode", "period", "value"])
    groups = _disjoint_groups(periods)
    if len(groups) > 1:
        return pd.concat([indicator_values(codes, adcodes, group, by, url) for group in groups], ignore_index=True)
    period_label = case(
        *[(T.c.day.between(start, end), literal(label)) for label, (start, end) in periods.items()],
        else_=literal(None),
    ).label("period")
    in_any = or_(*[T.c.day.between(start, end) for start, end in periods.values()])
    group = [T.c.indicator, T.c.adcode, period_label]
    if by:
        group.append(bucket_expression(T.c.day, by).label("bucket"))
    statement = (select(*group, *_sums())
                 .where(T.c.indicator.in_(codes), T.c.adcode.in_(adcodes), in_any)
                 .group_by(*group))
    frame = read(statement, url)
    last_codes = [c for c in codes if indicator(c).time_agg == "last"]
    if last_codes and not frame.empty:
        frame = _attach_last_values(frame, last_codes, url)
    frame["value"] = _finish(frame) if not frame.empty else []
    keep = ["indicator", "adcode", "period"] + (["bucket"] if by else []) + ["value"]
    return frame[keep]


def _disjoint_groups(periods: dict[str, tuple[date, date]]) -> list[dict[str, tuple[date, date]]]:
    """The periods in as few groups as possible of periods that do not overlap: one SELECT labels
    each day with one period only, so overlapping periods (本年 against its previous 329 days and
    against last year's) need a SELECT each."""
    groups: list[dict[str, tuple[date, date]]] = []
    for label, span in sorted(periods.items(), key=lambda item: item[1]):
        for group in groups:
            if all(span[0] > other[1] or span[1] < other[0] for other in group.values()):
                group[label] = span
                break
        else:
            groups.append({label: span})
    return groups


def _attach_last_values(frame: pd.DataFrame, codes: list[str], url: str | None) -> pd.DataFrame:
    """For 'last' indicators: the value on the latest day of each group (few rows: one per group)."""
    wanted = frame[frame["indicator"].isin(codes)]
    keys = list({(r.indicator, r.adcode, r.last_day) for r in wanted.itertuples()})
    rows = read(select(T.c.indicator, T.c.adcode, T.c.day, T.c.value)
                .where(or_(*[and_(T.c.indicator == i, T.c.adcode == a, T.c.day == d) for i, a, d in keys])), url)
    lookup = {(r.indicator, r.adcode, r.day): r.value for r in rows.itertuples()}
    frame = frame.copy()
    frame["last_value"] = [lookup.get((r.indicator, r.adcode, r.last_day)) for r in frame.itertuples()]
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
    first = first_data_day()
    if first is not None:  # a period the data do not fully cover compares nothing (no false +2684 %)
        periods = {label: span for label, span in periods.items() if label == "current" or span[0] >= first}
    values = indicator_values(list(codes), [view.region], periods)
    by_code = {code: part.set_index("period")["value"] for code, part in values.groupby("indicator")}
    rows = []
    for code in codes:
        ind = indicator(code)
        mine = by_code.get(code, pd.Series(dtype=object))
        current = mine.get("current")
        previous = mine.get("previous")
        last_year = mine.get("last_year")
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
    ly_start, ly_end = view.same_period_last_year()
    frame = indicator_values([code], [view.region], {"current": (view.start, view.end),
                                                      "last_year": (ly_start, ly_end)}, by=grain)
    current = frame[frame["period"] == "current"][["bucket", "value"]]
    previous = frame[frame["period"] == "last_year"][["bucket", "value"]].copy()
    previous["bucket"] = [_shift_bucket(b, grain) for b in previous["bucket"]]
    merged = current.merge(previous.rename(columns={"value": "last_year"}), on="bucket", how="left")
    merged = merged.sort_values("bucket").reset_index(drop=True)
    if grain == "day":
        merged["bucket"] = pd.to_datetime(merged["bucket"])
    merged.attrs["grain"] = grain
    return merged


def _shift_bucket(bucket, grain: str):
    if grain == "day":
        day = pd.Timestamp(bucket).date()
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


@cached
def ranking(view: ViewState, code: str, lang: str = "zh") -> pd.DataFrame:
    """The indicator per county (columns adcode, name, value, level, selected), best first."""
    regions, selected = ranking_regions(view.region, view.scope)
    frame = indicator_values([code], regions, {"current": (view.start, view.end)})
    ind = indicator(code)
    names = region_names(lang)
    frame = pd.DataFrame({"adcode": regions}).merge(frame[["adcode", "value"]], on="adcode", how="left")
    frame["name"] = frame["adcode"].map(names)
    frame["level"] = [ind.level_of(v) if ind.time_agg != "sum" and pd.notna(v) else 0 for v in frame["value"]]
    frame["selected"] = frame["adcode"] == selected
    ascending = ind.direction == "lower_better"
    return frame.sort_values("value", ascending=ascending, na_position="last").reset_index(drop=True)


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
    values = indicator_values(codes, regions, {"current": (view.start, view.end)})
    # one table county × indicator, rather than filtering the long frame once per indicator
    table = (values.assign(value=pd.to_numeric(values["value"], errors="coerce"))
             .pivot(index="adcode", columns="indicator", values="value")
             .reindex(index=regions, columns=codes))
    names = region_names(lang)
    rows = []
    for dimension, inds in by_dimension.items():
        per_indicator = []
        for ind in inds:
            series = table[ind.code]
            if ind.time_agg == "sum":  # compare sizes fairly: per county, relative to the mean
                series = series / (series.mean() or 1)
            low, high = series.min(), series.max()
            if pd.isna(low) or high == low:
                score = pd.Series(50.0, index=regions)
            else:
                score = (series - low) / (high - low) * 100
                if ind.direction == "lower_better":
                    score = 100 - score
            per_indicator.append(score)
        if not per_indicator:
            continue
        mean_score = pd.concat(per_indicator, axis=1).mean(axis=1)
        for adcode in regions:
            rows.append({"adcode": adcode, "name": names.get(adcode, adcode), "dimension": dimension,
                         "score": round(float(mean_score.get(adcode, 50.0)), 1), "selected": adcode == selected})
    return pd.DataFrame(rows)


def first_data_day() -> date | None:
    """The first day the topic tables hold (data_meta 'first_day')."""
    from data.models import DataMeta

    frame = read(select(DataMeta.value).where(DataMeta.key == "first_day"))
    return date.fromisoformat(frame.iloc[0, 0]) if not frame.empty and frame.iloc[0, 0] else None


def latest_day(code: str | None = None) -> date | None:
    statement = select(func.max(T.c.day))
    if code:
        statement = statement.where(T.c.indicator == code)
    frame = read(statement)
    value = frame.iloc[0, 0] if not frame.empty else None
    return pd.Timestamp(value).date() if value is not None and not pd.isna(value) else None


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
