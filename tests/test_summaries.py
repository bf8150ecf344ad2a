"""The summary tables (data/summaries.py): the pieces a range is read in, the rows of every region
level, and the summaries kept in step with the raw rows by generation, live ticks and the command
line, on SQLite and PostgreSQL. (That each query reads from them the figures of the raw rows is
tested with the queries: tests/test_traffic_queries.py, tests/test_safety_queries.py,
tests/test_tourism_queries.py, tests/test_eldercare_queries.py.)"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from services import drop_pg_schema, pg_schema_url
from sqlalchemy import func, select, text, update

from core.settings import get_settings, override_settings
from data.db import dispose_engines, get_engine
from data.generator import generate, live_tick
from data.models import RoadHourly, SummaryIncident, SummaryRoadHour, SummaryRoadSegment
from data.regions import region_tree
from data.summaries import (SUMMARIES, check_summaries, main, next_month, period_end, piece_runs, pieces,
                            rebuild_summaries, summaries_of)

END = date(2025, 10, 2)


def read(url: str, sql: str, **params) -> pd.DataFrame:
    with get_engine(url).connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def small_url(request, tmp_path):
    """Ten days of generated 黄山 data, on each dialect."""
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'small.db'}", None
    else:
        url, schema = pg_schema_url("summaries")
    generate(url, scale=0.2, days=10, end=END)
    yield url
    dispose_engines()
    if schema is not None:
        drop_pg_schema(schema)


# ------------------------------------------------------------------------------------ pieces
def test_pieces_cover_every_day_of_a_range_exactly_once():
    rng = random.Random(7)
    for _ in range(400):
        first = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        last = first + timedelta(days=rng.randrange(500))
        for largest in ("month", "week", "day"):
            covered = []
            for period, start in pieces(first, last, largest):
                assert PERIODS_ALLOWED[largest] >= {period}
                if period == "week":
                    assert start.weekday() == 0
                if period == "month":
                    assert start.day == 1
                end = period_end(period, start)
                covered += [start + timedelta(days=i) for i in range((end - start).days + 1)]
            assert covered == sorted(covered)
            assert covered == [first + timedelta(days=i) for i in range((last - first).days + 1)]


PERIODS_ALLOWED = {"month": {"day", "week", "month"}, "week": {"day", "week"}, "day": {"day"}}


def test_a_year_to_date_is_a_score_of_pieces():
    spans = pieces(date(2026, 1, 1), date(2026, 11, 25))
    assert [s for p, s in spans if p == "month"] == [date(2026, m, 1) for m in range(1, 11)]
    assert [s for p, s in spans if p == "week"] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    assert [s for p, s in spans if p == "day"] == [date(2026, 11, 1), date(2026, 11, 23), date(2026, 11, 24),
                                                   date(2026, 11, 25)]
    # a week of buckets is never cut by a month: weeks and days only
    assert {p for p, _ in pieces(date(2026, 1, 1), date(2026, 11, 25), "week")} == {"week", "day"}


def test_runs_of_pieces_hold_exactly_the_pieces_in_a_few_ranges():
    """A range's pieces read as runs of consecutive pieces of a kind: the same pieces, no other
    (the weeks inside the months between two runs of weeks are left out), in a handful of runs."""
    following = {"day": 1, "week": 7}
    rng = random.Random(11)
    for _ in range(300):
        first = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        spans = pieces(first, first + timedelta(days=rng.randrange(500)))
        runs = piece_runs(spans)
        expanded = []
        for period, low, high in runs:
            start = low
            while start <= high:
                expanded.append((period, start))
                start = next_month(start) if period == "month" else start + timedelta(days=following[period])
        assert sorted(expanded) == sorted(spans)
        assert len(runs) <= 7
    assert piece_runs(pieces(date(2026, 1, 1), date(2026, 11, 25))) == [
        ("day", date(2026, 11, 1), date(2026, 11, 1)), ("day", date(2026, 11, 23), date(2026, 11, 25)),
        ("month", date(2026, 1, 1), date(2026, 10, 1)), ("week", date(2026, 11, 2), date(2026, 11, 16))]


# ------------------------------------------------------------------------------------ in step
def test_generated_data_has_its_summaries_and_they_match_the_rows(small_url):
    assert check_summaries(small_url) == []
    for name in SUMMARIES:
        assert read(small_url, f"SELECT COUNT(*) AS n FROM {name}")["n"][0] > 0, name
    # the city's hours are the sums of its counties' hours; the root counts every incident
    hours = read(small_url, "SELECT adcode, SUM(volume) AS v FROM summary_road_hour GROUP BY adcode")
    hours = hours.set_index("adcode")
    counties = [c.adcode for c in region_tree().counties()]
    assert hours.loc["341000", "v"] == hours.loc[counties, "v"].sum() == \
        read(small_url, "SELECT SUM(volume) AS v FROM road_hourly")["v"][0]
    days = read(small_url, "SELECT adcode, SUM(incidents) AS n FROM summary_incident WHERE period = 'day' "
                           "GROUP BY adcode")
    assert days.set_index("adcode").loc["341000", "n"] == read(small_url, "SELECT COUNT(*) AS n FROM incident")["n"][0]
    # without type, source and severity: the same sums in fewer rows
    narrow = read(small_url, "SELECT COUNT(*) AS n, SUM(incidents) AS i, SUM(closed_minutes) AS m "
                             "FROM summary_incident_status WHERE adcode = '341000' AND period = 'month'").iloc[0]
    wide = read(small_url, "SELECT COUNT(*) AS n, SUM(incidents) AS i, SUM(closed_minutes) AS m "
                           "FROM summary_incident WHERE adcode = '341000' AND period = 'month'").iloc[0]
    assert narrow["n"] < wide["n"] and narrow["i"] == wide["i"] and narrow["m"] == pytest.approx(wide["m"])


def test_live_ticks_keep_the_summaries_in_step(small_url):
    """A tick adds the new hours' readings and incidents and moves older incidents along their
    closed loop: the summaries of every day it touched follow, in the same transaction."""
    before = read(small_url, "SELECT MAX(ts) AS ts FROM summary_road_hour")["ts"][0]
    first = live_tick(small_url, now=datetime(2025, 10, 3, 10, 17))
    later = live_tick(small_url, now=datetime(2025, 10, 4, 16, 2))
    assert first["rows"]["road_hourly"] > 0 and later["rows"]["incident_updated"] > 0
    assert check_summaries(small_url) == []
    stamps = read(small_url, "SELECT MAX(ts) AS ts FROM summary_road_hour UNION ALL SELECT MAX(ts) FROM road_hourly")
    assert pd.Timestamp(stamps["ts"][0]) == pd.Timestamp(stamps["ts"][1]) > pd.Timestamp(before)
    week = read(small_url, "SELECT SUM(incidents) AS n FROM summary_incident WHERE period = 'week' "
                           "AND start = :monday AND adcode = '341000'", monday=date(2025, 9, 29))["n"][0]
    assert week == read(small_url, "SELECT COUNT(*) AS n FROM incident WHERE reported_at >= '2025-09-29' "
                                   "AND reported_at < '2025-10-06'")["n"][0]


def test_live_ticks_and_loads_keep_the_tourism_summaries_in_step(small_url, tmp_path):
    """A tick appends spot hours and replaces the day's origin rows; a load corrects a spot's hour
    and a county's origins: summary_spot_day and summary_visitor_origin follow, weeks and months too."""
    from data.loader import load_file

    def spot_day(spot_id: int, period: str, start: date) -> int:
        return read(small_url, "SELECT arrivals FROM summary_spot_day WHERE period = :p AND start = :s "
                               "AND spot_id = :i", p=period, s=start, i=spot_id)["arrivals"][0]

    def origin(adcode: str, period: str, start: date) -> int:
        return read(small_url, "SELECT SUM(visitors) AS v FROM summary_visitor_origin WHERE adcode = :a "
                               "AND period = :p AND start = :s", a=adcode, p=period, s=start)["v"][0]

    tick = live_tick(small_url, now=datetime(2025, 10, 3, 10, 17))
    assert tick["rows"]["spot_hourly"] > 0 and tick["rows"]["visitor_origin_daily"] > 0
    assert check_summaries(small_url, tables=["summary_spot_day", "summary_visitor_origin"]) == []
    assert read(small_url, "SELECT MAX(start) AS d FROM summary_spot_day")["d"].astype(str)[0] == "2025-10-03"

    # a spot's hour and a county's origins of 2 October corrected by a load
    hour = read(small_url, "SELECT spot_id, ts, arrivals, present FROM spot_hourly WHERE spot_id = 1 "
                           "AND ts >= '2025-10-02 10:00' AND ts < '2025-10-02 10:01'")
    before = spot_day(1, "day", date(2025, 10, 2)), spot_day(1, "month", date(2025, 10, 1))
    hour["ts"] = pd.to_datetime(hour["ts"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    hour["arrivals"] += 100
    hour.to_csv(tmp_path / "spot_hourly.csv", index=False)
    assert load_file(tmp_path / "spot_hourly.csv", "spot_hourly", small_url).ok
    assert (spot_day(1, "day", date(2025, 10, 2)), spot_day(1, "month", date(2025, 10, 1))) == \
        (before[0] + 100, before[1] + 100)

    county = region_tree().counties()[0].adcode
    origins = read(small_url, "SELECT adcode, day, origin_province, origin_city, visitors FROM visitor_origin_daily "
                              "WHERE adcode = :a AND day = :d", a=county, d=date(2025, 10, 2))
    before = origin(county, "day", date(2025, 10, 2)), origin("341000", "week", date(2025, 9, 29))
    origins["day"] = "2025-10-02"
    origins["visitors"] += 10
    origins.to_csv(tmp_path / "visitor_origin_daily.csv", index=False)
    assert load_file(tmp_path / "visitor_origin_daily.csv", "visitor_origin_daily", small_url).ok
    added = 10 * len(origins)
    assert (origin(county, "day", date(2025, 10, 2)), origin("341000", "week", date(2025, 9, 29))) == \
        (before[0] + added, before[1] + added)
    assert check_summaries(small_url) == []


def test_live_ticks_and_loads_keep_the_device_call_summary_in_step(small_url, tmp_path, monkeypatch):
    """A tick appends device calls; a load moves a call to another day with a slower response:
    summary_device_call follows (both days, their week), and a change of the catalogue thresholds
    its bands follow is revealed by the check."""
    from data import summaries
    from data.catalogue import indicator
    from data.loader import load_file

    def calls(adcode: str, period: str, start: date) -> tuple[int, int]:
        row = read(small_url, "SELECT SUM(calls) AS n, SUM(seconds) AS s FROM summary_device_call WHERE adcode = :a "
                              "AND period = :p AND start = :s", a=adcode, p=period, s=start).iloc[0]
        return (0, 0) if pd.isna(row["n"]) else (int(row["n"]), int(row["s"]))

    tick = live_tick(small_url, now=datetime(2025, 10, 3, 10, 17))
    assert tick["rows"]["device_call"] > 0
    assert check_summaries(small_url, tables=["summary_device_call"]) == []
    assert read(small_url, "SELECT MAX(start) AS d FROM summary_device_call")["d"].astype(str)[0] == "2025-10-03"

    call = read(small_url, "SELECT id, adcode, ts, kind, response_seconds, lat, lon FROM device_call "
                           "WHERE ts >= '2025-10-02' AND ts < '2025-10-03' ORDER BY id LIMIT 1")
    adcode, seconds = call["adcode"][0], int(call["response_seconds"][0])
    days = (date(2025, 10, 1), date(2025, 10, 2))
    before = [calls(adcode, "day", day) for day in days] + [calls(adcode, "week", date(2025, 9, 29))]
    call["ts"] = "2025-10-01 09:30:00"
    call["response_seconds"] = seconds + 1000
    call.to_csv(tmp_path / "device_call.csv", index=False)
    assert load_file(tmp_path / "device_call.csv", "device_call", small_url).ok
    assert calls(adcode, "day", days[0]) == (before[0][0] + 1, before[0][1] + seconds + 1000)
    assert calls(adcode, "day", days[1]) == (before[1][0] - 1, before[1][1] - seconds)
    assert calls(adcode, "week", date(2025, 9, 29)) == (before[2][0], before[2][1] + 1000)
    assert check_summaries(small_url) == []

    response = indicator(summaries.RESPONSE)
    changed = replace(response, thresholds=tuple(t + 60 for t in response.thresholds))
    monkeypatch.setattr(summaries, "indicator", lambda code: changed if code == summaries.RESPONSE else indicator(code))
    differences = check_summaries(small_url)
    assert differences and {d.table for d in differences} == {"summary_device_call"}


def test_live_ticks_and_loads_keep_the_pollution_source_summary_in_step(small_url, tmp_path):
    """A tick replaces the running day's source rows (the day's length grows with it); a load
    corrects a source's day: summary_source_day follows, its week and month too."""
    from data.loader import load_file

    def source_day(source_id: int, period: str, start: date) -> pd.Series:
        return read(small_url, "SELECT exceedances, online_hours, expected_hours FROM summary_source_day "
                               "WHERE period = :p AND start = :s AND source_id = :i",
                    p=period, s=start, i=source_id).iloc[0]

    tick = live_tick(small_url, now=datetime(2025, 10, 3, 10, 17))
    assert tick["rows"]["pollution_source_daily"] > 0
    assert check_summaries(small_url, tables=["summary_source_day"]) == []
    assert read(small_url, "SELECT MAX(start) AS d FROM summary_source_day")["d"].astype(str)[0] == "2025-10-03"
    later = live_tick(small_url, now=datetime(2025, 10, 3, 16, 2))
    assert later["rows"]["pollution_source_daily"] > 0
    assert check_summaries(small_url, tables=["summary_source_day"]) == []

    row = read(small_url, "SELECT source_id, day, online_hours, exceedances FROM pollution_source_daily "
                          "WHERE day = :d ORDER BY source_id LIMIT 1", d=date(2025, 10, 2))
    source = int(row["source_id"][0])
    before = source_day(source, "day", date(2025, 10, 2)), source_day(source, "month", date(2025, 10, 1))
    row["day"] = "2025-10-02"
    row["exceedances"] += 3
    row.to_csv(tmp_path / "pollution_source_daily.csv", index=False)
    assert load_file(tmp_path / "pollution_source_daily.csv", "pollution_source_daily", small_url).ok
    after = source_day(source, "day", date(2025, 10, 2)), source_day(source, "month", date(2025, 10, 1))
    assert [a["exceedances"] - b["exceedances"] for a, b in zip(after, before)] == [3, 3]
    assert check_summaries(small_url) == []


def test_live_ticks_and_loads_keep_the_indicator_summary_in_step(small_url, tmp_path):
    """A tick replaces the running day's indicator rows; a load corrects a county's day and its
    city's: summary_region_period follows, the day, its week and its month (sums and largest)."""
    from data.loader import load_file

    def piece(adcode: str, period: str, start: date) -> pd.Series:
        return read(small_url, "SELECT n_value, s_value, m_value FROM summary_region_period WHERE indicator = "
                               "'tourism.visitors' AND adcode = :a AND period = :p AND start = :s",
                    a=adcode, p=period, s=start).iloc[0]

    assert live_tick(small_url, now=datetime(2025, 10, 3, 10, 17))["rows"]["region_daily"] > 0
    assert check_summaries(small_url, tables=["summary_region_period"]) == []
    assert read(small_url, "SELECT MAX(start) AS d FROM summary_region_period")["d"].astype(str)[0] == "2025-10-03"

    rows = read(small_url, "SELECT indicator, adcode, day, value, numerator, denominator, weight FROM region_daily "
                           "WHERE indicator = 'tourism.visitors' AND adcode IN ('341021', '341000') AND day = :d",
                d=date(2025, 9, 30))
    spans = [("day", date(2025, 9, 30)), ("week", date(2025, 9, 29)), ("month", date(2025, 9, 1))]
    before = [piece(adcode, *span) for adcode in ("341021", "341000") for span in spans]
    rows["value"] += 1_000_000  # the county's day (and so its city's) becomes the month's largest
    rows.to_csv(tmp_path / "region_daily.csv", index=False)
    report = load_file(tmp_path / "region_daily.csv", "region_daily", small_url)
    assert report.ok, report.errors
    after = [piece(adcode, *span) for adcode in ("341021", "341000") for span in spans]
    assert [a["s_value"] - b["s_value"] for a, b in zip(after, before)] == [1_000_000] * 6
    assert [a["n_value"] for a in after] == [b["n_value"] for b in before]
    loaded = rows.set_index("adcode")["value"]
    assert [got["m_value"] for got in after] == [loaded["341021"]] * 3 + [loaded["341000"]] * 3
    assert check_summaries(small_url) == []


def test_live_ticks_and_loads_keep_the_home_care_summary_in_step(small_url, tmp_path):
    """A tick replaces the running day's home-care rows; a load corrects a county's day: the
    county's and the city's day, week and month rows of summary_home_care follow."""
    from data.loader import load_file

    def services(adcode: str, period: str, start: date) -> int:
        return int(read(small_url, "SELECT services FROM summary_home_care WHERE kind = 'meal' AND adcode = :a "
                                   "AND period = :p AND start = :s", a=adcode, p=period, s=start)["services"][0])

    assert live_tick(small_url, now=datetime(2025, 10, 3, 10, 17))["rows"]["home_care_daily"] > 0
    assert check_summaries(small_url, tables=["summary_home_care"]) == []
    row = read(small_url, "SELECT adcode, day, kind, services FROM home_care_daily WHERE kind = 'meal' "
                          "AND adcode = '341021' AND day = :d", d=date(2025, 9, 30))
    spans = [("day", date(2025, 9, 30)), ("week", date(2025, 9, 29)), ("month", date(2025, 9, 1))]
    before = [services(adcode, *span) for adcode in ("341021", "341000") for span in spans]
    row["day"] = "2025-09-30"
    row["services"] += 40
    row.to_csv(tmp_path / "home_care_daily.csv", index=False)
    report = load_file(tmp_path / "home_care_daily.csv", "home_care_daily", small_url)
    assert report.ok, report.errors
    after = [services(adcode, *span) for adcode in ("341021", "341000") for span in spans]
    assert [a - b for a, b in zip(after, before)] == [40] * 6
    assert check_summaries(small_url) == []


def test_parking_days_that_leave_the_hot_store_leave_the_summary(small_url, monkeypatch):
    from data.generator import pipeline

    monkeypatch.setattr(pipeline, "PARKING_HOT_DAYS", 4)  # the next tick drops the first six days
    live_tick(small_url, now=datetime(2025, 10, 3, 10, 17))
    assert check_summaries(small_url) == []
    days = read(small_url, "SELECT MIN(ts) AS ts FROM summary_parking_quarter UNION ALL "
                           "SELECT MIN(ts) FROM parking_quarter")["ts"]
    assert pd.Timestamp(days[0]) == pd.Timestamp(days[1]) and pd.Timestamp(days[0]).date() == date(2025, 9, 30)


def test_a_changed_row_is_found_by_the_check_and_mended_by_a_rebuild(small_url, capsys):
    with get_engine(small_url).begin() as conn:
        conn.execute(update(RoadHourly).values(volume=RoadHourly.volume + 50)
                     .where(RoadHourly.ts == datetime(2025, 9, 30, 8)))
    differences = check_summaries(small_url)
    tables = {d.table for d in differences}
    assert tables == {"summary_road_hour", "summary_road_segment"}
    assert {d.column for d in differences} >= {"volume", "s_congestion"}
    assert any("summary_road_hour (adcode=341000" in d.describe() for d in differences)

    assert main(["--check", "--database-url", small_url]) == 1
    assert main(["--rebuild", "--database-url", small_url]) == 0
    out = capsys.readouterr().out
    assert "summary_road_hour" in out and "rebuilt in" in out
    assert check_summaries(small_url) == []


def test_rebuilding_gives_the_rows_the_generator_wrote(small_url):
    written = {name: read(small_url, f"SELECT COUNT(*) AS n FROM {name}")["n"][0] for name in SUMMARIES}
    with get_engine(small_url).begin() as conn:
        rebuilt = rebuild_summaries(conn, tables=[SummaryRoadHour, SummaryRoadSegment, SummaryIncident])
    # summary_incident_status is built from summary_incident: rebuilt with it
    assert list(rebuilt) == ["summary_road_hour", "summary_road_segment", "summary_incident", "summary_incident_status"]
    assert rebuilt == {name: written[name] for name in rebuilt}
    assert summaries_of("incident") == ["summary_incident", "summary_incident_status", "summary_incident_cell"]
    assert summaries_of("road_segment") == ["summary_road_hour", "summary_road_segment"]
    assert summaries_of("parking_lot") == ["summary_parking_quarter"]
    assert summaries_of("spot_hourly") == ["summary_spot_day"]
    assert summaries_of("visitor_origin_daily") == ["summary_visitor_origin"]
    assert summaries_of("device_call") == ["summary_device_call"]
    assert summaries_of("pollution_source_daily") == ["summary_source_day"]
    assert summaries_of("region_daily") == ["summary_region_period"]
    assert summaries_of("home_care_daily") == ["summary_home_care"]


def test_a_province_has_rows_for_its_cities_and_itself(tmp_path):
    url = f"sqlite:///{tmp_path / 'province.db'}"
    previous = get_settings().region_adcode
    generate(url, scale=0.2, days=2, end=END, root="340000")
    override_settings(region_adcode="340000")
    try:
        tree = region_tree("340000")
        assert check_summaries(url, root="340000") == []
        hours = read(url, "SELECT adcode, SUM(volume) AS v FROM summary_road_hour GROUP BY adcode")
        hours = hours.set_index("adcode")["v"]
        assert set(hours.index) == {r.adcode for r in tree.all() if tree.counties(r.adcode)}
        for city in ("341000", "341500"):
            assert hours[city] == sum(hours[c.adcode] for c in tree.counties(city))
        assert hours["340000"] == read(url, "SELECT SUM(volume) AS v FROM road_hourly")["v"][0]
        incidents = read(url, "SELECT adcode, SUM(incidents) AS n FROM summary_incident WHERE period = 'day' "
                              "GROUP BY adcode").set_index("adcode")["n"]
        assert incidents["340000"] == read(url, "SELECT COUNT(*) AS n FROM incident")["n"][0]
        assert incidents["341000"] == sum(incidents.get(c.adcode, 0) for c in tree.counties("341000"))
    finally:
        override_settings(region_adcode=previous)
        dispose_engines()


def test_the_summaries_are_small_beside_their_rows(small_url):
    with get_engine(small_url).connect() as conn:
        readings = conn.execute(select(func.count()).select_from(RoadHourly)).scalar()
        hours = conn.execute(select(func.count()).select_from(SummaryRoadHour)).scalar()
    # one row per region and hour, whatever the number of road segments
    assert hours == 8 * readings // len(read(small_url, "SELECT id FROM road_segment"))
