"""A ranking figure drawn as HTML bars in the browser.

A ranking (`figures.ranking_bar`: one bar trace, a label, a value and a text per bar, optional
threshold lines and notes; grouped horizontal bars, `figures.incident_kinds`; stacked horizontal
bars with a text at each row's end, `eldercare_parts.calls_figure`; marks on the rows, such as a
spot's peak, `tourism_parts.spot_load_figure`) is the commonest
chart of the cockpits. Drawn by plotly, each one costs about 10–18 ms of the browser's time
whenever it changes, and a drill changes them all: on the safety cockpit seven of nine charts are
rankings. As HTML they cost a fraction of a millisecond.

The figure stays the one description of the ranking: it is built, memoized, exported (PNG, SVG,
PPTX) and read for click targets as before; only the browser draws it differently. This module
turns the figure's JSON into that HTML (every text escaped here), and refuses a figure it cannot
draw faithfully (`NotDrawable`) rather than drawing something else: a panel is declared with
`bars=True` only where its figure is such a ranking, and tests convert every one of them.

The browser puts the HTML in place (assets/rank_bars.js); a click on a bar follows the panel's
click target for the bar's value, as a click on a chart's bar does.
"""
from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from html import escape

_TOKEN = re.compile(r"%\{([^}]*)\}")
_EXTRA = re.compile(r"<extra>.*?</extra>", re.S)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?[a-zA-Z]")


# a bar a click leads from is a link one can reach and follow with the keyboard too
LINK_ROLE = ' tabindex="0" role="link"'


class NotDrawable(ValueError):
    """The figure is not a ranking these bars draw as plotly would."""


def _items(value, count: int) -> list:
    """A per-bar property as a list of `count` items (plotly allows one value for all bars)."""
    if value is None or isinstance(value, (str, int, float)):
        return [value] * count
    items = value.tolist() if hasattr(value, "tolist") else list(value)
    if len(items) != count:
        raise NotDrawable(f"{len(items)} items for {count} bars")
    return items


def _number(value) -> float:
    if value is None or isinstance(value, str):
        raise NotDrawable(f"bar value {value!r} is not a number")
    number = float(value)
    if math.isnan(number):
        raise NotDrawable("a bar without a value")
    return number


def _numbers(pair) -> bool:
    """Whether an axis range is two numbers (plotly ignores one that is not)."""
    try:
        return pair is not None and len(pair) == 2 and all(not math.isnan(float(v)) for v in pair)
    except (TypeError, ValueError):
        return False


# the d3 formats of plotly's tokens that mean the same in Python: ",.1f", ".0f", ","
_FORMAT = re.compile(r",?(\.\d+f)?")


def _hover_text(template: str | None, tokens: dict, numbers: dict) -> str:
    """Plotly's hovertemplate with the bar's values put in: plain tokens, and a number's token
    with a fixed-point format (%{x:,.1f}); any other d3 formatting these bars do not imitate."""
    if not template:
        return f"{tokens['label']}: {tokens['text'] or tokens['value']}"
    text = _LINE_BREAK.sub("\n", _EXTRA.sub("", template))
    if _TAG.search(text):  # a "<" that opens no tag ("< 5 min") is text, to plotly too
        raise NotDrawable(f"markup in hovertemplate {template!r}")

    def token(match: re.Match) -> str:
        name, _, spec = match.group(1).partition(":")
        if not spec and name in tokens:
            return tokens[name]
        if name in numbers and _FORMAT.fullmatch(spec):
            number = numbers[name]  # d3's "," writes a whole number without decimals, as Python's does an int
            return format(int(number) if "." not in spec and float(number).is_integer() else number, spec)
        raise NotDrawable(f"hovertemplate token %{{{match.group(1)}}}")
    return _TOKEN.sub(token, text).strip()


def _guides(figure: dict, axis: str) -> tuple[list[tuple[float, str, str, str]], list[str]]:
    """Threshold lines across the bars (figures.Guides: vline on a horizontal ranking, `axis` x;
    hline on a vertical one, `axis` y) as (value, colour, dash, label); and the notes placed on
    the figure itself (paper coordinates), such as a share written above the bars."""
    layout = figure.get("layout") or {}
    ref = f"{axis}ref"
    labels, notes = {}, []
    for note in layout.get("annotations") or []:
        if note.get("xref") == "paper" and note.get("yref") == "paper":
            notes.append(str(note.get("text") or ""))
        elif note.get(ref) == axis and note.get(axis) is not None:
            labels[float(note[axis])] = str(note.get("text") or "")
        else:
            raise NotDrawable(f"annotation {note.get('text')!r} is not a threshold's label or a note")
    guides = []
    for shape in layout.get("shapes") or []:
        if shape.get("type") != "line" or shape.get(ref) != axis or shape.get(f"{axis}0") != shape.get(f"{axis}1"):
            raise NotDrawable(f"shape {shape.get('type')} is not a threshold line")
        line = shape.get("line") or {}
        at = _number(shape[f"{axis}0"])
        guides.append((at, str(line.get("color") or "currentColor"), str(line.get("dash") or "solid"),
                       labels.pop(at, "")))
    if labels:
        raise NotDrawable("a threshold label without its line")
    return guides, notes


def _lines(text: str) -> list[str]:
    """A bar's text as its lines (plotly's <br>). The builders use no other markup in texts, and a
    "<" that comes with the data (a name) is shown as it is."""
    return _LINE_BREAK.split(text)


def _html_lines(text: str) -> str:
    """A text as HTML, escaped, its lines kept."""
    return "<br>".join(escape(line) for line in _lines(text))


def _width_em(texts) -> float:
    """Roughly how wide the longest line is, in em (a Chinese character is one, others about 0.6)."""
    widest = 0.0
    for text in texts:
        for line in _lines(str(text)):
            widest = max(widest, sum(1.0 if ord(ch) > 0x2e7f else 0.6 for ch in line))
    return widest


@dataclass
class _Series:
    """One bar trace of a ranking, bar by bar."""

    name: str
    labels: list[str]
    values: list[float]
    texts: list[str]
    hover_texts: list[str]
    keys: list
    colours: list
    opacities: list
    hovertemplate: str | None
    horizontal: bool

    def tip(self, i: int) -> str:
        value_name, label_name = ("x", "y") if self.horizontal else ("y", "x")
        value = f"{self.values[i]:g}"
        tokens = {value_name: value, label_name: self.labels[i], "label": self.labels[i], "value": value,
                  "text": "\n".join(_lines(self.texts[i])), "hovertext": "\n".join(_lines(self.hover_texts[i])),
                  "customdata": "" if self.keys[i] is None else str(self.keys[i])}
        return _hover_text(self.hovertemplate, tokens, {value_name: self.values[i]})


def _series(trace: dict, horizontal: bool) -> _Series:
    if (trace.get("orientation") == "h") != horizontal:
        raise NotDrawable("bars of both orientations")
    labels = trace.get("y" if horizontal else "x")
    values = trace.get("x" if horizontal else "y")
    if labels is None or values is None:
        raise NotDrawable("bars without labels or values")
    count = len(labels)
    marker = trace.get("marker") or {}
    return _Series(
        name=str(trace.get("name") or ""), labels=[str(label) for label in _items(labels, count)],
        values=[_number(v) for v in _items(values, count)],
        texts=["" if t is None else str(t) for t in _items(trace.get("text"), count)],
        hover_texts=["" if t is None else str(t) for t in _items(trace.get("hovertext"), count)],
        keys=_items(trace.get("customdata"), count), colours=_items(marker.get("color"), count),
        opacities=_items(marker.get("opacity"), count), hovertemplate=trace.get("hovertemplate"),
        horizontal=horizontal)


@dataclass
class _TextColumn:
    """The text a scatter of mode "text" writes at the end of each row, and its tooltip lines."""

    texts: list[str]
    tips: list[str]  # none when the trace has no tooltip


def _text_column(trace: dict, labels: list[str], ends: list[float], horizontal: bool) -> _TextColumn:
    """A text trace as the rows' text: only where it writes each row's text where the row's bars
    end, to their right (as plotly places it), and on a horizontal ranking."""
    if not horizontal or trace.get("textposition") not in ("middle right", None):
        raise NotDrawable("a text trace not to the right of horizontal bars")
    column = _series({**trace, "orientation": "h"}, True)
    if column.labels != labels or any(abs(x - end) > 1e-9 * max(1.0, abs(end)) for x, end in zip(column.values, ends)):
        raise NotDrawable("a text trace not at the ends of the bars")
    skip = trace.get("hoverinfo") == "skip" or not trace.get("hovertemplate")
    return _TextColumn(texts=[text.strip() for text in column.texts],
                       tips=[] if skip else [column.tip(i) for i in range(len(labels))])


# plotly's marker symbols these bars draw (CSS classes rank-marker-…), and where each takes its colour
_SYMBOLS = {"diamond": "color", "line-ns-open": "line"}


@dataclass
class _Markers:
    """A scatter of markers on the rows: each row's value (None: no mark), look and tooltip line."""

    name: str
    values: list[float | None]
    tips: list[str]
    symbol: str
    colour: str
    size: float


def _markers(trace: dict, labels: list[str], horizontal: bool) -> _Markers:
    """Marks on a horizontal ranking's rows, one per row at most (a row without a value has none)."""
    marker = trace.get("marker") or {}
    symbol = marker.get("symbol")
    if not horizontal or symbol not in _SYMBOLS:
        raise NotDrawable(f"markers of symbol {symbol!r} on {'horizontal' if horizontal else 'vertical'} bars")
    colour = marker.get("color") if _SYMBOLS[symbol] == "color" else (marker.get("line") or {}).get("color")
    if not isinstance(colour, str):
        raise NotDrawable("markers of several colours")
    ys, xs = trace.get("y"), trace.get("x")
    if ys is None or xs is None or [str(y) for y in _items(ys, len(ys))] != labels:
        raise NotDrawable("markers not one per row")
    values = [None if x is None or (isinstance(x, float) and math.isnan(x)) else _number(x) for x in _items(xs, len(labels))]
    # the tooltip line of each mark, from a series of the marks that have a value
    shown = [i for i, value in enumerate(values) if value is not None]
    tips = [""] * len(labels)
    if shown:
        def of_shown(name: str):
            return None if trace.get(name) is None else [_items(trace[name], len(labels))[i] for i in shown]

        one = _series({"orientation": "h", "name": trace.get("name"), "y": [labels[i] for i in shown],
                       "x": [values[i] for i in shown], "text": of_shown("text"), "hovertext": of_shown("hovertext"),
                       "customdata": of_shown("customdata"), "hovertemplate": trace.get("hovertemplate")}, True)
        for j, i in enumerate(shown):
            tips[i] = one.tip(j)
    return _Markers(name=str(trace.get("name") or ""), values=values, tips=tips, symbol=symbol, colour=colour,
                    size=float(marker.get("size") or 8))


def rank_bars_html(figure: dict, *, links: Collection[str] = ()) -> str:
    """The HTML of a ranking figure (plotly JSON); the bars whose value (customdata) is in `links`
    lead somewhere when clicked. A figure without data (the "no data" figure) gives its note.
    Raises NotDrawable for any other kind of figure."""
    data = figure.get("data") or []
    layout = figure.get("layout") or {}
    if not data:
        notes = [str(note.get("text") or "") for note in layout.get("annotations") or []]
        return f'<p class="rank-bars-note">{escape(" ".join(notes))}</p>'
    bar_traces = [trace for trace in data if trace.get("type") == "bar"]
    # a column of text at the end of each row (a scatter of mode "text", e.g. each stack's total)
    text_traces = [trace for trace in data if trace.get("type") == "scatter" and trace.get("mode") == "text"]
    # marks on the rows (a scatter of mode "markers": a spot's peak, a plan's targets)
    marker_traces = [trace for trace in data if trace.get("type") == "scatter" and trace.get("mode") == "markers"]
    if (not bar_traces or len(bar_traces) + len(text_traces) + len(marker_traces) != len(data)
            or len(text_traces) > 1):
        raise NotDrawable("not bar traces")
    horizontal = bar_traces[0].get("orientation") == "h"
    barmode = layout.get("barmode") if len(bar_traces) > 1 else None
    if len(bar_traces) > 1 and (not horizontal or barmode not in ("group", "stack")):
        raise NotDrawable("several bar traces, not grouped or stacked on a horizontal ranking")
    stacked = barmode == "stack"
    if text_traces and barmode == "group":
        raise NotDrawable("a text trace beside grouped bars")
    series = [_series(trace, horizontal) for trace in bar_traces]
    first = series[0]
    labels, keys, count = first.labels, first.keys, len(first.values)
    for other in series[1:]:
        if other.labels != labels or any(k is not None and k != key for k, key in zip(other.keys, keys)):
            raise NotDrawable("grouped bars of other categories or other keys")
    ends = [sum(one.values[i] for one in series) if stacked else first.values[i] for i in range(count)]
    column = _text_column(text_traces[0], labels, ends, horizontal) if text_traces else None
    markers = [_markers(trace, labels, horizontal) for trace in marker_traces]
    if stacked and (any(v < 0 for one in series for v in one.values) or any(t for one in series for t in one.texts)):
        raise NotDrawable("stacked bars with a negative value or texts of their own")

    value_axis = layout.get("xaxis" if horizontal else "yaxis") or {}
    label_axis = layout.get("yaxis" if horizontal else "xaxis") or {}
    guides, notes = _guides(figure, "x" if horizontal else "y")
    # labels written otherwise on the axis (ticktext for tickvals, e.g. on two lines)
    shown_as = dict(zip(list(label_axis.get("tickvals") or []), list(label_axis.get("ticktext") or [])))
    written_labels = [str(shown_as.get(label, label)) for label in labels]
    if _numbers(value_axis.get("range")):
        low, high = (_number(v) for v in value_axis["range"])
    else:  # as plotly's autorange (also plotly's answer to a range without numbers): the bars from zero, and the lines
        reach = [0.0, *(v for one in series for v in one.values), *(at for at, *_ in guides), *(ends if stacked else ()),
                 *(v for one in markers for v in one.values if v is not None)]
        low, high = min(reach), max(reach)
    if not horizontal and low < 0:
        raise NotDrawable("a negative bar on a vertical ranking")
    span = (high - low) or 1.0

    def share(value: float) -> float:
        return round(min(1.0, max(0.0, (value - low) / span)), 4)

    def bar_fill(one: _Series, i: int, base: float = 0.0, attributes: str = "") -> str:
        """A bar's fill (from `base`: the bars stacked before it)."""
        start, end = sorted((share(base), share(base + one.values[i])))
        fill_style = f"--from:{start};--to:{end}"
        if one.colours[i] is not None:
            fill_style += f";background:{escape(str(one.colours[i]))}"
        return f'<span class="rank-fill" style="{fill_style}"{attributes}></span>'

    def mark(one: _Series, i: int) -> tuple[str, str]:
        """A bar's fill and its text (the text column's, where there is one)."""
        text = column.texts[i] if column is not None else one.texts[i]
        return bar_fill(one, i), f'<span class="rank-text">{_html_lines(text)}</span>'

    def stack(i: int) -> str:
        """A row's bars end to end, each from where the one before ended, and the row's text."""
        parts, base = [], 0.0
        for one in series:
            parts.append(bar_fill(one, i, base, f' data-v="{one.values[i]!r}"'))
            base += one.values[i]
        text = column.texts[i] if column is not None else ""
        return f'<span class="rank-series rank-stack">{"".join(parts)}<span class="rank-text">{_html_lines(text)}</span></span>'

    rows = []
    # plotly draws a horizontal ranking's first bar at the bottom: the list reads top down
    order = range(count - 1, -1, -1) if horizontal else range(count)
    for i in order:
        tip = "\n".join([one.tip(i) for one in series] + ([column.tips[i]] if column is not None and column.tips else [])
                        + [one.tips[i] for one in markers if one.values[i] is not None])
        dimmed = first.opacities[i] is not None and float(first.opacities[i]) < 1
        row_style = f' style="opacity:{float(first.opacities[i]):g}"' if dimmed else ""
        # data-key: the value a click means (customdata); data-v: the bar's value (what tests read)
        attributes = f' data-v="{first.values[i]!r}"'
        if keys[i] is not None:
            attributes += f' data-key="{escape(str(keys[i]))}"'
        link = keys[i] is not None and str(keys[i]) in links
        label = f'<span class="rank-label" title="{escape(labels[i])}">{_html_lines(written_labels[i])}</span>'
        on_row = "".join(
            f'<span class="rank-marker rank-marker-{one.symbol}" data-m="{k}" data-v="{one.values[i]!r}" '
            f'style="--at:{share(one.values[i])};--colour:{escape(one.colour)};--size:{one.size:g}px"></span>'
            for k, one in enumerate(markers) if one.values[i] is not None)
        if horizontal and stacked:
            inner = f'{label}<span class="rank-track">{stack(i)}{on_row}</span>'
        elif horizontal:
            marks = "".join(f'<span class="rank-series" data-v="{one.values[i]!r}">{"".join(mark(one, i))}</span>'
                            for one in series)
            inner = f'{label}<span class="rank-track">{marks}{on_row}</span>'
        else:
            fill, text = mark(first, i)
            inner = f'<span class="rank-track">{text}{fill}</span>{label}'
        rows.append(f'<div class="rank-bar{" rank-link" if link else ""}"{attributes}{row_style}'
                    f'{LINK_ROLE if link else ""} data-tip="{escape(tip)}">{inner}</div>')
    guide_marks = "".join(
        f'<span class="rank-guide rank-guide-{escape(dash)}" style="--at:{share(at)};--colour:{escape(colour)}">'
        f'<span class="rank-guide-label">{escape(label)}</span></span>' for at, colour, dash, label in guides)
    label_lines = max((len(_lines(label)) for label in written_labels), default=1)
    texts = column.texts if column is not None else [text for one in series for text in one.texts]
    lines = count if stacked else count * len(series)
    style = (f"--label:{_width_em(written_labels) + 0.4:.1f}em;--reserve:{_width_em(texts) + 0.6:.1f}em"
             f";--rows:{max(lines, 1)};--label-lines:{label_lines}")
    title = value_axis.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    caption = f'<p class="rank-caption">{escape(str(title))}</p>' if title else ""
    if len(series) > 1 or markers:  # the legend: which bar of a group or a stack is which, and the marks
        caption += '<p class="rank-legend">' + "".join(
            f'<span class="rank-swatch" style="background:{escape(str(one.colours[0]))}"></span>{escape(one.name)}'
            for one in series) + "".join(
            f'<span class="rank-marker rank-marker-{one.symbol}" style="--colour:{escape(one.colour)};'
            f'--size:{one.size:g}px"></span>{escape(one.name)}' for one in markers) + "</p>"
    kind = ("rank-h rank-stacked" if stacked else "rank-h") if horizontal else "rank-v"
    overlay = f'<div class="rank-guides">{guide_marks}</div>' if guides else ""
    heading = "".join(f'<p class="rank-note">{escape(note)}</p>' for note in notes)
    return (f'{heading}<div class="rank-bars {kind}{" rank-guided" if guides else ""}" style="{style}">{overlay}'
            f'{"".join(rows)}</div>{caption}')
