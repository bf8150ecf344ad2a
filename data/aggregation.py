"""How an indicator aggregates, written once for pandas and once for SQL.

The rule comes from the catalogue (`region_agg` across regions, `time_agg` across days):
    sum            Σ value
    mean           mean of values
    weighted_mean  Σ(value·weight) / Σweight           (weight carried up as Σweight)
    max            max value
    last           the value of the latest day (over time); over regions: not additive, mean
    ratio          factor · Σnumerator / Σdenominator  (numerator/denominator carried up as sums)
The generator rolls counties up to the city with `rollup`, the reconciliation check and the loader
compare against it, and the query layer uses `sql_value` so that SQL and pandas agree.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Float, case, cast, func

from data.catalogue import Indicator


def rollup(indicator: Indicator, rows: pd.DataFrame, rule: str | None = None) -> dict:
    """Aggregate region_daily-shaped rows (value, numerator, denominator, weight) into one row."""
    rule = rule or indicator.region_agg
    if rows.empty:
        return {"value": None, "numerator": None, "denominator": None, "weight": None}
    if rule == "sum":
        return {"value": float(rows["value"].sum()), "numerator": None, "denominator": None, "weight": None}
    if rule in ("mean", "last"):
        return {"value": float(rows["value"].mean()), "numerator": None, "denominator": None, "weight": None}
    if rule == "max":
        return {"value": float(rows["value"].max()), "numerator": None, "denominator": None, "weight": None}
    if rule == "weighted_mean":
        weight = float(rows["weight"].sum())
        value = float((rows["value"] * rows["weight"]).sum() / weight) if weight else float(rows["value"].mean())
        return {"value": value, "numerator": None, "denominator": None, "weight": weight}
    if rule == "ratio":
        numerator = float(rows["numerator"].sum())
        denominator = float(rows["denominator"].sum())
        value = indicator.factor * numerator / denominator if denominator else 0.0
        return {"value": value, "numerator": numerator, "denominator": denominator, "weight": None}
    raise ValueError(f"unknown aggregation '{rule}' for {indicator.code}")


def rollup_frame(indicator: Indicator, rows: pd.DataFrame, by: list[str], rule: str | None = None) -> pd.DataFrame:
    """Vectorised `rollup` grouped by columns `by` (e.g. ["day"]): one output row per group."""
    rule = rule or indicator.region_agg
    grouped = rows.groupby(by, sort=True)
    out = pd.DataFrame(index=grouped.size().index)
    out["numerator"] = None
    out["denominator"] = None
    out["weight"] = None
    if rule == "sum":
        out["value"] = grouped["value"].sum()
    elif rule in ("mean", "last"):
        out["value"] = grouped["value"].mean()
    elif rule == "max":
        out["value"] = grouped["value"].max()
    elif rule == "weighted_mean":
        weighted = (rows["value"] * rows["weight"]).groupby([rows[c] for c in by]).sum()
        out["weight"] = grouped["weight"].sum()
        weight = out["weight"].astype(float)
        # Groups without weight fall back to the plain mean, as `rollup` does.
        out["value"] = (weighted / weight).where(weight != 0, grouped["value"].mean())
    elif rule == "ratio":
        out["numerator"] = grouped["numerator"].sum()
        out["denominator"] = grouped["denominator"].sum()
        den = out["denominator"].astype(float)
        out["value"] = (indicator.factor * out["numerator"].astype(float) / den.where(den != 0)).fillna(0.0)
    else:
        raise ValueError(f"unknown aggregation '{rule}' for {indicator.code}")
    return out.reset_index()


def sql_value(indicator: Indicator, table, rule: str | None = None):
    """A SQL expression aggregating `table` (region_daily) rows by the indicator's rule.

    `last` over time needs the latest day per group; callers handle it by filtering to
    that day first (see data/queries/indicators.py), so here it reads like a mean.
    """
    rule = rule or indicator.time_agg
    value = table.c.value
    if rule == "sum":
        return func.sum(value)
    if rule in ("mean", "last"):
        return func.avg(value)
    if rule == "max":
        return func.max(value)
    if rule == "weighted_mean":
        total_weight = func.sum(table.c.weight)
        return case((total_weight > 0, func.sum(value * table.c.weight) / total_weight), else_=func.avg(value))
    if rule == "ratio":
        denominator = func.sum(table.c.denominator)
        return case(
            (denominator > 0, indicator.factor * cast(func.sum(table.c.numerator), Float) / denominator),
            else_=None,
        )
    raise ValueError(f"unknown aggregation '{rule}' for {indicator.code}")
