"""The audit log (SPEC §8): sign-ins, drills into incident details, exports, user administration.

`audit()` is called from request handlers and callbacks; a failure to write the audit row is
logged but never breaks the user's request (the action itself already happened or is harmless
to retry). `recent_audit()` feeds the admin view.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import has_request_context, request
from sqlalchemy import select

from data.db import session_scope
from data.security_models import AuditLog, utcnow

log = logging.getLogger(__name__)

# Events the app writes, with labels for the admin view (zh, en).
EVENTS: dict[str, tuple[str, str]] = {
    "signin": ("登录", "Sign-in"),
    "signin_failed": ("登录失败", "Failed sign-in"),
    "signin_locked": ("登录被限制", "Sign-in refused (too many attempts)"),
    "signout": ("退出", "Sign-out"),
    "incident_detail": ("查看事件详情", "Incident detail viewed"),
    "export": ("导出", "Export"),
    "user_admin": ("用户管理", "User administration"),
}
MAX_DETAIL_CHARS = 4000


@dataclass(frozen=True)
class AuditEntry:
    ts: datetime  # timezone-aware UTC
    username: str
    event: str
    detail: dict
    ip: str


def audit(event: str, detail: dict | None = None, user=None, *, username: str | None = None) -> None:
    """Record an event by `user` (default: the signed-in user of this request).

    `username` names the actor when there is no User object: a failed sign-in (the name that
    was tried) or the command-line tool.
    """
    try:
        if username is None:
            if user is None:
                # Imported here: core.auth audits sign-ins, so it imports this module.
                from core.auth import current_user

                user = current_user()
            username = user.username if user is not None else ""
        text = json.dumps(detail or {}, ensure_ascii=False, default=str)
        if len(text) > MAX_DETAIL_CHARS:
            text = json.dumps({"truncated": text[:MAX_DETAIL_CHARS]}, ensure_ascii=False)
        ip = (request.remote_addr or "") if has_request_context() else ""
        with session_scope() as session:
            session.add(AuditLog(ts=utcnow(), username=username[:64], event=event[:32], detail=text, ip=ip[:45]))
    except Exception:
        log.exception("could not write audit event %s", event)


def recent_audit(limit: int = 200, event: str | None = None) -> list[AuditEntry]:
    """The newest audit entries first, optionally of one event."""
    query = select(AuditLog).order_by(AuditLog.ts.desc(), AuditLog.id.desc()).limit(limit)
    if event:
        query = query.where(AuditLog.event == event)
    with session_scope() as session:
        rows = session.scalars(query).all()
        return [
            AuditEntry(
                ts=row.ts.replace(tzinfo=timezone.utc),
                username=row.username,
                event=row.event,
                detail=_parse(row.detail),
                ip=row.ip,
            )
            for row in rows
        ]


def _parse(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"value": value}
