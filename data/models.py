"""The topic tables (主题库), each at one clear grain, with indexes that fit the queries.

Grains:
  region_daily          region × day × indicator (every catalogue indicator with a daily grain;
                        city and province rows are stored pre-aggregated and reconcile with counties)
  air_hourly            air station × hour (AQI and the six pollutants)
  air_daily             air station × day (24-hour means and daily AQI, HJ 633-2012)
  water_monthly         water section × month (grade against target grade)
  pollution_source_daily key pollution source × day (online hours, exceedances)
  spot_hourly           scenic spot × hour (arrivals, visitors present)
  visitor_origin_daily  destination county × day × origin province/city
  visitor_profile_daily county × day × profile dimension (age band, stay length) × bucket
  road_hourly           road segment × hour (congestion index, speed, volume)
  parking_quarter       parking lot × 15 minutes (occupied spaces)
  incident              one row per incident, every theme (hotlines, sensors, complaints, events)
  elderly_population    county × year
  home_care_daily       county × day × service kind
  device_call           one row per emergency call from a device
  plan_target / plan_actual   the city plan's indicator targets and current values

Summary tables (data/summaries.py builds and refreshes them from the rows above; never loaded):
  summary_road_hour     region × hour stamp: road readings' additive sums (every region at or above county)
  summary_road_segment  road segment × period (day, week, month): the same sums
  summary_parking_quarter region × quarter hour: occupied and spaces of the lots read
  summary_incident      region × period × theme, type, source, severity, status, overdue: counts and
                        minute sums of the closed loop
  summary_incident_status  the same without type, source and severity
  summary_incident_cell county × period × map cell of 0.1°: incident counts and position sums
  summary_spot_day      scenic spot × period: arrivals and hourly rows read
  summary_visitor_origin region × period × origin province/city: visitors
  summary_source_day    pollution source × period: exceedances, online and expected hours
  summary_device_call   county × period × call kind × response level band: calls, Σ response seconds
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base

ADCODE = String(6)


class Region(Base):
    __tablename__ = "region"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60), default="")
    level: Mapped[str] = mapped_column(String(10))  # province | city | county
    parent_adcode: Mapped[str | None] = mapped_column(ADCODE, nullable=True, index=True)
    population: Mapped[int] = mapped_column(Integer, default=0)
    lat: Mapped[float] = mapped_column(Float, default=0.0)
    lon: Mapped[float] = mapped_column(Float, default=0.0)


class RegionDaily(Base):
    """Daily value of a catalogue indicator for a region.

    `value` is the indicator itself; `numerator`/`denominator` carry ratio indicators so that
    they aggregate as a ratio of sums; `weight` carries the weight of weighted means.
    """

    __tablename__ = "region_daily"
    indicator: Mapped[str] = mapped_column(String(48), primary_key=True)
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float, nullable=True)
    denominator: Mapped[float | None] = mapped_column(Float, nullable=True)
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    __table_args__ = (
        Index("ix_region_daily_day", "day", "indicator"),
        # covering: an indicator's series is read from the index alone. The rows of one series lie
        # one per table page (the table fills day by day), so reading them through the primary key
        # costs a page per day: twice the time of the whole aggregate on SQLite, and on PostgreSQL
        # plans costly enough to go parallel for a few hundred rows.
        Index("ix_region_daily_series", "indicator", "adcode", "day", "value", "numerator", "denominator", "weight"),
    )


class AirStation(Base):
    __tablename__ = "air_station"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    adcode: Mapped[str] = mapped_column(ADCODE, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16), default="national")  # national | provincial


class AirHourly(Base):
    __tablename__ = "air_hourly"
    station_id: Mapped[int] = mapped_column(ForeignKey("air_station.id"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    aqi: Mapped[int] = mapped_column(SmallInteger)
    pm25: Mapped[float] = mapped_column(Float)
    pm10: Mapped[float] = mapped_column(Float)
    o3: Mapped[float] = mapped_column(Float)
    no2: Mapped[float] = mapped_column(Float)
    so2: Mapped[float] = mapped_column(Float)
    co: Mapped[float] = mapped_column(Float)  # mg/m³
    primary_pollutant: Mapped[str] = mapped_column(String(24), default="")  # "pm25" or tied "pm25,pm10"
    __table_args__ = (Index("ix_air_hourly_ts", "ts"),)


class AirDaily(Base):
    __tablename__ = "air_daily"
    station_id: Mapped[int] = mapped_column(ForeignKey("air_station.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    aqi: Mapped[int] = mapped_column(SmallInteger)
    pm25: Mapped[float] = mapped_column(Float)
    pm10: Mapped[float] = mapped_column(Float)
    o3_8h: Mapped[float] = mapped_column(Float)
    no2: Mapped[float] = mapped_column(Float)
    so2: Mapped[float] = mapped_column(Float)
    co: Mapped[float] = mapped_column(Float)
    primary_pollutant: Mapped[str] = mapped_column(String(24), default="")  # "pm25" or tied "pm25,pm10"
    __table_args__ = (Index("ix_air_daily_day", "day"),)


class WaterSection(Base):
    __tablename__ = "water_section"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    river: Mapped[str] = mapped_column(String(40))
    adcode: Mapped[str] = mapped_column(ADCODE, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    target_grade: Mapped[int] = mapped_column(SmallInteger)  # 1..6 (6 = 劣V)


class WaterMonthly(Base):
    __tablename__ = "water_monthly"
    section_id: Mapped[int] = mapped_column(ForeignKey("water_section.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    grade: Mapped[int] = mapped_column(SmallInteger)
    cod: Mapped[float] = mapped_column(Float)  # mg/L
    nh3n: Mapped[float] = mapped_column(Float)
    tp: Mapped[float] = mapped_column(Float)
    dissolved_oxygen: Mapped[float] = mapped_column(Float)


class PollutionSource(Base):
    __tablename__ = "pollution_source"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    adcode: Mapped[str] = mapped_column(ADCODE, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    industry: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # water | gas


class PollutionSourceDaily(Base):
    __tablename__ = "pollution_source_daily"
    source_id: Mapped[int] = mapped_column(ForeignKey("pollution_source.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    online_hours: Mapped[float] = mapped_column(Float)
    exceedances: Mapped[int] = mapped_column(SmallInteger)
    __table_args__ = (Index("ix_pollution_source_daily_day", "day"),)


class ScenicSpot(Base):
    __tablename__ = "scenic_spot"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    adcode: Mapped[str] = mapped_column(ADCODE, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)  # maximum visitors per day
    grade: Mapped[str] = mapped_column(String(4), default="4A")


class SpotHourly(Base):
    __tablename__ = "spot_hourly"
    spot_id: Mapped[int] = mapped_column(ForeignKey("scenic_spot.id"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    arrivals: Mapped[int] = mapped_column(Integer)  # entries during the hour
    present: Mapped[int] = mapped_column(Integer)  # visitors inside at the end of the hour
    __table_args__ = (Index("ix_spot_hourly_ts", "ts"),)


class VisitorOriginDaily(Base):
    __tablename__ = "visitor_origin_daily"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    origin_province: Mapped[str] = mapped_column(String(16), primary_key=True)
    origin_city: Mapped[str] = mapped_column(String(16), primary_key=True)
    visitors: Mapped[int] = mapped_column(Integer)
    # covering: origin panels sum visitors by province or city over a range without reading the table
    __table_args__ = (Index("ix_visitor_origin_day", "day", "adcode", "origin_province", "origin_city", "visitors"),)


class VisitorProfileDaily(Base):
    __tablename__ = "visitor_profile_daily"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(12), primary_key=True)  # age | stay
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    visitors: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_visitor_profile_day", "day", "dimension"),)


class RoadSegment(Base):
    __tablename__ = "road_segment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    road: Mapped[str] = mapped_column(String(40))
    adcode: Mapped[str] = mapped_column(ADCODE, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    length_km: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))  # urban | highway | scenic
    near_spot_id: Mapped[int | None] = mapped_column(ForeignKey("scenic_spot.id"), nullable=True)


class RoadHourly(Base):
    __tablename__ = "road_hourly"
    segment_id: Mapped[int] = mapped_column(ForeignKey("road_segment.id"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    congestion_index: Mapped[float] = mapped_column(Float)  # 1.0 free flow … 4+ severe
    speed_kmh: Mapped[float] = mapped_column(Float)
    volume: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_road_hourly_ts", "ts"),)


class ParkingLot(Base):
    __tablename__ = "parking_lot"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    adcode: Mapped[str] = mapped_column(ADCODE, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    spaces: Mapped[int] = mapped_column(Integer)
    near_spot_id: Mapped[int | None] = mapped_column(ForeignKey("scenic_spot.id"), nullable=True)


class ParkingQuarter(Base):
    __tablename__ = "parking_quarter"
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lot.id"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    occupied: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_parking_quarter_ts", "ts"),)


class IncidentType(Base):
    """Kinds of incident with the time limits of each closed-loop step."""

    __tablename__ = "incident_type"
    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    theme: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))
    accept_limit_min: Mapped[int] = mapped_column(Integer)
    dispatch_limit_min: Mapped[int] = mapped_column(Integer)
    handle_limit_min: Mapped[int] = mapped_column(Integer)
    close_limit_min: Mapped[int] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(40))


class Incident(Base):
    """One incident through its closed loop 上报 → 受理 → 派遣 → 处置 → 办结 → 回访.

    A step not yet reached has a NULL time. `status` is the last step reached; `deadline_at`
    is when it must be closed (办结), `overdue` whether it was closed late or is open past it.
    """

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    theme: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(12))  # 110 119 122 120 12345 sensor complaint
    type_code: Mapped[str] = mapped_column(ForeignKey("incident_type.code"))
    severity: Mapped[int] = mapped_column(SmallInteger)  # 1 特别重大 … 4 一般
    status: Mapped[str] = mapped_column(String(12))  # reported accepted dispatched handled closed visited
    adcode: Mapped[str] = mapped_column(ADCODE)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(40))
    reporter_name: Mapped[str] = mapped_column(String(20), default="")
    reporter_phone: Mapped[str] = mapped_column(String(20), default="")
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    visited_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deadline_at: Mapped[datetime] = mapped_column(DateTime)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # 1..5 at 回访
    # The trailing columns make the counts of the cockpits index-only: incidents by theme, type,
    # source or status over a range, and the headline counts (open, overdue, closed on time), read
    # a narrow index instead of the wide rows (SQLite skips through the few leading values;
    # PostgreSQL, which cannot, reads the time index with the columns it carries).
    __table_args__ = (
        Index("ix_incident_reported", "reported_at",
              postgresql_include=["adcode", "theme", "type_code", "source", "severity", "status", "overdue",
                                  "closed_at"]),
        Index("ix_incident_adcode_reported", "adcode", "reported_at"),
        Index("ix_incident_theme_reported", "theme", "reported_at", "overdue"),
        Index("ix_incident_type_reported", "type_code", "reported_at", "overdue"),
        Index("ix_incident_status", "status", "overdue", "reported_at", "closed_at"),
        Index("ix_incident_severity_reported", "severity", "reported_at"),
        Index("ix_incident_source_reported", "source", "reported_at", "status", "overdue"),  # also the desk's filter
    )


class CareInstitution(Base):
    __tablename__ = "care_institution"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    adcode: Mapped[str] = mapped_column(ADCODE, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # county_center 县级指导中心 | street_center 街道中心 | community_station 社区站 | nursing_home 养老机构
    tier: Mapped[str] = mapped_column(String(20))
    beds: Mapped[int] = mapped_column(Integer)
    occupied: Mapped[int] = mapped_column(Integer)
    covers_population: Mapped[int] = mapped_column(Integer, default=0)


class ElderlyPopulation(Base):
    __tablename__ = "elderly_population"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    population: Mapped[int] = mapped_column(Integer)
    aged_60: Mapped[int] = mapped_column(Integer)  # 60 and over (80+ included)
    aged_80: Mapped[int] = mapped_column(Integer)


class HomeCareDaily(Base):
    __tablename__ = "home_care_daily"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # meal medical emergency daycare …
    services: Mapped[int] = mapped_column(Integer)
    # the cockpits read summary_home_care; the days index serves its refresh
    __table_args__ = (Index("ix_home_care_day", "day"),)


class DeviceCall(Base):
    __tablename__ = "device_call"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    adcode: Mapped[str] = mapped_column(ADCODE)
    ts: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(12))  # call 一键呼叫 | fall 跌倒报警
    response_seconds: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_device_call_ts", "ts", "adcode"),)


class HazardSource(Base):
    __tablename__ = "hazard_source"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    adcode: Mapped[str] = mapped_column(ADCODE, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))  # hazmat 危化品重大危险源 | fire_key 消防重点单位
    level: Mapped[int] = mapped_column(SmallInteger)  # 1 (highest) … 4


class PlanTarget(Base):
    __tablename__ = "plan_target"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_name: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(12))
    target_text: Mapped[str] = mapped_column(String(40))
    comparator: Mapped[str] = mapped_column(String(4), default="")
    target_value: Mapped[float | None] = mapped_column(Float, nullable=True)


class PlanActual(Base):
    __tablename__ = "plan_actual"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class WarningState(Base):
    """Warnings as the engine last judged them: open ones have no cleared_at."""

    __tablename__ = "warning_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator: Mapped[str] = mapped_column(String(48))
    adcode: Mapped[str] = mapped_column(ADCODE)
    subject: Mapped[str] = mapped_column(String(80), default="")  # a spot, station … or ""
    level: Mapped[int] = mapped_column(SmallInteger)  # 1 蓝 2 黄 3 橙 4 红
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    since: Mapped[datetime] = mapped_column(DateTime)
    # when each level 1..level was reached in this episode (ISO times, space-separated; the last is
    # `since`), so that after a de-escalation the engine still knows since when the lower level holds
    reached: Mapped[str] = mapped_column(String(140), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (Index("ix_warning_open", "cleared_at", "indicator", "adcode"),)


class DataMeta(Base):
    """Key/value facts about the loaded data: version (bumped on every write), last update time."""

    __tablename__ = "data_meta"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# ------------------------------------------------------------------------------------- summaries
# Pre-aggregated sums of the raw tables above, kept by data/summaries.py (built after generation,
# refreshed by every live tick and load for the days they change). Every measure is a sum or a
# count, so summary rows of finer grain add up to coarser ones and queries finish ratios and means
# from sums exactly as they do from raw rows. `period` is 'day', 'week' (starting on Monday) or
# 'month'; `start` its first day. A query over a range reads whole months, then whole weeks, then
# single days (data.summaries.pieces). Each is read and refreshed through its primary key only,
# which SQLite stores with the rows (WITHOUT ROWID): a range of the key is one contiguous read.
class SummaryRoadHour(Base):
    """Road readings of a region's segments per hour stamp: the sums of volume-weighted congestion and
    speed (traffic._weighted_columns). `adcode` is any region at or above county; its rows sum the
    segments of the counties under it. day, weekday (0 = Monday) and hour restate `ts` so that
    profiles by hour of day or weekday group without a date function."""

    __tablename__ = "summary_road_hour"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    hour: Mapped[int] = mapped_column(SmallInteger)
    s_congestion: Mapped[float] = mapped_column(Float)  # Σ congestion_index · volume
    s_speed: Mapped[float] = mapped_column(Float)  # Σ speed_kmh · volume
    volume: Mapped[int] = mapped_column(BigInteger)
    plain_congestion: Mapped[float] = mapped_column(Float)  # Σ congestion_index
    plain_speed: Mapped[float] = mapped_column(Float)  # Σ speed_kmh
    readings: Mapped[int] = mapped_column(Integer)
    __table_args__ = {"sqlite_with_rowid": False}


class SummaryRoadSegment(Base):
    """Road readings of one segment per period: the same sums as summary_road_hour. Keyed first by
    the segment's county, so that a county's segments (or a city's, county by county) are one range
    of the key each, with no join to road_segment to find them."""

    __tablename__ = "summary_road_segment"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    segment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    s_congestion: Mapped[float] = mapped_column(Float)
    s_speed: Mapped[float] = mapped_column(Float)
    volume: Mapped[int] = mapped_column(BigInteger)
    plain_congestion: Mapped[float] = mapped_column(Float)
    plain_speed: Mapped[float] = mapped_column(Float)
    readings: Mapped[int] = mapped_column(Integer)
    __table_args__ = {"sqlite_with_rowid": False}


class SummaryParkingQuarter(Base):
    """Parking readings of a region's lots per quarter-hour stamp: Σ occupied and Σ spaces of the lots
    read (occupancy is their ratio, traffic.parking_occupancy). `adcode` is any region at or above
    county; its rows sum the lots of the counties under it. Kept for the days of the hot store."""

    __tablename__ = "summary_parking_quarter"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    occupied: Mapped[int] = mapped_column(BigInteger)
    spaces: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = {"sqlite_with_rowid": False}


class IncidentSums:
    """The measures of the incident summaries: how many incidents, and for each step of the closed
    loop how many reached it (`accepted` …; `visited` has no time limit), with the sum of their
    minutes from the report, the sum of the limits of their types and how many reached it within that
    limit (limits as incident_type holds them when the rows are built)."""

    incidents: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    dispatched: Mapped[int] = mapped_column(Integer)
    handled: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    visited: Mapped[int] = mapped_column(Integer)
    accepted_minutes: Mapped[float] = mapped_column(Float)
    dispatched_minutes: Mapped[float] = mapped_column(Float)
    handled_minutes: Mapped[float] = mapped_column(Float)
    closed_minutes: Mapped[float] = mapped_column(Float)
    accepted_limits: Mapped[int] = mapped_column(BigInteger)
    dispatched_limits: Mapped[int] = mapped_column(BigInteger)
    handled_limits: Mapped[int] = mapped_column(BigInteger)
    closed_limits: Mapped[int] = mapped_column(BigInteger)
    accepted_within: Mapped[int] = mapped_column(Integer)
    dispatched_within: Mapped[int] = mapped_column(Integer)
    handled_within: Mapped[int] = mapped_column(Integer)
    closed_within: Mapped[int] = mapped_column(Integer)


class SummaryIncident(IncidentSums, Base):
    """Incidents reported in a period in a region, by every dimension the incident filters choose.

    `adcode` is a region of the deployment: a county counts its own incidents, a region above it those
    of the counties under it, and the root every incident (as incidents.incident_conditions does)."""

    __tablename__ = "summary_incident"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    theme: Mapped[str] = mapped_column(String(16), primary_key=True)
    type_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    source: Mapped[str] = mapped_column(String(12), primary_key=True)
    severity: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(12), primary_key=True)
    overdue: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    __table_args__ = {"sqlite_with_rowid": False}


class SummaryIncidentStatus(IncidentSums, Base):
    """summary_incident without the type, source and severity of the incidents: several times fewer
    rows, for the figures whose view chooses none of those (the headline counts, the closed loop,
    step times, counties, the trend)."""

    __tablename__ = "summary_incident_status"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    theme: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), primary_key=True)
    overdue: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    __table_args__ = {"sqlite_with_rowid": False}


class SummaryIncidentCell(Base):
    """Incidents reported in a period per county (the incident's own adcode), map cell of
    1/DENSITY_CELLS_PER_DEGREE degree and severity: counts and the sums of their positions (for mean
    positions). With the severity, the map of a chosen severity reads it too (the most common click
    of the safety cockpit; other incident filters read the incidents)."""

    __tablename__ = "summary_incident_cell"
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    cell_lat: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_lon: Mapped[int] = mapped_column(Integer, primary_key=True)
    severity: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    incidents: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    lat_sum: Mapped[float] = mapped_column(Float)
    lon_sum: Mapped[float] = mapped_column(Float)
    __table_args__ = {"sqlite_with_rowid": False}


class SummaryRegionPeriod(Base):
    """The sums of region_daily per indicator, region and period (day, week, month) from which every
    time_agg rule but 'last' is finished (data.queries.indicators): a year at one region is some
    twenty pieces instead of three hundred days. `n_value` counts the days with a value (a mean
    divides by it), `m_value` is the period's largest value."""

    __tablename__ = "summary_region_period"
    indicator: Mapped[str] = mapped_column(String(48), primary_key=True)
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    n_value: Mapped[int] = mapped_column(Integer)
    s_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    m_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    s_vw: Mapped[float | None] = mapped_column(Float, nullable=True)  # Σ value × weight
    s_w: Mapped[float | None] = mapped_column(Float, nullable=True)
    s_num: Mapped[float | None] = mapped_column(Float, nullable=True)
    s_den: Mapped[float | None] = mapped_column(Float, nullable=True)
    __table_args__ = {"sqlite_with_rowid": False}


class SummarySpotDay(Base):
    """Arrivals at one scenic spot per period (day, week, month), and the hourly rows read: a spot's
    day rows give its peak day over a range, its whole periods the arrivals of a range."""

    __tablename__ = "summary_spot_day"
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    spot_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arrivals: Mapped[int] = mapped_column(BigInteger)
    hours: Mapped[int] = mapped_column(Integer)
    __table_args__ = {"sqlite_with_rowid": False}


class SummaryVisitorOrigin(Base):
    """Visitors of a region per period by home province and city. `adcode` is a region of the
    deployment at or above county: a region above county sums the counties under it."""

    __tablename__ = "summary_visitor_origin"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    origin_province: Mapped[str] = mapped_column(String(16), primary_key=True)
    origin_city: Mapped[str] = mapped_column(String(16), primary_key=True)
    visitors: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = {"sqlite_with_rowid": False}


class SummaryHomeCare(Base):
    """Home-care services of a region per period by kind. `adcode` is a region of the deployment at
    or above county: a region above county sums the counties under it."""

    __tablename__ = "summary_home_care"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    services: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = {"sqlite_with_rowid": False}


class SummaryDeviceCall(Base):
    """Device calls of a county per period by call kind and response level band: `level` is the
    warning level of each call's response time by the catalogue thresholds of
    eldercare.response_seconds (0 = within the first) as they were when the rows were built — a
    threshold changed since needs `python -m data.summaries --rebuild --table summary_device_call`
    (`--check` reveals it). Regions above county sum their counties' rows."""

    __tablename__ = "summary_device_call"
    adcode: Mapped[str] = mapped_column(ADCODE, primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[int] = mapped_column(BigInteger)  # Σ response_seconds
    __table_args__ = {"sqlite_with_rowid": False}


class SummarySourceDay(Base):
    """A key pollution source's monitoring per period: Σ exceedances, Σ online hours, and Σ over its
    days of the hours each day had (the most hours any key source was online that day, so that a
    day still running counts its elapsed hours): its online rate over any run of pieces is the
    ratio of the two sums."""

    __tablename__ = "summary_source_day"
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exceedances: Mapped[int] = mapped_column(Integer)
    online_hours: Mapped[float] = mapped_column(Float)
    expected_hours: Mapped[float] = mapped_column(Float)
    days: Mapped[int] = mapped_column(Integer)
    __table_args__ = {"sqlite_with_rowid": False}
