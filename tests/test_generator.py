"""The demo-data generator: determinism, realistic magnitudes, holidays, geography, reconciliation,
cross-table consistency, live mode, other regions, PostgreSQL."""
import hashlib
import os
import re
import time
import uuid
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import create_engine, text

from data.aggregation import rollup_frame
from data.aqi import aqi_frame
from data.catalogue import catalogue
from data.db import dispose_engines, get_engine
from data.generate import main as cli
from data.generator import (HOLIDAYS, data_today, generate, holiday_of, holidays_between, is_workday,
                            live_tick, run_live)
from data.generator.reference import read_reference
from data.regions import region_tree

END = date(2025, 10, 10)  # 400 days back reach over two National Day golden weeks
CITY = "341000"
POINT_TABLES = ("scenic_spot", "air_station", "water_section", "pollution_source", "road_segment", "parking_lot",
                "care_institution", "hazard_source", "incident", "device_call")
REGION_DAY = [code for code, ind in catalogue().items() if ind.grain == "region_day"]


def read(url: str, sql: str, **params) -> pd.DataFrame:
    with get_engine(url).connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


def region_daily(url: str) -> pd.DataFrame:
    frame = read(url, "SELECT * FROM region_daily")
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def county_grid(url: str, indicator: str, column: str = "value") -> pd.Series:
    rows = read(url, "SELECT adcode, day, value, numerator, denominator, weight FROM region_daily "
                     "WHERE indicator = :code AND adcode <> :city", code=indicator, city=CITY)
    rows["day"] = pd.to_datetime(rows["day"]).dt.date
    return rows.set_index(["adcode", "day"])[column].sort_index()


def table_digest(url: str, table: str, order: str) -> str:
    """A fingerprint of a table's rows, the same for equal rows in SQLite and PostgreSQL."""
    frame = read(url, f"SELECT * FROM {table} ORDER BY {order}")
    for column in frame.columns:
        if "ts" == column or column.endswith("_at") or column in ("day", "month"):
            frame[column] = pd.to_datetime(frame[column]).astype(str)
        elif frame[column].dtype == bool:  # SQLite hands booleans back as 0/1
            frame[column] = frame[column].astype(int)
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


@pytest.fixture(scope="module")
def huangshan(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('generator') / 'huangshan.db'}"
    report = generate(url, scale=0.2, days=400, end=END)
    yield url, report
    dispose_engines()


@pytest.fixture
def sqlite_url(tmp_path):
    yield f"sqlite:///{tmp_path / 'demo.db'}"
    dispose_engines()


@pytest.fixture
def postgres_url():
    base = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    schema = f"test_generator_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # noqa: BLE001 — any connection failure means "no PostgreSQL here"
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required in CI: {exc}")
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not available: {exc}")
    yield f"{base}?options=-csearch_path%3D{schema}"
    dispose_engines()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


# ------------------------------------------------------------------------------ the small mode
def test_small_mode_fills_every_table(huangshan):
    # (how long generation takes is measured by bench/bench_queries.py, not asserted here)
    url, report = huangshan
    assert (report.first_day, report.last_day) == (END - timedelta(days=399), END)
    empty = [table for table, rows in report.rows.items() if rows == 0 and table != "warning_state"]
    assert empty == [] and report.rows["summary_incident"] > 0  # the summaries too (data/summaries.py)
    meta = dict(read(url, "SELECT key, value FROM data_meta").values)
    assert meta["last_day"] == END.isoformat() and meta["root"] == CITY and meta["version"] == "1"
    assert data_today(url) == END


def test_same_seed_same_rows_and_another_seed_other_rows(tmp_path):
    urls = [f"sqlite:///{tmp_path / name}.db" for name in ("a", "b", "c")]
    for url, seed in zip(urls, (7, 7, 8)):
        generate(url, scale=0.2, days=12, end=END, seed=seed)
    tables = {"spot_hourly": "spot_id, ts", "incident": "id", "region_daily": "indicator, adcode, day",
              "road_hourly": "segment_id, ts", "visitor_origin_daily": "adcode, day, origin_province, origin_city"}
    digests = [{t: table_digest(url, t, order) for t, order in tables.items()} for url in urls]
    dispose_engines()
    assert digests[0] == digests[1]
    assert all(digests[0][t] != digests[2][t] for t in ("spot_hourly", "incident", "region_daily"))


# ------------------------------------------------------------------------------ realism
def test_huangshan_magnitudes(huangshan):
    url, _ = huangshan
    city = region_daily(url).query("adcode == @CITY").pivot(index="day", columns="indicator", values="value")
    last_year = city[city.index > END - timedelta(days=365)]
    assert 50e6 < last_year["tourism.visitors"].sum() < 120e6  # about 7.4 千万 visitor-trips a year
    assert 400 < last_year["tourism.revenue"].sum() / 10_000 < 1_200  # about 700 亿元
    regions = read(url, "SELECT adcode, population FROM region").set_index("adcode")["population"]
    assert 1.2e6 < regions[CITY] < 1.4e6
    # 200 incidents a day at scale 1 (generated here at scale 0.2).
    assert 150 < city["safety.incidents"].mean() / 0.2 < 260
    assert 24 < city["eldercare.ageing_rate"].mean() < 31
    assert 90 < city["env.good_days"].mean() <= 100
    spots = read(url, "SELECT name, capacity FROM scenic_spot").set_index("name")["capacity"]
    assert spots["黄山风景区"] == 50_000 and {"宏村", "西递", "唐模", "塔川", "新安江山水画廊"} <= set(spots.index)


def test_golden_week_fills_the_spots_and_jams_the_scenic_roads(huangshan):
    url, _ = huangshan
    load = read(url, "SELECT s.name, substr(h.ts, 1, 10) AS day, SUM(h.arrivals) * 1.0 / s.capacity AS load "
                     "FROM spot_hourly h JOIN scenic_spot s ON s.id = h.spot_id GROUP BY s.name, day")
    load["day"] = pd.to_datetime(load["day"]).dt.date
    golden = load[load["day"].map(lambda d: holiday_of(d) == "national_day" and d.year == 2025)]
    assert golden.groupby("name")["load"].max()["黄山风景区"] >= 0.9
    assert (golden.groupby("name")["load"].max() >= 1.0).sum() >= 3  # crowd warnings (100 %) occur
    ordinary = load[load["day"].map(lambda d: d.year == 2025 and d.month == 9 and is_workday(d))]
    assert ordinary["load"].max() < 0.8

    city = region_daily(url).query("adcode == @CITY and indicator == 'tourism.visitors'").set_index("day")["value"]
    september = city[[d for d in city.index if d.year == 2025 and d.month == 9 and is_workday(d)]]
    assert city[date(2025, 10, 3)] > 2.5 * september.median()

    roads = read(url, "SELECT s.kind, substr(r.ts, 1, 10) AS day, MAX(r.congestion_index) AS worst "
                      "FROM road_hourly r JOIN road_segment s ON s.id = r.segment_id GROUP BY s.kind, day")
    scenic = roads[roads["kind"] == "scenic"].set_index("day")["worst"]
    assert scenic["2025-10-03"] >= 3.0 and scenic["2025-09-17"] < 2.5


def test_weather_and_season_show_in_the_air(huangshan):
    url, _ = huangshan
    daily = read(url, "SELECT day, aqi FROM air_daily")
    month = pd.to_datetime(daily["day"]).dt.month
    winter = daily[month.isin((12, 1))]
    assert (winter["aqi"] >= 150).any()  # a winter haze episode
    assert daily.loc[month.isin((7, 8)), "aqi"].mean() < winter["aqi"].mean()
    ozone = read(url, "SELECT CAST(substr(ts, 12, 2) AS INTEGER) AS hour, AVG(o3) AS o3 FROM air_hourly "
                      "WHERE substr(ts, 6, 2) IN ('06', '07', '08') GROUP BY hour").set_index("hour")["o3"]
    assert 13 <= ozone.idxmax() <= 16 and ozone.max() > 2 * ozone.min()  # summer afternoon ozone


def test_air_quality_index_follows_the_national_method(huangshan):
    url, _ = huangshan
    daily = read(url, "SELECT * FROM air_daily")
    aqi, primary = aqi_frame(daily, "daily")
    assert (aqi.to_numpy() == daily["aqi"].to_numpy()).all()
    assert (primary.to_numpy() == daily["primary_pollutant"].to_numpy()).all()


# ------------------------------------------------------------------------------ calendar
def test_holiday_calendar():
    assert holiday_of(date(2024, 10, 3)) == "national_day"
    assert holiday_of(date(2023, 9, 29)) == "national_day"  # 中秋 and 国庆 combined in 2023
    assert holiday_of(date(2025, 1, 28)) == "spring_festival"
    assert holiday_of(date(2026, 2, 23)) == "spring_festival"
    assert holiday_of(date(2024, 10, 8)) is None and holiday_of(date(2024, 6, 10)) == "dragon_boat"
    assert is_workday(date(2024, 9, 29)) and not is_workday(date(2024, 10, 2))  # a make-up Sunday
    ordered = sorted(HOLIDAYS, key=lambda h: h.start)
    assert all(a.end < b.start for a, b in zip(ordered, ordered[1:]))
    for year in range(2023, 2028):
        keys = {h.key for h in HOLIDAYS if h.start.year == year or h.end.year == year and h.key != "new_year"}
        assert {"spring_festival", "qingming", "labour_day", "dragon_boat", "national_day"} <= keys
    golden = [h for h in holidays_between(date(2025, 1, 1), date(2025, 12, 31)) if h.golden_week]
    assert [h.name_zh for h in golden] == ["春节", "中秋节、国庆节"] and golden[1].days == 8


# ------------------------------------------------------------------------------ geography
@pytest.mark.parametrize("table", POINT_TABLES)
def test_every_point_entity_lies_inside_its_county(huangshan, table):
    url, _ = huangshan
    points = read(url, f"SELECT adcode, lat, lon FROM {table}")
    assert not points.empty
    tree = region_tree(CITY)
    for adcode, group in points.groupby("adcode"):
        assert tree.get(adcode).level == "county"
        inside = shapely.contains_xy(tree.shape(adcode), group["lon"].to_numpy(), group["lat"].to_numpy())
        assert inside.all(), f"{table}: {int((~inside).sum())} point(s) outside {adcode}"


# ------------------------------------------------------------------------------ reconciliation
def assert_reconciled(rows: pd.DataFrame, parent: str, children: list[str]) -> None:
    """Every indicator of `parent` equals the roll-up of its children, day by day."""
    cat = catalogue()
    for code in REGION_DAY:
        mine = rows[rows["indicator"] == code]
        kids = mine[mine["adcode"].isin(children)].assign(parent=parent)
        assert kids["day"].nunique() * len(children) == len(kids), f"{code}: a child-day is missing"
        expected = rollup_frame(cat[code], kids, by=["parent", "day"]).set_index("day")
        stored = mine[mine["adcode"] == parent].set_index("day").loc[expected.index]
        assert np.allclose(stored["value"], expected["value"].astype(float), rtol=1e-9, atol=1e-9), code
        for column in ("numerator", "denominator", "weight"):
            if expected[column].notna().any():
                assert np.allclose(stored[column], expected[column].astype(float)), f"{code} {column}"


def test_city_rows_are_the_roll_up_of_their_counties(huangshan):
    url, _ = huangshan
    rows = region_daily(url)
    counties = [c.adcode for c in region_tree(CITY).counties()]
    assert set(rows["indicator"]) == set(REGION_DAY)
    assert_reconciled(rows, CITY, counties)


# ------------------------------------------------------------------------------ cross-table consistency
def day_counts(frame: pd.DataFrame, column: str, value: str | None = None) -> pd.Series:
    day = pd.to_datetime(frame[column]).dt.date
    grouped = frame.assign(day=day).groupby(["adcode", "day"])
    return (grouped.size() if value is None else grouped[value].sum()).astype(float)


def assert_matches(expected: pd.Series, stored: pd.Series) -> None:
    expected = expected.reindex(stored.index, fill_value=0.0)
    assert np.allclose(stored.to_numpy(dtype=float), expected.to_numpy(dtype=float)), \
        (stored - expected)[~np.isclose(stored, expected)].head()


def test_incident_counts_agree_with_incident_rows(huangshan):
    url, _ = huangshan
    incidents = read(url, "SELECT adcode, theme, type_code, reported_at, closed_at, overdue FROM incident")
    assert_matches(day_counts(incidents, "reported_at"), county_grid(url, "safety.incidents"))
    assert_matches(day_counts(incidents[incidents["type_code"] == "traffic.accident"], "reported_at"),
                   county_grid(url, "traffic.accidents"))
    assert_matches(day_counts(incidents[incidents["theme"] == "tourism"], "reported_at"),
                   county_grid(url, "tourism.complaints"))
    closed = incidents[incidents["closed_at"].notna()]
    assert_matches(day_counts(closed, "closed_at"), county_grid(url, "safety.ontime_rate", "denominator"))
    assert_matches(day_counts(closed[closed["overdue"] == 0], "closed_at"),
                   county_grid(url, "safety.ontime_rate", "numerator"))


def test_visitors_air_sources_and_care_agree_with_their_tables(huangshan):
    url, _ = huangshan
    visitors = county_grid(url, "tourism.visitors")
    spots = read(url, "SELECT s.adcode, h.ts, h.arrivals FROM spot_hourly h JOIN scenic_spot s ON s.id = h.spot_id")
    arrivals = day_counts(spots, "ts", "arrivals").reindex(visitors.index, fill_value=0)
    assert (visitors >= arrivals).all() and (visitors > arrivals).mean() > 0.99
    origins = read(url, "SELECT adcode, day, visitors FROM visitor_origin_daily")
    assert_matches(day_counts(origins, "day", "visitors"), visitors)
    profile = read(url, "SELECT adcode, day, visitors FROM visitor_profile_daily WHERE dimension = 'age'")
    assert_matches(day_counts(profile, "day", "visitors"), visitors)

    air = read(url, "SELECT s.adcode, d.day, d.aqi FROM air_daily d JOIN air_station s ON s.id = d.station_id")
    air["day"] = pd.to_datetime(air["day"]).dt.date
    by_county = air.groupby(["adcode", "day"])["aqi"]
    assert_matches(by_county.mean().round(1), county_grid(url, "env.aqi"))
    assert_matches((air.assign(good=air["aqi"] <= 100)).groupby(["adcode", "day"])["good"].sum().astype(float),
                   county_grid(url, "env.good_days", "numerator"))
    assert_matches(by_county.size().astype(float), county_grid(url, "env.good_days", "denominator"))

    sources = read(url, "SELECT s.adcode, d.day, d.online_hours, d.exceedances FROM pollution_source_daily d "
                        "JOIN pollution_source s ON s.id = d.source_id")
    assert_matches(day_counts(sources, "day", "online_hours"), county_grid(url, "env.source_online_rate", "numerator"))
    assert_matches(day_counts(sources, "day", "exceedances"), county_grid(url, "env.source_exceedances"))

    calls = read(url, "SELECT adcode, ts, response_seconds FROM device_call")
    assert_matches(day_counts(calls, "ts"), county_grid(url, "eldercare.device_calls"))
    response = county_grid(url, "eldercare.response_seconds")
    weight = county_grid(url, "eldercare.response_seconds", "weight")
    seconds = day_counts(calls, "ts", "response_seconds").reindex(response.index, fill_value=0)
    with_calls = weight > 0
    assert np.allclose(response[with_calls] * weight[with_calls], seconds[with_calls], atol=0.05 * weight.max())
    care = read(url, "SELECT adcode, day, services FROM home_care_daily")
    assert_matches(day_counts(care, "day", "services"), county_grid(url, "eldercare.services"))


def test_traffic_water_and_population_agree_with_their_tables(huangshan):
    url, _ = huangshan
    roads = read(url, "SELECT s.adcode, r.ts, r.congestion_index, r.volume FROM road_hourly r "
                      "JOIN road_segment s ON s.id = r.segment_id")
    roads["weighted"] = roads["congestion_index"] * roads["volume"]
    volume = day_counts(roads, "ts", "volume")
    assert_matches(volume, county_grid(url, "traffic.congestion", "weight"))
    congestion = county_grid(url, "traffic.congestion")
    assert np.allclose(congestion, (day_counts(roads, "ts", "weighted") / volume).reindex(congestion.index),
                       atol=1e-3)

    parking = read(url, "SELECT l.adcode, q.ts, q.occupied, l.spaces FROM parking_quarter q "
                        "JOIN parking_lot l ON l.id = q.lot_id")
    occupied = day_counts(parking, "ts", "occupied")
    stored = county_grid(url, "traffic.parking_occupancy", "numerator").loc[occupied.index]
    assert_matches(occupied, stored)
    assert_matches(day_counts(parking, "ts", "spaces"),
                   county_grid(url, "traffic.parking_occupancy", "denominator").loc[occupied.index])
    hot_days = pd.to_datetime(parking["ts"]).dt.date.nunique()
    assert hot_days == 90  # the hot store keeps 90 days of quarter-hours, region_daily all 400

    water = read(url, "SELECT s.adcode, w.month, w.grade <= s.target_grade AS meets FROM water_monthly w "
                      "JOIN water_section s ON s.id = w.section_id")
    water["month"] = pd.to_datetime(water["month"]).dt.strftime("%Y-%m")
    attainment = county_grid(url, "env.water_attainment", "numerator")
    months = pd.Series([d.strftime("%Y-%m") for _, d in attainment.index], index=attainment.index)
    meets = water.groupby(["adcode", "month"])["meets"].sum()
    assert (attainment.to_numpy() == [meets[(a, m)] for (a, _), m in zip(attainment.index, months)]).all()

    elderly = read(url, "SELECT adcode, year, population, aged_60 FROM elderly_population").set_index(["adcode", "year"])
    ageing = county_grid(url, "eldercare.ageing_rate", "numerator")
    assert all(ageing[(a, d)] == elderly.loc[(a, d.year), "aged_60"] for a, d in ageing.index[::50])
    homes = read(url, "SELECT adcode, SUM(beds) AS beds, SUM(occupied) AS occupied FROM care_institution "
                      "GROUP BY adcode").set_index("adcode")
    occupancy = county_grid(url, "eldercare.bed_occupancy", "numerator")
    assert all(occupancy[(a, d)] == homes.loc[a, "occupied"] for a, d in occupancy.index[::50])
    tiers = read(url, "SELECT adcode, tier, COUNT(*) AS n FROM care_institution GROUP BY adcode, tier")
    assert (tiers[tiers["tier"] == "county_center"]["n"] == 1).all() and tiers["tier"].nunique() == 4


# ------------------------------------------------------------------------------ incidents
def test_incidents_follow_their_closed_loop(huangshan):
    url, _ = huangshan
    incidents = read(url, "SELECT * FROM incident")
    steps = ["reported_at", "accepted_at", "dispatched_at", "handled_at", "closed_at", "visited_at"]
    times = incidents[steps].apply(pd.to_datetime)
    reached = times.notna().sum(axis=1)
    names = np.array(["reported", "accepted", "dispatched", "handled", "closed", "visited"])
    assert (incidents["status"].to_numpy() == names[reached - 1]).all()
    assert (times.notna().cummin(axis=1) == times.notna()).all().all()  # no step skipped
    assert (times.diff(axis=1).iloc[:, 1:].fillna(pd.Timedelta(0)) >= pd.Timedelta(0)).all().all()
    deadline = pd.to_datetime(incidents["deadline_at"])
    cutoff = datetime.combine(END, datetime.max.time()).replace(microsecond=0)
    closed = times["closed_at"].notna()
    late = np.where(closed, times["closed_at"] > deadline, deadline < cutoff)
    assert (incidents["overdue"].astype(bool).to_numpy() == late).all()
    assert 0.03 < (closed & incidents["overdue"].astype(bool)).sum() / closed.sum() < 0.10
    still_open = ~closed & incidents["overdue"].astype(bool)
    assert still_open.sum() > 0 and (~closed & ~incidents["overdue"].astype(bool)).sum() > 0
    severity = incidents["severity"].value_counts(normalize=True)
    assert severity[4] > 0.9 and severity.get(1, 0) + severity.get(2, 0) < 0.005
    people = incidents[incidents["source"] != "sensor"]
    assert people["reporter_phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert people["reporter_name"].str.len().between(2, 3).all()
    names_of = read(url, "SELECT adcode, name FROM region").set_index("adcode")["name"]
    assert all(a.startswith(names_of[c]) for a, c in zip(incidents["address"], incidents["adcode"]))
    types = read(url, "SELECT code, theme FROM incident_type")
    assert {"safety", "traffic", "tourism", "environment", "governance"} == set(types["theme"])
    assert set(incidents["type_code"]) <= set(types["code"])
    assert incidents["code"].str.fullmatch(r"SJ\d{13}").all() and incidents["code"].is_unique


# ------------------------------------------------------------------------------ plan
def test_plan_targets_and_actuals(huangshan):
    url, _ = huangshan
    targets = read(url, "SELECT * FROM plan_target")
    reference = read_reference("plan_indicators.csv")
    assert len(targets) == (reference["region_adcode"] == CITY).sum()
    actual = read(url, "SELECT * FROM plan_actual")
    assert sorted(actual["year"].unique()) == list(range(2021, END.year + 1))
    numeric = set(targets.dropna(subset=["target_value"])["indicator"])
    assert set(actual["indicator"]) == numeric
    online = actual[actual["indicator"] == "政务服务事项全程网办率"].set_index("year")["value"]
    assert online.is_monotonic_increasing and online[2025] < 95  # a little behind the 2025 target


# ------------------------------------------------------------------------------ live mode
def test_live_ticks_append_readings_and_agree_with_a_batch_run(tmp_path):
    live_url = f"sqlite:///{tmp_path / 'live.db'}"
    batch_url = f"sqlite:///{tmp_path / 'batch.db'}"
    day = date(2025, 10, 2)
    generate(live_url, scale=0.2, days=30, end=day)
    first = live_tick(live_url, now=datetime(2025, 10, 3, 10, 17))
    assert first["version"] == 2 and first["rows"]["spot_hourly"] > 0 and first["rows"]["incident"] > 0
    assert live_tick(live_url, now=datetime(2025, 10, 3, 10, 17))["rows"] == {}  # nothing new yet
    later = live_tick(live_url, now=datetime(2025, 10, 3, 16, 2))
    assert later["version"] == 3 and later["rows"]["incident_updated"] > 0
    meta = dict(read(live_url, "SELECT key, value FROM data_meta").values)
    assert (meta["version"], meta["updated_at"], meta["last_day"]) == ("3", "2025-10-03T16:02:00", "2025-10-03")
    assert read(live_url, "SELECT MAX(ts) AS ts FROM spot_hourly")["ts"][0].startswith("2025-10-03 16:00:00")

    # A batch run through the next day holds the same readings up to the tick's time.
    generate(batch_url, scale=0.2, days=31, end=day + timedelta(days=1))
    cutoff = "2025-10-03 16:02:00"
    for table, order in (("spot_hourly", "spot_id, ts"), ("road_hourly", "segment_id, ts"),
                         ("air_hourly", "station_id, ts"), ("device_call", "id")):
        query = f"SELECT * FROM {table} WHERE ts <= '{cutoff}' ORDER BY {order}"
        pd.testing.assert_frame_equal(read(live_url, query), read(batch_url, query))
    incidents = [read(url, f"SELECT * FROM incident WHERE reported_at <= '{cutoff}' ORDER BY id")
                 for url in (live_url, batch_url)]
    assert list(incidents[0]["id"]) == list(incidents[1]["id"])
    for column in ("accepted_at", "dispatched_at", "handled_at", "closed_at", "visited_at"):
        batch = incidents[1][column].where(incidents[1][column] <= cutoff)
        assert (incidents[0][column].fillna("") == batch.fillna("")).all(), column
    before = "SELECT * FROM region_daily WHERE day < '2025-10-03' ORDER BY indicator, adcode, day"
    pd.testing.assert_frame_equal(read(live_url, before), read(batch_url, before))

    from data.summaries import check_summaries

    assert check_summaries(live_url) == []  # the summaries of the days the ticks changed followed
    rows = region_daily(live_url)
    today = rows[rows["day"] == date(2025, 10, 3)]
    assert_reconciled(today, CITY, [c.adcode for c in region_tree(CITY).counties()])
    so_far = today.query("adcode == @CITY and indicator == 'tourism.visitors'")["value"].iloc[0]
    next_day = day + timedelta(days=1)
    full = region_daily(batch_url).query("adcode == @CITY and indicator == 'tourism.visitors' and "
                                         "day == @next_day")["value"].iloc[0]
    assert 0.3 * full < so_far < full
    dispose_engines()


def test_run_live_keeps_data_generated_up_to_now_moving(sqlite_url):
    assert data_today(sqlite_url) == date.today()  # nothing generated yet
    started = datetime.now().replace(microsecond=0)
    generate(sqlite_url, scale=0.2, days=2)  # no end: history up to this moment
    meta = dict(read(sqlite_url, "SELECT key, value FROM data_meta").values)
    assert started <= datetime.fromisoformat(meta["updated_at"]) <= datetime.now()
    assert read(sqlite_url, "SELECT MAX(reported_at) AS t FROM incident")["t"][0] <= meta["updated_at"].replace("T", " ")
    time.sleep(1.1)  # readings carry whole seconds: let the clock move past the generated ones
    run_live(sqlite_url, interval_seconds=1.1, stop_after=2)
    after = dict(read(sqlite_url, "SELECT key, value FROM data_meta").values)
    assert after["version"] == "3" and after["updated_at"] > meta["updated_at"]


# ------------------------------------------------------------------------------ other regions
def test_another_city_gets_generic_entities_and_its_plan(sqlite_url):
    report = generate(sqlite_url, scale=0.2, days=10, end=END, root="341500")
    tree = region_tree("341500")
    counties = [c.adcode for c in tree.counties()]
    regions = read(sqlite_url, "SELECT adcode, level, population FROM region").set_index("adcode")
    assert regions.loc["341500", "level"] == "city" and regions.loc["340000", "level"] == "province"
    assert regions.loc[counties, "population"].between(150_000, 1_100_000).all()
    for table in ("scenic_spot", "air_station", "water_section", "road_segment", "parking_lot"):
        assert set(read(sqlite_url, f"SELECT adcode FROM {table}")["adcode"]) == set(counties), table
    spots = read(sqlite_url, "SELECT adcode, lat, lon FROM scenic_spot")
    assert all(tree.point_inside(a, la, lo) for a, la, lo in spots.itertuples(index=False))
    reference = read_reference("plan_indicators.csv")
    assert report.rows["plan_target"] == (reference["region_adcode"] == "341500").sum()
    assert_reconciled(region_daily(sqlite_url), "341500", counties)


def test_a_province_rolls_counties_up_to_cities_and_the_province(sqlite_url):
    generate(sqlite_url, scale=0.2, days=2, end=END, root="340000")
    tree = region_tree("340000")
    rows = region_daily(sqlite_url)
    assert set(rows["adcode"]) == {r.adcode for r in tree.all()}
    assert_reconciled(rows, "340000", [c.adcode for c in tree.children("340000")])
    assert_reconciled(rows, "341500", [c.adcode for c in tree.counties("341500")])
    assert read(sqlite_url, "SELECT COUNT(*) AS n FROM plan_target")["n"][0] == 0


def test_postgres_holds_the_same_rows_as_sqlite(postgres_url, sqlite_url):
    for url in (postgres_url, sqlite_url):
        generate(url, scale=0.2, days=5, end=END)
        assert live_tick(url, now=datetime.combine(END + timedelta(days=1), datetime.min.time()) +
                         timedelta(hours=9, minutes=30))["version"] == 2
    for table, order in (("spot_hourly", "spot_id, ts"), ("incident", "id"), ("region_daily", "indicator, adcode, day"),
                         ("parking_quarter", "lot_id, ts")):
        assert table_digest(postgres_url, table, order) == table_digest(sqlite_url, table, order), table
    assert data_today(postgres_url) == END + timedelta(days=1)
    # the summaries, built and refreshed by each database's own SQL: the same rows, sums equal but for
    # the last bits of floating-point additions made in another order (and SQLite's minutes between
    # two times, through Julian days, are good to a few millionths of a minute)
    for table, order in (("summary_road_hour", "adcode, ts"), ("summary_road_segment", "adcode, period, start, segment_id"),
                         ("summary_incident", "adcode, period, start, theme, type_code, source, severity, status, "
                                              "overdue"),
                         ("summary_incident_status", "adcode, period, start, theme, status, overdue"),
                         ("summary_incident_cell", "period, start, adcode, cell_lat, cell_lon, severity")):
        frames = [read(url, f"SELECT * FROM {table} ORDER BY {order}") for url in (postgres_url, sqlite_url)]
        for frame in frames:
            for column in ("ts", "day", "start"):
                if column in frame:
                    frame[column] = pd.to_datetime(frame[column])
            if "overdue" in frame and table.startswith("summary_incident") and table != "summary_incident_cell":
                frame["overdue"] = frame["overdue"].astype(bool)
        assert len(frames[0]) > 0, table
        pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False, rtol=1e-9, atol=1e-4, obj=table)


def test_command_line(sqlite_url, capsys):
    assert cli(["--url", sqlite_url, "--days", "3", "--scale", "0.2", "--end", END.isoformat()]) == 0
    output = capsys.readouterr().out
    assert re.search(r"incident\s+[\d,]+", output) and "database" in output
    assert data_today(sqlite_url) == END
