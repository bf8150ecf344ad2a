"""Figures as plain plotly JSON, built without plotly's graph objects.

A plotly graph object validates every property as it is set, and validates the whole figure again
on each `update_*` call: 3–20 ms for one of the cockpit's charts, ten times what reading its data
costs (measured at 1×: a page's figures 55–100 ms, their data 5 ms). The charts here are built as
the JSON plotly.js reads, through the few calls of plotly's figure API the builders use, with the
same meaning (`marker_color` is `marker.color`; `update_layout` merges; `update_xaxes` reaches
every x axis), at a tenth of the cost.

What plotly's validation gave is kept elsewhere: tests build every panel's figure and validate it
with plotly (tests/test_plain_figures.py), and an export turns the figure into a graph object
before drawing it, so a misspelt property fails there, not silently in a browser.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Property names that hold an underscore themselves; every other underscore in a keyword separates
# the steps of a path, as in plotly (marker_line_width → marker.line.width).
_NAMES_WITH_UNDERSCORE = frozenset({"plot_bgcolor", "paper_bgcolor", "error_x", "error_y", "error_z"})
_AXIS_KEY = {letter: re.compile(rf"^{letter}axis\d*$") for letter in "xy"}

_template: dict = {}


def use_template(template: dict) -> None:
    """The template every figure carries (plotly.js applies it), as plotly JSON."""
    global _template
    _template = template


class Spec(dict):
    """A trace or a part of a layout: a dict whose keys also read and write as attributes
    (`bars.text = …`, `fig.layout.height`), as on graph objects; an unset one reads None."""

    __slots__ = ()

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name: str, value) -> None:
        self[name] = _plain(value)


def _plain(value):
    """A value as plotly JSON holds it: columns and indexes as numpy arrays (missing values of
    text columns as None), as plotly's validators make them; dicts as Specs."""
    if isinstance(value, (pd.Series, pd.Index)):
        if isinstance(value.dtype, np.dtype) and value.dtype.kind in "biufM":
            return value.to_numpy()
        return value.to_numpy(dtype=object, na_value=None)
    if isinstance(value, Spec):
        return value
    if isinstance(value, dict):
        spec = Spec()
        for key, item in value.items():
            _assign(spec, key, item)
        return spec
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], dict):
        return [_plain(item) for item in value]
    return value


def _path(key: str) -> list[str]:
    return [key] if key in _NAMES_WITH_UNDERSCORE or "_" not in key else key.split("_")


def _assign(target: dict, key: str, value) -> None:
    """target[key] = value, where key may be a path (marker_color), a dict value merges into what
    is there (update_layout(xaxis={...}) keeps the axis' other settings) and anything else
    replaces it."""
    *steps, last = _path(key)
    if value is None:  # as in plotly: None leaves a property unset
        return
    for step in steps:
        node = target.get(step)
        if not isinstance(node, dict):
            node = target[step] = Spec()
        target = node
    if isinstance(value, dict) and isinstance(target.get(last), dict):
        for inner, item in value.items():
            _assign(target[last], inner, item)
    else:
        target[last] = _plain(value)


def _update(target: dict, dict1: dict | None, kwargs: dict) -> None:
    for key, value in {**(dict1 or {}), **kwargs}.items():
        _assign(target, key, value)


def trace(kind: str, **properties) -> Spec:
    spec = Spec(type=kind)
    _update(spec, None, properties)
    return spec


def Bar(**properties) -> Spec:  # noqa: N802 — named as plotly's trace types
    return trace("bar", **properties)


def Scatter(**properties) -> Spec:  # noqa: N802
    return trace("scatter", **properties)


def Heatmap(**properties) -> Spec:  # noqa: N802
    return trace("heatmap", **properties)


def Pie(**properties) -> Spec:  # noqa: N802
    return trace("pie", **properties)


def Funnel(**properties) -> Spec:  # noqa: N802
    return trace("funnel", **properties)


def Table(**properties) -> Spec:  # noqa: N802
    return trace("table", **properties)


def _json_copy(node):
    """A copy of the figure's dicts and lists (arrays are shared: nothing changes them in place),
    so that who receives the JSON may change it (margins, the wall's fonts) and the figure not."""
    if isinstance(node, dict):
        return {key: _json_copy(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)) and node and isinstance(node[0], (dict, list, tuple)):
        return [_json_copy(item) for item in node]
    if isinstance(node, tuple):
        return list(node)
    return node


class Figure:
    """A figure as plotly JSON, with the part of go.Figure's API the builders use."""

    def __init__(self, data=None, layout: dict | None = None) -> None:
        if data is None:
            data = []
        elif isinstance(data, dict):
            data = [data]
        self.data: list[Spec] = [_plain(item) for item in data]
        self.layout = Spec()
        _update(self.layout, layout, {})

    def add_trace(self, trace_spec: dict) -> "Figure":
        self.data.append(_plain(trace_spec))
        return self

    def update_layout(self, dict1: dict | None = None, **properties) -> "Figure":
        _update(self.layout, dict1, properties)
        return self

    def _axes(self, letter: str) -> list[Spec]:
        """Every axis of that letter: the first one always, and any other the layout has (as
        plotly's update_xaxes reaches the axes of a figure without a subplot grid)."""
        keys = [f"{letter}axis"] + sorted(k for k in self.layout if _AXIS_KEY[letter].match(k) and k != f"{letter}axis")
        for key in keys:
            if not isinstance(self.layout.get(key), dict):
                self.layout[key] = Spec()
        return [self.layout[key] for key in keys]

    def update_xaxes(self, dict1: dict | None = None, **properties) -> "Figure":
        for axis in self._axes("x"):
            _update(axis, dict1, properties)
        return self

    def update_yaxes(self, dict1: dict | None = None, **properties) -> "Figure":
        for axis in self._axes("y"):
            _update(axis, dict1, properties)
        return self

    def update_traces(self, dict1: dict | None = None, **properties) -> "Figure":
        for item in self.data:
            _update(item, dict1, properties)
        return self

    def _add_to(self, name: str, dict1: dict | None, properties: dict) -> "Figure":
        item = Spec()
        _update(item, dict1, properties)
        self.layout[name] = [*(self.layout.get(name) or []), item]
        return self

    def add_annotation(self, dict1: dict | None = None, **properties) -> "Figure":
        return self._add_to("annotations", dict1, properties)

    def add_shape(self, dict1: dict | None = None, **properties) -> "Figure":
        return self._add_to("shapes", dict1, properties)

    def to_plotly_json(self) -> dict:
        """The figure as plotly.js reads it, with its template; a copy the caller may change."""
        layout = _json_copy(self.layout)
        layout["template"] = _json_copy(_template)
        return {"data": [_json_copy(item) for item in self.data], "layout": layout}

    to_dict = to_plotly_json
