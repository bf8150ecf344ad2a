"""The incident desk's server side: the grid's requests are validated against a whitelist, pages
are exactly the rows direct SQL gives in the same order (deep pages and backward pages too), the
desk counts what the cockpits count, and the detail view is refused, masked and audited as the
user's role and scope require."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, datetime

import pytest

from conftest import DEMO_END
from services import drop_pg_schema, pg_schema_url

MONTH = (date(2026, 10, 27), DEMO_END)


@pytest.fixture(scope="module")
def env(demo_env):
    from callbacks.state import forget_data_days
    from data.cache import forget_data_version

    forget_data_version()
    forget_data_days()
    return demo_env


def view_of(**changes):
    from core.viewstate import ViewState

    view = ViewState(page="/incidents", region="341000", start=MONTH[0], end=MONTH[1])
    filters = changes.pop("filters", {})
    view = replace(view, **changes)
    for dimension, values in filters.items():
        view = view.set_filter(dimension, values)
    return view


def raw(start=0, end=100, sort=None, filters=None):
    return {"startRow": start, "endRow": end, "sortModel": sort if sort is not None else [], "filterModel": filters or {}}


def sql_ids(env, where: str, params: tuple, order: str) -> list[int]:
    """The same rows straight from SQLite, with hand-written SQL."""
    path = env["url"].split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute(f"SELECT id FROM incident WHERE {where} ORDER BY {order}", params)]


MONTH_WHERE = "reported_at >= '2026-10-27 00:00:00' AND reported_at < '2026-11-26 00:00:00'"


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, words", [
    ("not a dict", "not an object"),
    ({"startRow": "0", "endRow": 100}, "startRow"),
    ({"startRow": 0, "endRow": 100000}, "block"),
    ({"startRow": -5, "endRow": 100}, "startRow"),
    ({"startRow": 100, "endRow": 100}, "block"),
    (raw(sort=[{"colId": "reporter_phone", "sort": "asc"}]), "cannot sort by 'reporter_phone'"),
    (raw(sort=[{"colId": "reported_at; DROP TABLE incident", "sort": "asc"}]), "cannot sort by"),
    (raw(sort=[{"colId": "reported_at", "sort": "sideways"}]), "sort direction"),
    (raw(sort=[{"colId": "address", "sort": "asc"}]), "cannot sort by 'address'"),
    (raw(sort={"colId": "code"}), "sort by at most"),
    (raw(sort=[{"colId": "code", "sort": "asc"}, {"colId": "code", "sort": "desc"}]), "sorted twice"),
    (raw(filters={"reporter_name": {"filterType": "text", "type": "contains", "filter": "张"}}),
     "cannot filter by 'reporter_name'"),
    (raw(filters={"severity": {"filterType": "number", "type": "equals", "filter": 1}}), "cannot filter by 'severity'"),
    (raw(filters={"code": {"filterType": "number", "type": "equals", "filter": 1}}), "filter type of 'code'"),
    (raw(filters={"code": {"filterType": "text", "type": "regex", "filter": ".*"}}), "operator 'regex'"),
    (raw(filters={"code": {"filterType": "text", "type": "contains", "filter": "x" * 500}}), "1–60 characters"),
    (raw(filters={"code": {"filterType": "text", "type": "contains", "filter": 7}}), "1–60 characters"),
    (raw(filters={"satisfaction": {"filterType": "number", "type": "equals", "filter": "1 OR 1=1"}}),
     "must be a number"),
    (raw(filters={"reported_at": {"filterType": "date", "type": "equals", "dateFrom": "yesterday"}}), "YYYY-MM-DD"),
    (raw(filters={"code": {"filterType": "text", "operator": "XOR", "conditions": []}}), "combined filter"),
    (raw(filters={"code": {"filterType": "text", "operator": "OR", "conditions": [
        {"filterType": "text", "type": "contains", "filter": "1"}] * 3}}), "combined filter"),
    (raw(filters=["code"]), "not an object"),
])
def test_malformed_requests_are_refused_with_a_clear_message(env, bad, words):
    from data.queries.incident_grid import GridRequestError, grid_page

    with pytest.raises(GridRequestError) as refused:
        grid_page(view_of(), bad)
    assert words in refused.value.message("en")
    assert refused.value.message("zh").startswith("表格请求无效")


def test_user_text_is_a_bound_parameter_never_sql(env):
    from sqlalchemy import select

    from data.db import get_engine
    from data.queries.incident_grid import filter_conditions, grid_page, parse_request
    from data.queries.incidents import I

    evil = "x' OR '1'='1'; DROP TABLE incident; --"
    request = parse_request(raw(filters={"address": {"filterType": "text", "type": "contains", "filter": evil}}))
    compiled = select(I.c.id).where(*filter_conditions(request.filters)).compile(get_engine())
    assert "DROP" not in str(compiled) and evil in compiled.params.values()
    page, _ = grid_page(view_of(), raw(filters={"address": {"filterType": "text", "type": "contains",
                                                            "filter": evil}}))
    assert page.total == 0 and page.rows == []
    assert grid_page(view_of(), raw())[0].total > 0  # the table is still there


# -- pages against direct SQL -------------------------------------------------------------------
def test_first_page_and_count_match_direct_sql_and_the_cockpit_counts(env):
    from data.queries import incidents
    from data.queries.incident_grid import grid_page

    view = view_of(filters={"status": ("open",)})
    page, _ = grid_page(view, raw(sort=[{"colId": "reported_at", "sort": "desc"}]))
    expected = sql_ids(env, MONTH_WHERE + " AND status IN ('reported','accepted','dispatched','handled')", (),
                       "reported_at DESC, id DESC")
    assert page.exact and page.total == len(expected) == incidents.counts(view)["total"]
    assert [r["id"] for r in page.rows] == expected[:100]


@pytest.mark.parametrize("sort, order", [
    ([], "reported_at DESC, id DESC"),
    ([{"colId": "type", "sort": "asc"}], "type_code ASC, reported_at ASC, id ASC"),
    ([{"colId": "severity", "sort": "desc"}], "severity DESC, reported_at DESC, id DESC"),
    ([{"colId": "county", "sort": "asc"}, {"colId": "reported_at", "sort": "desc"}],
     "adcode ASC, reported_at DESC, id DESC"),
    ([{"colId": "overdue", "sort": "desc"}, {"colId": "deadline_at", "sort": "asc"}],
     "overdue DESC, deadline_at ASC, reported_at ASC, id ASC"),
])
def test_every_page_forwards_and_backwards_is_the_sql_order(env, sort, order):
    """Walk forwards (keyset seeks from each page's last row), jump to the last page, walk back
    (backward seeks), then open a middle page cold: always exactly the rows of direct SQL."""
    from data.queries import incident_grid
    from data.queries.incident_grid import grid_page

    incident_grid._local.items.clear()  # no anchors from other tests
    view = view_of()
    expected = sql_ids(env, MONTH_WHERE, (), order)
    size = 100
    pages = range(0, len(expected), size)
    forwards = [r["id"] for start in pages for r in grid_page(view, raw(start, start + size, sort))[0].rows]
    assert forwards == expected
    incident_grid._local.items.clear()
    backwards = [grid_page(view, raw(start, start + size, sort))[0].rows for start in reversed(pages)]
    assert [r["id"] for rows in reversed(backwards) for r in rows] == expected
    incident_grid._local.items.clear()
    middle = pages[len(pages) // 2]
    assert [r["id"] for r in grid_page(view, raw(middle, middle + size, sort))[0].rows] == \
        expected[middle:middle + size]


def test_pages_of_a_county_user_stay_in_the_county(env):
    from data.queries.incident_grid import grid_page

    page, _ = grid_page(view_of(region="341003"), raw(0, 500))
    assert page.rows and {r["adcode"] for r in page.rows} == {"341003"}
    assert page.total == len(sql_ids(env, MONTH_WHERE + " AND adcode = ?", ("341003",), "id"))


@pytest.mark.parametrize("filters, where, params", [
    ({"reported_at": {"filterType": "date", "type": "inRange", "dateFrom": "2026-11-10 00:00:00",
                      "dateTo": "2026-11-12 00:00:00"}},
     "reported_at >= '2026-11-10' AND reported_at < '2026-11-13'", ()),
    ({"reported_at": {"filterType": "date", "type": "equals", "dateFrom": "2026-11-20"}},
     "date(reported_at) = '2026-11-20'", ()),
    ({"closed_at": {"filterType": "date", "type": "blank"}}, "closed_at IS NULL", ()),
    ({"department": {"filterType": "text", "type": "contains", "filter": "公安"}}, "department LIKE ?", ("%公安%",)),
    ({"code": {"filterType": "text", "type": "startsWith", "filter": "sj2026112"}}, "code LIKE ?", ("SJ2026112%",)),
    ({"satisfaction": {"filterType": "number", "type": "inRange", "filter": 1, "filterTo": 3}},
     "satisfaction BETWEEN 1 AND 3", ()),
    ({"summary": {"filterType": "text", "operator": "OR", "conditions": [
        {"filterType": "text", "type": "contains", "filter": "噪声"},
        {"filterType": "text", "type": "contains", "filter": "垃圾"}]}},
     "(summary LIKE '%噪声%' OR summary LIKE '%垃圾%')", ()),
])
def test_column_filters_mean_what_they_say(env, filters, where, params):
    from data.queries.incident_grid import grid_page

    expected = sql_ids(env, f"{MONTH_WHERE} AND {where}", params, "reported_at DESC, id DESC")
    page, _ = grid_page(view_of(), raw(0, 500, filters=filters))
    assert expected, "the demo data should have rows for this filter"
    assert page.total == len(expected) and [r["id"] for r in page.rows] == expected[:500]


def test_a_big_result_has_an_estimated_total_and_still_pages_to_its_true_end(env, monkeypatch):
    from data.queries import incident_grid
    from data.queries.incident_grid import grid_page

    monkeypatch.setattr(incident_grid, "EXACT_COUNT_LIMIT", 50)  # the demo data are small: scale the
    monkeypatch.setattr(incident_grid, "SAMPLE_ROWS", 20)  # thresholds down with them
    incident_grid._local.items.clear()
    view = view_of(filters={"theme": ("governance",)})
    page, _ = grid_page(view, raw())
    expected = sql_ids(env, MONTH_WHERE + " AND theme = 'governance'", (), "reported_at DESC, id DESC")
    assert not page.exact and 0.6 < page.total / len(expected) < 1.6
    assert [r["id"] for r in page.rows] == expected[:100]
    last = (page.total - 1) // 100 * 100
    rows = grid_page(view, raw(last, last + 100))[0].rows
    assert rows and [r["id"] for r in rows] == expected[-len(rows):]
    incident_grid._local.items.clear()


# -- the same paging on PostgreSQL --------------------------------------------------------------
@pytest.fixture
def postgres_copy(env):
    """The demo data the incident queries read (incidents, their types, hazard sources, region
    indicators) copied into a PostgreSQL schema of their own; the settings point there meanwhile."""
    import pandas as pd
    from sqlalchemy import create_engine

    from core.settings import get_settings, override_settings
    from data import bulk
    from data.db import create_schema
    from data.models import DataMeta, HazardSource, Incident, IncidentType, RegionDaily
    from data.summaries import rebuild_summaries

    url, schema = pg_schema_url("incgrid")
    source = create_engine(env["url"])
    try:
        create_schema(url)
        target = create_engine(url)
        with target.begin() as conn:
            for model in (IncidentType, Incident, HazardSource, RegionDaily, DataMeta):
                bulk.insert_frame(conn, model.__table__, pd.read_sql_table(model.__tablename__, source))
            rebuild_summaries(conn, tables=["summary_region_period"])  # the indicators' periods are read there
        target.dispose()
        previous = get_settings()
        override_settings(database_url=url)
        yield url
        override_settings(database_url=previous.database_url)
    finally:
        source.dispose()
        from data.db import dispose_engines

        dispose_engines()
        drop_pg_schema(schema)


def test_postgres_pages_are_the_same_rows_as_sqlite(env, postgres_copy):
    from data.queries import incident_grid
    from data.queries.incident_grid import grid_page

    incident_grid._local.items.clear()
    view = view_of(filters={"source": ("12345", "110")})
    sort = [{"colId": "type", "sort": "desc"}]
    expected = sql_ids(env, MONTH_WHERE + " AND source IN ('12345','110')", (), "type_code DESC, reported_at DESC, id DESC")
    got = []
    for start in range(0, len(expected), 100):
        page, _ = grid_page(view, raw(start, start + 100, sort,
                                      {"address": {"filterType": "text", "type": "contains", "filter": "县"}}))
        got += [r["id"] for r in page.rows]
    with_address = set(sql_ids(env, MONTH_WHERE + " AND address LIKE '%县%'", (), "id"))
    assert got == [i for i in expected if i in with_address]
    incident_grid._local.items.clear()
    last, _ = grid_page(view, raw((len(expected) - 1) // 100 * 100, (len(expected) - 1) // 100 * 100 + 100, sort))
    assert [r["id"] for r in last.rows] == expected[(len(expected) - 1) // 100 * 100:]


# -- the detail view: role, scope, masking, audit -----------------------------------------------
@pytest.fixture(scope="module")
def dash_app(env):
    """The Dash app (its pages registered), for rendering the detail view inside a request."""
    from app import app

    return app


def open_detail(dash_app, user, incident_id, monkeypatch):
    """What the router renders for /incidents/<id> when `user` asks."""
    import pages.incidents as module
    from callbacks.state import resolve_view

    monkeypatch.setattr(module, "current_user", lambda: user)
    with dash_app.server.test_request_context("/_dash-update-component", method="POST"):
        return module.detail_page(resolve_view(f"/incidents/{incident_id}", "", user=user))


def text_of(component) -> str:
    if isinstance(component, (str, int, float)):
        return str(component)
    if component is None:
        return ""
    children = getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        return " ".join(text_of(c) for c in children)
    return text_of(children)


@pytest.fixture(scope="module")
def person_incident(env):
    """An open incident reported by a person (not a sensor) in 屯溪区."""
    path = env["url"].split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT id, reporter_phone, reporter_name FROM incident WHERE adcode = '341002' "
                            "AND reporter_phone != '' ORDER BY id DESC LIMIT 1").fetchone()


def test_detail_masks_the_reporter_for_roles_without_personal_data_and_audits(env, dash_app, person_incident,
                                                                               monkeypatch):
    from core.audit import recent_audit
    from core.auth import User
    from core.masking import mask_phone

    incident_id, phone, name = person_incident
    leader = User("leader1", "领导", "leader", "341000")
    shown = text_of(open_detail(dash_app, leader, incident_id, monkeypatch))
    assert mask_phone(phone) in shown and phone not in shown and name not in shown
    assert "上报" in shown and "办结" in shown and "回访" in shown
    duty = User("duty1", "值班员", "duty", "341000")
    assert phone in text_of(open_detail(dash_app, duty, incident_id, monkeypatch))
    entries = [e for e in recent_audit(10, "incident_detail") if e.username in ("leader1", "duty1")]
    assert {e.username for e in entries} == {"leader1", "duty1"}
    assert all(e.detail.get("incident_id") == incident_id for e in entries)


def test_detail_is_refused_without_the_right_or_outside_the_scope(env, dash_app, person_incident, monkeypatch):
    from core.audit import recent_audit
    from core.auth import User

    incident_id, phone, _ = person_incident
    staff = User("staff1", "科员", "staff", "341000")
    refused = text_of(open_detail(dash_app, staff, incident_id, monkeypatch))
    assert "无权查看事件详情" in refused and phone not in refused
    elsewhere = User("duty_hsq", "值班员", "duty", "341003")  # 黄山区; the incident is in 屯溪区
    refused = text_of(open_detail(dash_app, elsewhere, incident_id, monkeypatch))
    assert "不在您的管辖范围内" in refused and phone not in refused
    missing = text_of(open_detail(dash_app, User("duty1", "值班员", "duty", "341000"), 19990101000001,
                                  monkeypatch))
    assert "不存在" in missing
    reasons = {e.username: e.detail.get("refused") for e in recent_audit(20, "incident_detail")}
    assert reasons["staff1"] == "role" and reasons["duty_hsq"].startswith("not found")


def test_timeline_marks_late_steps_against_the_limits(env):
    from datetime import timedelta

    from data.queries import incidents

    path = env["url"].split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        late_id = conn.execute("SELECT i.id FROM incident i JOIN incident_type t ON t.code = i.type_code "
                               "WHERE i.closed_at IS NOT NULL AND i.closed_at > i.deadline_at LIMIT 1").fetchone()[0]
    record = incidents.detail(late_id)
    steps = {s["step"]: s for s in incidents.timeline(record, datetime(2030, 1, 1))}
    assert steps["closed"]["late"] and steps["closed"]["due_at"] == record["deadline_at"]
    for key in ("accepted", "dispatched", "handled", "closed"):
        due = record["reported_at"] + timedelta(minutes=record[f"{key}_limit_min"])
        assert steps[key]["late"] == (record[f"{key}_at"] > due)
    assert steps["visited"]["limit_min"] is None and not steps["visited"]["late"]
