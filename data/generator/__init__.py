"""Deterministic demo data for any region: realistic topic tables, and a live mode that keeps them moving.

    generate(url, scale=1, seed=20211, end=None, years=3)   the full history (replaces generated data)
    live_tick(url, now=None)                                  append the newest readings, bump the version
    run_live(url, interval_seconds=5)                         tick forever
    data_today(url)                                           the day the data stand at
    has_data(url)                                             whether there is data at all

Modules: calendar (public holidays), entities (counties and point entities), drivers (weather,
tourism demand, pollution regime), series (hourly/daily entity tables), incidents (closed loop),
indicators (county values of the catalogue and their roll-up), plan (plan targets and actuals),
pipeline (writing it all).
"""
from data.generator.calendar import HOLIDAYS, Holiday, holiday_of, holiday_on, holidays_between, is_workday
from data.generator.pipeline import (PARKING_HOT_DAYS, GenerationReport, data_today, generate, has_data,
                                     live_tick, run_live)
from data.generator.vocab import HOME_CARE_KINDS, PROFILE_BUCKETS

__all__ = ["HOLIDAYS", "HOME_CARE_KINDS", "PARKING_HOT_DAYS", "PROFILE_BUCKETS", "GenerationReport", "Holiday",
           "data_today", "generate", "has_data", "holiday_of", "holiday_on", "holidays_between", "is_workday", "live_tick",
           "run_live"]
