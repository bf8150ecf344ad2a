"""Seeded random streams: one per table or entity kind, and per day or year within a stream.

Every stream is keyed by (seed, stream name, period), so that adding a table does not shift the
numbers of the others, and the rows of one day come out the same whether the day is generated in a
three-year batch or alone by a live tick.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import date

import numpy as np


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, name: str, *period: int) -> np.random.Generator:
    """The generator of one stream (and optionally one period of it: a day ordinal, a year)."""
    return np.random.default_rng([int(seed), _key(name), *(int(p) for p in period)])


def day_stream(seed: int, name: str, day: date) -> np.random.Generator:
    return stream(seed, name, day.toordinal())


def daily_normals(seed: int, name: str, days: Iterable[date], shape: tuple[int, ...]) -> np.ndarray:
    """Standard normals of shape (len(days), *shape), each day's block from that day's stream."""
    days = list(days)
    out = np.empty((len(days), *shape))
    for i, day in enumerate(days):
        out[i] = day_stream(seed, name, day).standard_normal(shape)
    return out


def daily_uniforms(seed: int, name: str, days: Iterable[date], shape: tuple[int, ...]) -> np.ndarray:
    """Uniforms on [0, 1) of shape (len(days), *shape), each day's block from that day's stream."""
    days = list(days)
    out = np.empty((len(days), *shape))
    for i, day in enumerate(days):
        out[i] = day_stream(seed, name, day).random(shape)
    return out
