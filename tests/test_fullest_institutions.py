"""The bed-occupancy chart's institutions, picked in SQL, are the first of the whole ordered list,
on SQLite and on PostgreSQL (each database divides and orders on its own; rounding to one decimal
must not change which ones come first)."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.viewstate import ViewState

WEEK = ViewState(region="341000", start=date(2026, 11, 19), end=date(2026, 11, 25))


@pytest.mark.parametrize("view", [WEEK, WEEK.with_region("341021"), WEEK.set_filter("tier", ("nursing_home",)),
                                  WEEK.set_filter("tier", ("community_station", "street_center"))])
def test_the_fullest_institutions_picked_in_sql_are_the_first_of_the_whole_list(backend, view):
    from data.queries.eldercare import fullest_institutions, institutions

    whole = institutions(view).dropna(subset=["occupancy"])
    assert len(whole) > 1  # (a county has a dozen: a limit above that gives them all)
    for limit in (1, 10, 25):
        picked = fullest_institutions(view, limit)
        pd.testing.assert_frame_equal(picked, whole.head(limit).reset_index(drop=True))
