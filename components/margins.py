"""Margins worked out on the server, so that plotly.js draws a figure once.

With `automargin` on an axis, plotly.js measures the tick labels it drew, widens the margins and
draws the whole figure again — on every update whose labels change length, so on most drills and
filters (measured: a fifth of a click's time in the browser on the busier cockpits). Here the
margins are estimated from the labels a figure will show (its categories, the widest number of its
value range, dates on two lines) at the figure's own font sizes, a little generously, and automargin
is turned off on the axes so estimated. An axis whose labels cannot be foreseen well enough (many
long categories that plotly may turn on their side) keeps automargin, and is drawn as before.

Only the browser's figures are fitted: a static export is drawn once anyway, with automargin.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime

import numpy as np

from components.figures import COCKPIT_TEMPLATE

DEFAULT_MARGIN = COCKPIT_TEMPLATE.layout.margin.to_plotly_json()  # what a figure has unless it says otherwise
TICK_SPACE = 12  # tick length, the label's distance from the axis and a little room
CATEGORY_ROW = 420  # px a row of horizontal category labels may take before plotly may tilt them


def text_width(text: str, size: float) -> float:
    """The width of a label in px at font `size`: CJK characters a full em, others about 0.62 em
    (a little more than Noto Sans' digits and Latin letters take, so that nothing is cut)."""
    return sum(size if ord(ch) >= 0x2E80 else 0.62 * size for ch in str(text))


def label_width(label, size: float) -> float:
    """The width of a tick label, the widest of its lines."""
    return max(text_width(line, size) for line in str(label).split("<br>"))


def _is_date(value) -> bool:
    if isinstance(value, (date, datetime, np.datetime64)):
        return True
    return isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-" \
        and value[:4].isdigit()


def _values(trace: dict, letter: str) -> list:
    values = trace.get(letter)
    if values is None:
        return []
    if isinstance(values, np.ndarray):
        return values.tolist() if values.dtype.kind not in "Mm" else list(values)
    return list(values) if isinstance(values, (list, tuple)) else []


def _number_label_width(axis: dict, numbers: list[float], size: float) -> float:
    """The widest tick label of a value axis: plotly's default labels (k, M for thousands and
    millions: at most five characters), or the axis' tickformat and suffix."""
    span = [abs(v) for v in numbers if v is not None and not (isinstance(v, float) and math.isnan(v))]
    bounds = axis.get("range")
    if isinstance(bounds, (list, tuple)) and len(bounds) == 2 and all(isinstance(b, (int, float)) for b in bounds):
        span += [abs(bounds[0]), abs(bounds[1])]
    top = max(span, default=1.0)
    fmt = axis.get("tickformat") or ""
    if fmt and "%" not in fmt:  # a d3 number format, e.g. ",.0f"
        precision = re.search(r"\.(\d+)", fmt)
        decimals = int(precision.group(1)) if precision else 0
        label = f"{top:,.{decimals}f}" if "," in fmt else f"{top:.{decimals}f}"
    elif top >= 1000:
        label = "000.0k"
    else:
        label = f"{top:.4g}" + ("0" if top < 10 else "")  # room for one decimal more between ticks
    negative = "-" if any(v < 0 for v in numbers if isinstance(v, (int, float)) and not math.isnan(v)) else ""
    return text_width(negative + (axis.get("tickprefix") or "") + label + (axis.get("ticksuffix") or ""), size)


def _title_space(axis: dict, size: float) -> float:
    title = axis.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    if not text:
        return 0.0
    title_size = (title.get("font") or {}).get("size", size) if isinstance(title, dict) else size
    return title_size * 1.4 + 6


def fit_margins(content: dict) -> dict:
    """The figure (plotly JSON) with margins that hold its axes' labels and automargin off on those
    axes; changed in place and returned. Figures without axes (pies, indicators) are left as they are."""
    layout = content.get("layout") or {}
    traces = content.get("data") or []
    if not traces or any(t.get("type") in ("pie", "indicator", "sunburst", "treemap") for t in traces):
        return content
    size = float((layout.get("font") or {}).get("size", 12))
    margin = {**DEFAULT_MARGIN, **(layout.get("margin") or {})}
    need = dict(margin)
    fitted = []
    axes = {k for k in layout if k.startswith(("xaxis", "yaxis"))}
    for trace in traces:  # and the axes the traces are drawn on (x2 → xaxis2)
        for letter in "xy":
            ref = trace.get(f"{letter}axis") or letter
            axes.add(f"{letter}axis{ref[1:]}")
    for key in sorted(axes):
        axis = layout.get(key) or {}
        letter = key[0]
        ref = letter + key[5:]  # xaxis2 → x2
        if axis.get("visible") is False or axis.get("showticklabels") is False:
            fitted.append(key)
            continue
        on_axis = [t for t in traces if (t.get(f"{letter}axis") or letter) == ref]
        values = [v for t in on_axis for v in _values(t, letter)]
        tick_size = float((axis.get("tickfont") or {}).get("size", size))
        labels = axis.get("ticktext")
        kind = axis.get("type")
        if kind is None and values:
            kind = "date" if _is_date(values[0]) else "category" if isinstance(values[0], str) else "linear"
        if labels is None and kind == "category":
            labels = list(dict.fromkeys(str(v) for v in values))
        if letter == "y":
            if labels is not None:
                width = max((label_width(label, tick_size) for label in labels), default=0.0)
            elif kind == "date":
                width = text_width("2026-12-31", tick_size)
            else:
                width = _number_label_width(axis, [v for v in values if isinstance(v, (int, float))], tick_size)
            side = "r" if axis.get("side") == "right" else "l"
            need[side] = max(need[side], width + TICK_SPACE + _title_space(axis, size))
        else:
            if labels is not None:
                widths = [label_width(label, tick_size) for label in labels]
                if sum(widths) + 8 * len(widths) > CATEGORY_ROW:
                    continue  # plotly may tilt them: left to automargin
                lines = max((str(label).count("<br>") + 1 for label in labels), default=1)
            else:
                lines = 2 if kind == "date" else 1  # a date axis names the year under its first day
            height = lines * tick_size * 1.3 + TICK_SPACE
            side = "t" if axis.get("side") == "top" else "b"
            need[side] = max(need[side], height + _title_space(axis, size))
            # the last label is centred on its tick and may stand out at the right
            last = labels[-1] if labels else ("Nov 25" if kind == "date" else "")
            need["r"] = max(need["r"], label_width(last, tick_size) / 2 + 4)
        fitted.append(key)
    layout = content.setdefault("layout", {})
    layout["margin"] = {**(layout.get("margin") or {}), **{k: math.ceil(v) for k, v in need.items()}}
    for key in fitted:
        layout[key] = {**(layout.get(key) or {}), "automargin": False}
    return content
