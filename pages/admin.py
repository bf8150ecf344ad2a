"""系统管理 · Users and the audit log, for administrators only (checked on the server)."""
from __future__ import annotations

import json

import dash
from dash import html

from callbacks.state import current_user
from core.audit import EVENTS, recent_audit
from core.auth import ROLES, can, list_users
from core.i18n import pick


def _table(headers, rows, table_id):
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in headers])),
                       html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows])],
                      className="list-table", id=table_id)


def layout(lang: str = "zh", **_query):
    lang = lang if lang in ("zh", "en") else "zh"
    user = current_user()
    if user is None or not can(user, "view_audit"):
        return html.Div(pick(lang, "仅管理员可查看此页面。", "Only administrators may view this page."),
                        className="view-errors", role="alert", id="admin-refused")
    index = 1 if lang == "en" else 0
    users = [(u.username, u.display_name, ROLES[u.role][index], u.scope_adcode,
              pick(lang, "停用", "disabled") if u.disabled else pick(lang, "启用", "enabled"),
              u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "—") for u in list_users()]
    entries = [(e.ts.strftime("%Y-%m-%d %H:%M:%S UTC"), e.username, EVENTS.get(e.event, (e.event, e.event))[index],
                json.dumps(e.detail, ensure_ascii=False)[:240], e.ip) for e in recent_audit(300)]
    return html.Div([
        html.Section([html.H2(pick(lang, "用户", "Users"), className="panel-title"),
                      _table([pick(lang, h[0], h[1]) for h in (("账号", "User"), ("姓名", "Name"), ("角色", "Role"),
                                                                ("范围", "Scope"), ("状态", "State"),
                                                                ("最近登录", "Last sign-in"))], users, "admin-users"),
                      html.P(pick(lang, "新增或停用用户：python -m core.users_cli create|disable …",
                                  "Create or disable users: python -m core.users_cli create|disable …"),
                             className="panel-source")], className="panel admin-panel"),
        html.Section([html.H2(pick(lang, "审计日志（最近300条）", "Audit log (latest 300)"), className="panel-title"),
                      _table([pick(lang, h[0], h[1]) for h in (("时间", "Time"), ("账号", "User"), ("事件", "Event"),
                                                                ("详情", "Detail"), ("地址", "Address"))],
                             entries, "admin-audit")], className="panel admin-panel"),
    ], className="admin-page")


dash.register_page(__name__, path="/admin", title="系统管理 · 城市大脑", layout=layout)
