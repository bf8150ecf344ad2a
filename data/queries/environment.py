"""Queries of the 生态环境 cockpit (SPEC §3.3): air stations, pollutants, water sections, pollution sources.

Region-level figures (AQI, PM2.5, share of good days, source online rate, exceedances, water
attainment) come from the catalogue indicators in region_daily through data/queries/indicators.py;
what needs the station, section and source tables is here. AQI values, levels, colours and labels
follow HJ 633-2012 (data/aqi.py): the tables hold the AQI the standard gives for each hour and day.

Filters: `station` narrows the air panels to the chosen stations, `pollutant` switches them from
the AQI to that pollutant's concentration.
"""
from __future__ import annotations

import functools
from datetime import date

import pandas as pd
from sqlalchemy import Date, DateTime, bindparam, case, func, literal, select

from core.viewstate import ViewState
from data import aqi
from data.cache import cached
from data.models import (AirDaily, AirHourly, AirStation, PollutionSource, SummarySourceDay, WaterMonthly,
                         WaterSection)
from data.queries.common import counties_under, day_bounds, dialect_name, fetch, read
from data.queries.indicators import sorted_by
from data.summaries import period_condition, pieces

STATION = AirStation.__table__
HOURLY = AirHourly.__table__
DAILY = AirDaily.__table__
SECTION = WaterSection.__table__
WATER = WaterMonthly.__table__
SOURCE = PollutionSource.__table__
SOURCE_DAYS = SummarySourceDay.__table__  # a source's days, weeks and months
# The daily tables hold the ozone of a day as its maximum 8-hour mean (HJ 633 reads it so).
DAILY_COLUMN = {"pm25": "pm25", "pm10": "pm10", "o3": "o3_8h", "no2": "no2", "so2": "so2", "co": "co"}
UNITS = {p: ("mg/m³" if p == "co" else "µg/m³") for p in aqi.POLLUTANTS}
# Ranges up to this many days show hourly readings; longer ones daily values.
HOURLY_MAX_DAYS = 7
# The water panel shows at least this many months up to the range's end (sections report monthly).
WATER_MONTHS = 12
GOOD_MAX = aqi.LEVELS[1].high  # 优良: AQI levels 1 and 2
GRADES = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V"}


def _pollutant(view: ViewState) -> str | None:
    values = view.filter_values("pollutant")
    return values[0] if values else None


def _station_ids(view: ViewState) -> list[int]:
    return [int(v) for v in view.filter_values("station")]


def _stations_condition(view: ViewState, with_filter: bool = True):
    """The stations in the view's region, narrowed to the selected ones when asked."""
    condition = STATION.c.adcode.in_(counties_under(view.region))
    ids = _station_ids(view) if with_filter else []
    return condition & STATION.c.id.in_(ids) if ids else condition


def level_columns(values: pd.Series, lang: str) -> dict[str, list]:
    """AQI level (1–6), its standard colour and its words for each AQI (or IAQI) value."""
    levels = [aqi.level(v) if pd.notna(v) else None for v in values]
    entries = [aqi.LEVELS[lv - 1] if lv else None for lv in levels]
    return {"aqi_level": levels,
            "colour": [e.colour if e else "#9aa7b8" for e in entries],
            "level_name": [e.name(lang) if e else "—" for e in entries]}


# ------------------------------------------------------------------------------------- stations
@cached
def station_ranking(view: ViewState) -> pd.DataFrame:
    """Every air station of the region over the range, worst first: mean daily AQI, good days
    (AQI ≤ 100) and their share, and the ranked value — the mean AQI, or the mean daily
    concentration of the selected pollutant (filter `pollutant`). The level (with its colour and
    words) is that of the ranked value: of the mean AQI, or of the pollutant's IAQI (HJ 633, daily).

    Columns station_id, name, adcode, kind, aqi, good_days, days, good_share, measure, value,
    aqi_level, colour, level_name."""
    pollutant = _pollutant(view)
    rows = fetch(_ranking_statement(pollutant, dialect_name()),
                 params={"counties": counties_under(view.region), "start": view.start, "end": view.end})
    # PostgreSQL averages whole numbers as decimals: every figure a plain number
    rows = [(station_id, name, adcode, kind, float(mean_aqi), int(good_days), int(days), float(value))
            for station_id, name, adcode, kind, mean_aqi, good_days, days, value in rows]
    rows.sort(key=lambda row: row[0])
    rows = sorted_by(rows, lambda row: row[7], ascending=False)  # the worst first, ties by station
    frame = pd.DataFrame(rows, columns=["station_id", "name", "adcode", "kind", "aqi", "good_days", "days", "value"])
    frame = frame.astype({"aqi": float, "value": float, "good_days": int, "days": int})  # also without rows
    frame = frame.assign(good_share=frame["good_days"] / frame["days"] * 100, measure=pollutant or "aqi")
    index = [aqi.iaqi(pollutant, value, "daily") for value in frame["value"]] if pollutant else frame["aqi"]
    return frame.assign(**level_columns(index, view.lang))


@functools.lru_cache(maxsize=16)
def _ranking_statement(pollutant: str | None, dialect: str):
    """The statement of `station_ranking`, built once per measure (building it costs more than
    running it on a month): bind parameters counties (list), start and end (dates)."""
    measure = DAILY.c[DAILY_COLUMN[pollutant]] if pollutant else DAILY.c.aqi
    days = DAILY.c.day.between(bindparam("start", type_=Date), bindparam("end", type_=Date))
    return (select(STATION.c.id, STATION.c.name, STATION.c.adcode, STATION.c.kind, func.avg(DAILY.c.aqi),
                   func.sum(case((DAILY.c.aqi <= GOOD_MAX, 1), else_=0)), func.count(DAILY.c.day), func.avg(measure))
            .join(DAILY, (DAILY.c.station_id == STATION.c.id) & days)
            .where(STATION.c.adcode.in_(bindparam("counties", expanding=True)))
            .group_by(STATION.c.id, STATION.c.name, STATION.c.adcode, STATION.c.kind))


@cached
def latest_readings(view: ViewState) -> pd.DataFrame:
    """The latest hourly reading of each station of the region within the range (live when the
    range ends today): AQI, its level, colour and words, the primary pollutant and the six
    concentrations. Columns station_id, name, adcode, lat, lon, ts, aqi, primary_pollutant,
    pm25 … co, aqi_level, colour, level_name."""
    low, high = day_bounds(view.start, view.end)
    rows = fetch(_latest_statement(dialect_name()),
                 params={"counties": counties_under(view.region), "low": low, "high": high})
    columns = ["station_id", "name", "adcode", "lat", "lon", "ts", "aqi", "primary_pollutant", *aqi.POLLUTANTS]
    if not rows:
        frame = pd.DataFrame([], columns=columns)
        frame["ts"] = pd.to_datetime(frame["ts"])
        return frame.assign(**level_columns(frame["aqi"], view.lang))
    data = {column: [row[i] for row in rows] for i, column in enumerate(columns)}
    frame = pd.DataFrame({**data, **level_columns(data["aqi"], view.lang)})
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


@functools.lru_cache(maxsize=4)
def _latest_statement(dialect: str):
    """The statement of `latest_readings`, built once (parameters counties, low and high)."""
    low, high = bindparam("low", type_=DateTime), bindparam("high", type_=DateTime)
    # the latest hour of each station, looked up per station: one index seek each, where a GROUP BY
    # would read every hour of the range (a year of them on 本年)
    before = HOURLY.alias("before")
    latest = (select(func.max(before.c.ts))
              .where(before.c.station_id == STATION.c.id, before.c.ts >= low, before.c.ts < high)
              .correlate(STATION).scalar_subquery())
    return (select(STATION.c.id, STATION.c.name, STATION.c.adcode, STATION.c.lat, STATION.c.lon, HOURLY.c.ts,
                   HOURLY.c.aqi, HOURLY.c.primary_pollutant, *[HOURLY.c[p] for p in aqi.POLLUTANTS])
            .select_from(STATION)
            .join(HOURLY, (HOURLY.c.station_id == STATION.c.id) & (HOURLY.c.ts == latest))
            .where(STATION.c.adcode.in_(bindparam("counties", expanding=True)))
            .order_by(STATION.c.id))


@cached
def air_trend(view: ViewState) -> pd.DataFrame:
    """AQI (or the selected pollutant's concentration) over the range: hourly up to a week, daily
    beyond. One series per selected station, or the mean of the region's stations when none is
    selected. Columns ts, series (station id or "all"), name, value; attrs grain and measure."""
    pollutant = _pollutant(view)
    hourly = view.days <= HOURLY_MAX_DAYS
    table, time_column = (HOURLY, HOURLY.c.ts) if hourly else (DAILY, DAILY.c.day)
    column_name = (pollutant if hourly else DAILY_COLUMN[pollutant]) if pollutant else "aqi"
    conditions = [table.c.station_id.in_(select(STATION.c.id).where(_stations_condition(view)))]
    if hourly:
        low, high = day_bounds(view.start, view.end)
        conditions += [time_column >= low, time_column < high]
    else:
        conditions.append(time_column.between(view.start, view.end))
    ids = _station_ids(view)
    if ids:
        statement = (select(time_column.label("ts"), table.c.station_id.label("series"), STATION.c.name,
                            table.c[column_name].label("value"))
                     .join(STATION, STATION.c.id == table.c.station_id).where(*conditions))
    else:
        statement = (select(time_column.label("ts"), literal("all").label("series"), literal("").label("name"),
                            func.avg(table.c[column_name]).label("value"))
                     .where(*conditions).group_by(time_column))
    frame = read(statement)
    frame["ts"] = pd.to_datetime(frame["ts"])
    frame["series"] = frame["series"].astype(str)
    frame["value"] = frame["value"].astype(float)
    frame = frame.sort_values(["series", "ts"]).reset_index(drop=True)
    frame.attrs.update(grain="hour" if hourly else "day", measure=pollutant or "aqi")
    return frame


@cached
def station_hours(view: ViewState) -> pd.DataFrame:
    """Each station's hourly AQI (or the selected pollutant's concentration) on the range's last day:
    the station × hour grid. Columns station_id, name, hour, value, aqi."""
    pollutant = _pollutant(view)
    low, high = day_bounds(view.end, view.end)
    statement = (select(STATION.c.id.label("station_id"), STATION.c.name, HOURLY.c.ts, HOURLY.c.aqi,
                        HOURLY.c[pollutant or "aqi"].label("value"))
                 .join(HOURLY, HOURLY.c.station_id == STATION.c.id)
                 .where(_stations_condition(view, with_filter=False), HOURLY.c.ts >= low, HOURLY.c.ts < high))
    frame = read(statement)
    frame["hour"] = pd.to_datetime(frame["ts"]).dt.hour
    frame["value"] = frame["value"].astype(float)
    frame = frame.drop(columns="ts").sort_values(["station_id", "hour"]).reset_index(drop=True)
    frame.attrs["measure"] = pollutant or "aqi"
    return frame


# ------------------------------------------------------------------------------------- pollutants
@cached
def pollutant_summary(view: ViewState) -> pd.DataFrame:
    """The six pollutants over the range at the selected stations (all of the region's when none is
    selected): mean daily concentration, the IAQI of that mean (HJ 633, daily tables, so they compare
    on one scale), station-days above the Grade II standard (IAQI > 100) and station-days on which the
    pollutant was primary. Columns pollutant, label, unit, concentration, iaqi, exceed_days,
    primary_days, station_days."""
    conditions = [DAILY.c.station_id.in_(select(STATION.c.id).where(_stations_condition(view))),
                  DAILY.c.day.between(view.start, view.end)]
    columns = [func.count().label("station_days")]
    for pollutant in aqi.POLLUTANTS:
        column = DAILY.c[DAILY_COLUMN[pollutant]]
        grade_two = aqi.BREAKPOINTS["daily"][pollutant][2]  # the concentration at IAQI 100
        columns += [func.avg(column).label(f"{pollutant}_mean"),
                    func.sum(case((column > grade_two, 1), else_=0)).label(f"{pollutant}_exceed"),
                    func.sum(case((DAILY.c.primary_pollutant.like(f"%{pollutant}%"), 1), else_=0))
                    .label(f"{pollutant}_primary")]
    row = read(select(*columns).where(*conditions)).iloc[0]
    rows = []
    for pollutant in aqi.POLLUTANTS:
        mean = row[f"{pollutant}_mean"]
        present = mean is not None and pd.notna(mean)
        rows.append({"pollutant": pollutant, "label": aqi.POLLUTANT_LABELS[pollutant], "unit": UNITS[pollutant],
                     "concentration": float(mean) if present else None,
                     "iaqi": aqi.iaqi(pollutant, float(mean), "daily") if present else None,
                     "exceed_days": int(row[f"{pollutant}_exceed"] or 0),
                     "primary_days": int(row[f"{pollutant}_primary"] or 0),
                     "station_days": int(row["station_days"] or 0)})
    return pd.DataFrame(rows)


@cached
def aqi_level_days(view: ViewState) -> pd.DataFrame:
    """Station-days of the range at each AQI level (一级 优 … 六级 严重污染) at the selected stations
    (all of the region's when none is selected); levels 1 and 2 are the good days whose share is the
    catalogue's 优良天数比例. Columns level, name, label, colour, text_colour, days, share."""
    bands = case(*[(DAILY.c.aqi <= entry.high, entry.level) for entry in aqi.LEVELS[:-1]],
                 else_=aqi.LEVELS[-1].level)
    statement = (select(bands.label("level"), func.count().label("days"))
                 .where(DAILY.c.station_id.in_(select(STATION.c.id).where(_stations_condition(view))),
                        DAILY.c.day.between(view.start, view.end))
                 .group_by(bands))
    counts = read(statement).set_index("level")["days"]
    frame = pd.DataFrame([{"level": e.level, "name": e.name(view.lang), "label": e.label(view.lang),
                           "colour": e.colour, "text_colour": e.text_colour} for e in aqi.LEVELS])
    frame["days"] = frame["level"].map(counts).fillna(0).astype(int)
    total = frame["days"].sum()
    frame["share"] = frame["days"] / total * 100 if total else 0.0
    return frame


# ------------------------------------------------------------------------------------- water
def water_window(view: ViewState) -> tuple[date, date]:
    """First days of the first and last month shown: the range's months, at least the last twelve."""
    last = view.end.replace(day=1)
    back = last.year * 12 + last.month - 1 - (WATER_MONTHS - 1)
    return min(view.start.replace(day=1), date(back // 12, back % 12 + 1, 1)), last


@cached
def water_grades(view: ViewState) -> pd.DataFrame:
    """Monthly grade (1–6 = I…劣V) of each monitored section of the region against its target grade.
    Columns section_id, name, river, adcode, target_grade, month, grade, meets, grade_label,
    target_label."""
    first, last = water_window(view)
    statement = (select(SECTION.c.id.label("section_id"), SECTION.c.name, SECTION.c.river, SECTION.c.adcode,
                        SECTION.c.target_grade, WATER.c.month, WATER.c.grade)
                 .join(WATER, WATER.c.section_id == SECTION.c.id)
                 .where(SECTION.c.adcode.in_(counties_under(view.region)), WATER.c.month.between(first, last)))
    frame = read(statement)
    frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
    frame["meets"] = frame["grade"] <= frame["target_grade"]
    frame["grade_label"] = frame["grade"].map(GRADES)
    frame["target_label"] = frame["target_grade"].map(GRADES)
    return frame.sort_values(["section_id", "month"]).reset_index(drop=True)


# ------------------------------------------------------------------------------------- pollution sources
@cached
def source_status(view: ViewState, limit: int = 12) -> pd.DataFrame:
    """Key pollution sources of the region over the range, those needing attention first: most
    exceedances, then lowest online rate. A source's online rate is its online hours over the hours
    the day had so far, taken as the most hours any key source was online that day (a day still
    running counts only its elapsed hours). Columns source_id, name, adcode, industry, kind,
    exceedances, online_hours, expected_hours, online_rate."""
    # summed over the pieces of the range in summary_source_day (whole months, weeks, then days)
    statement = (select(SOURCE.c.id.label("source_id"), SOURCE.c.name, SOURCE.c.adcode, SOURCE.c.industry,
                        SOURCE.c.kind, func.sum(SOURCE_DAYS.c.exceedances).label("exceedances"),
                        func.sum(SOURCE_DAYS.c.online_hours).label("online_hours"),
                        func.sum(SOURCE_DAYS.c.expected_hours).label("expected_hours"))
                 .join(SOURCE_DAYS, SOURCE_DAYS.c.source_id == SOURCE.c.id)
                 .where(SOURCE.c.adcode.in_(counties_under(view.region)),
                        period_condition(SOURCE_DAYS, pieces(view.start, view.end), dialect_name()))
                 .group_by(SOURCE.c.id, SOURCE.c.name, SOURCE.c.adcode, SOURCE.c.industry, SOURCE.c.kind))
    frame = read(statement)
    frame["exceedances"] = frame["exceedances"].astype(int)
    frame["online_rate"] = frame["online_hours"] / frame["expected_hours"].where(frame["expected_hours"] > 0) * 100
    frame = frame.sort_values(["exceedances", "online_rate", "source_id"], ascending=[False, True, True])
    return frame.head(limit).reset_index(drop=True)
