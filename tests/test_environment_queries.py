"""The environment cockpit's queries against plain SQL on the generated demo database, the AQI
method of HJ 633-2012, the catalogue's share of good days, and the same answers from PostgreSQL."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from conftest import DEMO_END
from core.viewstate import ViewState
from services import drop_pg_schema, pg_schema_url

CITY, HUANGSHAN_DISTRICT = "341000", "341003"
WEEK = ViewState(region=CITY, start=date(2026, 11, 15), end=date(2026, 11, 21))
MONTH = ViewState(region=CITY, start=date(2026, 10, 1), end=date(2026, 10, 31))


@pytest.fixture(scope="module")
def db(demo_env):
    from data.db import get_engine

    return get_engine(demo_env["url"])


def sql(db, statement: str, **params) -> pd.DataFrame:
    with db.connect() as conn:
        return pd.read_sql(text(statement), conn, params=params)


def station_ids(db, region: str) -> list[int]:
    where = "" if region == CITY else f"WHERE adcode = '{region}'"
    return sql(db, f"SELECT id FROM air_station {where}")["id"].tolist()


def in_list(ids) -> str:
    return ",".join(str(int(i)) for i in ids)


def next_day(day: date) -> str:
    return str(day + timedelta(days=1))


# ------------------------------------------------------------------------------------- stations
@pytest.mark.parametrize("region", [CITY, HUANGSHAN_DISTRICT])
def test_station_ranking_mean_aqi_good_days_and_levels(db, region):
    from data import aqi
    from data.queries.environment import station_ranking

    view = MONTH.with_region(region)
    frame = station_ranking(view).set_index("station_id")
    expected = sql(db, f"SELECT station_id, AVG(aqi) AS aqi, SUM(aqi <= 100) AS good, COUNT(*) AS days "
                       f"FROM air_daily WHERE station_id IN ({in_list(station_ids(db, region))}) "
                       f"AND day BETWEEN :s AND :e GROUP BY station_id",
                   s=view.start, e=view.end).set_index("station_id")
    assert set(frame.index) == set(expected.index)
    for station, row in expected.iterrows():
        assert frame.loc[station, "value"] == pytest.approx(row["aqi"])
        assert frame.loc[station, "good_days"] == row["good"] and frame.loc[station, "days"] == row["days"]
        assert frame.loc[station, "good_share"] == pytest.approx(row["good"] / row["days"] * 100)
        entry = aqi.LEVELS[aqi.level(row["aqi"]) - 1]
        assert (frame.loc[station, "aqi_level"], frame.loc[station, "colour"], frame.loc[station, "level_name"]) == \
               (entry.level, entry.colour, entry.name_zh)
    assert list(frame["value"]) == sorted(frame["value"], reverse=True)  # worst first


def test_a_pollutant_ranks_the_stations_by_its_concentration_and_iaqi(db):
    from data import aqi
    from data.queries.environment import station_ranking

    frame = station_ranking(MONTH.set_filter("pollutant", ("o3",))).set_index("station_id")
    expected = sql(db, "SELECT station_id, AVG(o3_8h) AS o3 FROM air_daily WHERE day BETWEEN :s AND :e "
                       "GROUP BY station_id", s=MONTH.start, e=MONTH.end).set_index("station_id")["o3"]
    for station, o3 in expected.items():
        assert frame.loc[station, "value"] == pytest.approx(o3)  # daily ozone is the max 8-hour mean
        assert frame.loc[station, "aqi_level"] == aqi.level(aqi.iaqi("o3", o3, "daily"))
    assert set(frame["measure"]) == {"o3"}


def test_latest_reading_of_each_station_with_its_level_in_words(db):
    from data import aqi
    from data.queries.environment import latest_readings

    frame = latest_readings(WEEK).set_index("station_id")
    expected = sql(db, "SELECT h.station_id, h.ts, h.aqi, h.primary_pollutant, h.pm25 FROM air_hourly h JOIN "
                       "(SELECT station_id, MAX(ts) AS ts FROM air_hourly WHERE ts >= :s AND ts < :e "
                       "GROUP BY station_id) m ON m.station_id = h.station_id AND m.ts = h.ts",
                   s=str(WEEK.start), e=next_day(WEEK.end)).set_index("station_id")
    assert set(frame.index) == set(expected.index)
    for station, row in expected.iterrows():
        assert frame.loc[station, "ts"] == pd.Timestamp(row["ts"])
        assert frame.loc[station, "aqi"] == row["aqi"] and frame.loc[station, "pm25"] == pytest.approx(row["pm25"])
        assert frame.loc[station, "level_name"] == aqi.LEVELS[aqi.level(row["aqi"]) - 1].name_zh
        # the stored AQI is the national method's: its level matches the label a reader sees
        assert frame.loc[station, "colour"] == aqi.LEVELS[aqi.level(row["aqi"]) - 1].colour


def test_air_trend_is_hourly_for_a_week_and_daily_beyond(db):
    from data.queries.environment import air_trend

    hourly = air_trend(WEEK)
    assert hourly.attrs["grain"] == "hour" and set(hourly["series"]) == {"all"}
    expected = sql(db, "SELECT ts, AVG(aqi) AS v FROM air_hourly WHERE ts >= :s AND ts < :e GROUP BY ts",
                   s=str(WEEK.start), e=next_day(WEEK.end))
    assert len(hourly) == len(expected) == 7 * 24
    assert list(hourly["value"]) == pytest.approx(list(expected.sort_values("ts")["v"]))

    chosen = air_trend(WEEK.set_filter("station", ("1", "4")).set_filter("pollutant", ("no2",)))
    assert set(chosen["series"]) == {"1", "4"} and chosen.attrs["measure"] == "no2"
    rows = sql(db, "SELECT station_id, ts, no2 FROM air_hourly WHERE station_id IN (1, 4) AND ts >= :s AND ts < :e "
                   "ORDER BY station_id, ts", s=str(WEEK.start), e=next_day(WEEK.end))
    assert list(chosen["value"]) == pytest.approx(list(rows["no2"]))

    daily = air_trend(MONTH.set_filter("pollutant", ("o3",)))
    assert daily.attrs["grain"] == "day" and len(daily) == 31
    means = sql(db, "SELECT day, AVG(o3_8h) AS v FROM air_daily WHERE day BETWEEN :s AND :e GROUP BY day "
                    "ORDER BY day", s=MONTH.start, e=MONTH.end)
    assert list(daily["value"]) == pytest.approx(list(means["v"]))


def test_station_by_hour_grid_of_the_last_day(db):
    from data.queries.environment import station_hours

    frame = station_hours(WEEK.set_filter("pollutant", ("pm25",)))
    expected = sql(db, "SELECT station_id, ts, pm25 FROM air_hourly WHERE ts >= :s AND ts < :e "
                       "ORDER BY station_id, ts", s=str(WEEK.end), e=next_day(WEEK.end))
    assert len(frame) == len(expected) == len(station_ids(db, CITY)) * 24
    assert list(frame["value"]) == pytest.approx(list(expected["pm25"]))
    assert list(frame["hour"][:24]) == list(range(24))


# ------------------------------------------------------------------------------------- pollutants
def test_six_pollutants_means_iaqi_exceedances_and_primary_days(db):
    from data import aqi
    from data.queries.environment import pollutant_summary

    view = MONTH.set_filter("station", ("1", "2"))
    frame = pollutant_summary(view).set_index("pollutant")
    assert list(frame.index) == ["pm25", "pm10", "o3", "no2", "so2", "co"]
    rows = sql(db, "SELECT * FROM air_daily WHERE station_id IN (1, 2) AND day BETWEEN :s AND :e",
               s=MONTH.start, e=MONTH.end)
    for pollutant, column in (("pm25", "pm25"), ("pm10", "pm10"), ("o3", "o3_8h"), ("no2", "no2"),
                              ("so2", "so2"), ("co", "co")):
        mean = rows[column].mean()
        assert frame.loc[pollutant, "concentration"] == pytest.approx(mean)
        assert frame.loc[pollutant, "iaqi"] == aqi.iaqi(pollutant, mean, "daily")
        grade_two = aqi.BREAKPOINTS["daily"][pollutant][2]
        assert frame.loc[pollutant, "exceed_days"] == (rows[column] > grade_two).sum()
        named = rows["primary_pollutant"].str.split(",").apply(lambda names: pollutant in names)
        assert frame.loc[pollutant, "primary_days"] == named.sum()
    assert (frame["station_days"] == len(rows)).all()


@pytest.mark.parametrize("region", [CITY, HUANGSHAN_DISTRICT])
def test_days_at_each_level_and_the_catalogue_share_of_good_days(db, region):
    from data import aqi
    from data.queries.environment import aqi_level_days
    from data.queries.indicators import kpis

    view = MONTH.with_region(region)
    frame = aqi_level_days(view).set_index("level")
    rows = sql(db, f"SELECT aqi FROM air_daily WHERE station_id IN ({in_list(station_ids(db, region))}) "
                   f"AND day BETWEEN :s AND :e", s=view.start, e=view.end)
    counts = rows["aqi"].map(aqi.level).value_counts()
    for level in range(1, 7):
        assert frame.loc[level, "days"] == counts.get(level, 0)
    assert frame["label"].tolist()[:2] == ["一级 优", "二级 良"]
    good = frame.loc[[1, 2], "share"].sum()
    assert good == pytest.approx(kpis(view, ("env.good_days",)).iloc[0]["value"])  # 优良天数比例


# ------------------------------------------------------------------------------------- water
def test_water_sections_monthly_grade_against_target(db):
    from data.queries.environment import water_grades
    from data.queries.indicators import kpis

    frame = water_grades(WEEK)
    months = sorted(frame["month"].unique())
    assert months[0] == "2025-12" and months[-1] == "2026-11" and len(months) == 12  # at least a year
    expected = sql(db, "SELECT s.id, s.target_grade, w.month, w.grade FROM water_section s JOIN water_monthly w "
                       "ON w.section_id = s.id WHERE w.month BETWEEN '2025-12-01' AND '2026-11-01'")
    expected["month"] = pd.to_datetime(expected["month"]).dt.strftime("%Y-%m")
    merged = frame.merge(expected, left_on=["section_id", "month"], right_on=["id", "month"], suffixes=("", "_sql"))
    assert len(merged) == len(frame) == len(expected)
    assert (merged["grade"] == merged["grade_sql"]).all()
    assert (frame["meets"] == (frame["grade"] <= frame["target_grade"])).all()
    assert set(frame["grade_label"]) <= {"I", "II", "III", "IV", "V", "劣V"}
    # the month's share of sections meeting their target is the catalogue's attainment rate
    october = frame[frame["month"] == "2026-10"]
    attainment = kpis(MONTH, ("env.water_attainment",)).iloc[0]["value"]
    assert october["meets"].mean() * 100 == pytest.approx(attainment)


# ------------------------------------------------------------------------------------- sources
@pytest.mark.parametrize("view", [
    MONTH,  # one whole month of summary_source_day
    ViewState(region=CITY, start=date(2026, 1, 1), end=DEMO_END),  # 本年: months, weeks and days
    ViewState(region=HUANGSHAN_DISTRICT, start=date(2026, 2, 11), end=date(2026, 6, 3)),  # cut mid-week
    WEEK,
], ids=["month", "year", "county", "week"])
def test_key_sources_exceedances_and_online_rate(db, view):
    """The summary's pieces give what the daily rows give: exceedances, and online hours over the
    hours each day had (the most hours any key source was online that day)."""
    from data.queries.environment import source_status

    frame = source_status(view, limit=10_000).set_index("source_id")
    rows = sql(db, "SELECT source_id, day, online_hours, exceedances FROM pollution_source_daily "
                   "WHERE day BETWEEN :s AND :e", s=view.start, e=view.end)
    day_length = rows.groupby("day")["online_hours"].max()
    rows["expected"] = rows["day"].map(day_length)
    in_region = set(sql(db, "SELECT id FROM pollution_source WHERE adcode IN ("
                            + ",".join(f"'{c}'" for c in counties(view.region)) + ")")["id"])
    sums = rows[rows["source_id"].isin(in_region)].groupby("source_id")[["online_hours", "exceedances", "expected"]].sum()
    assert len(sums) > 0 and set(frame.index) == set(sums.index)
    for source, row in sums.iterrows():
        assert frame.loc[source, "exceedances"] == row["exceedances"]
        assert frame.loc[source, "online_hours"] == pytest.approx(row["online_hours"])
        assert frame.loc[source, "online_rate"] == pytest.approx(row["online_hours"] / row["expected"] * 100)
    ordered = list(zip(-frame["exceedances"], frame["online_rate"]))
    assert ordered == sorted(ordered)  # most exceedances first, then the least online
    assert len(source_status(view, limit=3)) == min(3, len(frame))


def counties(region: str) -> list[str]:
    from data.queries.common import counties_under

    return counties_under(region)


# ------------------------------------------------------------------------------------- PostgreSQL
@contextmanager
def database(url: str):
    """Point the query layer at another database for a while."""
    from core.settings import get_settings, override_settings
    from data.db import dispose_engines

    before = get_settings().database_url
    override_settings(database_url=url)
    try:
        yield
    finally:
        override_settings(database_url=before)
        dispose_engines()


def test_the_same_answers_from_postgresql(tmp_path, demo_env):
    from data.generator import generate
    from data.queries import environment

    pg_url, schema = pg_schema_url("environment")
    try:
        lite_url = f"sqlite:///{tmp_path / 'small.db'}"
        for url in (lite_url, pg_url):
            generate(url, scale=0.2, days=40, end=DEMO_END, seed=11)
        week = ViewState(region=CITY, start=DEMO_END - timedelta(days=7), end=DEMO_END - timedelta(days=1))
        month = ViewState(region=CITY, start=DEMO_END - timedelta(days=30), end=DEMO_END - timedelta(days=1))
        queries = {
            "ranking": lambda: environment.station_ranking(month.set_filter("pollutant", ("pm25",))),
            "latest": lambda: environment.latest_readings(week),
            "hourly": lambda: environment.air_trend(week.set_filter("station", ("2",))),
            "daily": lambda: environment.air_trend(month),
            "grid": lambda: environment.station_hours(week),
            "pollutants": lambda: environment.pollutant_summary(month),
            "levels": lambda: environment.aqi_level_days(month.with_region(HUANGSHAN_DISTRICT)),
            "water": lambda: environment.water_grades(month),
            "sources": lambda: environment.source_status(month),
        }
        answers = {}
        for url in (lite_url, pg_url):
            with database(url):
                answers[url] = {name: query() for name, query in queries.items()}
        for name in queries:
            lite, pg = answers[lite_url][name], answers[pg_url][name]
            pd.testing.assert_frame_equal(lite.reset_index(drop=True), pg.reset_index(drop=True), check_dtype=False,
                                          obj=name)
    finally:
        drop_pg_schema(schema)
