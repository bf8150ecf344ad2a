"""Runs the warnings engine over the database: current readings → data/warnings.step → warning_state.

Writers call `evaluate_warnings` after they change data (the generator's live tick, the loader,
start-up), so readers only read warning_state and every worker shows the same warnings with the
same "since".
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from data.catalogue import catalogue
from data.db import get_engine, session_scope
from data.models import DataMeta, ScenicSpot, SpotHourly
from data.queries.common import read
from data.queries.indicators import indicator_values
from data.regions import region_tree
from data.warnings import Reading, load_open, persist, step


def _today(url: str | None) -> date:
    with get_engine(url).connect() as conn:
        value = conn.execute(select(DataMeta.value).where(DataMeta.key == "last_day")).scalar()
    return date.fromisoformat(value) if value else date.today()


def current_readings(url: str | None = None, day: date | None = None) -> list[Reading]:
    """The current value of every indicator with thresholds: the latest day for region indicators
    (deployment root and every region below it), today's load for each scenic spot."""
    day = day or _today(url)
    tree = region_tree()
    regions = [r.adcode for r in tree.all()]
    region_codes = [i.code for i in catalogue().values()
                    if i.has_thresholds and i.grain == "region_day" and i.warn_scope == "region"]
    readings: list[Reading] = []
    values = indicator_values(region_codes, regions, {"current": (day, day)}, url=url)
    for row in values.itertuples():
        readings.append(Reading(row.indicator, row.adcode, "", None if row.value is None else float(row.value)))
    if "tourism.spot_load" in catalogue():
        readings += spot_load_readings(day, url)
    return readings


def spot_load_readings(day: date, url: str | None = None) -> list[Reading]:
    """Scenic-spot load = the day's arrivals so far / the daily capacity."""
    start = datetime.combine(day, datetime.min.time())
    statement = (select(ScenicSpot.name, ScenicSpot.adcode, ScenicSpot.capacity,
                        func.coalesce(func.sum(SpotHourly.arrivals), 0).label("arrivals"))
                 .join(SpotHourly, (SpotHourly.spot_id == ScenicSpot.id) & (SpotHourly.ts >= start)
                       & (SpotHourly.ts < start + timedelta(days=1)), isouter=True)
                 .group_by(ScenicSpot.id, ScenicSpot.name, ScenicSpot.adcode, ScenicSpot.capacity))
    frame = read(statement, url)
    factor = catalogue()["tourism.spot_load"].factor
    return [Reading("tourism.spot_load", r.adcode, r.name, factor * float(r.arrivals) / r.capacity)
            for r in frame.itertuples() if r.capacity]


def evaluate_warnings(url: str | None = None, now: datetime | None = None) -> dict:
    """One step of the engine; returns counts of the changes by kind."""
    now = now or datetime.now().replace(microsecond=0)
    readings = current_readings(url)
    with session_scope(url) as session:
        previous = load_open(session)
        current, changes = step(previous, readings, now)
        persist(session, current, now)
    summary: dict[str, int] = {}
    for change in changes:
        summary[change.kind] = summary.get(change.kind, 0) + 1
    summary["open"] = len(current)
    return summary
