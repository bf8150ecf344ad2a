"""The parking chart's lots, picked in SQL, are the first of the whole list of lots now, on SQLite
and on PostgreSQL: at the city, in a county, at the end of an earlier week, for chosen lots, and
none before the hot store's readings begin."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.viewstate import ViewState

WEEK = ViewState(page="/traffic", region="341000", start=date(2026, 11, 18), end=date(2026, 11, 24))


@pytest.mark.parametrize("view", [WEEK, WEEK.with_region("341021"),
                                  ViewState(page="/traffic", region="341003", start=date(2026, 10, 1),
                                            end=date(2026, 10, 7))])
def test_the_fullest_lots_picked_in_sql_are_the_first_of_the_lots_now(backend, view):
    from data.queries.traffic import fullest_lots, parking_now

    every_lot = parking_now(view)
    assert len(every_lot) > 2
    for limit in (1, 2, 10, len(every_lot) + 5):
        picked = fullest_lots(view, limit)
        pd.testing.assert_frame_equal(picked, every_lot.head(limit).reset_index(drop=True), check_dtype=False)
    # the fullest first, by the occupancy the chart shows
    assert fullest_lots(view)["occupancy"].is_monotonic_decreasing


def test_chosen_lots_and_a_range_before_the_readings(backend):
    from data.queries.traffic import fullest_lots, parking_now

    chosen = [str(lot) for lot in parking_now(WEEK)["lot_id"].iloc[[3, 7, 20]]]
    picked = fullest_lots(WEEK.set_filter("lot", tuple(chosen)))
    assert sorted(map(str, picked["lot_id"])) == sorted(chosen)
    before = ViewState(page="/traffic", region="341000", start=date(2026, 1, 1), end=date(2026, 1, 7))
    assert fullest_lots(before).empty and list(fullest_lots(before).columns) == list(parking_now(WEEK).columns)
