"""城市安全 queries against hand-written SQL on the generated demo database: the cockpit's numbers
are the incident rows they claim to count, every filter and the county drill move them exactly,
the counts agree with the incident desk, and PostgreSQL gives the same figures as SQLite."""
from __future__ import annotations

import sqlite3
from datetime import date

import pandas as pd
import pytest

from conftest import DEMO_END
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


def test_postgres_gives_the_same_figures(env, postgres_copy):  # noqa: F811
    from data.queries import safety

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
