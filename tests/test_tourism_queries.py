"""The tourism cockpit's queries against plain SQL on the generated demo database, and the same
answers from PostgreSQL."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from conftest import DEMO_END, demo_database
from core.viewstate import ViewState
from services import drop_pg_schema, pg_schema_url

CITY, YI = "341000", "341023"
COUNTIES = {"341000": ("341002", "341003", "341004", "341021", "341022", "341023", "341024"), YI: (YI,)}
VIEW = ViewState(region=CITY, start=date(2026, 11, 1), end=date(2026, 11, 21))


@pytest.fixture(scope="module")
def db(demo_env):
    from data.db import get_engine

    return get_engine(demo_env["url"])


def sql(db, statement: str, **params) -> pd.DataFrame:
    with db.connect() as conn:
        return pd.read_sql(text(statement), conn, params=params)


def region_sum(db, code: str, adcode: str, start: date, end: date) -> float:
    return float(sql(db, "SELECT SUM(value) AS v FROM region_daily WHERE indicator = :c AND adcode = :a "
                         "AND day BETWEEN :s AND :e", c=code, a=adcode, s=start, e=end)["v"].iloc[0])


def spot_days(db, spot_ids, start: date, end: date) -> pd.Series:
    """Arrivals per day at the given spots, straight from spot_hourly."""
    ids = ",".join(str(int(i)) for i in spot_ids)
    frame = sql(db, f"SELECT substr(ts, 1, 10) AS day, SUM(arrivals) AS arrivals FROM spot_hourly "
                    f"WHERE spot_id IN ({ids}) AND ts >= :s AND ts < :e GROUP BY day",
                s=str(start), e=str(end + timedelta(days=1)))
    return frame.set_index(pd.to_datetime(frame["day"]).dt.date)["arrivals"].astype(float)


def meta(db) -> dict:
    return dict(sql(db, "SELECT key, value FROM data_meta").values)


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


# ------------------------------------------------------------------------------------- spot load
@pytest.mark.parametrize("region", [CITY, YI])
def test_spot_load_is_the_days_arrivals_over_capacity_with_catalogue_levels(db, region):
    from data.catalogue import indicator
    from data.queries.tourism import spot_load

    view = VIEW.with_region(region)
    frame = spot_load(view).set_index("spot_id")
    codes = ",".join(f"'{c}'" for c in COUNTIES[region])
    spots = sql(db, f"SELECT id, capacity FROM scenic_spot WHERE adcode IN ({codes})").set_index("id")
    assert set(frame.index) == set(spots.index)
    ind = indicator("tourism.spot_load")
    for spot_id, capacity in spots["capacity"].items():
        days = spot_days(db, [spot_id], view.start, view.end)
        load = 100 * days.get(view.end, 0.0) / capacity
        assert frame.loc[spot_id, "load"] == pytest.approx(load)
        assert frame.loc[spot_id, "peak_load"] == pytest.approx(100 * days.max() / capacity)
        assert frame.loc[spot_id, "peak_day"] == days.idxmax()
        assert frame.loc[spot_id, "level"] == ind.level_of(load)
    latest = sql(db, "SELECT spot_id, present FROM spot_hourly WHERE ts = (SELECT MAX(ts) FROM spot_hourly "
                     "WHERE ts >= :s AND ts < :e)", s=str(view.end), e=str(view.end + timedelta(days=1)))
    for row in latest.itertuples():
        if row.spot_id in frame.index:
            assert frame.loc[row.spot_id, "present"] == row.present
    assert list(frame["load"]) == sorted(frame["load"], reverse=True)  # most loaded first


def test_golden_week_loads_raise_the_crowd_levels_of_the_catalogue(demo_env):
    from data.catalogue import indicator
    from data.queries.tourism import spot_load

    ind = indicator("tourism.spot_load")
    yellow, red = ind.thresholds[1], ind.thresholds[3]
    assert (yellow, red) == (80, 100)  # 大客流预警 at 80 % and 100 % of the daily capacity
    frame = spot_load(ViewState(region=CITY, start=date(2026, 10, 1), end=date(2026, 10, 3)))
    assert (frame["load"] >= red).any()
    assert (frame.loc[frame["load"] >= red, "level"] == 4).all()
    assert (frame.loc[(frame["load"] >= yellow) & (frame["load"] < red), "level"].between(2, 3)).all()
    assert (frame.loc[frame["load"] < yellow, "level"] <= 1).all()


def test_spot_load_agrees_with_the_warnings_engine(db):
    from data.alerts import spot_load_readings
    from data.queries.tourism import spot_load

    today = date.fromisoformat(meta(db)["last_day"])
    engine = {(r.adcode, r.subject): r.value for r in spot_load_readings(today)}
    frame = spot_load(ViewState(region=CITY, start=today - timedelta(days=6), end=today))
    shown = {(r.adcode, r.name): r.load for r in frame.itertuples()}
    assert shown.keys() == engine.keys()
    for key, value in engine.items():
        assert shown[key] == pytest.approx(value)


def test_hours_of_the_day_for_all_or_the_selected_spots(db):
    from data.queries.tourism import spot_hours

    for spots in ((), ("1", "3")):
        view = VIEW.set_filter("spot", spots)
        frame = spot_hours(view).set_index("hour")
        where = f"AND spot_id IN ({','.join(spots)})" if spots else ""
        for day, suffix in ((VIEW.end, ""), (VIEW.end.replace(year=VIEW.end.year - 1), "_ly")):
            expected = sql(db, f"SELECT CAST(substr(ts, 12, 2) AS INTEGER) AS hour, SUM(arrivals) AS arrivals, "
                               f"SUM(present) AS present FROM spot_hourly WHERE ts >= :s AND ts < :e {where} "
                               f"GROUP BY hour", s=str(day), e=str(day + timedelta(days=1))).set_index("hour")
            for hour, row in expected.iterrows():
                assert frame.loc[hour, f"arrivals{suffix}"] == row["arrivals"]
                assert frame.loc[hour, f"present{suffix}"] == row["present"]
        assert list(frame.index) == list(range(24))


# ------------------------------------------------------------------------------------- headlines
def test_today_month_and_year_against_the_same_days_last_year(db):
    from data.queries.tourism import period_totals

    first_day = date.fromisoformat(meta(db)["first_day"])
    frame = period_totals(VIEW).set_index(["indicator", "period"])
    for code in ("tourism.visitors", "tourism.revenue"):
        for period, start in (("day", VIEW.end), ("month", date(2026, 11, 1)), ("year", date(2026, 1, 1))):
            row = frame.loc[(code, period)]
            assert row["value"] == pytest.approx(region_sum(db, code, CITY, start, VIEW.end))
            ly_start, ly_end = start.replace(year=2025), VIEW.end.replace(year=2025)
            if ly_start < first_day:  # the data do not reach back that far: nothing to compare
                assert pd.isna(row["last_year"]) and pd.isna(row["change_yoy"])
            else:
                last_year = region_sum(db, code, CITY, ly_start, ly_end)
                assert row["last_year"] == pytest.approx(last_year)
                assert row["change_yoy"] == pytest.approx((row["value"] - last_year) / last_year * 100)


def test_a_day_still_running_is_not_compared_with_a_whole_day(db):
    from data.queries.tourism import period_totals

    facts = meta(db)
    today, updated = date.fromisoformat(facts["last_day"]), datetime.fromisoformat(facts["updated_at"])
    frame = period_totals(ViewState(region=CITY, start=today - timedelta(days=6), end=today))
    day = frame[frame["period"] == "day"]
    assert (day["as_of"] == updated).all()
    assert day["change_yoy"].isna().all()
    assert frame.loc[frame["period"] == "month", "as_of"].isna().all()


def test_arrivals_at_selected_spots_with_changes(db):
    from data.queries.tourism import selected_spots_arrivals

    assert selected_spots_arrivals(VIEW) is None
    view = VIEW.set_filter("spot", ("1", "3"))
    result = selected_spots_arrivals(view)
    current = spot_days(db, [1, 3], view.start, view.end).sum()
    previous = spot_days(db, [1, 3], *view.previous_period()).sum()
    last_year = spot_days(db, [1, 3], *view.same_period_last_year()).sum()
    assert result["value"] == pytest.approx(current)
    assert result["previous"] == pytest.approx(previous)
    assert result["change_prev"] == pytest.approx((current - previous) / previous * 100)
    assert result["change_yoy"] == pytest.approx((current - last_year) / last_year * 100)


# ------------------------------------------------------------------------------------- trends
def test_visitor_trend_is_daily_with_last_year_and_follows_the_spot_filter(db):
    from data.queries.tourism import visitor_trend

    frame = visitor_trend(VIEW)
    assert len(frame) == VIEW.days
    for row in frame.itertuples():
        day = row.bucket.date()
        assert row.value == pytest.approx(region_sum(db, "tourism.visitors", CITY, day, day))
        before = day.replace(year=day.year - 1)
        assert row.last_year == pytest.approx(region_sum(db, "tourism.visitors", CITY, before, before))
    filtered = visitor_trend(VIEW.set_filter("spot", ("3",)))
    assert filtered.attrs["measure"] == "spot_arrivals"
    now = spot_days(db, [3], VIEW.start, VIEW.end)
    then = spot_days(db, [3], *VIEW.same_period_last_year())
    for row in filtered.itertuples():
        day = row.bucket.date()
        assert row.value == now[day]
        assert row.last_year == then[day.replace(year=day.year - 1)]


def test_holidays_of_the_past_year_day_for_day(db):
    from data.queries.tourism import holiday_comparison

    view = ViewState(region=CITY, start=date(2026, 9, 20), end=date(2026, 10, 3))  # 国庆 under way
    frame = holiday_comparison(view)
    assert list(frame["key"]) == ["new_year", "spring_festival", "qingming", "labour_day", "dragon_boat",
                                  "mid_autumn", "national_day"]
    national = frame.set_index("key").loc["national_day"]
    assert (national["start"], national["end"], national["days"]) == (date(2026, 10, 1), date(2026, 10, 3), 3)
    for row in frame.itertuples():
        assert row.visitors == pytest.approx(region_sum(db, "tourism.visitors", CITY, row.start, row.end))
        assert row.revenue == pytest.approx(region_sum(db, "tourism.revenue", CITY, row.start, row.end))
        assert pd.isna(row.last_year)  # the demo data begin after last year's holidays
    spots = holiday_comparison(view.set_filter("spot", ("1",))).set_index("key")
    arrivals = spot_days(db, [1], date(2026, 10, 1), date(2026, 10, 3)).sum()
    assert spots.loc["national_day", "visitors"] == pytest.approx(arrivals)
    assert spots["revenue"].isna().all()


def test_a_holiday_against_the_same_holiday_last_year(tmp_path, demo_env):
    """国庆 2026 (7 days) against 国庆 2025 (8 days, with 中秋): whole break against whole break once
    it is over, day for day while it is under way."""
    from data.db import get_engine
    from data.generator import generate
    from data.queries.tourism import holiday_comparison

    url = f"sqlite:///{tmp_path / 'two_golden_weeks.db'}"
    generate(url, scale=0.2, days=381, end=date(2026, 10, 10), seed=7)
    db = get_engine(url)
    with database(url):
        over = holiday_comparison(ViewState(region=CITY, start=date(2026, 10, 4), end=date(2026, 10, 10)))
        under_way = holiday_comparison(ViewState(region=CITY, start=date(2026, 10, 1), end=date(2026, 10, 3)))
    row = over.set_index("key").loc["national_day"]
    this_year = region_sum(db, "tourism.visitors", CITY, date(2026, 10, 1), date(2026, 10, 7))
    last_year = region_sum(db, "tourism.visitors", CITY, date(2025, 10, 1), date(2025, 10, 8))
    assert (row["last_start"], row["last_end"]) == (date(2025, 10, 1), date(2025, 10, 8))
    assert (row["visitors"], row["last_year"]) == (pytest.approx(this_year), pytest.approx(last_year))
    assert row["change_yoy"] == pytest.approx((this_year - last_year) / last_year * 100)
    assert row["revenue_last_year"] == pytest.approx(region_sum(db, "tourism.revenue", CITY, date(2025, 10, 1),
                                                                date(2025, 10, 8)))
    row = under_way.set_index("key").loc["national_day"]
    assert (row["last_start"], row["last_end"]) == (date(2025, 10, 1), date(2025, 10, 3))
    assert row["last_year"] == pytest.approx(region_sum(db, "tourism.visitors", CITY, date(2025, 10, 1),
                                                        date(2025, 10, 3)))


def test_each_holiday_is_paired_with_its_namesake_a_year_before():
    from data.queries.tourism import _same_holiday_a_year_before
    from data.generator.calendar import HOLIDAYS

    def find(key, year):
        return next(h for h in HOLIDAYS if h.key == key and h.start.year == year)

    new_year_2024 = next(h for h in HOLIDAYS if h.key == "new_year" and h.start == date(2023, 12, 30))
    assert _same_holiday_a_year_before(new_year_2024).start == date(2022, 12, 31)
    assert _same_holiday_a_year_before(find("national_day", 2026)).start == date(2025, 10, 1)
    assert _same_holiday_a_year_before(find("spring_festival", 2026)).start == date(2025, 1, 28)
    assert _same_holiday_a_year_before(find("mid_autumn", 2026)) is None  # 2025: merged into 国庆


# ------------------------------------------------------------------------------------- visitors
def test_origins_by_province_then_the_cities_of_the_selected_province(db):
    from data.queries.tourism import origin_cities, origin_provinces

    provinces = origin_provinces(VIEW).set_index("province")
    expected = sql(db, "SELECT origin_province AS p, SUM(visitors) AS v FROM visitor_origin_daily "
                       "WHERE day BETWEEN :s AND :e GROUP BY p", s=VIEW.start, e=VIEW.end).set_index("p")["v"]
    assert provinces["visitors"].to_dict() == pytest.approx(expected.astype(float).to_dict())
    assert provinces["share"].sum() == pytest.approx(100)
    assert list(provinces["visitors"]) == sorted(provinces["visitors"], reverse=True)

    cities = origin_cities(VIEW.set_filter("origin", ("浙江省",)))
    assert set(cities["province"]) == {"浙江省"}
    assert cities["visitors"].sum() == pytest.approx(provinces.loc["浙江省", "visitors"])
    assert "浙江省其他" in set(cities["label"]) and "杭州市" in set(cities["label"])
    everywhere = origin_cities(VIEW)
    assert everywhere["visitors"].sum() == pytest.approx(provinces["visitors"].sum())


@pytest.mark.parametrize("region", [CITY, YI])
def test_age_bands_and_length_of_stay(db, region):
    from data.queries.tourism import visitor_profile

    view = VIEW.with_region(region)
    codes = ",".join(f"'{c}'" for c in COUNTIES[region])
    totals = {}
    for dimension, order in (("age", ["<18", "18-30", "31-45", "46-60", ">60"]), ("stay", ["1d", "2d", "3d", "4d+"])):
        frame = visitor_profile(view, dimension)
        assert list(frame["bucket"]) == order
        expected = sql(db, f"SELECT bucket, SUM(visitors) AS v FROM visitor_profile_daily WHERE dimension = :d "
                           f"AND adcode IN ({codes}) AND day BETWEEN :s AND :e GROUP BY bucket",
                       d=dimension, s=view.start, e=view.end).set_index("bucket")["v"]
        assert frame.set_index("bucket")["visitors"].to_dict() == pytest.approx(expected.astype(float).to_dict())
        assert frame["share"].sum() == pytest.approx(100)
        totals[dimension] = frame["visitors"].sum()
    assert totals["age"] == totals["stay"]  # every visitor has an age band and a length of stay


# ------------------------------------------------------------------------------------- PostgreSQL
def test_the_same_answers_from_postgresql(tmp_path, demo_env):
    from data.generator import generate
    from data.queries import tourism

    pg_url, schema = pg_schema_url("tourism")
    try:
        lite_url = f"sqlite:///{tmp_path / 'small.db'}"
        for url in (lite_url, pg_url):
            generate(url, scale=0.2, days=40, end=DEMO_END, seed=11)
        view = ViewState(region=CITY, start=DEMO_END - timedelta(days=9), end=DEMO_END - timedelta(days=1))
        queries = {
            "spot_load": lambda: tourism.spot_load(view),
            "spot_hours": lambda: tourism.spot_hours(view.set_filter("spot", ("2",))),
            "period_totals": lambda: tourism.period_totals(view),
            "trend": lambda: tourism.visitor_trend(view.with_region(YI).set_filter("spot", ("3",))),
            "holidays": lambda: tourism.holiday_comparison(view),
            "provinces": lambda: tourism.origin_provinces(view),
            "cities": lambda: tourism.origin_cities(view.set_filter("origin", ("安徽省",))),
            "age": lambda: tourism.visitor_profile(view.with_region(YI), "age"),
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


# ------------------------------------------------------------------------------------- summaries
# The spot load, the arrivals at chosen spots and the origins read the summary tables
# (data/summaries.py): exactly the answers of the raw rows, on both databases. These are the raw
# rows' answers, read with the query layer's own connection.
def raw_spot_days(ids, start: date, end: date) -> dict[int, dict[date, float]]:
    """spot → day → arrivals of every day with hourly rows, from spot_hourly."""
    from sqlalchemy import func, select

    from data.queries.common import as_date, date_expression, day_bounds, fetch
    from data.queries.tourism import HOURLY

    low, high = day_bounds(start, end)
    day = date_expression(HOURLY.c.ts)
    out: dict[int, dict[date, float]] = {int(i): {} for i in ids}
    for spot_id, value, arrivals in fetch(select(HOURLY.c.spot_id, day, func.sum(HOURLY.c.arrivals))
                                          .where(HOURLY.c.spot_id.in_([int(i) for i in ids]), HOURLY.c.ts >= low,
                                                 HOURLY.c.ts < high)
                                          .group_by(HOURLY.c.spot_id, day)):
        out[int(spot_id)][as_date(value)] = float(arrivals)
    return out


def raw_arrivals(ids, start: date, end: date) -> float | None:
    days = [value for spot in raw_spot_days(ids, start, end).values() for value in spot.values()]
    return float(sum(days)) if days else None


def raw_origins(view: ViewState, keys: tuple[str, ...]) -> dict[tuple, float]:
    from sqlalchemy import func, select

    from data.models import VisitorOriginDaily
    from data.queries.common import counties_under, fetch

    origin = VisitorOriginDaily.__table__
    conditions = [origin.c.adcode.in_(counties_under(view.region)), origin.c.day.between(view.start, view.end)]
    if view.filter_values("origin"):
        conditions.append(origin.c.origin_province.in_(view.filter_values("origin")))
    rows = fetch(select(*[origin.c[k] for k in keys], func.sum(origin.c.visitors))
                 .where(*conditions).group_by(*[origin.c[k] for k in keys]))
    return {tuple(row[:-1]): float(row[-1]) for row in rows}


SUMMARY_VIEWS = [
    ViewState(region=CITY, start=date(2026, 1, 1), end=DEMO_END),  # 本年: months, weeks and days
    ViewState(region=YI, start=date(2026, 1, 1), end=DEMO_END),
    ViewState(region="341003", start=DEMO_END - timedelta(days=399), end=DEMO_END),  # 400 days: every day
    ViewState(region=CITY, start=date(2026, 2, 11), end=date(2026, 6, 9)),  # months cut at both ends
    ViewState(region=CITY, start=date(2026, 1, 1), end=DEMO_END).set_filter("spot", ("1", "3")),
    ViewState(region=CITY, start=DEMO_END - timedelta(days=399), end=DEMO_END).set_filter("spot", ("2",)),
    ViewState(region=CITY, start=date(2026, 1, 1), end=DEMO_END).set_filter("origin", ("浙江省",)),
]


@pytest.mark.parametrize("backend_name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_summaries_give_the_answers_of_the_raw_rows(backend_name, demo_env, request):
    from data.queries import tourism
    from data.queries.common import counties_under, fetch
    from sqlalchemy import select

    with demo_database(request, backend_name):
        first_day, _ = tourism.data_span()
        for view in SUMMARY_VIEWS:
            name = f"{view.region} {view.start}…{view.end} {view.filters}"
            # each spot's last day, peak day (the first on a tie) and its load
            loads = tourism.spot_load(view).set_index("spot_id")
            spots = dict(fetch(select(tourism.SPOT.c.id, tourism.SPOT.c.capacity)
                               .where(tourism.SPOT.c.adcode.in_(counties_under(view.region)))))
            assert set(loads.index) == set(spots), name
            for spot_id, days in raw_spot_days(spots, view.start, view.end).items():
                row = loads.loc[spot_id]
                assert row["arrivals"] == days.get(view.end, 0.0), name
                busy = {day: value for day, value in days.items() if value > 0}
                peak = max(busy.values(), default=None)
                assert row["peak_load"] == (100 * peak / spots[spot_id] if peak is not None else 0.0), name
                assert row["peak_day"] == min(day for day, value in busy.items() if value == peak), name
            # visitors by origin province and city
            provinces = tourism.origin_provinces(view)
            expected = {province: value for (province,), value in raw_origins(view, ("origin_province",)).items()}
            if not view.filter_values("origin"):
                assert dict(zip(provinces["province"], provinces["visitors"])) == expected, name
            cities = tourism.origin_cities(view)
            assert len(cities) > 0
            assert dict(zip(zip(cities["province"], cities["city"]), cities["visitors"])) == \
                raw_origins(view, ("origin_province", "origin_city")), name
            ids = [int(i) for i in view.filter_values("spot")]
            if not ids:
                continue
            # arrivals at the chosen spots: the range, the period before, last year; by day; holidays
            arrivals = tourism.selected_spots_arrivals(view)
            for key, (start, end) in (("value", (view.start, view.end)), ("previous", view.previous_period()),
                                      ("last_year", view.same_period_last_year())):
                assert arrivals[key] == (raw_arrivals(ids, start, end) if start >= first_day else None), name
            trend = tourism.visitor_trend(view)
            by_day = {}
            for spot in raw_spot_days(ids, view.start, view.end).values():
                for day, value in spot.items():
                    by_day[day] = by_day.get(day, 0.0) + value
            assert dict(zip(trend["bucket"].dt.date, trend["value"])) == by_day, name
            for row in tourism.holiday_comparison(view).itertuples():
                assert row.visitors == raw_arrivals(ids, row.start, row.end), name
                if row.last_start is not None and not pd.isna(row.last_start):
                    assert row.last_year == raw_arrivals(ids, row.last_start, row.last_end), name
