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
