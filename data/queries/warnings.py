"""Open warnings for the ticker of the overview and of each theme, within the view's region."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import catalogue
from data.models import WarningState
from data.queries.common import read, region_names
from data.regions import region_tree

THEME_PAGES = {"tourism": "/tourism", "environment": "/environment", "traffic": "/traffic", "safety": "/safety",
               "eldercare": "/eldercare", "economy": "/", "governance": "/safety"}


@cached
def open_warnings(view: ViewState, theme: str | None = None) -> pd.DataFrame:
    """Open warnings in the view's region (the region itself and everything below it),
    most severe and longest-standing first."""
    frame = read(select(WarningState.indicator, WarningState.adcode, WarningState.subject, WarningState.level,
                        WarningState.value, WarningState.threshold, WarningState.since)
                 .where(WarningState.cleared_at.is_(None)))
    cat = catalogue()
    tree = region_tree()
    keep = [code in cat and tree.exists(a) and tree.contains(a, view.region) and (not theme or cat[code].theme == theme)
            for code, a in zip(frame["indicator"], frame["adcode"])]
    frame = frame.loc[pd.Series(keep, index=frame.index, dtype=bool)]
    names = region_names(view.lang)
    frame = frame.assign(
        name=[cat[c].name(view.lang) for c in frame["indicator"]],
        theme=[cat[c].theme for c in frame["indicator"]],
        page=[THEME_PAGES.get(cat[c].theme, "/") for c in frame["indicator"]],
        region_name=[names.get(a, a) for a in frame["adcode"]],
        value_text=[cat[c].format(v) + cat[c].unit(view.lang) for c, v in zip(frame["indicator"], frame["value"])],
        threshold_text=[cat[c].format(v) + cat[c].unit(view.lang)
                        for c, v in zip(frame["indicator"], frame["threshold"])],
    )
    return frame.sort_values(["level", "since"], ascending=[False, True]).reset_index(drop=True)
