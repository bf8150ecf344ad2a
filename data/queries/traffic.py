"""智慧交通 queries (SPEC §3.4): road segments by hour, parking lots by quarter hour, traffic incidents.

Congestion and speed over several segments or hours are volume-weighted means, the rule of the
catalogue's traffic.congestion / traffic.speed (weighted_mean, weight = vehicles), so that a figure
computed here from road_hourly equals the pre-aggregated county figure in region_daily. Parking
occupancy is Σ occupied / Σ spaces over the readings, the ratio rule of traffic.parking_occupancy.
Levels come from those indicators' catalogue thresholds.

Filters read: segment (road segments), weekday (0 = Monday) and hour (0…23) of the readings, lot
(parking lots). "Now" means the latest reading at or before the end of the view's range, so a
view of a past week shows how that week ended.

Speed: long ranges read the summary tables (data/summaries.py), whose sums give the same figures
as the readings: the whole region's hours (no segment filter) from summary_road_hour, one row per
region and hour stamp with its weekday and hour, so that profiles group in SQL into 24 or 168
rows; segments over whole days (rankings without a weekday or hour filter, trends of chosen
segments, roads around scenic spots) from summary_road_segment, a year being about twenty of its
pieces per segment. The readings themselves are read for chosen segments (a few of them) by hour
and for segments at chosen hours: summed per time stamp or per segment with no function applied
to each row, the calendar grouping done in numpy on those sums, and a choice of weekdays and hours
becoming the list of the hour stamps it means (index lookups). "Now" of a whole region is the newest
stamp of its rows in summary_road_hour or summary_parking_quarter (one key lookup), and its segments
and lots are joined on their conditions rather than listed by id (thousands of them at a city).
Small answers are put together from plain rows (`fetch`): pandas' own steps cost more than these
queries.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Float, case, cast, func, select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import indicator
from data.generator.calendar import Holiday, holiday_on, holidays_between
from data.models import (ParkingLot, ParkingQuarter, RoadHourly, RoadSegment, ScenicSpot, SummaryParkingQuarter,
                         SummaryRoadHour, SummaryRoadSegment)
from data.queries import incidents, indicators
from data.queries.common import (align_last_year, counties_under, day_bounds, dialect_name, fetch, grain_for,
                                 leading_rows, on_one_connection, read, region_names)
from data.summaries import bucket_of, period_condition, pieces, road_sums

R = RoadHourly.__table__
S = RoadSegment.__table__
H = SummaryRoadHour.__table__  # a region's readings per hour stamp
G = SummaryRoadSegment.__table__  # a segment's readings per day, week, month
P = ParkingQuarter.__table__
L = ParkingLot.__table__
Q = SummaryParkingQuarter.__table__  # a region's parking readings per quarter hour
CONGESTION, OCCUPANCY = "traffic.congestion", "traffic.parking_occupancy"
THEME = "traffic"
BASELINE_DAYS = 28  # ordinary days before a holiday that "roads around scenic spots" compares it with
HOURLY_PARKING_DAYS = 7  # longer ranges show parking occupancy per day
WEEKS_52 = 364
FEW_SEGMENTS = 100  # up to this many listed segments, the summary's key is searched for each one and day


# ---------------------------------------------------------------------------------- helpers
def _ints(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


SUMS = ["s_congestion", "s_speed", "volume", "plain_congestion", "plain_speed", "readings"]


def _summed_columns(summary) -> list:
    """`road_sums` over the rows of a summary table, which holds those sums already."""
    return [func.sum(summary.c[name]).label(name) for name in SUMS]


def _finish_weighted(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn the sums of `road_sums` into congestion, speed and the catalogue level (the other
    columns are kept, first). An hour without vehicles has no weight: plain means stand in when a
    group has none at all. (In numpy: a few hundred rows, where pandas' own steps cost more.)"""
    sums = {name: frame[name].to_numpy(dtype=float) for name in SUMS}
    volume, readings = sums["volume"], sums["readings"]
    weighted = volume > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        congestion = np.where(weighted, sums["s_congestion"] / volume, sums["plain_congestion"] / readings)
        speed = np.where(weighted, sums["s_speed"] / volume, sums["plain_speed"] / readings)
    congestion = np.round(congestion, 3)
    ind = indicator(CONGESTION)
    columns = {name: frame[name] for name in frame.columns if name not in SUMS}
    columns.update(congestion=congestion, speed=np.round(speed, 1), volume=volume.astype("int64"),
                   level=[ind.level_of(v) for v in congestion])
    return pd.DataFrame(columns, index=frame.index)


def _congestion_of(sums):
    """In SQL, the congestion `_finish_weighted` makes of the sums of a subquery (unrounded): for
    picking the first rows in the database."""
    return case((sums.c.volume > 0, sums.c.s_congestion / sums.c.volume),
                else_=sums.c.plain_congestion / sums.c.readings)


def _sum_by(frame: pd.DataFrame, keys) -> pd.DataFrame:
    """Add up per-stamp sums by calendar keys (named Series aligned with the frame) and finish them,
    sorted by the keys. (numpy's unique and bincount: pandas' groupby costs more on these sizes.)"""
    keys = [keys] if isinstance(keys, pd.Series) else list(keys)
    uniques, codes = zip(*(np.unique(key.to_numpy(), return_inverse=True) for key in keys))
    shape = tuple(len(values) for values in uniques)
    groups, group_of_row = np.unique(np.ravel_multi_index(codes, shape), return_inverse=True)
    columns = {key.name: values[index] for key, values, index in zip(keys, uniques, np.unravel_index(groups, shape))}
    for name in SUMS:
        columns[name] = np.bincount(group_of_row, weights=frame[name].to_numpy(dtype=float), minlength=len(groups))
    return _finish_weighted(pd.DataFrame(columns))


def _hour_stamps(start: date, end: date, weekdays: list[int], hours: list[int]) -> list[datetime]:
    """The hour stamps of [start, end] on these weekdays at these hours (all of them when empty)."""
    stamps = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        if weekdays and day.weekday() not in weekdays:
            continue
        stamps += [datetime.combine(day, time(hour)) for hour in (hours or range(24))]
    return stamps


def _time_conditions(column, start: date, end: date, view: ViewState | None = None) -> list:
    """Rows of [start, end] (days); with a view that chooses weekdays or hours, only the hour stamps
    they mean (an index lookup each, instead of a date function on every row)."""
    weekdays = _ints(view.filter_values("weekday")) if view else []
    hours = _ints(view.filter_values("hour")) if view else []
    if weekdays or hours:
        return [column.in_(_hour_stamps(start, end, weekdays, hours))]
    low, high = day_bounds(start, end)
    return [column >= low, column < high]


def _latest_reading(table, key_column, keys: list[int], end: date) -> datetime | None:
    """The time of the newest reading of these entities at or before the end of `end`."""
    if not keys:
        return None
    _, high = day_bounds(end, end)
    frame = read(select(func.max(table.c.ts)).where(key_column.in_(keys), table.c.ts < high))
    value = frame.iloc[0, 0]
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _bucket_labels(stamps: pd.Series, grain: str) -> pd.Series:
    """Day (as a date), ISO week (2026-W47) or month (2026-11) of each time stamp."""
    if grain == "day":
        return stamps.dt.date
    if grain == "week":
        iso = stamps.dt.isocalendar()
        return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    return stamps.dt.strftime("%Y-%m")


# ---------------------------------------------------------------------------------- road segments
@cached
def segments(view: ViewState) -> pd.DataFrame:
    """The road segments in the view's region (and, with a segment filter, only those)."""
    return read(select(S.c.id.label("segment_id"), S.c.name, S.c.road, S.c.kind, S.c.adcode, S.c.lat, S.c.lon,
                       S.c.length_km, S.c.near_spot_id).where(*_segment_conditions(view)).order_by(S.c.id))


def _segment_conditions(view: ViewState) -> list:
    """WHERE conditions on road_segment for the segments of `segments(view)`."""
    conditions = [S.c.adcode.in_(counties_under(view.region))]
    wanted = _ints(view.filter_values("segment"))
    if wanted:
        conditions.append(S.c.id.in_(wanted))
    return conditions


def _segment_ids(view: ViewState) -> list[int]:
    """The ids of `segments(view)`."""
    return [segment for (segment,) in fetch(select(S.c.id).where(*_segment_conditions(view)).order_by(S.c.id))]


SEGMENT_COLUMNS = ["segment_id", "name", "road", "kind", "adcode", "county", "ts", "congestion", "speed", "volume",
                   "level", "lat", "lon"]


def _latest_segment_reading(view: ViewState) -> datetime | None:
    """The hour of the newest reading of the view's segments at or before the end of its range. Every
    segment of the region: the newest hour stamp of the region's sums in summary_road_hour, one key
    lookup (over the readings, a lookup per segment, thousands of them at a city)."""
    if _whole_region(view):
        return _latest_reading(H, H.c.adcode, [view.region], view.end)
    return _latest_reading(R, R.c.segment_id, _segment_ids(view), view.end)


def _segments_at(view: ViewState, latest: datetime):
    """The readings of the view's segments at the hour `latest`, with their segments' columns. The
    segments are joined on their conditions: a list of thousands of ids costs more to send and
    plan than the query."""
    return (select(S.c.id, S.c.name, S.c.road, S.c.kind, S.c.adcode, R.c.congestion_index, R.c.speed_kmh,
                   R.c.volume, S.c.lat, S.c.lon)
            .select_from(R.join(S, S.c.id == R.c.segment_id)).where(R.c.ts == latest, *_segment_conditions(view)))


def _segments_frame(rows: list[tuple], latest: datetime, lang: str) -> pd.DataFrame:
    """Rows of `_segments_at` as the frame of `segments_now`, the most congested first."""
    if not rows:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    # ordered and put together in Python, column by column (a county's hundreds of segments: pandas'
    # own steps, or a frame from a dict per row, cost more than the query)
    rows = sorted(rows, key=lambda row: (-row[5], row[0]))
    segment, name, road, kind, adcode, congestion, speed, volume, lat, lon = (list(column) for column in zip(*rows))
    names, ind = region_names(lang), indicator(CONGESTION)
    return pd.DataFrame({"segment_id": segment, "name": name, "road": road, "kind": kind, "adcode": adcode,
                         "county": [names.get(code) for code in adcode], "ts": [latest] * len(rows),
                         "congestion": congestion, "speed": speed, "volume": volume,
                         "level": [ind.level_of(value) for value in congestion], "lat": lat, "lon": lon},
                        columns=SEGMENT_COLUMNS)


@cached
@on_one_connection
def segments_now(view: ViewState) -> pd.DataFrame:
    """Every segment of the region at the latest hour: congestion, speed, vehicles, level;
    the most congested first (columns segment_id, name, road, kind, adcode, county, ts, …)."""
    latest = _latest_segment_reading(view)
    if latest is None:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    return _segments_frame(fetch(_segments_at(view, latest)), latest, view.lang)


@cached
@on_one_connection
def worst_segments_now(view: ViewState, limit: int = 10) -> pd.DataFrame:
    """The `limit` most congested segments at the latest hour: the first rows of `segments_now`,
    picked in SQL (a city has thousands of segments)."""
    latest = _latest_segment_reading(view)
    if latest is None:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    statement = _segments_at(view, latest).order_by(R.c.congestion_index.desc(), S.c.id).limit(limit)
    return _segments_frame(fetch(statement), latest, view.lang)


def _hours_of(view: ViewState, start: date | None = None, end: date | None = None,
              ids: list[int] | None = None) -> pd.DataFrame:
    """The view's segments (filter: segment; or these) summed per hour stamp over [start, end]
    (default: its range) at its weekdays and hours: the sums of `road_sums` by ts, for
    pandas to group."""
    ids = _segment_ids(view) if ids is None else ids
    start, end = (start, end) if start is not None else (view.start, view.end)
    frame = _sums_frame(fetch(select(R.c.ts, *road_sums(R))
                              .where(R.c.segment_id.in_(ids), *_time_conditions(R.c.ts, start, end, view))
                              .group_by(R.c.ts)), ["ts"])
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


def _sums_frame(rows: list[tuple], keys: list[str]) -> pd.DataFrame:
    """Rows of keys followed by the sums of `road_sums` as a frame, built column by column
    (from rows of mixed types pandas builds it slower than the query runs)."""
    columns = list(zip(*rows)) or [()] * (len(keys) + len(SUMS))
    return pd.DataFrame({**{key: pd.Series(values, dtype=object) for key, values in zip(keys, columns)},
                         **{name: np.array(values, dtype=float) for name, values in zip(SUMS, columns[len(keys):])}})


def _summary_rows(region: str) -> list:
    """WHERE condition on summary_road_segment for the segments of the region: its counties, each a
    range of the summary's key (no join to road_segment to find them)."""
    return [G.c.adcode.in_(counties_under(region))]


def _segment_buckets(ids: list[int], start: date, end: date, grain: str, region: str) -> pd.DataFrame:
    """These segments summed over [start, end] in the pieces of summary_road_segment that fit the
    buckets of `grain` (days; weeks and days; months, weeks and days), each piece with the first day
    of its bucket as `ts` (for `_bucket_labels`)."""
    rows = fetch(select(G.c.period, G.c.start, *_summed_columns(G))
                 .where(*_summary_rows(region), G.c.segment_id.in_(ids),
                        period_condition(G, pieces(start, end, grain), dialect_name(),
                                         few_keys=len(ids) <= FEW_SEGMENTS))
                 .group_by(G.c.period, G.c.start))
    frame = _sums_frame([(bucket_of(period, pd.Timestamp(first).date(), grain), *sums)
                         for period, first, *sums in rows], ["ts"])
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


def _whole_region(view: ViewState) -> bool:
    """Whether the view reads every segment of its region (no segment filter): summary_road_hour."""
    return not view.filter_values("segment")


def _region_hours(view: ViewState, keys: list[str], start: date | None = None,
                  end: date | None = None) -> pd.DataFrame:
    """Every segment of the view's region summed by `keys` (columns of summary_road_hour: hour,
    weekday, day) over [start, end] (default: its range) at its weekdays and hours — the same sums
    as `_hours_of` over the readings, already added up per region and hour stamp."""
    start, end = (start, end) if start is not None else (view.start, view.end)
    low, high = day_bounds(start, end)
    conditions = [H.c.adcode == view.region, H.c.ts >= low, H.c.ts < high]
    weekdays, hours = _ints(view.filter_values("weekday")), _ints(view.filter_values("hour"))
    if weekdays:
        conditions.append(H.c.weekday.in_(weekdays))
    if hours:
        conditions.append(H.c.hour.in_(hours))
    columns = [H.c[key] for key in keys]
    return read(select(*columns, *_summed_columns(H)).where(*conditions).group_by(*columns))


@cached
@on_one_connection
def hour_profile(view: ViewState) -> pd.DataFrame:
    """Congestion and speed by hour of the day over the range (filters: segment, weekday);
    columns hour 0…23, congestion, speed, volume, level."""
    if _whole_region(view):
        frame = _region_hours(view, ["hour"])
        return pd.DataFrame() if frame.empty else _finish_weighted(frame).sort_values("hour").reset_index(drop=True)
    frame = _hours_of(view)
    if frame.empty:
        return pd.DataFrame()
    return _sum_by(frame, frame["ts"].dt.hour.rename("hour")).sort_values("hour").reset_index(drop=True)


@cached
@on_one_connection
def weekday_hour(view: ViewState) -> pd.DataFrame:
    """Congestion by weekday (0 = Monday) × hour over the range (filter: segment)."""
    if _whole_region(view):
        frame = _region_hours(view, ["weekday", "hour"])
        if frame.empty:
            return pd.DataFrame()
        return _finish_weighted(frame).sort_values(["weekday", "hour"]).reset_index(drop=True)
    frame = _hours_of(view)
    if frame.empty:
        return pd.DataFrame()
    keys = [frame["ts"].dt.weekday.rename("weekday"), frame["ts"].dt.hour.rename("hour")]
    return _sum_by(frame, keys).sort_values(["weekday", "hour"]).reset_index(drop=True)


@cached
@on_one_connection
def segment_ranking(view: ViewState) -> pd.DataFrame:
    """Each segment's congestion and speed over the range, at the chosen weekdays and hours
    (filters: weekday, hour), the most congested first. Whole days come from summary_road_segment;
    chosen weekdays or hours from the readings."""
    return _ranked(read(_named(_segment_sums(view).subquery("segment_sums"))), view)


def _segment_sums(view: ViewState):
    """Each segment of the view (segment_id) with its `road_sums` over the range (at the chosen
    weekdays and hours). Grouped by the segment alone: its name, road and county are joined to the
    rows kept (`_named`), as grouping by them too costs more than the sums (a city: 35 → 15 ms)."""
    chosen = select(S.c.id).where(*_segment_conditions(view))
    if view.filter_values("weekday") or view.filter_values("hour"):
        return (select(R.c.segment_id, *road_sums(R))
                .where(R.c.segment_id.in_(chosen), *_time_conditions(R.c.ts, view.start, view.end, view))
                .group_by(R.c.segment_id))
    wanted = _ints(view.filter_values("segment"))
    return (select(G.c.segment_id, *_summed_columns(G))
            .where(*_summary_rows(view.region), *([G.c.segment_id.in_(wanted)] if wanted else []),
                   period_condition(G, pieces(view.start, view.end), dialect_name(),
                                    few_keys=0 < len(wanted) <= FEW_SEGMENTS))
            .group_by(G.c.segment_id))


def _named(sums):
    """The rows of `sums` (a subquery of segment_id and the sums) with their segments' name, road,
    kind and county."""
    return (select(S.c.id.label("segment_id"), S.c.name, S.c.road, S.c.kind, S.c.adcode,
                   *[sums.c[name] for name in SUMS]).select_from(sums.join(S, S.c.id == sums.c.segment_id)))


def _ranked(frame: pd.DataFrame, view: ViewState) -> pd.DataFrame:
    if frame.empty:
        return frame
    frame = _finish_weighted(frame)
    frame["county"] = frame["adcode"].map(region_names(view.lang))
    return frame.sort_values(["congestion", "segment_id"], ascending=[False, True]).reset_index(drop=True)


@cached
@on_one_connection
def most_congested_segments(view: ViewState, limit: int = 12) -> pd.DataFrame:
    """The first `limit` rows of `segment_ranking`, picked in SQL (a city has thousands of segments):
    those that rounding congestion to three decimals can put among the first (`leading_rows`)."""
    sums = _segment_sums(view).cte("segment_sums")
    picked = leading_rows(sums, _congestion_of(sums), limit, 0.001).subquery("picked")
    return _ranked(read(_named(picked)), view).head(limit)


@cached
@on_one_connection
def congestion_trend(view: ViewState) -> pd.DataFrame:
    """Congestion index over the range with the same period last year, bucket by bucket
    (columns bucket, value, last_year; filters: segment, weekday, hour).

    The whole region at every hour is the catalogue indicator itself (region_daily, the same
    volume-weighted mean); chosen weekdays or hours of the whole region come from summary_road_hour,
    chosen segments at every hour from summary_road_segment, chosen segments at chosen weekdays or
    hours from road_hourly.
    """
    at_hours = bool(view.filter_values("weekday") or view.filter_values("hour"))
    if not at_hours and _whole_region(view):
        return indicators.trend(view, CONGESTION)
    grain = grain_for(view.start, view.end)
    # chosen weekdays compare with the same weekdays 52 weeks before (a calendar year shifts them)
    shift = WEEKS_52 if grain == "day" and view.filter_values("weekday") else None
    last_year = (view.start - timedelta(days=shift), view.end - timedelta(days=shift)) if shift \
        else view.same_period_last_year()
    ids = _segment_ids(view)
    parts = []
    for label, (start, end) in (("value", (view.start, view.end)), ("last_year", last_year)):
        if _whole_region(view):
            frame = _region_hours(view, ["day"], start, end)
            frame = frame.assign(ts=pd.to_datetime(frame["day"])).drop(columns="day")
        elif not at_hours:
            frame = _segment_buckets(ids, start, end, grain, view.region)
        else:
            frame = _hours_of(view, start, end, ids)
        if frame.empty:
            parts.append(pd.DataFrame(columns=["bucket", label]))
            continue
        part = _sum_by(frame, _bucket_labels(frame["ts"], grain).rename("bucket"))
        parts.append(part[["bucket", "congestion"]].rename(columns={"congestion": label}))
    if parts[0].empty:
        return pd.DataFrame()
    return align_last_year(parts[0], parts[1], grain, shift_days=shift)


# ---------------------------------------------------------------------------------- roads around scenic spots
def holiday_in_view(view: ViewState, first_day: date | None = None) -> Holiday | None:
    """The holiday "roads around scenic spots" shows: the last one in the range, else the last one
    before it with data (the range of a leader's usual view, the last week, seldom holds one)."""
    inside = holidays_between(view.start, view.end)
    if inside:
        return inside[-1]
    earlier = [h for h in holidays_between(first_day or view.start - timedelta(days=400), view.start)
               if h.end < view.start and (first_day is None or h.start >= first_day)]
    return earlier[-1] if earlier else None


def _ordinary_runs(start: date, end: date) -> list[tuple[date, date]]:
    """The runs of consecutive days of [start, end] that are not public holidays."""
    runs: list[tuple[date, date]] = []
    day = start
    while day <= end:
        if holiday_on(day) is None:
            if runs and runs[-1][1] == day - timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += timedelta(days=1)
    return runs


SCENIC_COLUMNS = ["segment_id", "name", "spot", "adcode", "holiday", "normal", "change", "level", "holiday_zh",
                  "holiday_en", "holiday_start", "holiday_end", "normal_start", "normal_end"]


@cached
@on_one_connection
def scenic_roads(view: ViewState) -> pd.DataFrame:
    """Roads around scenic spots (segments with a near_spot_id): congestion on the days of a
    holiday against the ordinary days of the four weeks before it (from summary_road_segment),
    the most congested at the holiday first.

    Columns segment_id, name, spot, adcode, holiday, normal, change (%), level (of the holiday
    value), holiday_zh, holiday_en, holiday_start, holiday_end, normal_start, normal_end.
    """
    return _scenic_roads(view, None)


@cached
@on_one_connection
def busiest_scenic_roads(view: ViewState, limit: int = 8) -> pd.DataFrame:
    """The first `limit` rows of `scenic_roads`, picked in SQL (a city has thousands of scenic
    roads): those that rounding congestion to three decimals can put among the first at the
    holiday (`leading_rows`); only these are summed over the ordinary days."""
    return _scenic_roads(view, limit).head(limit)


def _scenic_roads(view: ViewState, limit: int | None) -> pd.DataFrame:
    holiday = holiday_in_view(view, _first_road_day())
    if holiday is None:
        return pd.DataFrame(columns=SCENIC_COLUMNS)
    holiday_end = min(holiday.end, view.end)
    normal_start, normal_end = holiday.start - timedelta(days=BASELINE_DAYS), holiday.start - timedelta(days=1)
    dialect = dialect_name()

    def sums(spans: list, segments):
        """Each of these segments (a subquery, or a list) summed over these pieces of summary_road_segment."""
        return (select(G.c.segment_id, *_summed_columns(G))
                .where(*_summary_rows(view.region), G.c.segment_id.in_(segments),
                       period_condition(G, spans, dialect, few_keys=isinstance(segments, list)
                                        and len(segments) <= FEW_SEGMENTS))
                .group_by(G.c.segment_id))

    scenic = [*_segment_conditions(view), S.c.near_spot_id.isnot(None)]
    # the scenic roads as a subquery, not as the list of their ids: PostgreSQL would look every id up
    # in each piece's run of the key (an index descent per id and piece, seconds at a city), where it
    # reads the pieces whole and keeps the scenic roads' rows
    on_holiday = sums(pieces(holiday.start, holiday_end), select(S.c.id).where(*scenic))
    if limit is not None:
        held = on_holiday.cte("on_holiday")
        on_holiday = leading_rows(held, _congestion_of(held), limit, 0.001)
    held = _finish_weighted(read(on_holiday))
    if held.empty:
        return pd.DataFrame(columns=SCENIC_COLUMNS)
    # the ordinary days of the roads held: every scenic road's, or those few listed by id
    chosen = select(S.c.id).where(*scenic) if limit is None else [int(segment) for segment in held["segment_id"]]
    ordinary = _finish_weighted(read(sums([piece for run in _ordinary_runs(normal_start, normal_end)
                                           for piece in pieces(*run)], chosen)))
    # a few rows per scenic road: put together in Python, where pandas' merges would cost more
    normal = dict(zip(ordinary["segment_id"].astype(int), ordinary["congestion"]))
    congestion = dict(zip(held["segment_id"].astype(int), held["congestion"]))
    spot_name = ScenicSpot.name_en if view.lang == "en" else ScenicSpot.name
    roads = fetch(select(S.c.id, S.c.name, spot_name, S.c.adcode)
                  .select_from(S.outerjoin(ScenicSpot, ScenicSpot.id == S.c.near_spot_id))
                  .where(*scenic, *([] if limit is None else [S.c.id.in_(list(congestion))])).order_by(S.c.id))
    rows = [{"segment_id": segment, "name": name, "spot": spot, "adcode": adcode, "holiday": float(congestion[segment]),
             "normal": float(normal.get(segment, float("nan")))}
            for segment, name, spot, adcode in roads if segment in congestion]
    frame = pd.DataFrame(rows)
    holiday_values, normal_values = frame["holiday"].to_numpy(), frame["normal"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["change"] = np.round((holiday_values - normal_values) / normal_values * 100, 1)
    ind = indicator(CONGESTION)
    frame["level"] = [ind.level_of(v) for v in frame["holiday"]]
    frame = frame.assign(holiday_zh=holiday.name_zh, holiday_en=holiday.name_en, holiday_start=holiday.start,
                         holiday_end=holiday_end, normal_start=normal_start, normal_end=normal_end)
    return frame.sort_values(["holiday", "segment_id"], ascending=[False, True]).reset_index(drop=True)


@cached
def _first_road_day() -> date | None:
    value = read(select(func.min(R.c.ts))).iloc[0, 0]
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


# ---------------------------------------------------------------------------------- parking
@cached
def lots(view: ViewState) -> pd.DataFrame:
    """The parking lots in the view's region (and, with a lot filter, only those)."""
    return read(select(L.c.id.label("lot_id"), L.c.name, L.c.adcode, L.c.lat, L.c.lon, L.c.spaces, L.c.near_spot_id)
                .where(*_lot_conditions(view)).order_by(L.c.id))


def _lot_conditions(view: ViewState) -> list:
    """WHERE conditions on parking_lot for the lots of `lots(view)`."""
    conditions = [L.c.adcode.in_(counties_under(view.region))]
    wanted = _ints(view.filter_values("lot"))
    if wanted:
        conditions.append(L.c.id.in_(wanted))
    return conditions


def _lot_ids(view: ViewState) -> list[int]:
    """The ids of `lots(view)`."""
    return [lot for (lot,) in fetch(select(L.c.id).where(*_lot_conditions(view)).order_by(L.c.id))]


LOT_COLUMNS = ["lot_id", "name", "adcode", "county", "spaces", "occupied", "free", "occupancy", "level", "ts", "lat",
               "lon"]


def _latest_parking_reading(view: ViewState) -> datetime | None:
    """The quarter hour of the newest reading of the view's lots at or before the end of its range.
    Every lot of the region: the newest stamp of the region's sums in summary_parking_quarter, one
    key lookup (over the readings, a lookup per lot, thousands of them at a city)."""
    if not view.filter_values("lot"):
        return _latest_reading(Q, Q.c.adcode, [view.region], view.end)
    return _latest_reading(P, P.c.lot_id, _lot_ids(view), view.end)


def _lots_at(view: ViewState, latest: datetime, *columns):
    """These columns of the view's lots and their readings at the quarter hour `latest` (the lots
    joined on their conditions, not as a list of thousands of ids)."""
    return select(*columns).select_from(P.join(L, L.c.id == P.c.lot_id)).where(P.c.ts == latest,
                                                                                *_lot_conditions(view))


@cached
@on_one_connection
def parking_now(view: ViewState) -> pd.DataFrame:
    """Each lot at the latest quarter hour: spaces, occupied, free, occupancy (%) and its level,
    the fullest first. Empty when the range ends before the hot store's 90 days."""
    latest = _latest_parking_reading(view)
    if latest is None:
        return pd.DataFrame(columns=LOT_COLUMNS)
    return _lots_frame(fetch(_lots_at(view, latest, *LOT_READ)), latest, view.lang)


@cached
@on_one_connection
def fullest_lots(view: ViewState, limit: int = 10) -> pd.DataFrame:
    """The `limit` fullest lots with spaces at the latest quarter hour: the first rows of
    `parking_now`, picked in SQL (a city has thousands of lots): those that rounding occupancy to
    one decimal can put among the first (`leading_rows`)."""
    latest = _latest_parking_reading(view)
    if latest is None:
        return pd.DataFrame(columns=LOT_COLUMNS)
    now = _lots_at(view, latest, *LOT_READ).where(L.c.spaces > 0).cte("lots_now")
    occupancy = cast(now.c.occupied, Float) * indicator(OCCUPANCY).factor / now.c.spaces
    return _lots_frame(fetch(leading_rows(now, occupancy, limit, 0.1)), latest, view.lang).head(limit)


LOT_READ = (L.c.id, L.c.name, L.c.adcode, L.c.spaces, P.c.occupied, L.c.lat, L.c.lon)


def _lots_frame(rows: list[tuple], latest: datetime, lang: str) -> pd.DataFrame:
    """Rows of LOT_READ at the quarter hour `latest` as the frame of `parking_now`, the fullest first."""
    if not rows:
        return pd.DataFrame(columns=LOT_COLUMNS)
    # put together in Python, column by column (a county's hundreds of lots: pandas' merges, or a
    # frame from a dict per row, cost more than the query)
    ind, names = indicator(OCCUPANCY), region_names(lang)
    columns = [np.array(column, dtype=object) for column in zip(*rows)]
    lot, _, _, spaces, occupied, _, _ = columns
    share = np.round(ind.factor * occupied.astype(float) / spaces.astype(float), 1)
    order = np.lexsort((lot.astype(np.int64), -share))  # the fullest first (np.lexsort: the last key first)
    lot, name, adcode, spaces, occupied, lat, lon = (column[order].tolist() for column in columns)
    share = share[order].tolist()
    return pd.DataFrame({"lot_id": lot, "name": name, "adcode": adcode, "county": [names.get(code) for code in adcode],
                         "spaces": spaces, "occupied": occupied,
                         "free": [max(room - taken, 0) for room, taken in zip(spaces, occupied)], "occupancy": share,
                         "level": [ind.level_of(value) for value in share], "ts": [latest] * len(rows),
                         "lat": lat, "lon": lon}, columns=LOT_COLUMNS)


@on_one_connection
def free_spaces_now(view: ViewState) -> dict:
    """Free and total spaces of the region's lots at the latest quarter hour (None when unknown):
    the sums of `parking_now`'s free and spaces, added up in SQL."""
    latest = _latest_parking_reading(view)
    if latest is None:
        return {"free": None, "spaces": None, "ts": None}
    free = case((L.c.spaces > P.c.occupied, L.c.spaces - P.c.occupied), else_=0)
    ((free_spaces, spaces),) = fetch(_lots_at(view, latest, func.sum(free), func.sum(L.c.spaces)))
    return {"free": int(free_spaces), "spaces": int(spaces), "ts": pd.Timestamp(latest)}


@cached
@on_one_connection
def parking_trend(view: ViewState) -> pd.DataFrame:
    """Occupancy (%) of the region's lots (filter: lot) over the range, hourly up to a week, daily
    beyond (columns bucket, occupancy[, last_year]).

    Daily figures of the whole region are the catalogue indicator (region_daily, kept for every
    day, with last year beside); its hours come from summary_parking_quarter, chosen lots from the
    90-day hot store."""
    hourly = view.days <= HOURLY_PARKING_DAYS
    chosen = view.filter_values("lot")
    if not hourly and not chosen:
        frame = indicators.trend(view, OCCUPANCY).rename(columns={"value": "occupancy"})
        return frame if frame["occupancy"].notna().any() else pd.DataFrame()
    low, high = day_bounds(view.start, view.end)
    if chosen:
        statement = (select(P.c.ts, func.sum(P.c.occupied).label("occupied"), func.sum(L.c.spaces).label("spaces"))
                     .join(L, L.c.id == P.c.lot_id)
                     .where(P.c.lot_id.in_(_lot_ids(view)), P.c.ts >= low, P.c.ts < high)
                     .group_by(P.c.ts))
    else:  # every lot of the region: its sums per quarter hour
        statement = select(Q.c.ts, Q.c.occupied, Q.c.spaces).where(Q.c.adcode == view.region, Q.c.ts >= low,
                                                                   Q.c.ts < high)
    frame = read(statement)
    if frame.empty:
        return frame
    stamps = pd.to_datetime(frame["ts"])
    bucket = (stamps.dt.floor("h") if hourly else pd.to_datetime(stamps.dt.date)).rename("bucket")
    sums = frame[["occupied", "spaces"]].groupby(bucket).sum().reset_index()
    sums["occupancy"] = (indicator(OCCUPANCY).factor * sums["occupied"] / sums["spaces"]).round(2)
    sums.attrs["grain"] = "hour" if hourly else "day"
    return sums[["bucket", "occupancy", "occupied", "spaces"]]


# ---------------------------------------------------------------------------------- public transport, incidents
def bus_trend(view: ViewState) -> pd.DataFrame:
    """Public transport ridership over the range with last year (the catalogue indicator)."""
    return indicators.trend(view, "traffic.bus_ridership")


def incident_view(view: ViewState) -> ViewState:
    """The view of the traffic incidents behind the page (what the incident desk shows)."""
    return view.set_filter("theme", (THEME,))


def incidents_by_type(view: ViewState) -> pd.DataFrame:
    """Traffic accidents and incidents reported in the range, by type (columns type_code, name,
    incidents, overdue), the most frequent first."""
    return incidents.by_type(incident_view(view), view.lang)


def incident_counts(view: ViewState) -> dict:
    return incidents.counts(incident_view(view))


# ---------------------------------------------------------------------------------- headline figures
KPI_INDICATORS = ("traffic.congestion", "traffic.speed", "traffic.parking_occupancy", "traffic.bus_ridership",
                  "traffic.accidents")


@cached
@on_one_connection
def kpis(view: ViewState) -> pd.DataFrame:
    """The headline figures: the catalogue indicators with their changes vs the previous period and
    last year (rows keyed by indicator code), free spaces now, and the traffic incidents reported
    in the range and still open (keys free_spaces, incidents, open, open_overdue)."""
    frame = indicators.kpis(view, KPI_INDICATORS).rename(columns={"indicator": "key"})
    free = free_spaces_now(view)
    counts = incident_counts(view)
    extra = pd.DataFrame([
        {"key": "free_spaces", "value": free["free"], "spaces": free["spaces"],
         "at": None if free["ts"] is None else f"{free['ts']:%H:%M}"},
        {"key": "incidents", "value": counts["total"]},
        {"key": "open", "value": counts["open"]},
        {"key": "open_overdue", "value": counts["open_overdue"]},
    ])
    return pd.concat([frame, extra], ignore_index=True)
