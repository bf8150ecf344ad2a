"""Any path that is not a page: a clear message and a way back, never a traceback."""
import dash
from dash import dcc, html

from core.i18n import t


def layout(**_query):
    return html.Div([
        html.H2("页面不存在 · Page not found"),
        html.P("请检查链接，或返回总体态势。 Check the link, or go back to the overview."),
        dcc.Link(t("back_home", "zh") + " · " + t("back_home", "en"), href="/", className="back-link"),
    ], className="not-found view-errors", role="alert")


dash.register_page(__name__, path="/404", title="页面不存在", layout=layout)
