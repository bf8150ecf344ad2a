"""The rankings that show their first rows pick them in SQL: the segment ranking chart's segments
(over whole days from the segment summary, and at chosen hours from the readings) and the busiest
roads around scenic spots are the first of the whole ordered lists, on SQLite and on PostgreSQL."""
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


@pytest.mark.parametrize("view", [MONTH.with_range(date(2026, 11, 18), date(2026, 11, 24)), MONTH.with_region("341003"),
                                  MONTH.with_range(date(2026, 9, 20), date(2026, 9, 26)),
                                  "chosen"])
def test_the_busiest_scenic_roads_picked_in_sql_are_the_first_of_the_scenic_roads(backend, view):
    from data.queries.traffic import busiest_scenic_roads, scenic_roads

    if view == "chosen":  # three scenic roads chosen, one of them not in the county
        city = scenic_roads(MONTH)
        in_county = city[city["adcode"] == "341003"]["segment_id"].astype(str).tolist()[:2]
        elsewhere = city[city["adcode"] != "341003"]["segment_id"].astype(str).tolist()[:1]
        view = MONTH.with_region("341003").set_filter("segment", tuple(in_county + elsewhere))
    every_road = scenic_roads(view)
    assert len(every_road) >= 1
    for limit in (1, 2, 8, len(every_road) + 3):
        picked = busiest_scenic_roads(view, limit)
        pd.testing.assert_frame_equal(picked, every_road.head(limit).reset_index(drop=True), check_dtype=False)
