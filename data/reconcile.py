"""Reconciliation: every stored parent row of region_daily equals the roll-up of its children.

For each region_day indicator of the catalogue, each day and each parent region of the deployment
(the city; the province and its cities in a province deployment), the stored parent row must equal
its children's rows aggregated by the indicator's `region_agg` rule (data/aggregation.py):

    sum, mean, max, last   the value
    ratio                  Σnumerator, Σdenominator and the value factor·Σn/Σd
    weighted_mean          the value Σ(value·weight)/Σweight and Σweight

A parent row without any children rows, and children rows without a parent row, are differences
too. The roll-up of stored rows is computed in SQL grouped by (indicator, parent, day); only the
parent rows and the roll-ups reach pandas. The loader checks a file's own parent rows with the same
`compare` (expected values from `expected_rollups`, the pandas side of the same rules).

    python -m data.reconcile [--url DB] [--start D] [--end D] [--indicator CODE ...] [--summaries]

exits 1 when differences exist, 0 when none. With --summaries it also checks that the summary
tables (data/summaries.py) hold what their raw rows give for those days (`check_summaries`).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, case, func, select

from data.aggregation import rollup_frame, sql_value
from data.catalogue import Indicator, catalogue
from data.db import get_engine
from data.models import RegionDaily
from data.regions import region_tree
from data.summaries import SummaryDifference, check_summaries

KEY = ["indicator", "adcode", "day"]
MEASURES = ["value", "numerator", "denominator", "weight"]
# What a parent carries up besides its value, by region_agg rule.
CARRIED = {"ratio": ("numerator", "denominator"), "weighted_mean": ("weight",)}
# Pseudo-fields of a Difference for a row that has no counterpart.
NO_CHILDREN = "children"  # a parent row whose children have no rows
NO_PARENT = "row"  # children rows whose parent has no row


@dataclass(frozen=True)
class Difference:
    """One parent figure that does not equal its children's roll-up.

    `field` is value/numerator/denominator/weight; NO_CHILDREN when the parent row exists but no
    child row does (stored is the parent's value), NO_PARENT when children rows exist but the parent
    row does not (expected is the roll-up's value).
    """

    indicator: str
    region: str
    day: date
    field: str
    stored: float | None
    expected: float | None

    def describe(self) -> str:
        rule = catalogue()[self.indicator].region_agg
        where = f"{self.indicator} {self.region} {region_label(self.region)} {self.day.isoformat()}"
        if self.field == NO_CHILDREN:
            return f"{where}: parent row ({_number(self.stored)}) but no rows for its child regions"
        if self.field == NO_PARENT:
            return f"{where}: no parent row, its child regions roll up ({rule}) to {_number(self.expected)}"
        return (f"{where} {self.field}: stored {_number(self.stored)}, "
                f"roll-up ({rule}) of its child regions {_number(self.expected)}")


def region_label(adcode: str) -> str:
    tree = region_tree()
    return tree.get(adcode).name if tree.exists(adcode) else "?"


def _number(value: float | None) -> str:
    return "—" if value is None or np.isnan(value) else f"{value:,.6g}"


def region_day_indicators(codes: list[str] | None = None) -> list[Indicator]:
    """The catalogue indicators stored in region_daily, all or the named ones (unknown: ValueError)."""
    stored = {code: ind for code, ind in catalogue().items() if ind.grain == "region_day"}
    if codes is None:
        return list(stored.values())
    unknown = [code for code in codes if code not in stored]
    if unknown:
        raise ValueError(f"not region_day indicators of the catalogue: {', '.join(unknown)}")
    return [stored[code] for code in codes]


def parent_of_children() -> dict[str, str]:
    """child adcode → parent adcode, for every parent region of the deployment."""
    tree = region_tree()
    return {child.adcode: parent.adcode for parent in tree.all() for child in tree.children(parent.adcode)}


def expected_rollups(rows: pd.DataFrame, parents: dict[str, str] | None = None) -> pd.DataFrame:
    """The parent rows that children `rows` (KEY + MEASURES columns) roll up to, with rollup_frame."""
    parents = parents if parents is not None else parent_of_children()
    children = rows.assign(parent=rows["adcode"].map(parents)).dropna(subset=["parent"])
    frames = []
    for code, group in children.groupby("indicator", sort=True):
        rolled = rollup_frame(catalogue()[code], group, by=["parent", "day"])
        frames.append(rolled.rename(columns={"parent": "adcode"}).assign(indicator=code))
    if not frames:
        return pd.DataFrame(columns=KEY + MEASURES)
    return pd.concat(frames, ignore_index=True)[KEY + MEASURES]


def _close(stored: np.ndarray, expected: np.ndarray, tolerance: float) -> np.ndarray:
    """Equal within a relative tolerance (absolute below 1); two missing values are equal."""
    both_missing = np.isnan(stored) & np.isnan(expected)
    scale = np.maximum(1.0, np.maximum(np.abs(stored), np.abs(expected)))
    with np.errstate(invalid="ignore"):
        return both_missing | (np.abs(stored - expected) <= tolerance * scale)


def compare(stored: pd.DataFrame, expected: pd.DataFrame, tolerance: float = 1e-6) -> list[Difference]:
    """Differences between stored parent rows and expected roll-ups (both KEY + MEASURES columns).

    The value of a ratio whose Σdenominator is 0 is undefined (SQL gives NULL, rollup_frame 0) and
    is not compared; its sums still are.
    """
    def normalised(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[KEY + MEASURES].copy()
        frame["day"] = pd.to_datetime(frame["day"])
        frame[MEASURES] = frame[MEASURES].astype(float)
        return frame

    merged = normalised(stored).merge(normalised(expected), on=KEY, how="outer",
                                      suffixes=("_stored", "_expected"), indicator="presence")
    differences = []

    def number(row, column: str | None) -> float | None:
        value = getattr(row, column) if column else np.nan
        return None if np.isnan(value) else float(value)

    def add(rows: pd.DataFrame, field: str, stored_column: str | None, expected_column: str | None):
        differences.extend(Difference(row.indicator, row.adcode, row.day.date(), field,
                                      number(row, stored_column), number(row, expected_column))
                           for row in rows.itertuples(index=False))

    add(merged[merged["presence"] == "left_only"], NO_CHILDREN, "value_stored", None)
    add(merged[merged["presence"] == "right_only"], NO_PARENT, None, "value_expected")
    both = merged[merged["presence"] == "both"]
    for code, group in both.groupby("indicator", sort=False):
        rule = catalogue()[code].region_agg
        for field in CARRIED.get(rule, ()) + ("value",):
            stored_values = group[f"{field}_stored"].to_numpy(float)
            expected_values = group[f"{field}_expected"].to_numpy(float)
            wrong = ~_close(stored_values, expected_values, tolerance)
            if field == "value" and rule == "ratio":
                wrong &= group["denominator_expected"].to_numpy(float) != 0
            add(group[wrong], field, f"{field}_stored", f"{field}_expected")
    return sorted(differences, key=lambda d: (d.indicator, d.day, d.region, d.field))


def _read(conn: Connection, statement) -> pd.DataFrame:
    result = conn.execute(statement)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def check_connection(conn: Connection, *, start: date | None = None, end: date | None = None,
                     indicators: list[str] | None = None, tolerance: float = 1e-6) -> list[Difference]:
    """The reconciliation check on an open connection (it sees the connection's own uncommitted rows)."""
    chosen = region_day_indicators(indicators)
    parents = parent_of_children()
    if not chosen or not parents:
        return []
    table = RegionDaily.__table__
    window = [table.c.indicator.in_([ind.code for ind in chosen])]
    if start is not None:
        window.append(table.c.day >= start)
    if end is not None:
        window.append(table.c.day <= end)

    children = (select(table.c.indicator, case(parents, value=table.c.adcode).label("parent"), table.c.day,
                       *(table.c[m] for m in MEASURES))
                .where(table.c.adcode.in_(list(parents)), *window)
                .subquery())
    # One GROUP BY for every indicator: the value of each group uses its indicator's own rule.
    rolled_value = case({ind.code: sql_value(ind, children, ind.region_agg) for ind in chosen},
                        value=children.c.indicator)
    rollups = (select(children.c.indicator, children.c.parent.label("adcode"), children.c.day,
                      rolled_value.label("value"),
                      *(func.sum(children.c[m]).label(m) for m in MEASURES if m != "value"))
               .group_by(children.c.indicator, children.c.parent, children.c.day))
    stored = (select(*(table.c[c] for c in KEY + MEASURES))
              .where(table.c.adcode.in_(sorted(set(parents.values()))), *window))
    return compare(_read(conn, stored), _read(conn, rollups), tolerance)


def check_reconciliation(url: str | None = None, *, start: date | None = None, end: date | None = None,
                         indicators: list[str] | None = None, tolerance: float = 1e-6) -> list[Difference]:
    """Every parent row of region_daily against its children's roll-up; [] when all reconcile."""
    with get_engine(url).connect() as conn:
        return check_connection(conn, start=start, end=end, indicators=indicators, tolerance=tolerance)


def format_report(differences: list[Difference], limit: int = 200) -> str:
    if not differences:
        return "OK: every parent region equals the roll-up of its child regions."
    by_indicator = Counter(d.indicator for d in differences)
    counts = [f"{code} {catalogue()[code].name_zh}: {count}" for code, count in sorted(by_indicator.items())]
    return _failure_report(f"{len(differences)} difference(s)", counts + [""], differences, limit)


def _failure_report(headline: str, counts: list[str], differences: list, limit: int) -> str:
    """FAILED with a count per group, then the first `limit` differences described one per line."""
    lines = [f"FAILED: {headline}"] + [f"  {line}" if line else "" for line in counts]
    lines += [f"  {d.describe()}" for d in differences[:limit]]
    if len(differences) > limit:
        lines.append(f"  … and {len(differences) - limit} more")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data.reconcile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="database URL (default: the configured database)")
    parser.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", type=date.fromisoformat, help="last day, YYYY-MM-DD")
    parser.add_argument("--indicator", action="append", metavar="CODE",
                        help="check only this indicator (repeatable)")
    parser.add_argument("--summaries", action="store_true",
                        help="also check the summary tables against the raw rows they are built from")
    args = parser.parse_args(argv)
    try:
        chosen = region_day_indicators(args.indicator)
    except ValueError as exc:
        parser.error(str(exc))
    span = f"{args.start or 'first day'} … {args.end or 'last day'}"
    print(f"Reconciliation of region_daily in {get_engine(args.url).url.render_as_string(hide_password=True)}")
    print(f"{len(chosen)} indicator(s), {span}, root region {region_tree().root} {region_label(region_tree().root)}")
    differences = check_reconciliation(args.url, start=args.start, end=args.end, indicators=args.indicator)
    print(format_report(differences))
    if not args.summaries:
        return 1 if differences else 0
    summary_differences = check_summaries(args.url, args.start, args.end)
    print(format_summary_report(summary_differences))
    return 1 if differences or summary_differences else 0


def format_summary_report(differences: list[SummaryDifference], limit: int = 200) -> str:
    if not differences:
        return "OK: every summary table holds what its raw rows give."
    by_table = Counter(d.table for d in differences)
    counts = [f"{table}: {count}" for table, count in sorted(by_table.items())]
    return _failure_report(f"{len(differences)} summary difference(s)", counts, differences, limit)


if __name__ == "__main__":
    sys.exit(main())
