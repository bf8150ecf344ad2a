"""The warnings engine (预警): levels 1 蓝 … 4 红 of every catalogue indicator that has thresholds.

A value at or beyond a threshold raises that level at once (Indicator.is_beyond gives the direction).
A level drops only when the value has come back past that level's threshold by
`hysteresis × |threshold|` (its release point), so a value hovering on a threshold does not make
the warning flap between levels.

An *episode* runs from the moment a warning is raised (level 0 → ≥ 1) until it clears (→ 0).
Within it, `Warning.reached[i]` is when the current uninterrupted stretch at level ≥ i + 1 began:
    since      = reached[level − 1]: since when the warning has been at this level or higher
                 (on escalation it is the escalation time; after a de-escalation it goes back to
                 when the lower level was reached, as the value has been at or beyond it ever since)
    opened_at  = reached[0]: when the episode began; kept across escalations and de-escalations
A reading with no value (None/NaN) leaves its warning as it is: missing data is not recovery.

`step` is pure; `persist`/`load_open` keep the open warnings in the warning_state table so the engine
can run at every refresh and still know since when each warning holds.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.catalogue import Indicator, catalogue
from data.models import WarningState

Key = tuple[str, str, str]  # (indicator code, adcode, subject)

RAISED, ESCALATED, DE_ESCALATED, CLEARED = "raised", "escalated", "de-escalated", "cleared"


class Reading(NamedTuple):
    indicator: str
    adcode: str
    subject: str  # the entity (spot, station …) for warn_scope entity, else ""
    value: float | None


@dataclass(frozen=True)
class Warning:
    indicator: str
    adcode: str
    subject: str
    level: int  # 1 蓝 2 黄 3 橙 4 红
    value: float  # the latest reading
    threshold: float  # the threshold of `level`
    reached: tuple[datetime, ...]  # one time per level 1..level, see the module docstring
    updated_at: datetime

    @property
    def key(self) -> Key:
        return self.indicator, self.adcode, self.subject

    @property
    def since(self) -> datetime:
        return self.reached[self.level - 1]

    @property
    def opened_at(self) -> datetime:
        return self.reached[0]


@dataclass(frozen=True)
class Change:
    kind: str  # raised | escalated | de-escalated | cleared
    warning: Warning  # after the change; a cleared one as it was last open, with the reading that cleared it
    previous_level: int

    @property
    def level(self) -> int:
        return 0 if self.kind == CLEARED else self.warning.level


def _release_point(indicator: Indicator, level: int) -> float:
    """The value a reading must come back past for `level` to drop."""
    threshold = indicator.thresholds[level - 1]
    margin = indicator.hysteresis * abs(threshold)
    return threshold + margin if indicator.direction == "higher_better" else threshold - margin


def judge_level(indicator: Indicator, value: float, previous_level: int) -> int:
    """The level 0..4 of `value` for a warning that was at `previous_level`, with hysteresis.

    Rising follows the thresholds at once; a level held so far stays while the value is at or
    beyond its release point, so several levels may drop at once when the value is far enough.
    """
    if not 0 <= previous_level <= len(indicator.thresholds):
        raise ValueError(f"warning level of '{indicator.code}' must be 0..{len(indicator.thresholds)}, "
                         f"not {previous_level}")
    reached = indicator.level_of(value)
    for held in range(previous_level, reached, -1):
        if indicator.is_beyond(value, _release_point(indicator, held)):
            return held
    return reached


def step(previous: Mapping[Key, Warning], readings: Iterable[Reading], now: datetime,
         indicators: Mapping[str, Indicator] | None = None) -> tuple[dict[Key, Warning], list[Change]]:
    """Judge new readings against the open warnings: the warnings open after `now` and what changed.

    Readings of indicators without thresholds are ignored; open warnings of such indicators (the
    thresholds were taken out of the catalogue) are cleared. `indicators` defaults to the catalogue.
    """
    indicators = catalogue() if indicators is None else indicators
    current: dict[Key, Warning] = {}
    changes: list[Change] = []
    for key, warning in previous.items():
        indicator = indicators.get(warning.indicator)
        if indicator is None or not indicator.has_thresholds:
            changes.append(Change(CLEARED, replace(warning, updated_at=now), warning.level))
        else:
            current[key] = warning
    seen: set[Key] = set()
    for code, adcode, subject, value in readings:
        key = (code, adcode, subject)
        if key in seen:
            raise ValueError(f"warnings: two readings for {key} in one step")
        seen.add(key)
        indicator = indicators.get(code)
        if indicator is None or not indicator.has_thresholds or value is None or math.isnan(value):
            continue
        old = current.get(key)
        old_level = old.level if old else 0
        level = judge_level(indicator, value, old_level)
        if level == 0:
            if old:
                del current[key]
                changes.append(Change(CLEARED, replace(old, value=value, updated_at=now), old_level))
            continue
        # Levels kept keep their start; levels newly reached start now.
        reached = (old.reached[:level] if old else ()) + (now,) * (level - old_level)
        warning = Warning(code, adcode, subject, level, float(value), indicator.thresholds[level - 1],
                          reached, now)
        current[key] = warning
        if level != old_level:
            kind = RAISED if old_level == 0 else ESCALATED if level > old_level else DE_ESCALATED
            changes.append(Change(kind, warning, old_level))
    return current, changes


def _reached_text(reached: tuple[datetime, ...]) -> str:
    return " ".join(moment.isoformat() for moment in reached)


def persist(session: Session, warnings: Mapping[Key, Warning], now: datetime) -> None:
    """Make the open rows of warning_state match `warnings`: new ones inserted, open ones updated,
    and open rows no longer in `warnings` closed with cleared_at = now (rows of cleared warnings stay)."""
    open_rows = {(row.indicator, row.adcode, row.subject): row
                 for row in session.scalars(select(WarningState).where(WarningState.cleared_at.is_(None)))}
    for key, row in open_rows.items():
        if key not in warnings:
            row.cleared_at = now
    for key, warning in warnings.items():
        row = open_rows.get(key)
        if row is None:
            row = WarningState(indicator=warning.indicator, adcode=warning.adcode, subject=warning.subject)
            session.add(row)
        row.level = warning.level
        row.value = warning.value
        row.threshold = warning.threshold
        row.since = warning.since
        row.reached = _reached_text(warning.reached)
        row.updated_at = warning.updated_at
    session.flush()


def load_open(session: Session) -> dict[Key, Warning]:
    """The open warnings stored by `persist`, ready to be the `previous` of the next `step`."""
    warnings: dict[Key, Warning] = {}
    for row in session.scalars(select(WarningState).where(WarningState.cleared_at.is_(None))
                               .order_by(WarningState.id)):
        # A row written without per-level times (not by `persist`) holds all its levels since `since`.
        reached = tuple(datetime.fromisoformat(text) for text in row.reached.split()) if row.reached \
            else (row.since,) * row.level
        warning = Warning(row.indicator, row.adcode, row.subject, row.level, row.value, row.threshold,
                          reached, row.updated_at)
        warnings[warning.key] = warning
    return warnings
