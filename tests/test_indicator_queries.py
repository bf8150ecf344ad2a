"""The generic indicator queries (KPIs, trends, rankings, six dimensions) against plain SQL."""
from datetime import date

import pytest
from sqlalchemy import text

from core.viewstate import ViewState


@pytest.fixture(scope="module")
def db(backend):
    from data.db import get_engine

    return get_engine(backend)


def sql_value(db, code, adcode, start, end):
    from data.catalogue import indicator

    ind = indicator(code)
    with db.connect() as conn:
        row = conn.execute(text(
            "SELECT SUM(value), AVG(value), MAX(value), SUM(value*weight), SUM(weight), SUM(numerator), "
            "SUM(denominator) FROM region_daily WHERE indicator=:c AND adcode=:a AND day BETWEEN :s AND :e"),
            {"c": code, "a": adcode, "s": start, "e": end}).one()
    s, a, m, sw, w, n, d = row
    return {"sum": s, "mean": a, "max": m, "weighted_mean": (sw / w) if w else a,
            "ratio": (ind.factor * n / d) if d else None}[ind.time_agg]


VIEW = ViewState(region="341000", start=date(2026, 11, 1), end=date(2026, 11, 21))
CODES = ("tourism.visitors", "env.good_days", "traffic.congestion", "safety.forest_fire_risk", "env.aqi")


@pytest.mark.parametrize("region", ["341000", "341003"])
def test_kpis_equal_sql_for_current_previous_and_last_year(db, region):
    from data.queries.indicators import kpis

    view = VIEW.with_region(region)
    frame = kpis(view, CODES).set_index("indicator")
    for code in CODES:
        current = sql_value(db, code, region, view.start, view.end)
        previous = sql_value(db, code, region, *view.previous_period())
        last_year = sql_value(db, code, region, *view.same_period_last_year())
        assert frame.loc[code, "value"] == pytest.approx(current)
        assert frame.loc[code, "previous"] == pytest.approx(previous)
        assert frame.loc[code, "last_year"] == pytest.approx(last_year)
        assert frame.loc[code, "change_prev"] == pytest.approx((current - previous) / abs(previous) * 100)


def test_overlapping_periods_each_count_every_one_of_their_days(db):
    """本年 against its previous 329 days overlaps the same period last year: each period still gets
    its own full sum (one SELECT per group of periods that do not overlap)."""
    from data.queries.indicators import indicator_values

    periods = {"current": (date(2026, 1, 1), date(2026, 11, 21)), "previous": (date(2025, 11, 1), date(2026, 2, 28)),
               "inside": (date(2026, 3, 1), date(2026, 3, 31))}
    frame = indicator_values(list(CODES), ["341000", "341003"], periods)
    assert len(frame) == len(CODES) * 2 * len(periods)
    for row in frame.itertuples():
        assert row.value == pytest.approx(sql_value(db, row.indicator, row.adcode, *periods[row.period]))


def test_a_last_indicator_takes_the_value_of_the_latest_day_of_each_period(db):
    """'last' (the ageing rate) is the value on the period's latest day with data, per region and
    period, also per bucket of a trend."""
    from data.queries.indicators import indicator_values

    code = "eldercare.ageing_rate"
    periods = {"current": (VIEW.start, VIEW.end), "last_year": VIEW.same_period_last_year(),
               "overlapping": (date(2026, 11, 10), date(2026, 11, 30))}
    frame = indicator_values([code], ["341000", "341021"], periods)
    assert len(frame) == 2 * len(periods)
    with db.connect() as conn:
        for row in frame.itertuples():
            start, end = periods[row.period]
            expected = conn.execute(text(
                "SELECT value FROM region_daily WHERE indicator = :c AND adcode = :a AND day = "
                "(SELECT MAX(day) FROM region_daily WHERE indicator = :c AND adcode = :a AND day BETWEEN :s AND :e)"),
                {"c": code, "a": row.adcode, "s": start, "e": end}).scalar()
            assert row.value == pytest.approx(expected)
    weekly = indicator_values([code], ["341000"], {"current": (date(2026, 10, 1), VIEW.end)}, by="week")
    assert weekly["bucket"].is_unique and weekly["value"].notna().all()


def test_align_last_year_joins_like_a_merge():
    """The plain-Python join of align_last_year gives what a pandas merge gives: buckets sorted, last
    year's shifted a year on (29 February meets the 28th twice), NaN where last year has nothing
    (its integers then become floats), integers kept where every bucket has its match."""
    import pandas as pd

    from data.queries.common import _align_by_merge, align_last_year

    days = [date(2025, 3, 1), date(2025, 2, 27), date(2025, 2, 28)]
    cases = [
        (pd.DataFrame({"bucket": days, "value": [3, 1, 2]}),
         pd.DataFrame({"bucket": [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)], "last_year": [5, 6, 7]}),
         "day", None),
        (pd.DataFrame({"bucket": days, "value": [3.5, 1.0, None]}),
         pd.DataFrame({"bucket": [date(2024, 2, 28)], "last_year": [5]}), "day", None),
        (pd.DataFrame({"bucket": days, "value": [3, 1, 2]}),
         pd.DataFrame({"bucket": [d - pd.Timedelta(days=364) for d in days], "last_year": [4, 5, 6]}), "day", 364),
        (pd.DataFrame({"bucket": ["2025-W02", "2025-W01", "2025-W53"], "value": [2, 1, 9]}),
         pd.DataFrame({"bucket": ["2024-W01", "2024-W02"], "last_year": [10, 20]}), "week", None),
        (pd.DataFrame({"bucket": ["2025-02", "2025-01"], "value": [2, 1]}),
         pd.DataFrame({"bucket": ["2024-01", "2024-02"], "last_year": [1.5, 2.5]}), "month", None),
    ]
    for current, last_year, grain, shift in cases:
        fast = align_last_year(current, last_year, grain, shift_days=shift)
        slow = _align_by_merge(current, last_year, grain, shift)
        pd.testing.assert_frame_equal(fast.sort_values(["bucket", "last_year"]).reset_index(drop=True),
                                      slow.sort_values(["bucket", "last_year"]).reset_index(drop=True))
        assert fast["bucket"].is_monotonic_increasing and fast.attrs["grain"] == grain


def test_week_and_month_labels_in_python_equal_the_databases(db):
    """Trends that sum days into weeks or months in Python label them as bucket_expression does in
    SQL (ISO weeks across the turn of the year included)."""
    from sqlalchemy import select

    from data.models import RegionDaily
    from data.queries.common import as_date, bucket_expression, bucket_label, fetch

    day = RegionDaily.__table__.c.day
    rows = fetch(select(day, bucket_expression(day, "week"), bucket_expression(day, "month")).distinct()
                 .where(RegionDaily.indicator == "tourism.visitors", RegionDaily.adcode == "341000"))
    assert len(rows) > 370
    for value, week, month in rows:
        assert (bucket_label(as_date(value), "week"), bucket_label(as_date(value), "month")) == (week, month)


def test_kpi_level_follows_catalogue_thresholds(db):
    from data.catalogue import indicator
    from data.queries.indicators import kpis

    row = kpis(VIEW, ("env.aqi",)).iloc[0]
    assert row["level"] == indicator("env.aqi").level_of(row["value"])


def test_ranking_lists_the_seven_counties_with_their_values(db):
    from data.queries.indicators import ranking

    frame = ranking(VIEW, "tourism.visitors")
    assert set(frame["adcode"]) == {"341002", "341003", "341004", "341021", "341022", "341023", "341024"}
    for row in frame.itertuples():
        assert row.value == pytest.approx(sql_value(db, "tourism.visitors", row.adcode, VIEW.start, VIEW.end))
    assert list(frame["value"]) == sorted(frame["value"], reverse=True)  # best first
    # at county level, the county is shown among its siblings and marked
    county = ranking(VIEW.with_region("341003"), "tourism.visitors")
    assert county.loc[county["selected"], "adcode"].tolist() == ["341003"]


def test_city_total_equals_its_counties_through_the_query_layer(db):
    from data.queries.indicators import kpis, ranking

    city = kpis(VIEW, ("tourism.visitors",)).iloc[0]["value"]
    assert city == pytest.approx(ranking(VIEW, "tourism.visitors")["value"].sum())


def test_trend_has_a_point_per_day_and_last_year_aligned(db):
    from data.queries.indicators import trend

    frame = trend(VIEW, "tourism.visitors")
    assert len(frame) == VIEW.days
    first = frame.iloc[0]
    assert first["value"] == pytest.approx(sql_value(db, "tourism.visitors", "341000", VIEW.start, VIEW.start))
    assert first["last_year"] == pytest.approx(
        sql_value(db, "tourism.visitors", "341000", date(2025, 11, 1), date(2025, 11, 1)))
    long = trend(ViewState(region="341000", start=date(2026, 1, 1), end=date(2026, 11, 21)), "env.aqi")
    assert long.attrs["grain"] == "week" and 40 <= len(long) <= 50


def test_six_dimension_scores_are_between_0_and_100(db):
    from data.queries.indicators import dimension_scores

    frame = dimension_scores(VIEW)
    assert set(frame["dimension"]) == {"dynamics", "economy", "governance", "services", "risk", "environment"}
    assert frame["score"].between(0, 100).all()
    assert len(frame) == 6 * 7


def test_cache_follows_the_data_version(db, backend, tmp_path):
    """A cached query answers again only while the data version is unchanged."""
    from flask import Flask

    from data import cache as cache_module
    from data.db import get_engine
    from data.queries.indicators import kpis
    from data.summaries import refresh_days

    server = Flask("t")
    cache_module.init_cache(server)
    view = VIEW.with_region("341021")
    with server.app_context():
        before = kpis(view, ("tourism.visitors",)).iloc[0]["value"]
        with get_engine(backend).begin() as conn:
            conn.execute(text("UPDATE region_daily SET value = value + 1000 WHERE indicator='tourism.visitors' "
                              "AND adcode='341021' AND day=:d"), {"d": view.end})
            refresh_days(conn, [view.end], tables=["summary_region_period"])  # as a load does
            conn.execute(text("UPDATE data_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                              "WHERE key='version'"))
        assert kpis(view, ("tourism.visitors",)).iloc[0]["value"] == before  # version re-read every 2 s
        cache_module.forget_data_version()
        after = kpis(view, ("tourism.visitors",)).iloc[0]["value"]
        with get_engine(backend).begin() as conn:
            conn.execute(text("UPDATE region_daily SET value = value - 1000 WHERE indicator='tourism.visitors' "
                              "AND adcode='341021' AND day=:d"), {"d": view.end})
            refresh_days(conn, [view.end], tables=["summary_region_period"])  # as a load does
    cache_module._configured = False
    assert after == pytest.approx(before + 1000)


@pytest.mark.parametrize("region, start, end", [
    ("341000", date(2026, 1, 1), date(2026, 11, 21)),   # a year to date: months, then weeks and days
    ("341003", date(2026, 9, 17), date(2026, 10, 6)),   # cut mid-week and mid-month
    ("341023", date(2026, 11, 18), date(2026, 11, 18)),  # one day
    ("341000", date(2020, 1, 1), date(2026, 11, 21)),    # from before the data
])
def test_every_rule_read_from_the_summary_pieces_equals_sql(db, region, start, end):
    """Whole periods are added up from summary_region_period's months, weeks and days: every
    indicator of region_daily (sum, mean, max, weighted mean, ratio) gives the figure of its daily
    rows."""
    from data.catalogue import indicator
    from data.queries.indicators import SUMMED_RULES, period_values

    with db.connect() as conn:
        codes = sorted(conn.execute(text("SELECT DISTINCT indicator FROM region_daily")).scalars())
    codes = [code for code in codes if indicator(code).time_agg in SUMMED_RULES]
    assert {indicator(code).time_agg for code in codes} == SUMMED_RULES
    values = period_values(codes, [region], {"range": (start, end)})
    for code in codes:
        assert values[(code, region, "range")] == pytest.approx(sql_value(db, code, region, start, end), rel=1e-9), code
