"""城市安全 queries against hand-written SQL on the generated demo database: the cockpit's numbers
are the incident rows they claim to count, every filter and the county drill move them exactly,
the counts agree with the incident desk, and PostgreSQL gives the same figures as SQLite."""
from __future__ import annotations

import sqlite3
from datetime import date

import pandas as pd
import pytest

from conftest import DEMO_END, demo_database
from test_incident_grid import postgres_copy  # noqa: F401  (the PostgreSQL copy of the demo data)

MONTH = (date(2026, 10, 27), DEMO_END)
OPEN = "('reported','accepted','dispatched','handled')"


@pytest.fixture(scope="module")
def env(demo_env):
    from callbacks.state import forget_data_days
    from data.cache import forget_data_version

    forget_data_version()
    forget_data_days()
    return demo_env


def view_of(region="341000", start=MONTH[0], end=MONTH[1], **filters):
    from core.viewstate import ViewState

    view = ViewState(page="/safety", region=region, start=start, end=end)
    for dimension, values in filters.items():
        view = view.set_filter(dimension, values)
    return view


def query(env, sql: str, params=()) -> pd.DataFrame:
    with sqlite3.connect(env["url"].split("///", 1)[1]) as conn:
        return pd.read_sql_query(sql, conn, params=params)


def where(start=MONTH[0], end=MONTH[1], counties=None, extra="") -> str:
    from datetime import timedelta

    clause = f"reported_at >= '{start} 00:00:00' AND reported_at < '{end + timedelta(days=1)} 00:00:00'"
    if counties:
        clause += f" AND adcode IN ({','.join(repr(c) for c in counties)})"
    return clause + (f" AND {extra}" if extra else "")


def kpi(frame: pd.DataFrame, key: str) -> dict:
    return frame.set_index("key").loc[key].to_dict()


def test_headline_counts_are_the_incident_rows(env):
    from data.queries import safety

    frame = safety.kpis(view_of())
    row = query(env, f"SELECT count(*) n, sum(status IN {OPEN}) open, sum(status IN {OPEN} AND overdue) open_overdue, "
                     f"sum(closed_at IS NOT NULL) closed, sum(closed_at IS NOT NULL AND NOT overdue) ontime "
                     f"FROM incident WHERE {where()}").iloc[0]
    assert kpi(frame, "incidents")["value"] == row.n > 0
    assert kpi(frame, "open")["value"] == row.open and kpi(frame, "open_overdue")["value"] == row.open_overdue
    assert kpi(frame, "ontime_rate")["value"] == pytest.approx(100 * row.ontime / row.closed)
    previous = query(env, f"SELECT count(*) n FROM incident WHERE {where(date(2026, 9, 27), date(2026, 10, 26))}").n[0]
    assert kpi(frame, "incidents")["change_prev"] == pytest.approx((row.n - previous) / previous * 100)
    hazards = query(env, "SELECT kind, count(*) n FROM hazard_source GROUP BY kind").set_index("kind")["n"]
    assert kpi(frame, "hazmat")["value"] == hazards["hazmat"] and kpi(frame, "fire_key")["value"] == hazards["fire_key"]


def test_breakdowns_by_source_severity_and_status(env):
    from data.queries import safety

    view = view_of()
    sources = query(env, f"SELECT source, count(*) incidents, sum(overdue) overdue FROM incident WHERE {where()} "
                         "GROUP BY source").set_index("source")
    got = safety.by_source(view).set_index("source")
    assert got["incidents"].to_dict() == sources["incidents"].to_dict()
    assert got["overdue"].to_dict() == sources["overdue"].to_dict()
    assert list(got["incidents"]) == sorted(got["incidents"], reverse=True)
    severity = query(env, f"SELECT severity, count(*) n FROM incident WHERE {where()} GROUP BY severity")
    got = safety.by_severity(view).set_index("severity")["incidents"]
    assert list(got.index) == [1, 2, 3, 4]
    assert {k: v for k, v in got.items() if v} == dict(zip(severity["severity"], severity["n"]))
    status = query(env, f"SELECT status, count(*) n FROM incident WHERE {where()} GROUP BY status")
    got = safety.by_status(view)
    assert list(got["status"]) == ["reported", "accepted", "dispatched", "handled", "closed", "visited"]
    assert {k: v for k, v in zip(got["status"], got["incidents"]) if v} == dict(zip(status["status"], status["n"]))


def test_county_table_and_its_sums(env):
    from data.queries import safety

    frame = safety.by_county(view_of())
    expected = query(env, f"""SELECT adcode, count(*) incidents, sum(status IN {OPEN}) open,
        sum(status IN {OPEN} AND overdue) open_overdue, sum(closed_at IS NOT NULL) closed,
        avg((julianday(accepted_at) - julianday(reported_at)) * 1440) accept_minutes,
        avg((julianday(closed_at) - julianday(reported_at)) * 1440) close_minutes
        FROM incident WHERE {where()} GROUP BY adcode""").set_index("adcode")
    assert list(frame["adcode"]) == ["341002", "341003", "341004", "341021", "341022", "341023", "341024"]
    for row in frame.itertuples():
        assert (row.incidents, row.open, row.open_overdue, row.closed) == tuple(
            expected.loc[row.adcode, ["incidents", "open", "open_overdue", "closed"]])
        assert row.accept_minutes == pytest.approx(expected.loc[row.adcode, "accept_minutes"])
        assert row.close_minutes == pytest.approx(expected.loc[row.adcode, "close_minutes"])
    assert frame["incidents"].sum() == safety.kpis(view_of()).set_index("key").loc["incidents", "value"]
    # a county drill: one row, the county's own figures
    county = safety.by_county(view_of(region="341021"))
    assert list(county["adcode"]) == ["341021"]
    assert county["incidents"][0] == frame.set_index("adcode").loc["341021", "incidents"]


def test_step_times_against_the_limits(env):
    from data.queries import safety

    rows = query(env, f"""SELECT i.*, t.accept_limit_min, t.dispatch_limit_min, t.handle_limit_min, t.close_limit_min
        FROM incident i JOIN incident_type t ON t.code = i.type_code WHERE {where()}""")
    reported = pd.to_datetime(rows["reported_at"])
    got = safety.step_times(view_of()).set_index("step")
    for step, limit in (("accepted", "accept_limit_min"), ("dispatched", "dispatch_limit_min"),
                        ("handled", "handle_limit_min"), ("closed", "close_limit_min")):
        minutes = (pd.to_datetime(rows[f"{step}_at"]) - reported).dt.total_seconds() / 60
        reached = minutes.notna()
        within = int((minutes[reached] <= rows.loc[reached, limit] + 1e-6).sum())
        assert got.loc[step, "reached"] == reached.sum()
        assert got.loc[step, "within"] == within
        assert got.loc[step, "mean_minutes"] == pytest.approx(minutes[reached].mean(), rel=1e-6)
        assert got.loc[step, "mean_limit"] == pytest.approx(rows.loc[reached, limit].mean())
    # 办结 within its limit is exactly "closed on time"
    assert got.loc["closed", "within_share"] == pytest.approx(kpi(safety.kpis(view_of()), "ontime_rate")["value"])


def test_trend_density_and_hazards_add_up(env):
    from data.queries import safety

    view = view_of()
    total = kpi(safety.kpis(view), "incidents")["value"]
    trend = safety.trend(view)
    assert len(trend) == 30 and trend["value"].sum() == total
    last_year = query(env, f"SELECT count(*) n FROM incident WHERE {where(date(2025, 10, 27), date(2025, 11, 25))}").n[0]
    assert trend["last_year"].sum() == last_year
    density = safety.density(view)
    assert density["incidents"].sum() == total and set(density["adcode"]) <= set(safety.county_codes("341000"))
    hazards = safety.hazards_by_county(view)
    expected = query(env, "SELECT adcode, kind, count(*) n FROM hazard_source GROUP BY adcode, kind")
    assert {(a, k): n for a, k, n in zip(hazards["adcode"], hazards["kind"], hazards["sources"]) if n} == \
        {(a, k): n for a, k, n in zip(expected["adcode"], expected["kind"], expected["n"])}
    points = safety.hazard_points(view_of(region="341002", hazard=("fire_key",)))
    assert set(points["kind"]) == {"fire_key"} and set(points["adcode"]) == {"341002"}


def test_cross_filters_and_drill_move_every_figure_exactly(env):
    from data.queries import safety

    view = view_of(region="341021", source=("110",), severity=("3", "4"))
    extra = "source = '110' AND severity IN (3, 4)"
    expected = query(env, f"SELECT count(*) n, sum(status IN {OPEN} AND overdue) od FROM incident "
                          f"WHERE {where(counties=['341021'], extra=extra)}").iloc[0]
    frame = safety.kpis(view)
    assert kpi(frame, "incidents")["value"] == expected.n > 0
    assert kpi(frame, "open_overdue")["value"] == expected.od
    assert safety.by_county(view)["incidents"].sum() == expected.n
    assert safety.trend(view)["value"].sum() == expected.n
    assert safety.step_times(view).set_index("step").loc["accepted", "reached"] == expected.n


def test_every_count_links_to_the_desk_rows_it_counts(env):
    """The county table's overdue count and the desk it links to: the same incidents."""
    from components.incident_parts import desk_view
    from data.queries import safety
    from data.queries.incident_grid import grid_page

    view = view_of(type=("gov.municipal", "gov.sanitation", "safety.public_order"))
    for row in safety.by_county(view).itertuples():
        county = view.with_region(row.adcode)
        for count, filters in ((row.incidents, {}), (row.open, {"status": ("open",)}),
                               (row.open_overdue, {"status": ("open",), "overdue": ("1",)})):
            desk = desk_view(county, **filters)
            assert desk.page == "/incidents" and desk.region == row.adcode
            page, _ = grid_page(desk, {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}})
            assert page.total == count


@pytest.fixture
def postgres_summaries(postgres_copy):  # noqa: F811
    """The PostgreSQL copy of the incidents with their summaries built there, by PostgreSQL."""
    from data.db import get_engine
    from data.summaries import rebuild_summaries

    with get_engine(postgres_copy).begin() as conn:
        rebuild_summaries(conn, tables=["summary_incident", "summary_incident_cell"])
    return postgres_copy


def test_postgres_gives_the_same_figures(env, postgres_summaries):
    from data.queries import safety

    postgres_copy = postgres_summaries
    sqlite_view = view_of(source=("12345", "110"))
    pg = {name: fn(sqlite_view) for name, fn in (("kpis", safety.kpis), ("steps", safety.step_times),
                                                 ("counties", safety.by_county), ("trend", safety.trend),
                                                 ("density", safety.density), ("hazards", safety.hazards_by_county))}
    from core.settings import override_settings

    override_settings(database_url=env["url"])
    try:
        for name, fn in (("kpis", safety.kpis), ("steps", safety.step_times), ("counties", safety.by_county),
                         ("trend", safety.trend), ("density", safety.density), ("hazards", safety.hazards_by_county)):
            expected = fn(sqlite_view)
            got = pg[name]
            if name == "density":  # same cells, maybe listed in another order among equal counts
                key = ["adcode", "incidents", "overdue"]
                expected, got = expected.sort_values(key).reset_index(drop=True), got.sort_values(key).reset_index(drop=True)
            pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True),
                                          check_dtype=False, rtol=1e-6, obj=name)
    finally:
        override_settings(database_url=postgres_copy)


def test_timeline_of_an_open_incident_marks_pending_steps_late_after_their_due_time(env):
    from datetime import timedelta

    from data.queries import incidents

    incident_id = query(env, "SELECT id FROM incident WHERE status = 'dispatched' ORDER BY id DESC LIMIT 1").id[0]
    record = incidents.detail(int(incident_id))
    due = record["reported_at"] + timedelta(minutes=record["handled_limit_min"])
    before = {s["step"]: s for s in incidents.timeline(record, due - timedelta(minutes=1))}
    after = {s["step"]: s for s in incidents.timeline(record, due + timedelta(minutes=1))}
    assert not before["handled"]["reached"] and not before["handled"]["late"] and after["handled"]["late"]
    assert after["reported"]["reached"] and after["accepted"]["reached"] and after["dispatched"]["reached"]


# -- the summaries ------------------------------------------------------------------------------
# The incident figures read summary_incident and summary_incident_cell (data/summaries.py); these
# are the same queries on the incident rows (`incident_conditions`), as they were before the summaries.
def rows_counts(view) -> dict:
    from sqlalchemy import and_, case, func, select

    from data.queries.common import read
    from data.queries.incidents import OPEN_STATUSES, I, incident_conditions

    is_open, overdue, closed = I.c.status.in_(OPEN_STATUSES), I.c.overdue.is_(True), I.c.closed_at.is_not(None)
    row = read(select(func.count().label("total"), func.sum(case((is_open, 1), else_=0)).label("open"),
                      func.sum(case((overdue, 1), else_=0)).label("overdue"),
                      func.sum(case((and_(is_open, overdue), 1), else_=0)).label("open_overdue"),
                      func.sum(case((closed, 1), else_=0)).label("closed"),
                      func.sum(case((and_(closed, I.c.overdue.is_(False)), 1), else_=0)).label("closed_on_time"))
               .where(*incident_conditions(view))).iloc[0].to_dict()
    out = {k: int(v or 0) for k, v in row.items()}
    out["ontime_rate"] = (100.0 * out["closed_on_time"] / out["closed"]) if out["closed"] else None
    return out


def rows_grouped(view, column: str, lang: str = "zh") -> pd.DataFrame:
    """Incidents, open and overdue ones grouped by a column of incident (type_code: with its name)."""
    from sqlalchemy import case, func, select

    from data.queries.common import read
    from data.queries.incidents import OPEN_STATUSES, I, T, incident_conditions

    key = I.c[column]
    columns = [key] + ([(T.c.name_en if lang == "en" else T.c.name).label("name")] if column == "type_code" else [])
    statement = (select(*columns, func.count().label("incidents"),
                        func.sum(case((I.c.status.in_(OPEN_STATUSES), 1), else_=0)).label("open"),
                        func.sum(case((I.c.overdue.is_(True), 1), else_=0)).label("overdue"))
                 .select_from(I.join(T, T.c.code == I.c.type_code)).where(*incident_conditions(view))
                 .group_by(*columns))
    return read(statement).set_index(column).sort_index()


def rows_step_times(view) -> pd.DataFrame:
    from sqlalchemy import and_, case, func, select

    from data.db import get_engine
    from data.queries.common import read
    from data.queries.incidents import STEP_LIMITS, I, T, incident_conditions
    from data.summaries import minutes_of, time_number

    dialect = get_engine().dialect.name
    columns = []
    for step, limit in STEP_LIMITS.items():
        at = I.c[f"{step}_at"]
        minutes = minutes_of(time_number(at, dialect), time_number(I.c.reported_at, dialect), dialect)
        columns += [func.count(at).label(f"{step}_n"), func.avg(minutes).label(f"{step}_mean"),
                    func.avg(case((at.is_not(None), limit))).label(f"{step}_limit"),
                    func.sum(case((and_(at.is_not(None), minutes <= limit), 1), else_=0)).label(f"{step}_within")]
    row = read(select(*columns).select_from(I.join(T, T.c.code == I.c.type_code))
               .where(*incident_conditions(view))).iloc[0]
    return pd.DataFrame([{"step": step, "reached": int(row[f"{step}_n"] or 0),
                          "mean_minutes": None if pd.isna(row[f"{step}_mean"]) else float(row[f"{step}_mean"]),
                          "mean_limit": None if pd.isna(row[f"{step}_limit"]) else float(row[f"{step}_limit"]),
                          "within": int(row[f"{step}_within"] or 0)} for step in STEP_LIMITS])


def rows_daily(view) -> pd.Series:
    from sqlalchemy import func, select

    from data.queries.common import date_expression, read
    from data.queries.incidents import I, incident_conditions

    day = date_expression(I.c.reported_at)
    frame = read(select(day.label("day"), func.count().label("n")).where(*incident_conditions(view)).group_by(day))
    return pd.Series(frame["n"].to_numpy(), index=pd.to_datetime(frame["day"]), dtype=float)


def rows_trend(view) -> pd.DataFrame:
    """Per day from the rows, then buckets: what safety.trend computed before the summaries."""
    from data.queries.common import grain_for

    grain = grain_for(view.start, view.end)
    current = rows_daily(view)
    last_year = rows_daily(view.with_range(*view.same_period_last_year()))
    last_year.index = last_year.index + pd.DateOffset(years=1)
    last_year = last_year.groupby(level=0).sum()
    every_day = pd.date_range(view.start, view.end, freq="D")
    frame = pd.DataFrame({"value": current.reindex(every_day, fill_value=0.0),
                          "last_year": last_year.reindex(every_day, fill_value=0.0)})
    if grain != "day":
        frame = frame.groupby(frame.index.to_period("W" if grain == "week" else "M").start_time).sum()
    return frame.rename_axis("bucket").reset_index()


def rows_density(view) -> pd.DataFrame:
    from sqlalchemy import case, func, select

    from data.queries.common import read
    from data.queries.incidents import I, incident_conditions

    cell_lat, cell_lon = func.round(I.c.lat * 10), func.round(I.c.lon * 10)
    frame = read(select(I.c.adcode, func.avg(I.c.lat).label("lat"), func.avg(I.c.lon).label("lon"),
                        func.count().label("incidents"),
                        func.sum(case((I.c.overdue.is_(True), 1), else_=0)).label("overdue"))
                 .where(*incident_conditions(view)).group_by(I.c.adcode, cell_lat, cell_lon))
    return frame.sort_values(["adcode", "lat", "lon"]).reset_index(drop=True)


SUMMARY_VIEWS = [
    dict(start=date(2026, 1, 1)),  # 本年: whole months, weeks and days
    dict(region="341021", start=date(2026, 1, 1)),
    dict(start=date(2025, 10, 22)),  # 400 days: weekly buckets
    dict(region="341003", start=date(2025, 1, 1)),  # monthly buckets, part of them before the data
    dict(start=date(2026, 3, 5), end=date(2026, 8, 19), theme=("safety", "traffic")),
    dict(region="341024", start=date(2026, 1, 1), type=("safety.fire",), severity=("3", "4")),
    dict(start=date(2026, 1, 1), status=("open", "closed")),
    dict(start=date(2026, 6, 3), end=date(2026, 9, 28), overdue=("1",), source=("110", "12345")),
    dict(start=date(2026, 10, 27), severity=("4",)),  # the map of a severity: from its cells too
    dict(region="341022", start=date(2026, 2, 11), severity=("2", "3")),
    dict(),
]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_summaries_give_the_figures_of_the_incident_rows(env, request, database):
    """Every incident figure of the cockpits read from the summaries equals the same figure counted
    on the incident rows, for regions, long and short ranges and every filter."""
    from data.queries import incidents, safety

    with demo_database(request, database):
        for arguments in SUMMARY_VIEWS:
            view = view_of(**arguments)
            name = f"{view.region} {view.start}…{view.end} {view.filters}"
            assert incidents.counts(view) == pytest.approx(rows_counts(view), nan_ok=True), name
            assert incidents.counts(view)["total"] > 0, name
            for column, got in (("theme", incidents.by_theme(view)), ("type_code", incidents.by_type(view, "en")),
                                ("source", safety.by_source(view))):
                expected = rows_grouped(view, column, "en")
                got = got.set_index(column).sort_index()
                pd.testing.assert_frame_equal(got, expected[got.columns], check_dtype=False, obj=f"{column} {name}")
            status = rows_grouped(view, "status")
            got = safety.by_status(view).set_index("status")
            assert got.loc[got["incidents"] > 0, ["incidents", "overdue"]].sort_index().to_dict() == \
                status[["incidents", "overdue"]].to_dict(), name
            severity = rows_grouped(view, "severity")["incidents"].to_dict()
            assert {k: v for k, v in safety.by_severity(view).set_index("severity")["incidents"].items() if v} == \
                severity, name
            funnel = incidents.closed_loop(view).set_index("stage")["incidents"]
            steps = rows_step_times(view).set_index("step")
            assert funnel["reported"] == rows_counts(view)["total"]
            assert funnel["closed"] == steps.loc["closed", "reached"]
            got = safety.step_times(view).set_index("step")
            pd.testing.assert_frame_equal(got[steps.columns], steps, check_dtype=False, rtol=1e-9,
                                          obj=f"steps {name}")
            counties = safety.by_county(view).set_index("adcode")
            by_adcode = rows_grouped(view, "adcode")
            assert counties["incidents"].sum() == incidents.counts(view)["total"], name
            for county in set(counties.index) & set(by_adcode.index):  # rows of a city's counties: the city
                assert tuple(counties.loc[county, ["incidents", "open"]]) == \
                    tuple(by_adcode.loc[county, ["incidents", "open"]]), name
            pd.testing.assert_frame_equal(safety.trend(view), rows_trend(view), check_dtype=False,
                                          obj=f"trend {name}")
            if set(view.filter_dict) <= {"severity"}:
                density = safety.density(view).sort_values(["adcode", "lat", "lon"]).reset_index(drop=True)
                pd.testing.assert_frame_equal(density, rows_density(view), check_dtype=False, rtol=1e-9,
                                              obj=f"density {name}")
