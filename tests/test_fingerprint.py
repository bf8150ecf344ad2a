"""A panel's fingerprint tells a refresh whether its data changed: the same for equal data built
anew (as another worker or the next refresh builds it), different when a value, a column or the
view it is drawn for changes."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from core.viewstate import ViewState

VIEW = ViewState(page="/traffic", region="341003", start=date(2026, 11, 18), end=date(2026, 11, 24))


def lots() -> pd.DataFrame:
    """A frame as the queries build it, from fresh objects each time."""
    return pd.DataFrame({"lot_id": [3, 1, 2], "name": [f"停车场{i}" for i in "甲乙丙"], "county": ["屯溪区"] * 3,
                         "occupancy": np.array([91.5, 80.0, np.nan]), "ts": [datetime(2026, 11, 24, 23, 45)] * 3,
                         "day": [date(2026, 11, 24)] * 3, "tags": [["a"], [], None]})


def test_equal_data_gives_the_same_fingerprint_and_any_change_another():
    from callbacks.panels import fingerprint

    shown = fingerprint(lots(), VIEW)
    assert fingerprint(lots(), VIEW) == shown
    changed = lots()
    changed.loc[1, "occupancy"] = 80.1
    renamed = lots().rename(columns={"county": "district"})
    reordered = lots().iloc[[1, 0, 2]]
    retyped = lots().astype({"lot_id": "float64"})
    others = [fingerprint(frame, VIEW) for frame in (changed, renamed, reordered, retyped, lots().head(2))]
    others += [fingerprint(lots(), VIEW.with_region("341021")), fingerprint(lots(), VIEW.set_filter("lot", ("3",))),
               fingerprint(pd.DataFrame(), VIEW), fingerprint({"value": 3}, VIEW)]
    assert shown not in others and len(set(others)) == len(others)
