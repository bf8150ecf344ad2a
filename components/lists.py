"""HTML panel builders: the warning ticker, incident lists, small tables."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from core.i18n import pick, t
from data.catalogue import LEVEL_NAMES

SEVERITY = {1: ("I 特别重大", "I"), 2: ("II 重大", "II"), 3: ("III 较大", "III"), 4: ("IV 一般", "IV")}
STATUS = {"reported": ("上报", "Reported"), "accepted": ("受理", "Accepted"), "dispatched": ("派遣", "Dispatched"),
          "handled": ("处置", "Handled"), "closed": ("办结", "Closed"), "visited": ("回访", "Visited")}


def warning_ticker(rows: pd.DataFrame, lang: str, href_of) -> html.Div:
    """Active warnings, most severe first; each links to its theme and region. Text is escaped by
    React (no HTML from data is ever interpreted); the level is written out, not only coloured."""
    if rows.empty:
        return html.Div(t("no_warnings", lang), className="ticker empty", id="warning-ticker")
    items = []
    for row in rows.itertuples():
        level = int(row.level)
        text = f"{row.region_name} · {row.name}{(' · ' + row.subject) if row.subject else ''} " \
               f"{row.value_text} ({pick(lang, '阈值', 'threshold')} {row.threshold_text})"
        items.append(dcc.Link([html.Span(LEVEL_NAMES[lang][level], className=f"badge level-{level}"),
                               html.Span(text, className="ticker-text")],
                              href=href_of(row), className=f"ticker-item level-{level}",
                              id={"type": "warning", "key": f"{row.indicator}|{row.adcode}|{row.subject}"}))
    return html.Div(html.Div(items, className="ticker-track"), className="ticker", id="warning-ticker",
                    role="marquee", **{"aria-live": "polite"})


def incident_rows(frame: pd.DataFrame, lang: str, region_names: dict, href_of, now=None) -> html.Div:
    if frame.empty:
        return html.Div(pick(lang, "暂无超期事件", "No overdue incidents"), className="list empty")
    header = html.Tr([html.Th(h) for h in (pick(lang, "编号", "Code"), pick(lang, "类型", "Type"),
                                           pick(lang, "区县", "County"), pick(lang, "状态", "Status"),
                                           pick(lang, "超期", "Overdue by"))])
    body = []
    for row in frame.itertuples():
        late = (now - row.deadline_at) if now is not None else None
        late_text = _duration(late, lang) if late is not None else ""
        body.append(html.Tr([
            html.Td(dcc.Link(row.code, href=href_of(row), className="incident-link")),
            html.Td(row.type_en if lang == "en" else row.type_zh),
            html.Td(region_names.get(row.adcode, row.adcode)),
            html.Td(STATUS.get(row.status, (row.status, row.status))[1 if lang == "en" else 0]),
            html.Td("⏰ " + late_text, className="late"),
        ]))
    return html.Table([html.Thead(header), html.Tbody(body)], className="list-table")


def _duration(delta, lang: str) -> str:
    hours = max(delta.total_seconds(), 0) / 3600
    if hours >= 48:
        return pick(lang, f"{hours / 24:.0f} 天", f"{hours / 24:.0f} d")
    return pick(lang, f"{hours:.0f} 小时", f"{hours:.0f} h")
