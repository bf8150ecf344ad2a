"""The reconciliation check: a city row of region_daily equals the roll-up of its counties by the
indicator's rule; a tampered or orphaned row is found and named; consistent data passes, fast."""
from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import pytest
from fixtures.topic_db import CITY, COUNTIES, REGION_DAILY_CSV, db_url, huangshan, sqlite_url  # noqa: F401
from sqlalchemy import delete, update

from data.bulk import insert_frame
from data.db import get_engine
from data.loader import load_file
from data.models import RegionDaily
from data.reconcile import NO_CHILDREN, NO_PARENT, Difference, check_reconciliation, main, region_day_indicators

DAY = date(2024, 5, 2)


@pytest.fixture
def consistent_url(db_url):
    """The fixture file's 黄山 rows: 5 indicators (sum, ratio, weighted mean, mean, max) × 3 days × 8 regions."""
    assert load_file(REGION_DAILY_CSV, "region_daily", db_url).ok
    return db_url


def change(url: str, indicator: str, adcode: str, **values) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(update(RegionDaily).values(**values).where(
            RegionDaily.indicator == indicator, RegionDaily.adcode == adcode, RegionDaily.day == DAY))


def stored(url: str, indicator: str, adcode: str, column: str = "value") -> float:
    with get_engine(url).connect() as conn:
        return conn.execute(RegionDaily.__table__.select().where(
            RegionDaily.indicator == indicator, RegionDaily.adcode == adcode, RegionDaily.day == DAY)).one()._mapping[column]


def test_consistent_data_passes(consistent_url):
    assert check_reconciliation(consistent_url) == []


def test_a_tampered_city_row_is_found_and_named(consistent_url):
    true_total = stored(consistent_url, "tourism.visitors", CITY)
    change(consistent_url, "tourism.visitors", CITY, value=true_total + 1000)

    (difference,) = check_reconciliation(consistent_url)

    assert difference == Difference("tourism.visitors", CITY, DAY, "value", true_total + 1000, true_total)
    assert difference.describe() == (f"tourism.visitors 341000 黄山市 2024-05-02 value: stored {true_total + 1000:,.0f}, "
                                     f"roll-up (sum) of its child regions {true_total:,.0f}")


def test_a_tampered_county_row_shows_at_its_city(consistent_url):
    """A county changed alone leaves its city stale: the check names the city (mean of AQI)."""
    change(consistent_url, "env.aqi", "341023", value=stored(consistent_url, "env.aqi", "341023") + 70)

    (difference,) = check_reconciliation(consistent_url)

    assert (difference.indicator, difference.region, difference.day, difference.field) == ("env.aqi", CITY, DAY, "value")
    assert difference.expected == pytest.approx(difference.stored + 10)  # 70 more over 7 counties


def test_ratio_sums_and_weights_are_checked_not_only_values(consistent_url):
    """A ratio city row must carry Σnumerator and Σdenominator; a weighted mean Σweight."""
    numerator = stored(consistent_url, "tourism.hotel_occupancy", CITY, "numerator")
    change(consistent_url, "tourism.hotel_occupancy", CITY, numerator=numerator + 1)
    weight = stored(consistent_url, "traffic.congestion", CITY, "weight")
    change(consistent_url, "traffic.congestion", CITY, weight=weight * 2)

    differences = check_reconciliation(consistent_url)

    assert [(d.indicator, d.field, d.stored, d.expected) for d in differences] == [
        ("tourism.hotel_occupancy", "numerator", numerator + 1, numerator),
        ("traffic.congestion", "weight", weight * 2, weight),
    ]


def test_a_max_indicator_rolls_up_to_the_largest_county(consistent_url):
    change(consistent_url, "safety.forest_fire_risk", "341003", value=5)

    (difference,) = check_reconciliation(consistent_url)

    assert (difference.indicator, difference.field, difference.expected) == ("safety.forest_fire_risk", "value", 5)


def test_a_city_row_without_counties_and_counties_without_a_city_row(consistent_url):
    with get_engine(consistent_url).begin() as conn:
        conn.execute(delete(RegionDaily).where(RegionDaily.indicator == "env.aqi", RegionDaily.adcode != CITY,
                                               RegionDaily.day == DAY))
        conn.execute(delete(RegionDaily).where(RegionDaily.indicator == "tourism.visitors",
                                               RegionDaily.adcode == CITY, RegionDaily.day == DAY))

    differences = check_reconciliation(consistent_url)

    assert [(d.indicator, d.region, d.day, d.field) for d in differences] == [
        ("env.aqi", CITY, DAY, NO_CHILDREN), ("tourism.visitors", CITY, DAY, NO_PARENT)]
    assert "no rows for its child regions" in differences[0].describe()
    assert "no parent row" in differences[1].describe()


def test_the_check_can_be_limited_to_days_and_indicators(consistent_url):
    change(consistent_url, "tourism.visitors", CITY, value=1)

    assert check_reconciliation(consistent_url, start=date(2024, 5, 3)) == []
    assert check_reconciliation(consistent_url, end=date(2024, 5, 1)) == []
    assert check_reconciliation(consistent_url, indicators=["env.aqi"]) == []
    assert len(check_reconciliation(consistent_url, start=DAY, end=DAY, indicators=["tourism.visitors"])) == 1
    with pytest.raises(ValueError, match="tourism.spot_load"):
        check_reconciliation(consistent_url, indicators=["tourism.spot_load"])  # kept per spot and hour


def test_the_command_line_reports_and_sets_the_exit_code(sqlite_url, capsys):
    assert load_file(REGION_DAILY_CSV, "region_daily", sqlite_url).ok
    assert main(["--url", sqlite_url]) == 0
    assert "OK: every parent region equals the roll-up" in capsys.readouterr().out

    change(sqlite_url, "tourism.visitors", CITY, value=1)
    assert main(["--url", sqlite_url, "--start", "2024-05-01", "--indicator", "tourism.visitors"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: 1 difference(s)" in out
    assert "tourism.visitors 341000 黄山市 2024-05-02 value: stored 1" in out


def consistent_years(years: int) -> pd.DataFrame:
    """Every region_day indicator of the catalogue for the 7 counties and their city, day by day, with
    the city computed by hand from each rule's definition (not by the code under test)."""
    days = pd.date_range("2022-01-01", periods=365 * years).date
    rng = np.random.default_rng(2022)
    frames = []
    for ind in region_day_indicators():
        n = len(days) * len(COUNTIES)
        counties = pd.DataFrame({"indicator": ind.code, "adcode": np.tile(COUNTIES, len(days)),
                                 "day": np.repeat(days, len(COUNTIES)), "value": rng.uniform(1, 90, n).round(2),
                                 "numerator": np.nan, "denominator": np.nan, "weight": np.nan})
        if ind.region_agg == "ratio":
            counties["numerator"] = rng.integers(0, 1000, n).astype(float)
            counties["denominator"] = counties["numerator"] + rng.integers(1, 500, n)
            counties["value"] = ind.factor * counties["numerator"] / counties["denominator"]
        if ind.region_agg == "weighted_mean":
            counties["weight"] = rng.integers(1, 50, n).astype(float)
        by_day = counties.groupby("day")
        if ind.region_agg == "ratio":
            city = by_day[["numerator", "denominator"]].sum()
            city["value"] = ind.factor * city["numerator"] / city["denominator"]
        elif ind.region_agg == "weighted_mean":
            city = by_day[["weight"]].sum()
            city["value"] = (counties["value"] * counties["weight"]).groupby(counties["day"]).sum() / city["weight"]
        else:
            city = by_day[["value"]].agg({"sum": "sum", "max": "max"}.get(ind.region_agg, "mean"))
        frames += [counties, city.reset_index().assign(indicator=ind.code, adcode=CITY)]
    return pd.concat(frames, ignore_index=True)


def test_three_years_of_every_indicator_are_checked_and_the_one_bad_row_found(db_url):
    rows = consistent_years(3)
    some_city_row = rows[(rows.adcode == CITY) & (rows.indicator == "traffic.speed")].iloc[400]
    with get_engine(db_url).begin() as conn:
        insert_frame(conn, RegionDaily.__table__, rows)
        conn.execute(update(RegionDaily).values(value=RegionDaily.value * 1.01).where(
            RegionDaily.indicator == "traffic.speed", RegionDaily.adcode == CITY,
            RegionDaily.day == some_city_row.day))

    differences = check_reconciliation(db_url)

    assert len(rows) == 365 * 3 * len(region_day_indicators()) * 8
    assert [(d.indicator, d.day) for d in differences] == [("traffic.speed", some_city_row.day)]


def test_the_demo_generator_output_reconciles(request):
    """The generated demo database (the shared fixture of tests/conftest.py) passes the check."""
    pytest.importorskip("data.generator", reason="the demo data generator is not available")
    demo = request.getfixturevalue("demo_env")
    assert check_reconciliation(demo["url"]) == []


def test_the_demo_generator_output_has_summaries_that_match_its_rows(request):
    """The summary tables of the demo database hold what their raw rows give (data/summaries.py)."""
    from data.summaries import check_summaries

    pytest.importorskip("data.generator", reason="the demo data generator is not available")
    assert check_summaries(request.getfixturevalue("demo_env")["url"]) == []


def test_the_command_line_also_checks_the_summaries(tmp_path, capsys):
    from sqlalchemy import text

    from data.generator import generate

    url = f"sqlite:///{tmp_path / 'small.db'}"
    generate(url, scale=0.2, days=3, end=DAY)
    assert main(["--url", url, "--summaries"]) == 0
    assert "OK: every summary table holds what its raw rows give." in capsys.readouterr().out

    with get_engine(url).begin() as conn:
        conn.execute(text("UPDATE summary_incident SET incidents = incidents + 1 WHERE adcode = '341000' "
                          "AND period = 'day' AND start = '2024-05-01'"))
    assert main(["--url", url, "--summaries"]) == 1
    out = capsys.readouterr().out
    assert "OK: every parent region equals the roll-up" in out  # region_daily is still right
    assert "FAILED:" in out and "summary_incident (adcode=341000, period=day" in out and "incidents: stored" in out
