"""AQI by HJ 633-2012: what the environment panel shows for a reading."""
import math

import numpy as np
import pandas as pd
import pytest

from data.aqi import LEVELS, aqi, aqi_frame, iaqi, is_good_day, level


@pytest.mark.parametrize("concentration, expected", [
    (0, 0), (35, 50), (75, 100), (115, 150), (150, 200), (250, 300), (350, 400), (500, 500),
])
def test_pm25_breakpoints_give_the_standard_index(concentration, expected):
    assert iaqi("pm25", concentration) == expected


def test_between_breakpoints_the_index_is_interpolated():
    # (100 − 50) / (75 − 35) · (55 − 35) + 50 = 75 exactly: no float noise may lift it to 76
    assert iaqi("pm25", 55) == 75
    assert iaqi("pm25", 55, "hourly") == 75


def test_fractional_indexes_are_rounded_up():
    # (150 − 100) / (115 − 75) · (80 − 75) + 100 = 106.25 → 107
    assert iaqi("pm25", 80) == 107
    # (150 − 100) / (250 − 150) · (151 − 150) + 100 = 100.5 → 101
    assert iaqi("pm10", 151) == 101
    assert iaqi("pm25", 35.01) == 51


def test_concentrations_beyond_the_scale_are_500():
    assert iaqi("pm25", 900) == 500
    assert iaqi("co", 200, "hourly") == 500


def test_hourly_and_daily_use_their_own_tables():
    assert iaqi("no2", 200, "hourly") == 100
    assert iaqi("no2", 80, "daily") == 100
    assert iaqi("co", 10, "hourly") == 100
    assert iaqi("co", 4, "daily") == 100
    assert iaqi("o3", 200, "hourly") == 100  # 1-hour table
    assert iaqi("o3", 160, "daily") == 100  # daily maximum 8-hour table
    # particles use the 24-hour breakpoints in the hourly report too
    assert iaqi("pm25", 75, "hourly") == iaqi("pm25", 75, "daily") == 100


def test_so2_hourly_above_800_is_read_on_the_24_hour_table():
    assert iaqi("so2", 800, "hourly") == 200
    # 24-hour table: (300 − 200) / (1600 − 800) · (900 − 800) + 200 = 212.5 → 213
    assert iaqi("so2", 900, "hourly") == 213
    assert iaqi("so2", 1600, "hourly") == 300


def test_o3_8_hour_above_800_is_read_on_the_1_hour_table():
    assert iaqi("o3", 800, "daily") == 300
    # 1-hour table: (400 − 300) / (1000 − 800) · (900 − 800) + 300 = 350
    assert iaqi("o3", 900, "daily") == 350


def test_wrong_input_is_refused_with_a_message():
    with pytest.raises(ValueError, match="pollutant"):
        iaqi("pm1", 10)
    with pytest.raises(ValueError, match="period"):
        iaqi("pm25", 10, "weekly")
    with pytest.raises(ValueError, match="negative"):
        iaqi("pm25", -1)
    with pytest.raises(ValueError, match="no pollutant"):
        aqi({"pm25": None})


def test_aqi_is_the_highest_index_and_names_its_pollutant():
    assert aqi({"pm25": 80, "pm10": 60, "o3": 100, "no2": 30, "so2": 10, "co": 0.8}) == (107, "pm25")
    # O3 8-hour: (150 − 100) / (215 − 160) · (170 − 160) + 100 = 109.09 → 110
    daily = {"pm25": 20, "pm10": 60, "o3_8h": 170, "no2": 30, "so2": 10, "co": 0.8}
    assert aqi(daily, "daily") == (110, "o3")


def test_no_primary_pollutant_on_an_excellent_reading():
    value, primary = aqi({"pm25": 30, "pm10": 45, "o3": 80, "no2": 20, "so2": 5, "co": 0.5}, "hourly")
    assert value == 45 and primary == ""  # PM10 45 → 45 is the highest index
    assert aqi({"pm25": 35, "pm10": 50}) == (50, "")  # exactly 50 is still 优
    assert aqi({"pm25": 35.01, "pm10": 50}) == (51, "pm25")


def test_tied_pollutants_are_all_named():
    assert aqi({"pm25": 75, "pm10": 150, "no2": 20}) == (100, "pm25,pm10")


def test_missing_pollutants_are_left_out():
    assert aqi({"pm25": float("nan"), "pm10": 151, "co": None}) == (101, "pm10")


def _random_readings(rows: int, o3_column: str) -> pd.DataFrame:
    rng = np.random.default_rng(633)
    frame = pd.DataFrame({
        "pm25": rng.gamma(2.0, 30.0, rows),
        "pm10": rng.gamma(2.0, 50.0, rows),
        o3_column: rng.gamma(2.5, 50.0, rows),
        "no2": rng.gamma(2.0, 25.0, rows),
        "so2": rng.gamma(1.5, 40.0, rows) * rng.choice([1, 10], rows, p=[0.95, 0.05]),
        "co": rng.gamma(2.0, 0.6, rows),
    })
    # breakpoint values make ties; some cells are missing
    frame.loc[::7, "pm25"] = 75.0
    frame.loc[::7, "pm10"] = 150.0
    frame.loc[::11, "no2"] = np.nan
    frame.loc[3, ["pm25", "pm10", o3_column, "no2", "so2"]] = np.nan
    return frame


@pytest.mark.parametrize("period, o3_column", [("hourly", "o3"), ("daily", "o3_8h")])
def test_frame_agrees_with_single_readings(period, o3_column):
    frame = _random_readings(2000, o3_column)
    values, primaries = aqi_frame(frame, period)
    assert values.dtype == np.int64 and list(values.index) == list(frame.index)
    expected = [aqi(row, period) for row in frame.to_dict("records")]
    assert list(zip(values.tolist(), primaries.tolist())) == expected
    assert any("," in primary for primary in primaries)  # ties were exercised
    assert (primaries == "").any() and (values > 200).any()  # so were clean air and heavy pollution


def test_frame_without_any_concentration_in_a_row_is_refused():
    frame = pd.DataFrame({"pm25": [40.0, math.nan], "pm10": [50.0, math.nan]})
    with pytest.raises(ValueError, match="1 row"):
        aqi_frame(frame)


@pytest.mark.parametrize("value, expected", [
    (0, 1), (50, 1), (51, 2), (100, 2), (101, 3), (150, 3), (151, 4), (200, 4), (201, 5), (300, 5),
    (301, 6), (500, 6),
])
def test_levels(value, expected):
    assert level(value) == expected


def test_levels_have_standard_names_colours_and_text_labels():
    assert [entry.name_zh for entry in LEVELS] == [
        "优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"]
    assert [entry.name("en") for entry in LEVELS] == [
        "Excellent", "Good", "Lightly polluted", "Moderately polluted", "Heavily polluted",
        "Severely polluted"]
    assert [entry.colour for entry in LEVELS] == [
        "#00e400", "#ffff00", "#ff7e00", "#ff0000", "#99004c", "#7e0023"]
    assert LEVELS[2].label() == "三级 轻度污染"
    assert LEVELS[2].label("en") == "Level 3 · Lightly polluted"
    assert all(entry.text_colour != entry.colour for entry in LEVELS)


def test_good_days_are_aqi_up_to_100():
    assert is_good_day(100) and is_good_day(12)
    assert not is_good_day(101)
