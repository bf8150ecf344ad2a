"""The city plan's indicators (十四五 主要预期指标): current value against the 2023 and 2025 targets."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from core.viewstate import ViewState
from data.cache import cached
from data.models import PlanActual, PlanTarget
from data.queries.common import fetch, on_one_connection
from data.regions import region_tree


def attained(value: float | None, comparator: str, target: float | None) -> bool:
    if value is None or target is None or pd.isna(value) or pd.isna(target):
        return False
    if comparator == ">":
        return value > target
    return value >= target  # "=", ">=" and "≥": the plan reads them as "at least"


COLUMNS = ["indicator", "group_name", "unit", "actual", "year", "target_2023", "target_2025", "attained_2023",
           "attained_2025"]


@cached
@on_one_connection
def plan_progress(view: ViewState) -> pd.DataFrame:
    """One row per numeric plan indicator of the deployment's city: latest actual, its year,
    the 2023 and 2025 targets and whether each is attained (the plan is the city's, so a county
    view shows its city's plan). A few dozen rows, finished in plain Python."""
    tree = region_tree()
    info = tree.get(view.region)
    city = info.adcode if info.level != "county" else info.parent
    target = PlanTarget.__table__
    targets: dict[str, dict] = {}  # indicator → its rows by year, in the order the table gives them
    for row in fetch(select(target).where(PlanTarget.adcode == city, PlanTarget.target_value.is_not(None))):
        fields = dict(zip(target.columns.keys(), row))
        targets.setdefault(fields["indicator"], {})[int(fields["year"])] = fields
    if not targets:
        return pd.DataFrame(columns=COLUMNS)
    latest = (select(PlanActual.indicator, func.max(PlanActual.year).label("year"))
              .where(PlanActual.adcode == city, PlanActual.year <= view.end.year)
              .group_by(PlanActual.indicator).subquery())
    actuals: dict[str, tuple] = {}
    for name, year, value in fetch(select(PlanActual.indicator, PlanActual.year, PlanActual.value)
                                   .join(latest, (latest.c.indicator == PlanActual.indicator)
                                         & (latest.c.year == PlanActual.year))
                                   .where(PlanActual.adcode == city)):
        actuals.setdefault(name, (year, value))
    rows = []
    for name, by_year in targets.items():
        first = next(iter(by_year.values()))
        t23, t25 = by_year.get(2023), by_year.get(2025)
        year, value = actuals.get(name, (None, None))
        value = float(value) if value is not None else None
        year = int(year) if year is not None else None
        rows.append({
            "indicator": name, "group_name": first["group_name"], "unit": first["unit"],
            "actual": value, "year": year,
            "target_2023": t23["target_value"] if t23 else None, "target_2025": t25["target_value"] if t25 else None,
            "attained_2023": attained(value, t23["comparator"], t23["target_value"]) if t23 else None,
            "attained_2025": attained(value, t25["comparator"], t25["target_value"]) if t25 else None,
        })
    return pd.DataFrame(rows)
