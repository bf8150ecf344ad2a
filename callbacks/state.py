"""From a URL to a validated ViewState for the signed-in user, and back to a URL.

Every callback that reads the view goes through `resolve_view`, so regional scope is enforced in
one place: a county user's default region is their county, and a region outside their scope in a
URL or a forged callback request is refused like an unknown one.
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from datetime import date

from sqlalchemy import select

from core.auth import current_user as auth_user
from core.settings import get_settings
from core.viewstate import ViewState, parse_view, view_to_path, view_to_search
from data.catalogue import catalogue
from data.regions import region_tree

_today_lock = threading.Lock()
_today_cache: tuple[float, date, date | None] | None = None
DATA_DAYS_TTL_SECONDS = 5.0


def data_days() -> tuple[date, date | None]:
    """(the data's current day, its first day), re-read at most every 5 seconds (on the connection
    of the reads around, if they share one)."""
    global _today_cache
    now = time.monotonic()
    with _today_lock:
        if _today_cache and now - _today_cache[0] < DATA_DAYS_TTL_SECONDS:
            return _today_cache[1], _today_cache[2]
    from data.models import DataMeta
    from data.queries.common import fetch

    rows = dict(fetch(select(DataMeta.key, DataMeta.value).where(DataMeta.key.in_(["last_day", "first_day"]))))
    today = date.fromisoformat(rows["last_day"]) if rows.get("last_day") else (get_settings().demo_end or date.today())
    first = date.fromisoformat(rows["first_day"]) if rows.get("first_day") else None
    with _today_lock:
        _today_cache = (now, today, first)
    return today, first


def forget_data_days() -> None:
    global _today_cache
    with _today_lock:
        _today_cache = None


def current_user():
    """The signed-in user of this request (core.auth; the demo admin when sign-in is off)."""
    return auth_user()


def user_root(user=None) -> str:
    """The top of what the user may see: their scope, or the deployment's region."""
    user = user if user is not None else current_user()
    scope = getattr(user, "scope_adcode", None)
    tree = region_tree()
    if scope and tree.exists(scope):
        return scope
    return tree.root


def resolve_view(pathname: str | None, search: str | None, user=None) -> ViewState:
    user = user if user is not None else current_user()
    root = user_root(user)
    tree = region_tree()
    today, first = data_days()
    return parse_view(pathname, search, root=root, today=today, first_day=first,
                      region_exists=tree.exists,
                      allowed_region=lambda code: tree.contains(code, root),
                      metric_exists=lambda code: code in catalogue())


# Set while working out where clicks lead: those URLs are memoized with figures and maps across
# users, so they are written for the deployment's region, not the user's own default region (a URL
# without a region means a different place to a county user).
_links_for_everyone = contextvars.ContextVar("links_for_everyone", default=False)


@contextlib.contextmanager
def links_for_everyone():
    token = _links_for_everyone.set(True)
    try:
        yield
    finally:
        _links_for_everyone.reset(token)


def link_root() -> str:
    """The region a URL may leave unwritten: the deployment's inside `links_for_everyone`, else the user's."""
    return region_tree().root if _links_for_everyone.get() else user_root()


def href(view: ViewState, root: str | None = None) -> str:
    """The URL of a view (big-screen mode is written as ?screen=1)."""
    today, _ = data_days()
    return view_to_path(view) + view_to_search(view, root=root or link_root(), today=today)
