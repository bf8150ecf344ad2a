"""Plan indicators (十四五 主要预期指标): the root city's targets, and plausible yearly actuals.

Targets come from plan_indicators.csv. Actuals start from the plan's baseline (or a value well
short of the first target) and move toward the 2025 target; some indicators run ahead, some
behind, as real plans do. A province deployment has targets only where the file has its rows.
"""
from __future__ import annotations

import pandas as pd

from data.generator.indicators import ONLINE_SERVICE_TREND
from data.generator.randomness import stream
from data.generator.reference import read_reference

FIRST_YEAR, LAST_YEAR = 2021, 2026
# The plan indicator that the generated region_daily data also measure (全程网办率).
ONLINE_SERVICE_INDICATOR = "政务服务事项全程网办率"


def plan_targets(root: str) -> pd.DataFrame:
    plan = read_reference("plan_indicators.csv")
    rows = plan[plan["region_adcode"] == root]
    return pd.DataFrame({
        "adcode": rows["region_adcode"], "indicator": rows["indicator"], "year": rows["year"].astype(int),
        "group_name": rows["group"], "unit": rows["unit"], "target_text": rows["target_text"].astype(str),
        "comparator": rows["comparator"].fillna("").astype(str),
        "target_value": pd.to_numeric(rows["target_value"], errors="coerce"),
    }).drop_duplicates(["adcode", "indicator", "year"]).reset_index(drop=True)


def plan_actuals(root: str, seed: int, last_year: int) -> pd.DataFrame:
    """One value per indicator with a numeric target, for each year from 2021 to the data's year."""
    targets = plan_targets(root)
    numeric = targets.dropna(subset=["target_value"])
    years = list(range(FIRST_YEAR, min(LAST_YEAR, last_year) + 1))
    rows = []
    for indicator, group in numeric.groupby("indicator", sort=True):
        rng = stream(seed, f"plan:{indicator}")
        by_year = group.set_index("year")["target_value"].sort_index()
        percent = group["unit"].iloc[0] == "%"
        final_year = int(by_year.index.max())
        final = float(by_year.iloc[-1])
        # The plan's own earliest figure is its baseline; otherwise start well short of the first target.
        start_year = min(int(by_year.index.min()), 2020)
        start = float(by_year.iloc[0]) if by_year.index.min() <= 2020 else float(by_year.iloc[0]) * 0.8
        pace = rng.uniform(0.9, 1.04)  # < 1: behind plan, > 1: ahead of it
        for year in years:
            if indicator == ONLINE_SERVICE_INDICATOR:
                value = 100 * ONLINE_SERVICE_TREND[year]
            else:
                progress = (year - start_year) / max(final_year - start_year, 1)
                progress = min(progress, 1.0) + 0.3 * max(progress - 1.0, 0.0)  # slower past the plan
                value = start + (final - start) * progress * pace * (1 + rng.normal(0, 0.01))
            value = min(value, 99.8) if percent else value
            rows.append((root, indicator, year, round(float(value), 1 if percent else 0)))
    return pd.DataFrame(rows, columns=["adcode", "indicator", "year", "value"])
