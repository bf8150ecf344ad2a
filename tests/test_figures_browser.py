"""Every cockpit's figures in a real headless Chromium: the margins worked out on the server
(components/margins.py) hold every tick label and axis title — none is cut off at the figure's
edge — on the desk and on the wall, at the city and in a county; and the rankings drawn as HTML
bars keep their rows and texts inside their panels."""
from __future__ import annotations

import pytest

from cockpit_dom import wait_settled

pytestmark = pytest.mark.browser

CUT_LABELS_JS = """() => {
    const cut = [];
    document.querySelectorAll('.js-plotly-plot').forEach((plot) => {
        const svg = plot.querySelector('.main-svg');
        if (!svg) return;
        const edge = svg.getBoundingClientRect();
        const panel = plot.closest('[data-panel]');
        plot.querySelectorAll('.xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .g-y2title text')
            .forEach((label) => {
                const box = label.getBoundingClientRect();
                if (!label.textContent.trim() || box.width === 0) return;
                if (box.left < edge.left - 1 || box.right > edge.right + 1 || box.top < edge.top - 1
                        || box.bottom > edge.bottom + 1) {
                    cut.push(`${panel ? panel.dataset.panel : '?'}: "${label.textContent}"`);
                }
            });
    });
    return cut;
}"""


CUT_BAR_TEXT_JS = """() => {
    const cut = [];
    document.querySelectorAll('.rank-bars').forEach((bars) => {
        const edge = bars.getBoundingClientRect();
        const panel = bars.closest('[data-panel]').dataset.panel;
        bars.querySelectorAll('.rank-text, .rank-bar').forEach((el) => {
            const box = el.getBoundingClientRect();
            if (box.width === 0) return;
            if (box.left < edge.left - 1 || box.right > edge.right + 1 || box.top < edge.top - 1
                    || box.bottom > edge.bottom + 1) {
                cut.push(`${panel}: "${el.textContent}"`);
            }
        });
    });
    return cut;
}"""


@pytest.mark.parametrize("path", ["/", "/tourism", "/environment", "/traffic", "/safety", "/eldercare",
                                  "/traffic?region=341021", "/eldercare?region=341003", "/environment?screen=1",
                                  "/environment?screen=1&lang=en", "/traffic?lang=en"])
def test_no_tick_label_is_cut_off(page, path):
    page.goto(page.base + path)
    page.locator(".js-plotly-plot .main-svg").first.wait_for()
    wait_settled(page)
    page.wait_for_timeout(300)  # the last figures are drawn after the store settles
    assert page.evaluate("() => document.querySelectorAll('.js-plotly-plot .main-svg').length") >= 2
    assert page.evaluate(CUT_LABELS_JS) == []
    # the rankings drawn as HTML: every bar's text inside its panel, every row inside the ranking
    assert page.evaluate(CUT_BAR_TEXT_JS) == []
