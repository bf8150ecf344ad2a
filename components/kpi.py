"""KPI cards: a headline value with its change vs the previous period and the same period last
year, and its warning status in words and colour (never colour alone)."""
from __future__ import annotations

import math

from dash import dcc, html

from core.i18n import t
from data.catalogue import LEVEL_NAMES, Indicator


def _number(value: float | None, decimals: int, lang: str = "zh") -> str:
    """Large counts in the reader's units: 万/亿 in Chinese, k/M in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if decimals == 0 and lang == "en":
        if abs(value) >= 1e6:
            return f"{value / 1e6:,.2f}M"
        if abs(value) >= 1e5:
            return f"{value / 1e3:,.1f}k"
    elif decimals == 0:
        if abs(value) >= 1e8:
            return f"{value / 1e8:,.2f}亿"
        if abs(value) >= 1e5:
            return f"{value / 1e4:,.1f}万"
    return f"{value:,.{decimals}f}"


def change_badge(change: float | None, direction: str, label: str) -> html.Span:
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return html.Span(f"{label} —", className="kpi-change flat")
    good = (change >= 0) if direction == "higher_better" else (change <= 0) if direction == "lower_better" else None
    arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
    tone = "flat" if good is None or abs(change) < 0.05 else ("good" if good else "bad")
    return html.Span(f"{label} {arrow}{abs(change):.1f}%", className=f"kpi-change {tone}")


def kpi_card(ind: Indicator, row: dict, lang: str, href: str | None = None, card_id: str | None = None,
             label: str | None = None, value_text: str | None = None) -> html.Div:
    value = row.get("value")
    level = int(row.get("level") or 0)
    status = html.Span(LEVEL_NAMES[lang][level], className=f"kpi-status level-{level}") if ind.has_thresholds else None
    body = [
        html.Div(label or ind.name(lang), className="kpi-label"),
        html.Div([html.Span(value_text or _number(value, ind.decimals, lang), className="kpi-value",
                            **{"data-value": "" if value is None else f"{value:.6g}"}),
                  html.Span(ind.unit(lang), className="kpi-unit")], className="kpi-figure"),
        html.Div([change_badge(row.get("change_prev"), ind.direction, t("vs_previous", lang)),
                  change_badge(row.get("change_yoy"), ind.direction, t("vs_last_year", lang))],
                 className="kpi-changes"),
    ]
    if status is not None:
        body.append(status)
    card = html.Div(body, className=f"kpi-card level-{level}", id=card_id or f"kpi-{ind.code}",
                    **{"data-indicator": ind.code})
    return dcc.Link(card, href=href, className="kpi-link") if href else card


def count_card(label: str, value: int | None, unit: str, lang: str, *, href: str | None = None,
               card_id: str, extra=None, tone: str = "") -> html.Div:
    """A plain count (open incidents, overdue …) that links to the rows behind it."""
    body = [html.Div(label, className="kpi-label"),
            html.Div([html.Span(_number(value, 0, lang), className="kpi-value",
                                **{"data-value": "" if value is None else str(value)}),
                      html.Span(unit, className="kpi-unit")], className="kpi-figure")]
    if extra is not None:
        body.append(extra)
    card = html.Div(body, className=f"kpi-card count {tone}", id=card_id)
    return dcc.Link(card, href=href, className="kpi-link") if href else card
