"""养老服务 queries against plain SQL on the generated demo database (and PostgreSQL against SQLite)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from conftest import demo_database
from sqlalchemy import text

from core.viewstate import ViewState

END = date(2026, 11, 25)
WEEK = ViewState(region="341000", start=date(2026, 11, 19), end=END)
MONTH = ViewState(region="341000", start=date(2026, 10, 27), end=date(2026, 11, 24))
COUNTY = "341021"  # 歙县
COUNTIES = ("341002", "341003", "341004", "341021", "341022", "341023", "341024")


@pytest.fixture(scope="module")
def db(demo_env):
    from data.db import get_engine

    return get_engine(demo_env["url"])


def sql(db, statement: str, **params) -> pd.DataFrame:
    with db.connect() as conn:
        result = conn.execute(text(statement), params)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def stamp(day: date) -> str:
    return datetime.combine(day, datetime.min.time()).strftime("%Y-%m-%d %H:%M:%S.%f")


# ---------------------------------------------------------------------------------- population
def test_population_by_county_in_the_ranges_year(db):
    from data.queries.eldercare import population_by_region

    frame = population_by_region(WEEK).set_index("adcode")
    expected = sql(db, "SELECT adcode, population, aged_60, aged_80 FROM elderly_population WHERE year = 2026") \
        .set_index("adcode")
    assert set(frame.index) == set(COUNTIES)
    for adcode, row in expected.iterrows():
        assert frame.loc[adcode, "aged_60"] == row["aged_60"] and frame.loc[adcode, "aged_80"] == row["aged_80"]
        assert frame.loc[adcode, "aged_60_79"] == row["aged_60"] - row["aged_80"]
        assert frame.loc[adcode, "ageing_rate"] == pytest.approx(100 * row["aged_60"] / row["population"], abs=0.005)
    assert frame["ageing_rate"].is_monotonic_decreasing  # the oldest first
    # drilled into a county: the county among its siblings, marked
    county = population_by_region(WEEK.with_region(COUNTY))
    assert county.loc[county["selected"], "adcode"].tolist() == [COUNTY] and len(county) == 7
    # a range in 2025 reads 2025
    assert set(population_by_region(ViewState(region="341000", start=date(2025, 11, 1),
                                              end=date(2025, 11, 7)))["year"]) == {2025}


def test_kpis_give_60_and_80_plus_with_the_change_on_the_year_before(db):
    from data.queries.eldercare import KPI_INDICATORS, kpis
    from data.queries.indicators import kpis as indicator_kpis

    frame = kpis(WEEK).set_index("key")
    years = sql(db, "SELECT year, SUM(aged_60) AS a60, SUM(aged_80) AS a80 FROM elderly_population "
                    "WHERE year IN (2025, 2026) GROUP BY year").set_index("year")
    assert frame.loc["aged_60", "value"] == years.loc[2026, "a60"]
    assert frame.loc["aged_80", "last_year"] == years.loc[2025, "a80"]
    assert frame.loc["aged_60", "change_yoy"] == pytest.approx(
        (years.loc[2026, "a60"] - years.loc[2025, "a60"]) / years.loc[2025, "a60"] * 100, abs=0.01)
    generic = indicator_kpis(WEEK, KPI_INDICATORS).set_index("indicator")
    for code in KPI_INDICATORS:
        assert frame.loc[code, "value"] == pytest.approx(generic.loc[code, "value"])


# ---------------------------------------------------------------------------------- institutions
def test_institutions_of_a_tier_with_occupancy_levels_from_the_catalogue(db):
    from data.catalogue import indicator
    from data.queries.eldercare import institutions

    frame = institutions(WEEK.with_region(COUNTY).set_filter("tier", ("nursing_home", "street_center")))
    expected = sql(db, "SELECT id, beds, occupied FROM care_institution WHERE adcode = :a "
                       "AND tier IN ('nursing_home', 'street_center')", a=COUNTY).set_index("id")
    assert sorted(frame["id"]) == sorted(expected.index)
    ind = indicator("eldercare.bed_occupancy")
    for row in frame.itertuples():
        assert row.occupancy == pytest.approx(100 * row.occupied / row.beds, abs=0.051)
        assert row.level == ind.level_of(row.occupancy)
    assert frame["occupancy"].is_monotonic_decreasing  # the fullest first


def test_tiers_count_beds_and_coverage_of_the_60_plus(db):
    from data.queries.eldercare import tiers

    frame = tiers(WEEK.with_region(COUNTY)).set_index("tier")
    assert list(frame.index) == ["county_center", "street_center", "community_station", "nursing_home"]
    expected = sql(db, "SELECT tier, COUNT(*) AS n, SUM(beds) AS beds, SUM(occupied) AS occ, "
                       "SUM(covers_population) AS covers FROM care_institution WHERE adcode = :a GROUP BY tier",
                   a=COUNTY).set_index("tier")
    aged = sql(db, "SELECT aged_60 FROM elderly_population WHERE adcode = :a AND year = 2026", a=COUNTY)["aged_60"][0]
    for tier, row in expected.iterrows():
        assert frame.loc[tier, "institutions"] == row["n"] and frame.loc[tier, "beds"] == row["beds"]
        assert frame.loc[tier, "occupancy"] == pytest.approx(100 * row["occ"] / row["beds"], abs=0.051)
        if tier != "nursing_home":
            assert frame.loc[tier, "coverage"] == pytest.approx(min(100, 100 * row["covers"] / aged), abs=0.051)
    assert pd.isna(frame.loc["nursing_home", "coverage"])  # care homes serve residents, not an area


# ---------------------------------------------------------------------------------- home care
def test_services_by_kind_with_last_year(db):
    from data.queries.eldercare import services_by_kind

    frame = services_by_kind(MONTH).set_index("kind")
    expected = sql(db, "SELECT kind, SUM(services) AS n FROM home_care_daily WHERE day BETWEEN :s AND :e "
                       "GROUP BY kind", s=MONTH.start, e=MONTH.end).set_index("kind")
    last_year = sql(db, "SELECT kind, SUM(services) AS n FROM home_care_daily WHERE day BETWEEN :s AND :e "
                        "GROUP BY kind", s=date(2025, 10, 27), e=date(2025, 11, 24)).set_index("kind")
    assert frame["services"].to_dict() == expected["n"].to_dict()
    assert frame["last_year"].to_dict() == last_year["n"].to_dict()
    assert frame["services"].is_monotonic_decreasing
    assert frame.loc["meal", "name"] == "助餐"


@pytest.mark.parametrize("region", ["341000", COUNTY])
def test_services_over_a_year_read_from_the_summary_equal_the_daily_rows(db, region):
    """A year to date is read from summary_home_care's months, weeks and days: by kind, and as a
    trend by month of the chosen kinds, the figures of the daily rows."""
    from data.queries.eldercare import services_by_kind, services_trend

    year = ViewState(region=region, start=date(2026, 1, 1), end=END)
    counties = list(COUNTIES) if region == "341000" else [region]
    marks = ", ".join(f"'{c}'" for c in counties)
    frame = services_by_kind(year).set_index("kind")
    expected = sql(db, f"SELECT kind, SUM(services) AS n FROM home_care_daily WHERE day BETWEEN :s AND :e "
                       f"AND adcode IN ({marks}) GROUP BY kind", s=year.start, e=year.end).set_index("kind")
    assert frame["services"].to_dict() == expected["n"].to_dict()
    last_year = sql(db, f"SELECT kind, SUM(services) AS n FROM home_care_daily WHERE day BETWEEN :s AND :e "
                        f"AND adcode IN ({marks}) GROUP BY kind", s=date(2025, 1, 1), e=date(2025, 11, 25))
    assert frame["last_year"].to_dict() == last_year.set_index("kind")["n"].to_dict()

    trend = services_trend(year.set_filter("service", ("meal", "medical")))
    assert trend.attrs["grain"] == "week"
    daily = sql(db, f"SELECT day, SUM(services) AS n FROM home_care_daily WHERE day BETWEEN :s AND :e "
                    f"AND adcode IN ({marks}) AND kind IN ('meal', 'medical') GROUP BY day", s=year.start, e=year.end)
    days = pd.to_datetime(daily["day"])
    weekly = daily.groupby(days - pd.to_timedelta(days.dt.weekday, unit="D"))["n"].sum().sort_index()
    assert trend["value"].tolist() == weekly.tolist()  # the first week begins in 2025: its 2026 days


def test_services_trend_of_a_kind_and_of_all_reconciles_with_the_catalogue(db):
    from data.queries.eldercare import services_trend

    meal = services_trend(MONTH.with_region(COUNTY).set_filter("service", ("meal",)))
    expected = sql(db, "SELECT day, services FROM home_care_daily WHERE kind = 'meal' AND adcode = :a "
                       "AND day BETWEEN :s AND :e ORDER BY day", a=COUNTY, s=MONTH.start, e=MONTH.end)
    assert meal["value"].tolist() == expected["services"].tolist()
    everything = services_trend(MONTH)
    catalogue = sql(db, "SELECT day, value FROM region_daily WHERE indicator = 'eldercare.services' "
                        "AND adcode = '341000' AND day BETWEEN :s AND :e ORDER BY day", s=MONTH.start, e=MONTH.end)
    assert everything["value"].tolist() == pytest.approx(catalogue["value"].tolist())
    assert everything["last_year"].notna().all()


# ---------------------------------------------------------------------------------- device calls
def test_calls_by_kind_banded_by_the_catalogue_thresholds(db):
    from data.catalogue import indicator
    from data.queries.eldercare import calls_by_kind

    blue, yellow, orange, red = indicator("eldercare.response_seconds").thresholds
    frame = calls_by_kind(MONTH)
    expected = sql(db, f"""
        SELECT kind, CASE WHEN response_seconds >= {red} THEN 4 WHEN response_seconds >= {orange} THEN 3
                          WHEN response_seconds >= {yellow} THEN 2 WHEN response_seconds >= {blue} THEN 1 ELSE 0 END
               AS level, COUNT(*) AS calls, AVG(response_seconds) AS mean
        FROM device_call WHERE ts >= :low AND ts < :high GROUP BY kind, level ORDER BY kind, level""",
                   low=stamp(MONTH.start), high=stamp(MONTH.end + timedelta(days=1)))
    assert frame[["kind", "level", "calls"]].values.tolist() == expected[["kind", "level", "calls"]].values.tolist()
    means = sql(db, "SELECT kind, AVG(response_seconds) AS mean, COUNT(*) AS n FROM device_call "
                    "WHERE ts >= :low AND ts < :high GROUP BY kind",
                low=stamp(MONTH.start), high=stamp(MONTH.end + timedelta(days=1))).set_index("kind")
    for row in frame.drop_duplicates("kind").itertuples():
        assert row.mean_response == pytest.approx(means.loc[row.kind, "mean"], abs=0.051)
        assert row.total == means.loc[row.kind, "n"]


def test_calls_trend_of_falls_and_of_all_reconciles_with_the_catalogue(db):
    from data.queries.eldercare import calls_trend

    falls = calls_trend(MONTH.set_filter("call", ("fall",)))
    expected = sql(db, "SELECT date(ts) AS d, COUNT(*) AS n, AVG(response_seconds) AS mean FROM device_call "
                       "WHERE kind = 'fall' AND ts >= :low AND ts < :high GROUP BY d ORDER BY d",
                   low=stamp(MONTH.start), high=stamp(MONTH.end + timedelta(days=1)))
    assert falls["calls"].tolist() == expected["n"].tolist()
    assert falls["mean_response"].tolist() == pytest.approx(expected["mean"].tolist(), abs=0.051)  # 1 decimal
    every = calls_trend(MONTH)
    catalogue = sql(db, "SELECT day, value FROM region_daily WHERE indicator = 'eldercare.device_calls' "
                        "AND adcode = '341000' AND day BETWEEN :s AND :e AND value > 0 ORDER BY day",
                    s=MONTH.start, e=MONTH.end)
    assert every["calls"].tolist() == catalogue["value"].astype(int).tolist()


def test_response_by_county_slowest_first(db):
    from data.catalogue import indicator
    from data.queries.eldercare import response_by_region

    view = MONTH.set_filter("call", ("call",))
    frame = response_by_region(view).set_index("adcode")
    expected = sql(db, "SELECT adcode, COUNT(*) AS n, AVG(response_seconds) AS mean FROM device_call "
                       "WHERE kind = 'call' AND ts >= :low AND ts < :high GROUP BY adcode",
                   low=stamp(view.start), high=stamp(view.end + timedelta(days=1))).set_index("adcode")
    assert set(frame.index) == set(COUNTIES)
    for adcode, row in expected.iterrows():
        assert frame.loc[adcode, "calls"] == row["n"]
        assert frame.loc[adcode, "mean_response"] == pytest.approx(row["mean"], abs=0.051)
        assert frame.loc[adcode, "level"] == indicator("eldercare.response_seconds").level_of(
            frame.loc[adcode, "mean_response"])
    assert frame["mean_response"].dropna().is_monotonic_decreasing


# ---------------------------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
def test_postgresql_gives_the_same_answers_as_sqlite(demo_env):
    from data.queries import eldercare
    from services import answers_on_both

    yesterday = END - timedelta(days=1)
    views = [ViewState(region="341000", start=date(2026, 11, 18), end=yesterday),
             ViewState(region=COUNTY, start=date(2026, 10, 25), end=yesterday).set_filter("tier", ("street_center",))
             .set_filter("service", ("meal", "medical")).set_filter("call", ("fall",)),
             ViewState(region="341000", start=date(2026, 1, 1), end=yesterday)]
    functions = (eldercare.kpis, eldercare.population_by_region, eldercare.institutions, eldercare.tiers,
                 eldercare.services_by_kind, eldercare.services_trend, eldercare.calls_by_kind, eldercare.calls_trend,
                 eldercare.response_by_region)
    on_sqlite, on_postgres = answers_on_both(demo_env, "eldercare", functions, views)
    for view, lite, pg in zip(views, on_sqlite, on_postgres):
        for fn, a, b in zip(functions, lite, pg):
            assert not a.empty, fn.__name__
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                          obj=f"{fn.__name__} {view.region} {view.filters}")


# ---------------------------------------------------------------------------------- summaries
# Device calls by kind, over time and by region read summary_device_call (data/summaries.py):
# exactly the answers of the raw rows, on both databases. These are the raw rows' sums, read with
# the query layer's own connection, banded by the catalogue thresholds written out here.
def raw_calls(view: ViewState, key: str, counties: list[str] | None = None) -> dict:
    """Calls and Σ response seconds of device_call rows in the view's counties (or these), range
    and call kinds by `key`: 'band' (kind, level), 'day' or 'adcode'."""
    from sqlalchemy import case, func, select

    from data.catalogue import indicator
    from data.models import DeviceCall
    from data.queries.common import as_date, counties_under, date_expression, day_bounds, fetch

    calls = DeviceCall.__table__
    blue, yellow, orange, red = indicator("eldercare.response_seconds").thresholds
    seconds = calls.c.response_seconds
    level = case((seconds >= red, 4), (seconds >= orange, 3), (seconds >= yellow, 2), (seconds >= blue, 1), else_=0)
    keys = {"band": [calls.c.kind, level.label("level")], "day": [date_expression(calls.c.ts).label("day")],
            "adcode": [calls.c.adcode]}[key]
    low, high = day_bounds(view.start, view.end)
    conditions = [calls.c.ts >= low, calls.c.ts < high,
                  calls.c.adcode.in_(counties_under(view.region) if counties is None else counties)]
    if view.filter_values("call"):
        conditions.append(calls.c.kind.in_(view.filter_values("call")))
    rows = fetch(select(*keys, func.count(), func.sum(seconds)).where(*conditions).group_by(*keys))
    if key == "day":
        return {as_date(day): (int(n), int(s)) for day, n, s in rows}
    return {tuple(row[:-2]) if key == "band" else row[0]: (int(row[-2]), int(row[-1])) for row in rows}


def mean_of(calls: int, seconds: int) -> float:
    return float(np.round(seconds / calls, 1))


CALL_VIEWS = [
    ViewState(region="341000", start=date(2026, 1, 1), end=END),  # 本年: months, weeks and days
    ViewState(region=COUNTY, start=date(2026, 1, 1), end=END),
    ViewState(region="341000", start=END - timedelta(days=399), end=END),  # 400 days: weeks
    ViewState(region=COUNTY, start=END - timedelta(days=420), end=END),  # over 400 days: months
    ViewState(region="341000", start=END - timedelta(days=29), end=END),  # 近30天: days
    ViewState(region="341000", start=date(2026, 1, 1), end=END).set_filter("call", ("fall",)),
    ViewState(region=COUNTY, start=date(2026, 2, 11), end=date(2026, 6, 9)).set_filter("call", ("call",)),
]


@pytest.mark.parametrize("backend_name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_device_call_summaries_give_the_answers_of_the_raw_rows(backend_name, demo_env, request):
    from data.catalogue import indicator
    from data.queries import eldercare
    from data.queries.common import bucket_label, counties_under, grain_for
    from data.queries.indicators import ranking_regions

    ind = indicator("eldercare.response_seconds")
    with demo_database(request, backend_name):
        for view in CALL_VIEWS:
            name = f"{view.region} {view.start}…{view.end} {view.filters}"
            # by kind and response level band, with each kind's total and mean
            bands = raw_calls(view, "band")
            frame = eldercare.calls_by_kind(view)
            assert {(row.kind, row.level): (row.calls, row.seconds) for row in frame.itertuples()} == bands, name
            for kind in {kind for kind, _ in bands}:
                calls = sum(n for (k, _), (n, _) in bands.items() if k == kind)
                seconds = sum(s for (k, _), (_, s) in bands.items() if k == kind)
                rows = frame[frame["kind"] == kind]
                assert set(rows["total"]) == {calls} and set(rows["mean_response"]) == {mean_of(calls, seconds)}, name
            # over time: days summed into the buckets of the range's grain
            grain = grain_for(view.start, view.end)
            buckets: dict = {}
            for day, (calls, seconds) in raw_calls(view, "day").items():
                total = buckets.setdefault(day if grain == "day" else bucket_label(day, grain), [0, 0])
                total[0] += calls
                total[1] += seconds
            trend = eldercare.calls_trend(view)
            assert trend.attrs["grain"] == grain, name
            labels = trend["bucket"].dt.date if grain == "day" else trend["bucket"]
            assert list(labels) == sorted(buckets), name
            assert trend["calls"].tolist() == [buckets[b][0] for b in sorted(buckets)], name
            assert trend["mean_response"].tolist() == [mean_of(*buckets[b]) for b in sorted(buckets)], name
            assert trend["level"].tolist() == [ind.level_of(m) for m in trend["mean_response"]], name
            # by region of the ranking
            regions, _ = ranking_regions(view.region, view.scope)
            counties = raw_calls(view, "adcode", [c for region in regions for c in counties_under(region)])
            response = eldercare.response_by_region(view).set_index("adcode")
            assert set(response.index) == set(regions), name
            for region in regions:
                calls = sum(counties.get(c, (0, 0))[0] for c in counties_under(region))
                seconds = sum(counties.get(c, (0, 0))[1] for c in counties_under(region))
                assert response.loc[region, "calls"] == calls, name
                if calls:
                    assert response.loc[region, "mean_response"] == mean_of(calls, seconds), name
