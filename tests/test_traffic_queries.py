"""智慧交通 queries against plain SQL on the generated demo database (and PostgreSQL against SQLite).

Congestion over several readings is the volume-weighted mean of the catalogue (traffic.congestion),
so the expectations below are written as SUM(index·vehicles) / SUM(vehicles) in SQL.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from conftest import demo_database
from sqlalchemy import text

from core.viewstate import ViewState

END = date(2026, 11, 25)
WEEK = ViewState(region="341000", start=date(2026, 11, 19), end=END)
MONTH = ViewState(region="341000", start=date(2026, 10, 27), end=date(2026, 11, 24))
COUNTY = "341021"  # 歙县


@pytest.fixture(scope="module")
def db(demo_env):
    from data.db import get_engine

    return get_engine(demo_env["url"])


def sql(db, statement: str, **params) -> pd.DataFrame:
    with db.connect() as conn:
        result = conn.execute(text(statement), params)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def county_segments(db, adcode: str | None = None) -> list[int]:
    where = f"WHERE adcode = '{adcode}'" if adcode else ""
    return sql(db, f"SELECT id FROM road_segment {where} ORDER BY id")["id"].tolist()


def stamp(day: date, hour: int = 0) -> str:
    """A time stamp as SQLite stores it (the form the tables were written with)."""
    return datetime.combine(day, datetime.min.time()).replace(hour=hour).strftime("%Y-%m-%d %H:%M:%S.%f")


def weighted(db, group: str, ids: list[int], start: date, end: date, where: str = "") -> pd.DataFrame:
    """Volume-weighted congestion of these segments over [start, end] grouped by an SQL expression."""
    return sql(db, f"""
        SELECT {group} AS k, SUM(congestion_index * volume) * 1.0 / SUM(volume) AS congestion,
               SUM(speed_kmh * volume) * 1.0 / SUM(volume) AS speed
        FROM road_hourly
        WHERE segment_id IN ({','.join(map(str, ids))}) AND ts >= :low AND ts < :high {where}
        GROUP BY {group} ORDER BY {group}""", low=stamp(start), high=stamp(end + timedelta(days=1)))


HOUR = "CAST(strftime('%H', ts) AS INTEGER)"
WEEKDAY = "((CAST(strftime('%w', ts) AS INTEGER) + 6) % 7)"  # 0 = Monday


# ---------------------------------------------------------------------------------- road segments
def test_worst_segments_now_are_the_latest_hour_most_congested_first(db):
    from data.catalogue import indicator
    from data.queries.traffic import segments_now, worst_segments_now

    latest = sql(db, "SELECT MAX(ts) AS ts FROM road_hourly WHERE ts < :high",
                 high=stamp(END + timedelta(days=1)))["ts"][0]
    expected = sql(db, "SELECT segment_id, congestion_index FROM road_hourly WHERE ts = :ts "
                       "ORDER BY congestion_index DESC, segment_id", ts=latest)
    frame = segments_now(WEEK)
    assert frame["segment_id"].tolist() == expected["segment_id"].tolist()
    assert frame["congestion"].tolist() == pytest.approx(expected["congestion_index"].tolist())
    assert str(frame["ts"].iloc[0])[:16] == str(latest)[:16]
    ind = indicator("traffic.congestion")
    assert frame["level"].tolist() == [ind.level_of(v) for v in frame["congestion"]]
    assert len(worst_segments_now(WEEK, limit=5)) == 5
    # a county sees its own segments only
    county = segments_now(WEEK.with_region(COUNTY))
    assert set(county["segment_id"]) == set(county_segments(db, COUNTY))
    # a week in the past ends at its last hour, 23:00
    past = segments_now(ViewState(region="341000", start=date(2026, 11, 1), end=date(2026, 11, 7)))
    assert str(past["ts"].iloc[0]) == "2026-11-07 23:00:00"


def test_hour_profile_is_volume_weighted_per_hour_for_the_chosen_weekdays(db):
    from data.queries.traffic import hour_profile

    view = MONTH.with_region(COUNTY).set_filter("weekday", ("0", "4"))
    frame = hour_profile(view)
    expected = weighted(db, HOUR, county_segments(db, COUNTY), view.start, view.end,
                        f"AND {WEEKDAY} IN (0, 4)")
    assert frame["hour"].tolist() == list(range(24))
    assert frame["congestion"].tolist() == pytest.approx(expected["congestion"].tolist(), abs=5e-4)
    assert frame["speed"].tolist() == pytest.approx(expected["speed"].tolist(), abs=0.051)


def test_weekday_hour_heat_map_of_one_segment(db):
    from data.queries.traffic import weekday_hour

    segment = county_segments(db, COUNTY)[0]
    view = MONTH.set_filter("segment", (str(segment),))
    frame = weekday_hour(view)
    expected = weighted(db, f"{WEEKDAY} * 100 + {HOUR}", [segment], view.start, view.end)
    assert len(frame) == 7 * 24
    assert (frame["weekday"] * 100 + frame["hour"]).tolist() == expected["k"].tolist()
    assert frame["congestion"].tolist() == pytest.approx(expected["congestion"].tolist(), abs=5e-4)


def test_segment_ranking_at_the_chosen_hours(db):
    from data.queries.traffic import segment_ranking

    view = MONTH.set_filter("hour", ("8", "18")).set_filter("weekday", ("1",))
    frame = segment_ranking(view)
    expected = weighted(db, "segment_id", county_segments(db), view.start, view.end,
                        f"AND {HOUR} IN (8, 18) AND {WEEKDAY} = 1").set_index("k")
    assert len(frame) == len(expected)
    for row in frame.itertuples():
        assert row.congestion == pytest.approx(expected.loc[row.segment_id, "congestion"], abs=5e-4)
    assert frame["congestion"].is_monotonic_decreasing


def test_congestion_trend_of_the_region_reconciles_with_road_hourly(db):
    """Unfiltered, the trend is the catalogue indicator (region_daily); it equals the
    volume-weighted mean of every segment's readings of each day."""
    from data.queries.traffic import congestion_trend

    frame = congestion_trend(MONTH)
    expected = weighted(db, "date(ts)", county_segments(db), MONTH.start, MONTH.end)
    assert len(frame) == MONTH.days
    assert frame["value"].tolist() == pytest.approx(expected["congestion"].tolist(), abs=1e-3)
    last_year = weighted(db, "date(ts)", county_segments(db), date(2025, 10, 27), date(2025, 10, 27))
    assert frame["last_year"].iloc[0] == pytest.approx(last_year["congestion"].iloc[0], abs=1e-3)


def test_congestion_trend_of_chosen_segments_and_hours(db):
    from data.queries.traffic import congestion_trend

    segment = county_segments(db, COUNTY)[0]
    view = MONTH.set_filter("segment", (str(segment),)).set_filter("hour", ("8",))
    frame = congestion_trend(view)
    expected = weighted(db, "date(ts)", [segment], view.start, view.end, f"AND {HOUR} = 8")
    assert frame["value"].tolist() == pytest.approx(expected["congestion"].tolist(), abs=5e-4)
    ly = weighted(db, "date(ts)", [segment], date(2025, 10, 27), date(2025, 11, 24), f"AND {HOUR} = 8")
    assert frame["last_year"].tolist() == pytest.approx(ly["congestion"].tolist(), abs=5e-4)


def test_congestion_trend_of_a_weekday_compares_with_the_same_weekday_a_year_before(db):
    from data.queries.traffic import congestion_trend

    view = MONTH.set_filter("weekday", ("0",))
    frame = congestion_trend(view)
    assert [d.weekday() for d in frame["bucket"]] == [0] * len(frame) and len(frame) == 4
    first = frame["bucket"].iloc[0].date()
    before = weighted(db, "date(ts)", county_segments(db), first - timedelta(days=364), first - timedelta(days=364))
    assert frame["last_year"].iloc[0] == pytest.approx(before["congestion"].iloc[0], abs=5e-4)


def test_roads_around_scenic_spots_compare_a_holiday_with_ordinary_days(db):
    """The last week of November holds no holiday: the panel shows 国庆节 2026 (1–7 October)
    against the ordinary days of the four weeks before, without 中秋节 (25–27 September)."""
    from data.queries.traffic import scenic_roads

    frame = scenic_roads(WEEK)
    assert set(frame["holiday_zh"]) == {"国庆节"}
    assert frame["holiday_start"].iloc[0] == date(2026, 10, 1) and frame["holiday_end"].iloc[0] == date(2026, 10, 7)
    scenic = sql(db, "SELECT id FROM road_segment WHERE near_spot_id IS NOT NULL")["id"].tolist()
    assert sorted(frame["segment_id"]) == sorted(scenic)
    holiday = weighted(db, "segment_id", scenic, date(2026, 10, 1), date(2026, 10, 7)).set_index("k")
    normal = weighted(db, "segment_id", scenic, date(2026, 9, 3), date(2026, 9, 30),
                      "AND date(ts) NOT BETWEEN '2026-09-25' AND '2026-09-27'").set_index("k")
    for row in frame.itertuples():
        assert row.holiday == pytest.approx(holiday.loc[row.segment_id, "congestion"], abs=5e-4)
        assert row.normal == pytest.approx(normal.loc[row.segment_id, "congestion"], abs=5e-4)
    assert (frame["holiday"] > frame["normal"]).all()  # scenic roads jam at the golden week
    # a range holding a holiday shows that one, up to the range's end
    inside = scenic_roads(ViewState(region="341000", start=date(2026, 9, 20), end=date(2026, 9, 26)))
    assert set(inside["holiday_zh"]) == {"中秋节"} and inside["holiday_end"].iloc[0] == date(2026, 9, 26)


# ---------------------------------------------------------------------------------- parking
def test_parking_now_reads_the_latest_quarter_and_counts_free_spaces(db):
    from data.catalogue import indicator
    from data.queries.traffic import free_spaces_now, parking_now

    latest = sql(db, "SELECT MAX(ts) AS ts FROM parking_quarter")["ts"][0]
    expected = sql(db, "SELECT l.id, l.spaces, q.occupied FROM parking_quarter q JOIN parking_lot l "
                       "ON l.id = q.lot_id WHERE q.ts = :ts", ts=latest).set_index("id")
    frame = parking_now(WEEK)
    assert len(frame) == len(expected)
    for row in frame.itertuples():
        assert row.occupied == expected.loc[row.lot_id, "occupied"]
        assert row.free == expected.loc[row.lot_id, "spaces"] - row.occupied
        assert row.level == indicator("traffic.parking_occupancy").level_of(row.occupancy)
    free = free_spaces_now(WEEK)
    assert free["free"] == int((expected["spaces"] - expected["occupied"]).sum())
    assert free["spaces"] == int(expected["spaces"].sum())
    # the hot store keeps 90 days: a range that ends before it has no "now"
    assert parking_now(ViewState(region="341000", start=date(2026, 1, 1), end=date(2026, 1, 7))).empty


def test_parking_trend_hourly_for_chosen_lots_and_daily_from_the_catalogue(db):
    from data.queries.traffic import parking_trend

    lot = int(sql(db, "SELECT MIN(id) AS id FROM parking_lot")["id"][0])
    view = WEEK.set_filter("lot", (str(lot),))
    frame = parking_trend(view)
    expected = sql(db, """
        SELECT strftime('%Y-%m-%d %H', q.ts) AS h, SUM(q.occupied) * 100.0 / SUM(l.spaces) AS occupancy
        FROM parking_quarter q JOIN parking_lot l ON l.id = q.lot_id
        WHERE q.lot_id = :lot AND q.ts >= :low AND q.ts < :high GROUP BY h ORDER BY h""",
                   lot=lot, low=stamp(view.start), high=stamp(view.end + timedelta(days=1)))
    assert frame.attrs["grain"] == "hour"
    assert frame["occupancy"].tolist() == pytest.approx(expected["occupancy"].tolist(), abs=0.01)
    # a month of the whole city: the catalogue's daily ratio, with last year beside
    month = parking_trend(MONTH)
    daily = sql(db, "SELECT day, SUM(numerator) * 100.0 / SUM(denominator) AS r FROM region_daily "
                    "WHERE indicator = 'traffic.parking_occupancy' AND adcode = '341000' "
                    "AND day BETWEEN :s AND :e GROUP BY day ORDER BY day", s=MONTH.start, e=MONTH.end)
    assert month["occupancy"].tolist() == pytest.approx(daily["r"].tolist())
    assert month["last_year"].notna().all()


# ---------------------------------------------------------------------------------- incidents, KPIs
def test_incidents_by_type_are_the_traffic_incidents_of_the_range(db):
    from data.queries.traffic import incident_counts, incidents_by_type

    view = MONTH.with_region(COUNTY)
    frame = incidents_by_type(view).set_index("type_code")
    expected = sql(db, "SELECT type_code, COUNT(*) AS n FROM incident WHERE theme = 'traffic' AND adcode = :a "
                       "AND reported_at >= :low AND reported_at < :high GROUP BY type_code",
                   a=COUNTY, low=stamp(view.start), high=stamp(view.end + timedelta(days=1))).set_index("type_code")
    assert frame["incidents"].to_dict() == expected["n"].to_dict()
    assert incident_counts(view)["total"] == int(expected["n"].sum())


def test_kpis_are_the_catalogue_indicators_plus_free_spaces_and_incidents(db):
    from data.queries.indicators import kpis as indicator_kpis
    from data.queries.traffic import KPI_INDICATORS, free_spaces_now, incident_counts, kpis

    frame = kpis(WEEK).set_index("key")
    generic = indicator_kpis(WEEK, KPI_INDICATORS).set_index("indicator")
    for code in KPI_INDICATORS:
        assert frame.loc[code, "value"] == pytest.approx(generic.loc[code, "value"])
        assert frame.loc[code, "change_yoy"] == pytest.approx(generic.loc[code, "change_yoy"], nan_ok=True)
    assert frame.loc["free_spaces", "value"] == free_spaces_now(WEEK)["free"]
    counts = incident_counts(WEEK)
    assert frame.loc["incidents", "value"] == counts["total"] and frame.loc["open", "value"] == counts["open"]


# ---------------------------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
def test_postgresql_gives_the_same_answers_as_sqlite(demo_env):
    """The same generated data in PostgreSQL: every query answers as on SQLite (views end before
    the generation day, whose partial hours depend on the clock)."""
    from data.queries import traffic
    from services import answers_on_both

    yesterday = END - timedelta(days=1)
    views = [ViewState(region="341000", start=date(2026, 11, 18), end=yesterday),
             ViewState(region=COUNTY, start=date(2026, 10, 25), end=yesterday).set_filter("hour", ("8", "17")),
             ViewState(region="341000", start=date(2026, 9, 1), end=yesterday).set_filter("weekday", ("5",))
             .set_filter("segment", ("3", "7")).set_filter("lot", ("2",)),
             ViewState(region="341000", start=date(2026, 1, 1), end=yesterday)]
    functions = (traffic.segments_now, traffic.hour_profile, traffic.weekday_hour, traffic.segment_ranking,
                 traffic.congestion_trend, traffic.scenic_roads, traffic.parking_now, traffic.parking_trend,
                 traffic.incidents_by_type)
    on_sqlite, on_postgres = answers_on_both(demo_env, "traffic", functions, views)
    for fn, answers in zip(functions, zip(*on_sqlite)):
        assert any(not answer.empty for answer in answers), fn.__name__
    for view, lite, pg in zip(views, on_sqlite, on_postgres):
        for fn, a, b in zip(functions, lite, pg):
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                          obj=f"{fn.__name__} {view.region} {view.filters}")


# ---------------------------------------------------------------------------------- summaries
# The road summaries (data/summaries.py) must give exactly what the readings give. These are the
# queries as they read road_hourly itself, for every segment of the region.
def readings_hour_profile(view: ViewState) -> pd.DataFrame:
    from data.queries.traffic import _hours_of, _sum_by

    frame = _hours_of(view)
    return _sum_by(frame, frame["ts"].dt.hour.rename("hour")).sort_values("hour").reset_index(drop=True)


def readings_weekday_hour(view: ViewState) -> pd.DataFrame:
    from data.queries.traffic import _hours_of, _sum_by

    frame = _hours_of(view)
    keys = [frame["ts"].dt.weekday.rename("weekday"), frame["ts"].dt.hour.rename("hour")]
    return _sum_by(frame, keys).sort_values(["weekday", "hour"]).reset_index(drop=True)


def readings_segment_sums(view: ViewState, ranges: list[tuple[date, date]]) -> pd.DataFrame:
    """Each segment of the view's region summed over these runs of days, finished."""
    from sqlalchemy import or_, select

    from data.queries.common import day_bounds, read
    from data.queries.traffic import R, _finish_weighted, segments
    from data.summaries import road_sums

    bounds = [day_bounds(a, b) for a, b in ranges]
    frame = read(select(R.c.segment_id, *road_sums(R))
                 .where(R.c.segment_id.in_(segments(view)["segment_id"].tolist()),
                        or_(*[(R.c.ts >= low) & (R.c.ts < high) for low, high in bounds]))
                 .group_by(R.c.segment_id))
    return _finish_weighted(frame).set_index("segment_id").sort_index()


def readings_parking_trend(view: ViewState) -> pd.DataFrame:
    """parking_trend by hour from the quarter-hour readings of every lot of the region."""
    from sqlalchemy import func, select

    from data.catalogue import indicator
    from data.queries.common import day_bounds, read
    from data.queries.traffic import OCCUPANCY, L, P, lots

    low, high = day_bounds(view.start, view.end)
    frame = read(select(P.c.ts, func.sum(P.c.occupied).label("occupied"), func.sum(L.c.spaces).label("spaces"))
                 .join(L, L.c.id == P.c.lot_id)
                 .where(P.c.lot_id.in_(lots(view)["lot_id"].tolist()), P.c.ts >= low, P.c.ts < high)
                 .group_by(P.c.ts))
    bucket = pd.to_datetime(frame["ts"]).dt.floor("h").rename("bucket")
    sums = frame[["occupied", "spaces"]].groupby(bucket).sum().reset_index()
    sums["occupancy"] = (indicator(OCCUPANCY).factor * sums["occupied"] / sums["spaces"]).round(2)
    return sums[["bucket", "occupancy", "occupied", "spaces"]]


def readings_congestion_trend(view: ViewState) -> pd.DataFrame:
    """congestion_trend of chosen weekdays or hours, from the readings of every segment."""
    from data.queries.common import align_last_year, grain_for
    from data.queries.traffic import WEEKS_52, _bucket_labels, _hours_of, _sum_by

    grain = grain_for(view.start, view.end)
    shift = WEEKS_52 if grain == "day" and view.filter_values("weekday") else None
    last_year = (view.start - timedelta(days=shift), view.end - timedelta(days=shift)) if shift \
        else view.same_period_last_year()
    parts = []
    for label, (start, end) in (("value", (view.start, view.end)), ("last_year", last_year)):
        frame = _hours_of(view, start, end)
        part = _sum_by(frame, _bucket_labels(frame["ts"], grain).rename("bucket"))
        parts.append(part[["bucket", "congestion"]].rename(columns={"congestion": label}))
    return align_last_year(parts[0], parts[1], grain, shift_days=shift)


SUMMARY_VIEWS = [
    ViewState(region="341000", start=date(2026, 1, 1), end=END),  # 本年: months, weeks and days
    ViewState(region=COUNTY, start=date(2026, 1, 1), end=END),
    ViewState(region="341003", start=date(2025, 10, 22), end=END),  # 400 days: weekly buckets
    ViewState(region="341000", start=date(2026, 10, 27), end=END).set_filter("weekday", ("0", "5")),
    ViewState(region=COUNTY, start=date(2026, 2, 11), end=date(2026, 6, 9)).set_filter("hour", ("8", "17")),
    ViewState(region="341000", start=date(2026, 11, 19), end=END).set_filter("weekday", ("2",))
    .set_filter("hour", ("7",)),
    # chosen segments at every hour: days, weeks or months of summary_road_segment
    ViewState(region="341000", start=date(2026, 10, 27), end=END).set_filter("segment", ("1", "3")),
    ViewState(region="341000", start=date(2026, 1, 1), end=END).set_filter("segment", ("2",)),
    ViewState(region="341000", start=date(2025, 1, 1), end=END).set_filter("segment", ("4", "5")),
]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_summaries_give_the_figures_of_the_readings(database, demo_env, request):
    """Hour profiles, weekday × hour, rankings of segments, the trend of chosen hours and the roads
    around scenic spots read the summaries: the same figures as the readings of every segment."""
    from data.queries import traffic
    from data.queries.traffic import _first_road_day, _ordinary_runs, holiday_in_view

    with demo_database(request, database):
        for view in SUMMARY_VIEWS:
            name = f"{view.region} {view.start}…{view.end} {view.filters}"
            pd.testing.assert_frame_equal(traffic.hour_profile(view), readings_hour_profile(view),
                                          check_dtype=False, obj=f"hour_profile {name}")
            pd.testing.assert_frame_equal(traffic.weekday_hour(view), readings_weekday_hour(view),
                                          check_dtype=False, obj=f"weekday_hour {name}")
            if view.filters:
                trend = traffic.congestion_trend(view)
                assert trend["value"].notna().any(), name
                pd.testing.assert_frame_equal(trend, readings_congestion_trend(view), check_dtype=False,
                                              obj=f"congestion_trend {name}")
            else:  # whole days: summary_road_segment
                ranking = traffic.segment_ranking(view).set_index("segment_id").sort_index()
                expected = readings_segment_sums(view, [(view.start, view.end)])
                assert len(ranking) == len(expected) > 0
                pd.testing.assert_frame_equal(ranking[expected.columns], expected, check_dtype=False,
                                              obj=f"segment_ranking {name}")
                scenic = traffic.scenic_roads(view).set_index("segment_id").sort_index()
                holiday = holiday_in_view(view, _first_road_day())
                on_holiday = readings_segment_sums(view, [(holiday.start, min(holiday.end, view.end))])
                ordinary = readings_segment_sums(view, _ordinary_runs(holiday.start - timedelta(days=28),
                                                                      holiday.start - timedelta(days=1)))
                assert not scenic.empty
                assert scenic["holiday"].tolist() == on_holiday.loc[scenic.index, "congestion"].tolist()
                assert scenic["normal"].tolist() == ordinary.loc[scenic.index, "congestion"].tolist()
                # the last week's parking by hour: summary_parking_quarter
                week = view.with_range(END - timedelta(days=6), END)
                parking = traffic.parking_trend(week)
                assert parking.attrs["grain"] == "hour" and len(parking) > 100
                pd.testing.assert_frame_equal(parking, readings_parking_trend(week), check_dtype=False,
                                              obj=f"parking_trend {week.region}")



# ---------------------------------------------------------------------------------- "now" and scenic roads
# The latest hour of a whole region comes from summary_road_hour (summary_parking_quarter for the
# lots), the scenic roads from a subquery on their conditions: these are the answers as the
# readings of the view's segments and lots, listed by id, give them.
def readings_segments_now(view: ViewState) -> pd.DataFrame:
    """segments_now from the readings of the view's segments, at the latest hour among them."""
    from sqlalchemy import select

    from data.queries.common import fetch
    from data.queries.traffic import R, S, SEGMENT_COLUMNS, _latest_reading, _segment_ids, _segments_frame

    ids = _segment_ids(view)
    latest = _latest_reading(R, R.c.segment_id, ids, view.end)
    if latest is None:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    rows = fetch(select(S.c.id, S.c.name, S.c.road, S.c.kind, S.c.adcode, R.c.congestion_index, R.c.speed_kmh,
                        R.c.volume, S.c.lat, S.c.lon)
                 .select_from(R.join(S, S.c.id == R.c.segment_id)).where(R.c.segment_id.in_(ids), R.c.ts == latest))
    return _segments_frame(rows, latest, view.lang)


def readings_lots_now(view: ViewState) -> pd.DataFrame:
    """The view's lots (lot_id, spaces, occupied) at the latest quarter hour among their readings."""
    from sqlalchemy import select

    from data.queries.common import read
    from data.queries.traffic import L, P, _latest_reading, _lot_ids

    ids = _lot_ids(view)
    latest = _latest_reading(P, P.c.lot_id, ids, view.end)
    return read(select(L.c.id.label("lot_id"), L.c.spaces, P.c.occupied).select_from(P.join(L, L.c.id == P.c.lot_id))
                .where(P.c.lot_id.in_(ids), P.c.ts == latest).order_by(L.c.id))


def readings_scenic_roads(view: ViewState) -> pd.DataFrame:
    """Holiday and ordinary-day congestion of the view's scenic roads, from their readings."""
    from data.queries.traffic import _first_road_day, _ordinary_runs, holiday_in_view, segments

    holiday = holiday_in_view(view, _first_road_day())
    roads = segments(view)
    ids = roads.loc[roads["near_spot_id"].notna(), "segment_id"].tolist()
    on_holiday = readings_segment_sums(view, [(holiday.start, min(holiday.end, view.end))])
    ordinary = readings_segment_sums(view, _ordinary_runs(holiday.start - timedelta(days=28),
                                                          holiday.start - timedelta(days=1)))
    return pd.DataFrame({"segment_id": ids, "holiday": on_holiday.reindex(ids)["congestion"].tolist(),
                         "normal": ordinary.reindex(ids)["congestion"].tolist()})


def now_views(db) -> list[ViewState]:
    """Whole regions (a past week ends at its 23:00; January is before the parking hot store) and
    chosen segments and lots, a scenic road among them."""
    scenic = int(sql(db, "SELECT MIN(id) AS id FROM road_segment WHERE near_spot_id IS NOT NULL")["id"][0])
    plain = int(sql(db, "SELECT MIN(id) AS id FROM road_segment WHERE near_spot_id IS NULL")["id"][0])
    lot = int(sql(db, "SELECT MAX(id) AS id FROM parking_lot")["id"][0])
    return [WEEK, MONTH.with_region(COUNTY),
            ViewState(region="341003", start=date(2026, 11, 1), end=date(2026, 11, 7)),
            ViewState(region="341000", start=date(2026, 1, 1), end=END),
            MONTH.set_filter("segment", (str(scenic), str(plain))).set_filter("lot", (str(lot), "1")),
            WEEK.with_region(COUNTY).set_filter("segment", (str(scenic),)).set_filter("lot", (str(lot),)),
            ViewState(region="341000", start=date(2026, 1, 1), end=date(2026, 1, 7))]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_now_and_scenic_roads_give_the_answers_of_the_readings(database, db, demo_env, request):
    """The segments and lots now (every one, the worst few, the free spaces) and the roads around
    scenic spots, of whole regions and of chosen segments and lots: as the readings give them."""
    from data.queries import traffic

    views = now_views(db)
    with demo_database(request, database):
        for view in views:
            name = f"{view.region} {view.start}…{view.end} {view.filters}"
            expected = readings_segments_now(view)
            pd.testing.assert_frame_equal(traffic.segments_now(view), expected, check_dtype=False,
                                          obj=f"segments_now {name}")
            for limit in (10, 3):
                pd.testing.assert_frame_equal(traffic.worst_segments_now(view, limit=limit), expected.head(limit),
                                              check_dtype=False, obj=f"worst_segments_now {name}")
            lots = readings_lots_now(view)
            parking = traffic.parking_now(view).sort_values("lot_id").reset_index(drop=True)
            assert parking["lot_id"].tolist() == lots["lot_id"].tolist(), name
            assert parking["occupied"].tolist() == lots["occupied"].tolist(), name
            free = traffic.free_spaces_now(view)
            if lots.empty:
                assert free["free"] is None and free["spaces"] is None, name
            else:
                assert free["free"] == int((lots["spaces"] - lots["occupied"]).clip(lower=0).sum()), name
                assert free["spaces"] == int(lots["spaces"].sum()), name
            roads = readings_scenic_roads(view)
            scenic = traffic.scenic_roads(view)
            if roads.empty:
                assert scenic.empty, name
                continue
            mine = scenic.set_index("segment_id").loc[roads["segment_id"], ["holiday", "normal"]]
            pd.testing.assert_frame_equal(mine.reset_index(drop=True), roads[["holiday", "normal"]],
                                          check_dtype=False, obj=f"scenic_roads {name}")
        # the views hold what they are meant to: scenic roads, a past hour, lots, a range without them
        assert not traffic.scenic_roads(views[4]).empty and not traffic.parking_now(views[4]).empty
        assert str(traffic.segments_now(views[2])["ts"].iloc[0]) == "2026-11-07 23:00:00"
        assert traffic.parking_now(views[-1]).empty and not traffic.segments_now(views[-1]).empty
