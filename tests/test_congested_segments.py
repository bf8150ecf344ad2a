"""The segment ranking chart's segments, picked in SQL, are the first of the whole ranking, on
SQLite and on PostgreSQL, over whole days (the segment summary) and at chosen hours (the readings)."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.viewstate import ViewState

MONTH = ViewState(page="/traffic", region="341000", start=date(2026, 10, 27), end=date(2026, 11, 24))


@pytest.mark.parametrize("view", [MONTH, MONTH.with_region("341021"), MONTH.set_filter("hour", ("8", "18")),
                                  MONTH.set_filter("weekday", ("1",)).with_region("341003"),
                                  ViewState(page="/traffic", region="341000", start=date(2026, 1, 1),
                                            end=date(2026, 11, 24))])
def test_the_most_congested_segments_picked_in_sql_are_the_first_of_the_ranking(backend, view):
    from data.queries.traffic import most_congested_segments, segment_ranking

    whole = segment_ranking(view)
    assert len(whole) > 1
    for limit in (1, 12, 400):
        picked = most_congested_segments(view, limit)
        pd.testing.assert_frame_equal(picked.reset_index(drop=True), whole.head(limit).reset_index(drop=True),
                                      check_dtype=False)
