"""The city plan's indicators (十四五 主要预期指标): current value against the 2023 and 2025 targets."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from core.viewstate import ViewState
from data.cache import cached
from data.models import PlanActual, PlanTarget
from data.queries.common import read
from data.regions import region_tree


def attained(value: float | None, comparator: str, target: float | None) -> bool:
    if value is None or target is None or pd.isna(value) or pd.isna(target):
        return False
    if comparator == ">":
        return value > target
    return value >= target  # "=", ">=" and "≥": the plan reads them as "at least"


@cached
def plan_progress(view: ViewState) -> pd.DataFrame:
    """One row per numeric plan indicator of the deployment's city: latest actual, its year,
    the 2023 and 2025 targets and whether each is attained (the plan is the city's, so a county
    view shows its city's plan)."""
    tree = region_tree()
    info = tree.get(view.region)
    city = info.adcode if info.level != "county" else info.parent
    targets = read(select(PlanTarget.__table__).where(PlanTarget.adcode == city,
                                                      PlanTarget.target_value.is_not(None)))
    if targets.empty:
        return pd.DataFrame(columns=["indicator", "group_name", "unit", "actual", "year", "target_2023",
                                     "target_2025", "attained_2023", "attained_2025"])
    latest = (select(PlanActual.indicator, func.max(PlanActual.year).label("year"))
              .where(PlanActual.adcode == city, PlanActual.year <= view.end.year)
              .group_by(PlanActual.indicator).subquery())
    actuals = read(select(PlanActual.indicator, PlanActual.year, PlanActual.value)
                   .join(latest, (latest.c.indicator == PlanActual.indicator) & (latest.c.year == PlanActual.year))
                   .where(PlanActual.adcode == city))
    rows = []
    for name, group in targets.groupby("indicator", sort=False):
        by_year = {int(r.year): r for r in group.itertuples()}
        t23, t25 = by_year.get(2023), by_year.get(2025)
        actual = actuals[actuals["indicator"] == name]
        value = float(actual["value"].iloc[0]) if not actual.empty else None
        year = int(actual["year"].iloc[0]) if not actual.empty else None
        rows.append({
            "indicator": name, "group_name": group["group_name"].iloc[0], "unit": group["unit"].iloc[0],
            "actual": value, "year": year,
            "target_2023": t23.target_value if t23 else None, "target_2025": t25.target_value if t25 else None,
            "attained_2023": attained(value, t23.comparator, t23.target_value) if t23 else None,
            "attained_2025": attained(value, t25.comparator, t25.target_value) if t25 else None,
        })
    return pd.DataFrame(rows)
