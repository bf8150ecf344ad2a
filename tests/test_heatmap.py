"""The heat map's cells are the means pandas' pivot_table gives: duplicates averaged, missing
values left out, rows and columns in the order asked for (those with data only)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def test_heatmap_cells_are_the_pivot_table_means():
    from components.figures import heatmap

    frame = pd.DataFrame({"weekday": [0, 0, 0, 1, 1, 2, 3, 3], "hour": [8, 8, 9, 8, 10, 9, 8, 11],
                          "congestion": [1.2, 1.6, 2.0, np.nan, 1.1, 1.9, 2.5, np.nan]})
    expected = frame.pivot_table(index="weekday", columns="hour", values="congestion", aggfunc="mean")
    fig = heatmap(frame, x="hour", y="weekday", z="congestion")
    cells = fig.data[0]
    assert list(cells.x) == list(expected.columns) and list(cells.y) == list(expected.index)
    np.testing.assert_allclose(np.array(cells.z, dtype=float), expected.to_numpy(), equal_nan=True)
    assert cells.text[0][0] == "1.4"  # the mean of 1.2 and 1.6

    ordered = heatmap(frame, x="hour", y="weekday", z="congestion", x_order=[11, 10, 9, 8, 7],
                      y_order=[3, 2, 1, 0, 6], customdata="weekday").data[0]
    assert list(ordered.x) == [10, 9, 8] and list(ordered.y) == [3, 2, 1, 0]  # hour 11 and weekday 6: no data
    assert [row[0] for row in ordered.customdata] == ["3", "2", "1", "0"]
    reordered = expected.reindex(index=[3, 2, 1, 0], columns=[10, 9, 8])
    np.testing.assert_allclose(np.array(ordered.z, dtype=float), reordered.to_numpy(), equal_nan=True)


def test_cell_grid_reduces_as_pivot_table_does_and_keeps_columns_asked_for():
    """The water grades (worst of a month: max; target met: min) and the station × hour table (every
    hour of the day, those without readings empty) are the tables pivot_table and reindex gave."""
    from components.figures import cell_grid

    frame = pd.DataFrame({"section": ["b", "b", "a", "a", "a"], "month": ["2026-10", "2026-10", "2026-11", "2026-10",
                                                                         "2026-10"],
                          "grade": [2, 4, 3, 1, 2], "meets": [True, False, True, True, True]})
    for reduce in ("max", "min"):
        expected = frame.pivot_table(index="section", columns="month", values="grade", aggfunc=reduce)
        rows, columns, cells = cell_grid(frame, x="month", y="section", z="grade", reduce=reduce)
        assert rows == list(expected.index) and columns == list(expected.columns)
        np.testing.assert_allclose(np.array(cells, dtype=float), expected.to_numpy(), equal_nan=True)
    rows, columns, cells = cell_grid(frame, x="month", y="section", z="meets", reduce="min", y_order=["b", "a"])
    assert rows == ["b", "a"] and cells[0][0] is False and cells[1][0] is True and np.isnan(cells[0][1])

    hours = pd.DataFrame({"station_id": [7, 7, 3], "hour": [0, 0, 23], "value": [40.0, 60.0, np.nan]})
    rows, columns, cells = cell_grid(hours, x="hour", y="station_id", z="value", x_order=range(24),
                                     columns_without_data=True)
    assert rows == [7] and columns == list(range(24))  # station 3 has no value at all
    assert cells[0][0] == 50.0 and all(np.isnan(v) for v in cells[0][1:])
