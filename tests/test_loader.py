"""The loader: good files (CSV, XLSX, Parquet) load and reload to the same rows; every kind of bad
file is rejected whole with a report naming row, column and reason, and nothing is half-written.

Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
"""
from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from fixtures.topic_db import CITY, FIXTURES, REGION_DAILY_CSV, db_url, huangshan, sqlite_url  # noqa: F401
from sqlalchemy import func, select

from data import loader
from data.db import Base, dispose_engines, get_engine
from data.load import main as load_main
from data.loader import LOADABLE_TABLES, load_file
from data.models import AirStation, DataMeta, Incident, IncidentType, RegionDaily

DAY = "2024-05-02"


def fixture_rows(name: str = "region_daily_huangshan.csv") -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False)


def write_csv(tmp_path, rows: pd.DataFrame, name: str = "upload.csv"):
    path = tmp_path / name
    rows.to_csv(path, index=False)
    return path


def row_of(rows: pd.DataFrame, indicator: str, adcode: str, day: str = DAY) -> int:
    """The spreadsheet row number of a fixture row (header = row 1)."""
    position = rows.index[(rows.indicator == indicator) & (rows.adcode == adcode) & (rows.day == day)][0]
    return int(position) + 2


def table_rows(url: str, model) -> list[tuple]:
    table = model.__table__
    with get_engine(url).connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(table)).all())


def count(url: str, model) -> int:
    with get_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar()


def meta(url: str, key: str) -> str | None:
    with get_engine(url).connect() as conn:
        return conn.execute(select(DataMeta.value).where(DataMeta.key == key)).scalar()


def problems_at(report, row=None, column=None) -> list[str]:
    return [p.reason for p in report.problems
            if (row is None or p.row == row) and (column is None or p.column == column)]


def assert_rejected(report, url, model, rows_before: int = 0):
    assert not report.ok
    assert report.rows_written == 0
    assert "REJECTED" in report.format() and "nothing was written" in report.format()
    assert count(url, model) == rows_before


# --------------------------------------------------------------------------------------- good files
def test_a_good_csv_loads_every_row_and_bumps_the_data_version(db_url):
    report = load_file(REGION_DAILY_CSV, "region_daily", db_url)

    assert report.ok, report.format()
    assert (report.rows_read, report.rows_written) == (120, 120)
    assert count(db_url, RegionDaily) == 120
    assert meta(db_url, "version") == "1"
    assert meta(db_url, "updated_at")
    with get_engine(db_url).connect() as conn:
        city = conn.execute(select(RegionDaily.value, RegionDaily.numerator, RegionDaily.denominator)
                            .where(RegionDaily.indicator == "tourism.hotel_occupancy",
                                   RegionDaily.adcode == CITY, RegionDaily.day == pd.Timestamp(DAY).date())).one()
    rows = fixture_rows()
    expected = rows[(rows.indicator == "tourism.hotel_occupancy") & (rows.adcode == CITY) & (rows.day == DAY)]
    assert city == (float(expected.value.iloc[0]), float(expected.numerator.iloc[0]),
                    float(expected.denominator.iloc[0]))


def test_loading_the_same_file_twice_changes_nothing(db_url):
    first = load_file(REGION_DAILY_CSV, "region_daily", db_url)
    snapshot = table_rows(db_url, RegionDaily)

    second = load_file(REGION_DAILY_CSV, "region_daily", db_url)

    assert first.ok and second.ok
    assert (second.rows_read, second.rows_written) == (120, 0)
    assert table_rows(db_url, RegionDaily) == snapshot
    assert meta(db_url, "version") == "1"  # nothing changed, so cached figures stay valid
    assert "0 written" in second.format() and "120 already up to date" in second.format()


def test_a_corrected_file_updates_just_the_rows_that_changed(db_url, tmp_path):
    load_file(REGION_DAILY_CSV, "region_daily", db_url)
    rows = fixture_rows()
    county = (rows.indicator == "tourism.visitors") & (rows.adcode == "341002") & (rows.day == DAY)
    city = (rows.indicator == "tourism.visitors") & (rows.adcode == CITY) & (rows.day == DAY)
    rows.loc[county, "value"] = str(int(rows.loc[county, "value"].iloc[0]) + 100)
    rows.loc[city, "value"] = str(int(rows.loc[city, "value"].iloc[0]) + 100)

    report = load_file(write_csv(tmp_path, rows), "region_daily", db_url)

    assert report.ok, report.format()
    assert report.rows_written == 2
    assert count(db_url, RegionDaily) == 120
    assert meta(db_url, "version") == "2"


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_xlsx_and_parquet_files_load_the_same_rows_as_the_csv(db_url, tmp_path, kind):
    # Typed cells, as a spreadsheet or a data pipeline has them: numeric region codes, real dates.
    typed = pd.read_csv(REGION_DAILY_CSV, dtype={"adcode": int})
    typed["day"] = pd.to_datetime(typed["day"])
    path = tmp_path / f"upload.{kind}"
    if kind == "xlsx":
        typed.to_excel(path, index=False, sheet_name="数据")
    else:
        typed.assign(adcode=typed["adcode"].astype(str), day=typed["day"].dt.date).to_parquet(path, index=False)

    report = load_file(path, "region_daily", db_url)
    again = load_file(path, "region_daily", db_url)

    assert report.ok, report.format()
    assert report.rows_written == 120 and again.rows_written == 0
    with get_engine(db_url).connect() as conn:
        stored = pd.DataFrame(conn.execute(select(RegionDaily.__table__)).all())
    stored = stored.assign(day=pd.to_datetime(stored["day"])).set_index(["indicator", "adcode", "day"]).sort_index()
    expected = typed.assign(adcode=typed["adcode"].astype(str)).set_index(["indicator", "adcode", "day"]).sort_index()
    # Excel keeps 15-16 significant digits, so a value may differ from the CSV's in its last bit.
    pd.testing.assert_frame_equal(stored, expected, check_exact=False, rtol=1e-14, check_index_type=False)


def test_an_xlsx_sheet_can_be_chosen_and_a_missing_sheet_is_named(sqlite_url, tmp_path):
    path = tmp_path / "upload.xlsx"
    with pd.ExcelWriter(path) as workbook:
        pd.DataFrame({"说明": ["黄山市 2024年5月"]}).to_excel(workbook, sheet_name="说明", index=False)
        fixture_rows().to_excel(workbook, sheet_name="region_daily", index=False)

    assert load_file(path, "region_daily", sqlite_url, sheet="region_daily").ok
    missing = load_file(path, "region_daily", sqlite_url, sheet="Sheet9")
    assert not missing.ok and "no sheet 'Sheet9'" in missing.format() and "region_daily" in missing.format()


def test_a_gb18030_csv_from_chinese_excel_is_read(sqlite_url, tmp_path):
    path = tmp_path / "stations.csv"
    path.write_bytes((FIXTURES / "air_station.csv").read_text(encoding="utf-8").encode("gb18030"))

    assert load_file(path, "air_station", sqlite_url).ok
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(AirStation.name).where(AirStation.id == 3)).scalar() == "歙县环保局"


def test_a_dry_run_checks_everything_and_writes_nothing(db_url):
    report = load_file(REGION_DAILY_CSV, "region_daily", db_url, dry_run=True)

    assert report.ok and report.rows_written == 120
    assert "dry run" in report.format()
    assert count(db_url, RegionDaily) == 0 and meta(db_url, "version") is None


def test_entity_and_hourly_tables_load_with_their_foreign_keys(db_url):
    assert load_file(FIXTURES / "air_station.csv", "air_station", db_url).ok
    report = load_file(FIXTURES / "air_daily.csv", "air_daily", db_url)
    assert report.ok, report.format()
    assert report.rows_written == 6


def test_incidents_are_keyed_by_code_and_numbered_by_the_loader(db_url):
    with get_engine(db_url).begin() as conn:
        conn.execute(IncidentType.__table__.insert().values(
            code="road_damage", theme="safety", name="道路损坏", name_en="Road damage", accept_limit_min=30,
            dispatch_limit_min=60, handle_limit_min=1440, close_limit_min=2880, department="市城市管理局"))
        conn.execute(Incident.__table__.insert().values(
            id=41, code="HS20240430-0009", theme="safety", source="12345", type_code="road_damage", severity=4,
            status="reported", adcode="341002", lat=29.71, lon=118.31, department="市城市管理局",
            reported_at=pd.Timestamp("2024-04-30 10:00").to_pydatetime(),
            deadline_at=pd.Timestamp("2024-05-02 10:00").to_pydatetime()))

    first = load_file(FIXTURES / "incident.csv", "incident", db_url)
    second = load_file(FIXTURES / "incident.csv", "incident", db_url)

    assert first.ok and first.rows_written == 3, first.format()
    assert second.ok and second.rows_written == 0
    with get_engine(db_url).connect() as conn:
        ids = dict(conn.execute(select(Incident.code, Incident.id)).all())
        address = conn.execute(select(Incident.address).where(Incident.code == "HS20240501-0002")).scalar()
    assert ids == {"HS20240430-0009": 41, "HS20240501-0001": 42, "HS20240501-0002": 43, "HS20240501-0003": 44}
    assert address == "歙县徽城镇"


@pytest.fixture(scope="module")
def demo_copy(request, tmp_path_factory):
    """A private copy of the generated demo database (tests/conftest.py), or a skip without the generator."""
    pytest.importorskip("data.generator", reason="the demo data generator is not available")
    source = sqlite3.connect(request.getfixturevalue("demo_env")["url"].split("///", 1)[1])
    path = tmp_path_factory.mktemp("demo_copy") / "cockpit.db"
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    yield f"sqlite:///{path}"
    dispose_engines()


@pytest.mark.parametrize("table", LOADABLE_TABLES)
def test_every_table_of_the_demo_data_reloads_from_csv_unchanged(demo_copy, tmp_path, table):
    """What the app itself holds, exported as a department would, passes every check and changes nothing."""
    with get_engine(demo_copy).connect() as conn:
        exported = pd.read_sql(select(Base.metadata.tables[table]), conn)

    report = load_file(write_csv(tmp_path, exported), table, demo_copy)

    assert report.ok, report.format()
    assert (report.rows_read, report.rows_written) == (len(exported), 0)


# ----------------------------------------------------------------------------------------- bad files
def test_a_missing_required_column_is_named(db_url, tmp_path):
    report = load_file(write_csv(tmp_path, fixture_rows().drop(columns=["value"])), "region_daily", db_url)

    assert_rejected(report, db_url, RegionDaily)
    assert problems_at(report, row=1, column="value") == ["required column is missing"]


def test_an_unknown_extra_column_is_rejected(db_url, tmp_path):
    rows = fixture_rows().assign(remark="")

    report = load_file(write_csv(tmp_path, rows), "region_daily", db_url)

    assert_rejected(report, db_url, RegionDaily)
    assert problems_at(report, row=1, column="remark")[0].startswith("unknown column")


def test_text_in_a_number_column_and_a_bad_date_are_named_by_row_and_column(db_url, tmp_path):
    rows = fixture_rows()
    rows.loc[5, "value"] = "about 500"
    rows.loc[9, "day"] = "2024-02-30"
    rows.loc[10, "numerator"] = "1.5e"

    report = load_file(write_csv(tmp_path, rows), "region_daily", db_url)

    assert_rejected(report, db_url, RegionDaily)
    assert problems_at(report, row=7, column="value") == ["'about 500' is not a number"]
    assert problems_at(report, row=11, column="day") == ["'2024-02-30' is not a date (YYYY-MM-DD)"]
    assert problems_at(report, row=12, column="numerator") == ["'1.5e' is not a number"]
    assert "row 7, column value: 'about 500' is not a number" in report.format()


def test_an_unknown_region_code_is_rejected(db_url, tmp_path):
    rows = fixture_rows()
    rows.loc[3, "adcode"] = "341099"

    report = load_file(write_csv(tmp_path, rows), "region_daily", db_url)

    assert_rejected(report, db_url, RegionDaily)
    assert problems_at(report, row=5, column="adcode") == ["region code 341099 does not exist under 341000"]


def test_a_negative_count_is_rejected(db_url, tmp_path):
    rows = fixture_rows()
    target = row_of(rows, "tourism.visitors", "341021")
    rows.loc[target - 2, "value"] = "-12"

    report = load_file(write_csv(tmp_path, rows), "region_daily", db_url)

    assert_rejected(report, db_url, RegionDaily)
    assert problems_at(report, row=target, column="value") == ["-12 is below the minimum 0 for tourism.visitors"]


def test_ranges_of_percentages_aqi_and_codes(sqlite_url, tmp_path):
    rows = fixture_rows()
    occupancy = row_of(rows, "tourism.hotel_occupancy", "341003")
    rows.loc[occupancy - 2, "value"] = "120"
    rows.loc[0, "indicator"] = "tourism.visitor"
    stations = load_file(FIXTURES / "air_station.csv", "air_station", sqlite_url)
    air = fixture_rows("air_daily.csv")
    air.loc[2, "aqi"] = "612"

    report = load_file(write_csv(tmp_path, rows), "region_daily", sqlite_url)
    air_report = load_file(write_csv(tmp_path, air, "air.csv"), "air_daily", sqlite_url)

    assert stations.ok
    assert problems_at(report, row=occupancy, column="value") == [
        "120 is above the maximum 100 for tourism.hotel_occupancy"]
    assert problems_at(report, row=2, column="indicator") == ["'tourism.visitor' is not an indicator of the catalogue"]
    assert problems_at(air_report, row=4, column="aqi") == ["612 is above the maximum 500"]
    assert count(sqlite_url, RegionDaily) == 0


def test_a_ratio_row_without_its_numerator_is_rejected(sqlite_url, tmp_path):
    rows = fixture_rows()
    target = row_of(rows, "tourism.hotel_occupancy", "341004")
    rows.loc[target - 2, "numerator"] = ""

    report = load_file(write_csv(tmp_path, rows), "region_daily", sqlite_url)

    assert problems_at(report, row=target, column="numerator") == [
        "tourism.hotel_occupancy aggregates as ratio and needs numerator"]


def test_a_duplicate_natural_key_names_both_rows(db_url, tmp_path):
    rows = fixture_rows()
    rows = pd.concat([rows, rows.iloc[[17]]], ignore_index=True)

    report = load_file(write_csv(tmp_path, rows), "region_daily", db_url)

    assert_rejected(report, db_url, RegionDaily)
    (reason,) = problems_at(report, row=len(rows) + 1)
    assert "duplicate (indicator, adcode, day)" in reason and "same as row 19" in reason


def test_a_city_total_that_does_not_match_its_counties_is_named(db_url, tmp_path):
    rows = fixture_rows()
    city = row_of(rows, "tourism.visitors", CITY)
    stored = int(rows.loc[city - 2, "value"])
    rows.loc[city - 2, "value"] = str(stored + 5)

    report = load_file(write_csv(tmp_path, rows), "region_daily", db_url)

    assert_rejected(report, db_url, RegionDaily)
    (reason,) = problems_at(report, row=city, column="value")
    assert "tourism.visitors 341000 黄山市 2024-05-02" in reason
    assert f"stored {stored + 5:,}" in reason and f"roll-up (sum) of its child regions {stored:,}" in reason


def test_a_weighted_mean_city_row_must_carry_the_sum_of_weights(sqlite_url, tmp_path):
    rows = fixture_rows()
    city = row_of(rows, "traffic.congestion", CITY)
    rows.loc[city - 2, "weight"] = "1000"

    report = load_file(write_csv(tmp_path, rows), "region_daily", sqlite_url)

    assert not report.ok
    assert problems_at(report, row=city, column="weight")


def test_an_unknown_station_is_rejected(db_url, tmp_path):
    load_file(FIXTURES / "air_station.csv", "air_station", db_url)
    air = fixture_rows("air_daily.csv")
    air.loc[4, "station_id"] = "99"

    report = load_file(write_csv(tmp_path, air), "air_daily", db_url)

    assert_rejected(report, db_url, loader.models.AirDaily)
    assert problems_at(report, row=6, column="station_id") == ["99 does not exist in air_station.id"]


def test_the_closed_loop_steps_must_be_in_order(sqlite_url, tmp_path):
    incidents = fixture_rows("incident.csv")
    incidents.loc[0, "accepted_at"] = "2024-05-01 08:00:00"  # before it was reported

    report = load_file(write_csv(tmp_path, incidents), "incident", sqlite_url)

    assert problems_at(report, row=2, column="accepted_at") == ["earlier than a previous step of the closed loop"]


def test_every_problem_is_reported_not_just_the_first(sqlite_url, tmp_path):
    rows = fixture_rows()
    rows.loc[0, "value"] = "x"
    rows.loc[1, "adcode"] = "999999"
    rows.loc[2, "day"] = "yesterday"

    report = load_file(write_csv(tmp_path, rows), "region_daily", sqlite_url)

    assert {(p.row, p.column) for p in report.problems} >= {(2, "value"), (3, "adcode"), (4, "day")}


@pytest.mark.parametrize("content, reason", [
    (b"", "the file is empty"),
    (b"indicator,adcode,day,value,numerator,denominator,weight\n", "the file has a header but no data rows"),
    (b"indicator,adcode,day,value,numerator,denominator,weight\n\n\n", "the file has a header but no data rows"),
], ids=["empty", "header only", "header and blank lines"])
def test_an_empty_file_is_rejected(db_url, tmp_path, content, reason):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)

    report = load_file(path, "region_daily", db_url)

    assert_rejected(report, db_url, RegionDaily)
    assert problems_at(report) == [reason]


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"


@pytest.mark.parametrize("name, content, reason", [
    ("upload.csv", PNG, "the file is a PNG image, not a CSV table"),
    ("upload.csv", bytes(range(256)) * 4, "the file is binary data, not a CSV table"),
    ("upload.csv", b"PK\x03\x04" + b"\x00" * 60, "the file is a ZIP archive (an XLSX workbook is one), not a CSV table"),
    ("upload.xlsx", b"indicator,adcode\n", "the file is plain text, not a XLSX table"),
    ("upload.xlsx", b"PK\x03\x04" + b"\x13" * 200, "cannot read the file as XLSX"),
    ("upload.parquet", b"PAR1" + b"\x00" * 64, "cannot read the file as PARQUET"),
    ("upload.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "unknown file type '.xls'"),
    ("upload.txt", b"indicator,adcode\n", "unknown file type '.txt'"),
], ids=["png renamed csv", "binary junk", "zip as csv", "text as xlsx", "broken xlsx", "broken parquet",
        "old xls", "txt"])
def test_a_file_that_is_not_a_table_is_rejected(sqlite_url, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)

    report = load_file(path, "region_daily", sqlite_url)

    assert_rejected(report, sqlite_url, RegionDaily)
    (problem,) = report.problems
    assert problem.row is None and problem.reason.startswith(reason)


def test_a_ragged_csv_names_the_line(sqlite_url, tmp_path):
    lines = REGION_DAILY_CSV.read_text(encoding="utf-8").splitlines()
    lines[4] += ",surplus"
    path = tmp_path / "upload.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = load_file(path, "region_daily", sqlite_url)

    assert not report.ok and report.problems[0].row == 5


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers(sqlite_url, tmp_path):
    lines = REGION_DAILY_CSV.read_text(encoding="utf-8").splitlines()
    lines[9:9] = ["", ",,,,,,"]  # an empty line and a line of empty cells, as spreadsheets export
    assert lines[12].startswith("tourism.hotel_occupancy,341003,")  # now line 13 of the file
    lines[12] = lines[12].replace(",341003,", ",34100x,")
    path = tmp_path / "upload.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = load_file(path, "region_daily", sqlite_url)

    assert report.rows_read == 120
    assert [(p.row, p.column) for p in report.problems] == [(13, "adcode")]


def test_an_unknown_table_is_refused(sqlite_url):
    report = load_file(REGION_DAILY_CSV, "warning_state", sqlite_url)
    assert not report.ok and "not a table that files are loaded into" in report.format()


# ----------------------------------------------------------------------------- nothing half-written
def test_a_roll_up_broken_by_the_load_is_found_late_and_rolled_back(db_url, tmp_path):
    load_file(REGION_DAILY_CSV, "region_daily", db_url)
    snapshot = table_rows(db_url, RegionDaily)
    rows = fixture_rows()
    # Counties only, one changed: each row is valid, but the stored city total no longer adds up
    # once they are written — found inside the transaction, after the upsert.
    counties = rows[rows.adcode != CITY].reset_index(drop=True)
    changed = (counties.indicator == "tourism.visitors") & (counties.adcode == "341024") & (counties.day == DAY)
    counties.loc[changed, "value"] = "1"

    report = load_file(write_csv(tmp_path, counties), "region_daily", db_url)

    assert not report.ok and report.rows_written == 0
    (problem,) = report.problems
    assert problem.column == "value"
    assert problem.reason.startswith("after loading, the database has tourism.visitors 341000 黄山市 2024-05-02")
    assert problem.row == int(counties.index[(counties.indicator == "tourism.visitors") &
                                             (counties.day == DAY)][0]) + 2  # its first county row
    assert table_rows(db_url, RegionDaily) == snapshot
    assert meta(db_url, "version") == "1"


def test_county_rows_without_their_city_row_are_rejected(sqlite_url, tmp_path):
    rows = fixture_rows()
    report = load_file(write_csv(tmp_path, rows[rows.adcode != CITY]), "region_daily", sqlite_url)

    assert_rejected(report, sqlite_url, RegionDaily)
    assert len(report.problems) == 15  # 5 indicators × 3 days without a city row
    assert all("no parent row" in p.reason for p in report.problems)


def test_a_database_error_in_the_last_batch_leaves_no_earlier_batch_written(db_url, tmp_path, monkeypatch):
    load_file(FIXTURES / "air_station.csv", "air_station", db_url)
    before = table_rows(db_url, AirStation)
    monkeypatch.setattr(loader, "BATCH_ROWS", 2)
    stations = pd.DataFrame({
        "id": [10, 11, 12, 13, 14], "code": ["HS010", "HS011", "HS012", "HS013", "HS001"],
        "name": ["新站"] * 5, "adcode": ["341002"] * 5, "lat": [29.7] * 5, "lon": [118.3] * 5,
        "kind": ["provincial"] * 5})  # the last code belongs to station 1 already

    report = load_file(write_csv(tmp_path, stations), "air_station", db_url)

    assert not report.ok and report.rows_written == 0
    assert "the database refused the load" in report.format()
    assert table_rows(db_url, AirStation) == before


def test_a_failed_reload_leaves_every_row_as_it_was(db_url, tmp_path):
    load_file(REGION_DAILY_CSV, "region_daily", db_url)
    snapshot = table_rows(db_url, RegionDaily)
    rows = fixture_rows()
    rows["value"] = rows["value"].where(rows.indicator != "tourism.visitors", "0")  # valid and consistent
    rows.loc[len(rows) - 1, "value"] = "n/a"  # one bad cell in the last row

    report = load_file(write_csv(tmp_path, rows), "region_daily", db_url)

    assert not report.ok
    assert table_rows(db_url, RegionDaily) == snapshot


# --------------------------------------------------------------------------------------------- CLI
def test_the_command_line_exits_1_with_the_report_on_rejection(sqlite_url, tmp_path, capsys):
    rows = fixture_rows()
    rows.loc[0, "adcode"] = "110101"

    rejected = load_main([str(write_csv(tmp_path, rows)), "--table", "region_daily", "--url", sqlite_url])
    out = capsys.readouterr().out
    loaded = load_main([str(REGION_DAILY_CSV), "--table", "region_daily", "--url", sqlite_url])

    assert rejected == 1
    assert "REJECTED" in out and "row 2, column adcode: region code 110101 does not exist" in out
    assert loaded == 0 and "OK region_daily" in capsys.readouterr().out


def test_a_load_increments_the_stored_version(sqlite_url):
    with get_engine(sqlite_url).begin() as conn:
        conn.execute(DataMeta.__table__.insert().values(key="version", value="41"))

    load_file(REGION_DAILY_CSV, "region_daily", sqlite_url)

    assert meta(sqlite_url, "version") == "42"


# ----------------------------------------------------------------------------------- summaries
def summary_days(url: str, table: str, adcode: str, column: str) -> dict:
    """A region's day rows of a summary: day → sum of `column`."""
    from sqlalchemy import text

    timed = table in ("summary_road_hour", "summary_parking_quarter")  # hour or quarter-hour stamps
    day = "substr(CAST(ts AS TEXT), 1, 10)" if timed else "start"
    period = "" if timed else "AND period = 'day'"
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(f"SELECT {day}, SUM({column}) FROM {table} WHERE adcode = :a {period} "
                                 f"GROUP BY {day}"), {"a": adcode}).all()
    return {str(d)[:10]: int(n) for d, n in rows}


def test_loads_keep_the_summaries_in_step_with_the_rows(db_url, tmp_path):
    """Incidents, road segments and their readings loaded, corrected and moved: the summary rows of
    every day they touch (the old day of a corrected report time, every day of a moved segment's
    readings) are rebuilt in the load's transaction (data/summaries.py)."""
    from data.summaries import check_summaries

    with get_engine(db_url).begin() as conn:
        conn.execute(IncidentType.__table__.insert().values(
            code="road_damage", theme="safety", name="道路损坏", name_en="Road damage", accept_limit_min=30,
            dispatch_limit_min=60, handle_limit_min=1440, close_limit_min=2880, department="市城市管理局"))
    assert load_file(FIXTURES / "incident.csv", "incident", db_url).ok
    assert summary_days(db_url, "summary_incident", CITY, "incidents") == {"2024-05-01": 3}
    assert summary_days(db_url, "summary_incident", "341002", "closed") == {"2024-05-01": 1}

    incidents = fixture_rows("incident.csv")
    incidents.loc[0, ["reported_at", "accepted_at"]] = ["2024-04-30 22:12:00", "2024-04-30 22:20:00"]
    assert load_file(write_csv(tmp_path, incidents, "incident.csv"), "incident", db_url).ok
    assert summary_days(db_url, "summary_incident", CITY, "incidents") == {"2024-04-30": 1, "2024-05-01": 2}

    segments = pd.DataFrame({"id": [1, 2], "name": ["迎宾大道A段", "环城北路B段"], "road": ["迎宾大道", "环城北路"],
                             "adcode": ["341002", "341003"], "lat": [29.71, 30.27], "lon": [118.31, 118.14],
                             "length_km": [1.2, 2.5], "kind": ["urban", "urban"], "near_spot_id": ["", ""]})
    assert load_file(write_csv(tmp_path, segments, "road_segment.csv"), "road_segment", db_url).ok
    readings = pd.DataFrame({"segment_id": [1, 1, 2],
                             "ts": ["2024-05-01 08:00:00", "2024-05-02 08:00:00", "2024-05-02 08:00:00"],
                             "congestion_index": [1.8, 2.1, 1.2], "speed_kmh": [32.0, 28.5, 45.0],
                             "volume": [900, 950, 400]})
    assert load_file(write_csv(tmp_path, readings, "road_hourly.csv"), "road_hourly", db_url).ok
    assert summary_days(db_url, "summary_road_hour", CITY, "volume") == {"2024-05-01": 900, "2024-05-02": 1350}
    assert summary_days(db_url, "summary_road_hour", "341002", "volume") == {"2024-05-01": 900, "2024-05-02": 950}

    segments.loc[0, "adcode"] = "341004"  # the segment was filed under the wrong county
    assert load_file(write_csv(tmp_path, segments, "road_segment.csv"), "road_segment", db_url).ok
    assert summary_days(db_url, "summary_road_hour", "341002", "volume") == {}
    assert summary_days(db_url, "summary_road_hour", "341004", "volume") == {"2024-05-01": 900, "2024-05-02": 950}

    lots = pd.DataFrame({"id": [1, 2], "name": ["老街停车场", "汤口停车场"], "adcode": ["341002", "341003"],
                         "lat": [29.71, 30.27], "lon": [118.31, 118.14], "spaces": [200, 300],
                         "near_spot_id": ["", ""]})
    assert load_file(write_csv(tmp_path, lots, "parking_lot.csv"), "parking_lot", db_url).ok
    quarters = pd.DataFrame({"lot_id": [1, 2], "ts": ["2024-05-02 08:15:00", "2024-05-02 08:15:00"],
                             "occupied": [150, 90]})
    assert load_file(write_csv(tmp_path, quarters, "parking_quarter.csv"), "parking_quarter", db_url).ok
    assert summary_days(db_url, "summary_parking_quarter", CITY, "spaces") == {"2024-05-02": 500}
    lots.loc[0, "spaces"] = 240  # recounted: every quarter hour of the lot holds more spaces
    assert load_file(write_csv(tmp_path, lots, "parking_lot.csv"), "parking_lot", db_url).ok
    assert summary_days(db_url, "summary_parking_quarter", CITY, "spaces") == {"2024-05-02": 540}
    assert check_summaries(db_url) == []
