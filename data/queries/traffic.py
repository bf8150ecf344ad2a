"""智慧交通 queries (SPEC §3.4): road segments by hour, parking lots by quarter hour, traffic incidents.

Congestion and speed over several segments or hours are volume-weighted means, the rule of the
catalogue's traffic.congestion / traffic.speed (weighted_mean, weight = vehicles), so that a figure
computed here from road_hourly equals the pre-aggregated county figure in region_daily. Parking
occupancy is Σ occupied / Σ spaces over the readings, the ratio rule of traffic.parking_occupancy.
Levels come from those indicators' catalogue thresholds.

Filters read: segment (road segments), weekday (0 = Monday) and hour (0…23) of the readings, lot
(parking lots). "Now" means the latest reading at or before the end of the view's range, so a
view of a past week shows how that week ended.

Speed: the database sums readings per time stamp or per entity, with no function applied to each
row (date functions over tens of thousands of rows cost more than the sums); the calendar
grouping (hour of day, weekday, day, week) is done in pandas on those few hundred sums, and a
choice of weekdays and hours becomes the list of the hour stamps it means (index lookups).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import case, func, literal, or_, select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import indicator
from data.generator.calendar import Holiday, holiday_on, holidays_between
from data.models import ParkingLot, ParkingQuarter, RoadHourly, RoadSegment, ScenicSpot
from data.queries import incidents, indicators
from data.queries.common import align_last_year, counties_under, day_bounds, grain_for, read, region_names

R = RoadHourly.__table__
S = RoadSegment.__table__
P = ParkingQuarter.__table__
L = ParkingLot.__table__
CONGESTION, OCCUPANCY = "traffic.congestion", "traffic.parking_occupancy"
THEME = "traffic"
BASELINE_DAYS = 28  # ordinary days before a holiday that "roads around scenic spots" compares it with
HOURLY_PARKING_DAYS = 7  # longer ranges show parking occupancy per day
WEEKS_52 = 364


# ---------------------------------------------------------------------------------- helpers
def _ints(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _weighted_columns() -> list:
    """Additive sums from which volume-weighted congestion and speed follow (`_finish_weighted`);
    being sums, rows grouped finer can be added up in pandas before finishing."""
    return [func.sum(R.c.congestion_index * R.c.volume).label("s_congestion"),
            func.sum(R.c.speed_kmh * R.c.volume).label("s_speed"),
            func.sum(R.c.volume).label("volume"),
            func.sum(R.c.congestion_index).label("plain_congestion"),
            func.sum(R.c.speed_kmh).label("plain_speed"),
            func.count().label("readings")]


SUMS = ["s_congestion", "s_speed", "volume", "plain_congestion", "plain_speed", "readings"]


def _finish_weighted(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn the sums of `_weighted_columns` into congestion, speed and the catalogue level.
    An hour without vehicles has no weight: plain means stand in when a group has none at all."""
    sums = frame[SUMS].astype(float)
    weighted = sums["volume"] > 0
    frame = frame.drop(columns=SUMS).assign(
        congestion=(sums["s_congestion"] / sums["volume"]).where(weighted, sums["plain_congestion"] / sums["readings"])
        .round(3),
        speed=(sums["s_speed"] / sums["volume"]).where(weighted, sums["plain_speed"] / sums["readings"]).round(1),
        volume=sums["volume"].astype("int64"),
    )
    ind = indicator(CONGESTION)
    frame["level"] = [ind.level_of(v) for v in frame["congestion"]]
    return frame


def _sum_by(frame: pd.DataFrame, keys) -> pd.DataFrame:
    """Add up per-stamp sums by calendar keys (Series aligned with the frame) and finish them."""
    grouped = frame[SUMS].groupby(keys).sum()
    return _finish_weighted(grouped.reset_index())


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
    statement = (select(S.c.id.label("segment_id"), S.c.name, S.c.road, S.c.kind, S.c.adcode, S.c.lat, S.c.lon,
                        S.c.length_km, S.c.near_spot_id)
                 .where(S.c.adcode.in_(counties_under(view.region))).order_by(S.c.id))
    wanted = _ints(view.filter_values("segment"))
    if wanted:
        statement = statement.where(S.c.id.in_(wanted))
    return read(statement)


SEGMENT_COLUMNS = ["segment_id", "name", "road", "kind", "adcode", "county", "ts", "congestion", "speed", "volume",
                   "level", "lat", "lon"]


@cached
def segments_now(view: ViewState) -> pd.DataFrame:
    """Every segment of the region at the latest hour: congestion, speed, vehicles, level;
    the most congested first (columns segment_id, name, road, kind, adcode, county, ts, …)."""
    roads = segments(view)
    ids = roads["segment_id"].tolist()
    latest = _latest_reading(R, R.c.segment_id, ids, view.end)
    if latest is None:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    rows = read(select(R.c.segment_id, R.c.congestion_index.label("congestion"), R.c.speed_kmh.label("speed"),
                       R.c.volume).where(R.c.segment_id.in_(ids), R.c.ts == latest))
    frame = roads.merge(rows, on="segment_id", how="inner")
    ind = indicator(CONGESTION)
    frame = frame.assign(county=frame["adcode"].map(region_names(view.lang)), ts=latest,
                         level=[ind.level_of(v) for v in frame["congestion"]])
    return frame[SEGMENT_COLUMNS].sort_values(["congestion", "segment_id"], ascending=[False, True]) \
        .reset_index(drop=True)


def worst_segments_now(view: ViewState, limit: int = 10) -> pd.DataFrame:
    """The `limit` most congested segments at the latest hour."""
    return segments_now(view).head(limit).reset_index(drop=True)


def _hours_of(view: ViewState, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """The view's segments (filter: segment) summed per hour stamp over [start, end] (default: its
    range) at its weekdays and hours: the sums of `_weighted_columns` by ts, for pandas to group."""
    ids = segments(view)["segment_id"].tolist()
    start, end = (start, end) if start is not None else (view.start, view.end)
    frame = read(select(R.c.ts, *_weighted_columns())
                 .where(R.c.segment_id.in_(ids), *_time_conditions(R.c.ts, start, end, view))
                 .group_by(R.c.ts))
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


@cached
def hour_profile(view: ViewState) -> pd.DataFrame:
    """Congestion and speed by hour of the day over the range (filters: segment, weekday);
    columns hour 0…23, congestion, speed, volume, level."""
    frame = _hours_of(view)
    if frame.empty:
        return pd.DataFrame()
    return _sum_by(frame, frame["ts"].dt.hour.rename("hour")).sort_values("hour").reset_index(drop=True)


@cached
def weekday_hour(view: ViewState) -> pd.DataFrame:
    """Congestion by weekday (0 = Monday) × hour over the range (filter: segment)."""
    frame = _hours_of(view)
    if frame.empty:
        return pd.DataFrame()
    keys = [frame["ts"].dt.weekday.rename("weekday"), frame["ts"].dt.hour.rename("hour")]
    return _sum_by(frame, keys).sort_values(["weekday", "hour"]).reset_index(drop=True)


@cached
def segment_ranking(view: ViewState) -> pd.DataFrame:
    """Each segment's congestion and speed over the range, at the chosen weekdays and hours
    (filters: weekday, hour), the most congested first."""
    roads = segments(view)
    frame = read(select(R.c.segment_id, *_weighted_columns())
                 .where(R.c.segment_id.in_(roads["segment_id"].tolist()),
                        *_time_conditions(R.c.ts, view.start, view.end, view))
                 .group_by(R.c.segment_id))
    if frame.empty:
        return frame
    frame = roads[["segment_id", "name", "road", "kind", "adcode"]].merge(_finish_weighted(frame), on="segment_id")
    frame["county"] = frame["adcode"].map(region_names(view.lang))
    return frame.sort_values(["congestion", "segment_id"], ascending=[False, True]).reset_index(drop=True)


@cached
def congestion_trend(view: ViewState) -> pd.DataFrame:
    """Congestion index over the range with the same period last year, bucket by bucket
    (columns bucket, value, last_year; filters: segment, weekday, hour).

    The whole region at every hour is the catalogue indicator itself (region_daily, the same
    volume-weighted mean); a choice of segments, weekdays or hours is computed from road_hourly.
    """
    if not any(view.filter_values(d) for d in ("segment", "weekday", "hour")):
        return indicators.trend(view, CONGESTION)
    grain = grain_for(view.start, view.end)
    # chosen weekdays compare with the same weekdays 52 weeks before (a calendar year shifts them)
    shift = WEEKS_52 if grain == "day" and view.filter_values("weekday") else None
    last_year = (view.start - timedelta(days=shift), view.end - timedelta(days=shift)) if shift \
        else view.same_period_last_year()
    parts = []
    for label, (start, end) in (("value", (view.start, view.end)), ("last_year", last_year)):
        frame = _hours_of(view, start, end)
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


@cached
def scenic_roads(view: ViewState) -> pd.DataFrame:
    """Roads around scenic spots (segments with a near_spot_id): congestion on the days of a
    holiday against the ordinary days of the four weeks before it.

    Columns segment_id, name, spot, adcode, holiday, normal, change (%), level (of the holiday
    value), holiday_zh, holiday_en, holiday_start, holiday_end, normal_start, normal_end.
    """
    roads = segments(view)
    roads = roads[roads["near_spot_id"].notna()]
    holiday = holiday_in_view(view, _first_road_day())
    if roads.empty or holiday is None:
        return pd.DataFrame()
    holiday_end = min(holiday.end, view.end)
    normal_start, normal_end = holiday.start - timedelta(days=BASELINE_DAYS), holiday.start - timedelta(days=1)
    low, high = day_bounds(holiday.start, holiday_end)
    normal = [(R.c.ts >= a) & (R.c.ts < b) for a, b in (day_bounds(*run)
                                                        for run in _ordinary_runs(normal_start, normal_end))]
    period = case((R.c.ts >= low, literal("holiday")), else_=literal("normal")).label("period")
    sums = read(select(R.c.segment_id, period, *_weighted_columns())
                .where(R.c.segment_id.in_([int(i) for i in roads["segment_id"]]),
                       or_((R.c.ts >= low) & (R.c.ts < high), *normal))
                .group_by(R.c.segment_id, period))
    if sums.empty or "holiday" not in set(sums["period"]):
        return pd.DataFrame()
    values = _finish_weighted(sums).pivot(index="segment_id", columns="period", values="congestion")
    spots = read(select(ScenicSpot.id.label("near_spot_id"), ScenicSpot.name.label("spot_zh"),
                        ScenicSpot.name_en.label("spot_en")))
    frame = roads[["segment_id", "name", "adcode", "near_spot_id"]].merge(spots, on="near_spot_id", how="left")
    frame["spot"] = frame["spot_en" if view.lang == "en" else "spot_zh"]
    frame["holiday"] = frame["segment_id"].map(values["holiday"])
    frame["normal"] = frame["segment_id"].map(values["normal"]) if "normal" in values else float("nan")
    frame = frame.dropna(subset=["holiday"])
    frame["change"] = ((frame["holiday"] - frame["normal"]) / frame["normal"] * 100).round(1)
    ind = indicator(CONGESTION)
    frame["level"] = [ind.level_of(v) for v in frame["holiday"]]
    frame = frame.assign(holiday_zh=holiday.name_zh, holiday_en=holiday.name_en, holiday_start=holiday.start,
                         holiday_end=holiday_end, normal_start=normal_start, normal_end=normal_end)
    keep = ["segment_id", "name", "spot", "adcode", "holiday", "normal", "change", "level", "holiday_zh",
            "holiday_en", "holiday_start", "holiday_end", "normal_start", "normal_end"]
    return frame[keep].sort_values(["holiday", "segment_id"], ascending=[False, True]).reset_index(drop=True)


@cached
def _first_road_day() -> date | None:
    value = read(select(func.min(R.c.ts))).iloc[0, 0]
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


# ---------------------------------------------------------------------------------- parking
@cached
def lots(view: ViewState) -> pd.DataFrame:
    """The parking lots in the view's region (and, with a lot filter, only those)."""
    statement = (select(L.c.id.label("lot_id"), L.c.name, L.c.adcode, L.c.lat, L.c.lon, L.c.spaces,
                        L.c.near_spot_id).where(L.c.adcode.in_(counties_under(view.region))).order_by(L.c.id))
    wanted = _ints(view.filter_values("lot"))
    if wanted:
        statement = statement.where(L.c.id.in_(wanted))
    return read(statement)


LOT_COLUMNS = ["lot_id", "name", "adcode", "county", "spaces", "occupied", "free", "occupancy", "level", "ts", "lat",
               "lon"]


@cached
def parking_now(view: ViewState) -> pd.DataFrame:
    """Each lot at the latest quarter hour: spaces, occupied, free, occupancy (%) and its level,
    the fullest first. Empty when the range ends before the hot store's 90 days."""
    places = lots(view)
    ids = places["lot_id"].tolist()
    latest = _latest_reading(P, P.c.lot_id, ids, view.end)
    if latest is None:
        return pd.DataFrame(columns=LOT_COLUMNS)
    rows = read(select(P.c.lot_id, P.c.occupied).where(P.c.lot_id.in_(ids), P.c.ts == latest))
    frame = places.merge(rows, on="lot_id", how="inner")
    ind = indicator(OCCUPANCY)
    frame["free"] = (frame["spaces"] - frame["occupied"]).clip(lower=0)
    frame["occupancy"] = (ind.factor * frame["occupied"] / frame["spaces"]).round(1)
    frame["level"] = [ind.level_of(v) for v in frame["occupancy"]]
    frame["ts"] = latest
    frame["county"] = frame["adcode"].map(region_names(view.lang))
    return frame[LOT_COLUMNS].sort_values(["occupancy", "lot_id"], ascending=[False, True]).reset_index(drop=True)


def free_spaces_now(view: ViewState) -> dict:
    """Free and total spaces of the region's lots at the latest quarter hour (None when unknown)."""
    frame = parking_now(view)
    if frame.empty:
        return {"free": None, "spaces": None, "ts": None}
    return {"free": int(frame["free"].sum()), "spaces": int(frame["spaces"].sum()), "ts": frame["ts"].iloc[0]}


@cached
def parking_trend(view: ViewState) -> pd.DataFrame:
    """Occupancy (%) of the region's lots (filter: lot) over the range, hourly up to a week, daily
    beyond (columns bucket, occupancy[, last_year]).

    Daily figures of the whole region are the catalogue indicator (region_daily, kept for every
    day, with last year beside); hours and chosen lots come from the 90-day hot store."""
    hourly = view.days <= HOURLY_PARKING_DAYS
    if not hourly and not view.filter_values("lot"):
        frame = indicators.trend(view, OCCUPANCY).rename(columns={"value": "occupancy"})
        return frame if frame["occupancy"].notna().any() else pd.DataFrame()
    places = lots(view)
    low, high = day_bounds(view.start, view.end)
    frame = read(select(P.c.ts, func.sum(P.c.occupied).label("occupied"), func.sum(L.c.spaces).label("spaces"))
                 .join(L, L.c.id == P.c.lot_id)
                 .where(P.c.lot_id.in_(places["lot_id"].tolist()), P.c.ts >= low, P.c.ts < high)
                 .group_by(P.c.ts))
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
