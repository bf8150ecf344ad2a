"""The warnings engine: levels, escalation, clearing, hysteresis, "since when", and its storage."""
import os
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from data.catalogue import catalogue, indicator
from data.db import create_schema, dispose_engines, session_scope
from data.models import WarningState
from data.warnings import (CLEARED, DE_ESCALATED, ESCALATED, RAISED, Reading, judge_level, load_open,
                           persist, step)

AQI = indicator("env.aqi")  # lower is better
VIDEO = indicator("safety.video_online_rate")  # higher is better
CITY = "341000"
T0 = datetime(2024, 5, 1, 8, 0)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def aqi_reading(value, adcode=CITY):
    return Reading("env.aqi", adcode, "", value)


def release(ind, level):
    """The value at which `level` of `ind` is let go, just past the hysteresis margin."""
    threshold = ind.thresholds[level - 1]
    margin = ind.hysteresis * abs(threshold) + 0.01
    return threshold + margin if ind.direction == "higher_better" else threshold - margin


def test_catalogue_indicators_used_here_have_hysteresis():
    assert AQI.hysteresis > 0 and VIDEO.hysteresis > 0
    assert AQI.direction == "lower_better" and VIDEO.direction == "higher_better"


@pytest.mark.parametrize("ind", [AQI, VIDEO], ids=["lower_better", "higher_better"])
def test_each_threshold_raises_its_level(ind):
    blue, yellow, orange, red = ind.thresholds
    worse = 1 if ind.direction == "lower_better" else -1
    assert judge_level(ind, blue - worse, 0) == 0
    assert judge_level(ind, blue, 0) == 1
    assert judge_level(ind, yellow, 0) == 2
    assert judge_level(ind, (orange + red) / 2, 0) == 3
    assert judge_level(ind, red, 0) == 4
    assert judge_level(ind, red + 50 * worse, 1) == 4  # several levels at once


@pytest.mark.parametrize("ind", [AQI, VIDEO], ids=["lower_better", "higher_better"])
def test_a_level_drops_only_past_its_release_point(ind):
    red = ind.thresholds[3]
    just_back = red - 0.5 if ind.direction == "lower_better" else red + 0.5
    assert judge_level(ind, just_back, 0) == 3  # a fresh reading there is orange …
    assert judge_level(ind, just_back, 4) == 4  # … but a red warning holds within the margin
    assert judge_level(ind, release(ind, 4), 4) == 3
    assert judge_level(ind, release(ind, 2), 4) == 1  # far enough: several levels at once
    assert judge_level(ind, release(ind, 1), 4) == 0


def test_level_out_of_range_is_refused():
    with pytest.raises(ValueError, match="env.aqi"):
        judge_level(AQI, 120, 5)


def test_escalation_de_escalation_and_clearing_over_steps():
    blue, yellow, orange, red = AQI.thresholds
    warnings, changes = step({}, [aqi_reading(blue + 1)], at(0))
    assert [(c.kind, c.previous_level, c.level) for c in changes] == [(RAISED, 0, 1)]
    warning = warnings[("env.aqi", CITY, "")]
    assert (warning.level, warning.value, warning.threshold) == (1, blue + 1, blue)

    warnings, changes = step(warnings, [aqi_reading(orange + 1)], at(1))
    assert [(c.kind, c.previous_level, c.level) for c in changes] == [(ESCALATED, 1, 3)]
    assert warnings[("env.aqi", CITY, "")].threshold == orange

    warnings, changes = step(warnings, [aqi_reading(orange + 2)], at(2))
    assert changes == []  # same level: no change, but the value is current
    assert warnings[("env.aqi", CITY, "")].value == orange + 2
    assert warnings[("env.aqi", CITY, "")].updated_at == at(2)

    warnings, changes = step(warnings, [aqi_reading(release(AQI, 3))], at(3))
    assert [(c.kind, c.previous_level, c.level) for c in changes] == [(DE_ESCALATED, 3, 2)]

    warnings, changes = step(warnings, [aqi_reading(release(AQI, 1))], at(4))
    assert [(c.kind, c.previous_level, c.level) for c in changes] == [(CLEARED, 2, 0)]
    assert changes[0].warning.value == release(AQI, 1)
    assert warnings == {}


def test_since_is_when_this_level_or_higher_was_reached_in_the_episode():
    blue, yellow, orange, red = AQI.thresholds
    warnings, _ = step({}, [aqi_reading(blue)], at(0))
    warnings, _ = step(warnings, [aqi_reading(yellow)], at(1))
    warning = warnings[("env.aqi", CITY, "")]
    assert (warning.since, warning.opened_at) == (at(1), at(0))
    warnings, _ = step(warnings, [aqi_reading(red)], at(2))
    warnings, _ = step(warnings, [aqi_reading(red + 10)], at(3))
    warning = warnings[("env.aqi", CITY, "")]
    assert (warning.level, warning.since, warning.opened_at) == (4, at(2), at(0))
    # back to yellow: yellow-or-worse has held since at(1) without a break
    warnings, _ = step(warnings, [aqi_reading(yellow + 1)], at(4))
    warning = warnings[("env.aqi", CITY, "")]
    assert (warning.level, warning.since, warning.opened_at) == (2, at(1), at(0))
    # orange again: a new stretch at orange-or-worse begins now
    warnings, _ = step(warnings, [aqi_reading(orange)], at(5))
    assert warnings[("env.aqi", CITY, "")].since == at(5)
    # cleared, then raised again: a new episode
    warnings, _ = step(warnings, [aqi_reading(0)], at(6))
    warnings, _ = step(warnings, [aqi_reading(blue)], at(7))
    assert warnings[("env.aqi", CITY, "")].opened_at == at(7)


@pytest.mark.parametrize("ind, level", [(AQI, 1), (VIDEO, 2)], ids=["lower_better", "higher_better"])
def test_hysteresis_stops_a_value_on_a_threshold_from_flapping(ind, level):
    threshold = ind.thresholds[level - 1]
    worse = 0.5 if ind.direction == "lower_better" else -0.5
    values = [threshold + (worse if i % 2 == 0 else -worse) for i in range(20)]  # starts on the worse side

    def run(indicators):
        warnings, all_changes, levels = {}, [], []
        for i, value in enumerate(values):
            warnings, changes = step(warnings, [Reading(ind.code, CITY, "", value)], at(i), indicators)
            all_changes += changes
            levels.append(warnings[(ind.code, CITY, "")].level if warnings else 0)
        return all_changes, levels

    changes, levels = run(None)
    assert len(changes) == 1 and changes[0].kind == RAISED
    assert levels == [level] * 20
    # the same values without hysteresis flap at every step: what the margin is there to prevent
    flapping, _ = run({ind.code: replace(ind, hysteresis=0.0)})
    assert len(flapping) >= 19


def test_readings_without_value_or_thresholds_leave_warnings_alone():
    no_thresholds = next(ind for ind in catalogue().values() if not ind.has_thresholds)
    warnings, _ = step({}, [aqi_reading(AQI.thresholds[1])], at(0))
    after, changes = step(warnings, [aqi_reading(None), aqi_reading(float("nan"), "341002"),
                                     Reading(no_thresholds.code, CITY, "", 1e9),
                                     Reading("no.such_indicator", CITY, "", 1e9)], at(1))
    assert after == warnings and changes == []


def test_warnings_are_kept_apart_by_region_and_subject():
    red = VIDEO.thresholds[3]
    readings = [aqi_reading(AQI.thresholds[0], "341002"), aqi_reading(0, "341003"),
                Reading(VIDEO.code, "341002", "", red), Reading(VIDEO.code, "341002", "camera group A", 99.9)]
    warnings, changes = step({}, readings, at(0))
    assert set(warnings) == {("env.aqi", "341002", ""), (VIDEO.code, "341002", "")}
    assert len(changes) == 2


def test_two_readings_for_one_warning_in_a_step_are_refused():
    with pytest.raises(ValueError, match="two readings"):
        step({}, [aqi_reading(120), aqi_reading(130)], at(0))


def test_warnings_of_an_indicator_that_lost_its_thresholds_are_cleared():
    warnings, _ = step({}, [aqi_reading(AQI.thresholds[2])], at(0))
    after, changes = step(warnings, [], at(1), {AQI.code: replace(AQI, thresholds=())})
    assert after == {} and [(c.kind, c.previous_level) for c in changes] == [(CLEARED, 3)]


# ------------------------------------------------------------------ storage in warning_state

@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'warnings.db'}"
    yield url
    dispose_engines()


@pytest.fixture
def postgres_url():
    base = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    schema = f"test_warnings_{uuid.uuid4().hex[:10]}"
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


@pytest.mark.parametrize("database", ["sqlite_url", "postgres_url"])
def test_open_warnings_survive_a_round_trip_through_the_database(database, request):
    url = request.getfixturevalue(database)
    create_schema(url)
    blue, yellow, orange, red = AQI.thresholds
    spot = Reading(VIDEO.code, "341002", "黄山风景区", VIDEO.thresholds[0])

    def refresh(readings, now):
        with session_scope(url) as session:
            warnings, changes = step(load_open(session), readings, now)
            persist(session, warnings, now)
        return warnings, changes

    refresh([aqi_reading(blue), spot], at(0))
    refresh([aqi_reading(red)], at(1))
    warnings, changes = refresh([aqi_reading(yellow + 1)], at(2))  # red → yellow
    assert [c.kind for c in changes] == [DE_ESCALATED]
    with session_scope(url) as session:
        assert load_open(session) == warnings
    stored = warnings[("env.aqi", CITY, "")]
    assert (stored.level, stored.since, stored.opened_at) == (2, at(1), at(0))

    refresh([aqi_reading(0)], at(3))  # the AQI warning clears, the spot's stays
    with session_scope(url) as session:
        assert set(load_open(session)) == {(VIDEO.code, "341002", "黄山风景区")}
        rows = session.scalars(select(WarningState).order_by(WarningState.id)).all()
        assert [(row.indicator, row.level, row.cleared_at) for row in rows] == [
            ("env.aqi", 2, at(3)), (VIDEO.code, 1, None)]
        assert rows[0].since == at(1) and rows[0].updated_at == at(2)

    refresh([aqi_reading(orange)], at(4))  # a new episode is a new row
    with session_scope(url) as session:
        rows = session.scalars(select(WarningState).where(WarningState.indicator == "env.aqi")).all()
        assert sorted((row.since, row.cleared_at is None) for row in rows) == [(at(1), False), (at(4), True)]
