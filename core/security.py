"""The HTTP side of security, registered on the Flask server under the Dash app by one call:

    init_security(app.server, cache_check=cache_ping, script_hashes=app.csp_hashes)

- Every route needs a signed-in user except /login, /logout, /healthz and the session-expiry
  script. A page request without one is redirected to /login?next=…; a Dash request
  (/_dash-update-component …) gets 401 JSON, which /auth/session-expiry.js turns into a
  redirect in the browser.
- /login: a bilingual form (no external assets, no script), POST protected by a CSRF token
  tied to the session, redirect back to a *local* `next` only. /logout: GET asks, POST signs out.
- Response headers: a strict Content-Security-Policy, nosniff, same-origin referrers, no framing
  by other sites, no caching of pages and callback data (they hold personal data).
- A request body over COCKPIT_MAX_BODY_BYTES (Flask's MAX_CONTENT_LENGTH) gets 413, signed in
  or not, before anything reads it (a chunked one: as soon as the limit is passed).
- Request timing is logged without query strings (they may carry personal data).
- /healthz: {"db": "ok", "cache": "ok"} with 200, or 503 naming what failed.
"""
from __future__ import annotations

import hmac
import logging
import math
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Blueprint, Flask, Response, current_app, g, jsonify, redirect, request, session
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from core.audit import audit
from core.auth import (
    SESSION_NOTICE,
    SsoUserRefused,
    authenticate,
    count_users,
    current_user,
    end_session,
    first_user_instructions,
    resolve_request_user,
    start_session,
)
from core.i18n import t
from core.settings import get_settings
from data.db import get_engine

log = logging.getLogger(__name__)
access_log = logging.getLogger("cockpit.access")

HEALTH_PATH = "/healthz"
SESSION_EXPIRY_SCRIPT = "/auth/session-expiry.js"
PUBLIC_PATHS = frozenset({"/login", "/logout", SESSION_EXPIRY_SCRIPT})
_CSRF_KEY = "csrf"
_TEMPLATES = Path(__file__).parent / "templates"
_jinja = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]))

WORDS: dict[str, tuple[str, str]] = {
    "signin": ("登录", "Sign in"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "submit": ("登录", "Sign in"),
    "error_mark": ("错误：", "Error:"),
    "missing": ("请输入用户名和密码。", "Enter your user name and password."),
    "invalid": ("用户名或密码错误。", "Wrong user name or password."),
    "disabled": ("该账号已停用，请联系管理员。", "This account is disabled; ask an administrator."),
    "locked": ("登录失败次数过多，请 {minutes} 分钟后再试。",
               "Too many failed sign-ins; try again in {minutes} minutes."),
    "csrf": ("登录页面已过期，请重新输入并登录。", "The sign-in page had expired; please enter your details again."),
    "expired": ("长时间未操作，已自动退出，请重新登录。", "You were signed out after a period of inactivity."),
    "signed_out": ("您已安全退出。", "You have signed out."),
    "signout": ("退出登录", "Sign out"),
    "signout_question": ("确定要退出 {name} 的登录吗？", "Sign out {name}?"),
    "back": ("返回驾驶舱", "Back to the cockpit"),
    "sso_refused_title": ("无法登录", "Cannot sign in"),
    "sso_refused": ("统一身份认证用户 {name} 在本系统中没有可用账号，请联系管理员开通。",
                    "The single-sign-on user {name} has no enabled account here; ask an administrator."),
    "authorised_only": ("仅限授权人员使用，操作将被记录。", "Authorised staff only; actions are logged."),
    "switch_language": ("English", "中文"),
}


@dataclass(frozen=True)
class _Options:
    cache_check: Callable[[], object] | None
    script_hashes: Callable[[], Iterable[str]] | None


security = Blueprint("cockpit_security", __name__)


def init_security(server: Flask, cache_check: Callable[[], object] | None = None,
                  script_hashes: Callable[[], Iterable[str]] | None = None) -> None:
    """Register sign-in, sessions, headers, request timing and /healthz on the Flask server.

    cache_check: called by /healthz; raises (or returns False) when the cache is unreachable.
    script_hashes: CSP hashes of the inline scripts the pages need, e.g. Dash's `app.csp_hashes`
    (a callable, so that clientside callbacks registered after this call are included).
    """
    settings = get_settings()
    if not settings.secret_key:
        raise RuntimeError("COCKPIT_SECRET_KEY is empty: sessions cannot be signed")
    if settings.production and not settings.auth_required:
        raise RuntimeError("COCKPIT_AUTH=0 gives everyone admin rights; it is for the local demo only, "
                           "not with COCKPIT_PRODUCTION=1")
    server.secret_key = settings.secret_key
    server.config.update(
        SESSION_COOKIE_NAME="cockpit_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
    )
    if settings.production:
        server.debug = False
    if settings.proxy_hops:
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    server.extensions["cockpit_security"] = _Options(cache_check, script_hashes)
    server.register_blueprint(security)
    if settings.auth_required:
        _announce_missing_users()


def _announce_missing_users() -> None:
    try:
        missing = count_users() == 0
    except SQLAlchemyError:
        log.error("the user table is missing: create the schema first (data.db.create_schema)")
        raise
    if missing:
        print(first_user_instructions(), file=sys.stderr)


# -- hooks ------------------------------------------------------------------------------------
@security.before_app_request
def _start_timer() -> None:
    g.request_started = time.perf_counter()


@security.before_app_request
def _refuse_oversized_body():
    """413 on the declared length alone, before sign-in is checked or anything reads the body."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is None:
        return None
    length = request.content_length
    if length is None and "wsgi.input_terminated" in request.environ:
        # A chunked body has no length to check. Werkzeug stops reading it at the limit without an
        # error, which would hand Dash a truncated body; so read it here, at most `limit` bytes
        # (kept for Dash), and look for one byte more.
        body = request.get_data(cache=True)
        more = len(body) >= limit and request.environ["wsgi.input"].read(1) != b""
        length = len(body) + more
    if (length or 0) <= limit:
        return None
    if _wants_json():
        return jsonify(error="body_too_large", limit_bytes=limit), 413
    raise RequestEntityTooLarge()


@security.before_app_request
def _require_user():
    if request.path == HEALTH_PATH:
        return None
    try:
        user = resolve_request_user()
    except SsoUserRefused as refused:
        lang = _lang()
        return _page("base.html", lang, status=403, heading=_words(lang)["sso_refused_title"],
                     error=_words(lang)["sso_refused"].format(name=refused.username))
    if user is not None or request.path in PUBLIC_PATHS:
        return None
    if _wants_json():
        return jsonify(error="signin_required", login="/login"), 401
    here = request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    return redirect("/login?" + urlencode({"next": here}))


def _wants_json() -> bool:
    """Dash's own requests and other API calls get JSON; a page a browser navigates to, a redirect."""
    return (
        "/_dash-" in request.path
        or request.method != "GET"
        or request.accept_mimetypes.best == "application/json"
    )


@security.after_app_request
def _harden(response: Response) -> Response:
    headers = response.headers
    if response.mimetype == "text/html":
        headers["Content-Security-Policy"] = _content_security_policy()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "SAMEORIGIN"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if get_settings().production:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if response.mimetype in ("text/html", "application/json") and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    _log_timing(response)
    return response


def _content_security_policy() -> str:
    options: _Options = current_app.extensions["cockpit_security"]
    hashes = list(options.script_hashes()) if options.script_hashes else []
    images = ["'self'", "data:", "blob:"]
    tiles = urlsplit(get_settings().tile_url)
    if tiles.scheme and tiles.netloc:  # an intranet tile server on another host
        images.append(f"{tiles.scheme}://{tiles.netloc}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *hashes],
        # Dash, React and plotly set inline styles on elements; styles cannot run code.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _log_timing(response: Response) -> None:
    started = g.get("request_started")
    if started is None:
        return
    user = g.get("cockpit_user")
    access_log.info("%s %s %s %.0fms %s", request.method, request.path, response.status_code,
                    (time.perf_counter() - started) * 1000, user.username if user else "-")


# -- pages ------------------------------------------------------------------------------------
@security.route("/login", methods=["GET", "POST"])
def login():
    target = safe_next(request.values.get("next"))
    lang = _lang(target)
    if current_user() is not None:
        return redirect(target)
    words = _words(lang)
    if request.method == "GET":
        notice = words.get(session.pop(SESSION_NOTICE, ""), "")
        return _login_page(lang, target, notice=notice)
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    if not _csrf_ok():
        return _login_page(lang, target, username, error=words["csrf"], status=400)
    if not username or not password:
        return _login_page(lang, target, username, error=words["missing"], status=400)
    result = authenticate(username, password, request.remote_addr or "")
    if result.user is not None:
        start_session(result.user)
        return redirect(target)
    if result.reason == "locked":
        minutes = math.ceil(result.retry_after_seconds / 60)
        response = _login_page(lang, target, username, error=words["locked"].format(minutes=minutes), status=429)
        response.headers["Retry-After"] = str(result.retry_after_seconds)
        return response
    status = 403 if result.reason == "disabled" else 401
    return _login_page(lang, target, username, error=words[result.reason], status=status)


@security.route("/logout", methods=["GET", "POST"])
def logout():
    lang = _lang()
    user = current_user()
    if not get_settings().auth_required:
        return redirect("/")  # the demo user cannot sign out
    if user is None:
        return redirect("/login")
    words = _words(lang)
    question = words["signout_question"].format(name=user.display_name)
    if request.method == "GET":
        return _page("logout.html", lang, heading=words["signout"], question=question, csrf_token=csrf_token())
    if not _csrf_ok():
        return _page("logout.html", lang, status=400, heading=words["signout"], question=question,
                     csrf_token=csrf_token(), error=words["csrf"])
    audit("signout", {"reason": "user"}, user)
    end_session()
    session[SESSION_NOTICE] = "signed_out"
    return redirect("/login?" + urlencode({"lang": lang}))


@security.route(HEALTH_PATH)
def healthz():
    options: _Options = current_app.extensions["cockpit_security"]
    checks = {
        "db": _check(_database_answers),
        "cache": _check(options.cache_check) if options.cache_check else "skipped",
    }
    healthy = "error" not in checks.values()
    return jsonify(checks), 200 if healthy else 503


@security.route(SESSION_EXPIRY_SCRIPT)
def session_expiry_script():
    return Response((_TEMPLATES / "session_expiry.js").read_text(encoding="utf-8"),
                    mimetype="application/javascript")


def _database_answers() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


def _check(probe: Callable[[], object]) -> str:
    try:
        return "error" if probe() is False else "ok"
    except Exception:
        # The reason goes to the server log only: it may name hosts and users of the database.
        log.warning("health check %s failed", getattr(probe, "__name__", probe), exc_info=True)
        return "error"


def _login_page(lang: str, target: str, username: str = "", *, error: str = "", notice: str = "",
                status: int = 200) -> Response:
    words = _words(lang)
    return _page(
        "login.html", lang, status=status, heading=words["signin"], error=error, notice=notice,
        username=username, next=target, csrf_token=csrf_token(),
        setup_hint=first_user_instructions() if count_users() == 0 else "",
        switch_url="/login?" + urlencode({"next": target, "lang": "zh" if lang == "en" else "en"}),
    )


def _page(template: str, lang: str, status: int = 200, **context) -> Response:
    context.setdefault("switch_url", "")
    html = _jinja.get_template(template).render(
        lang=lang, words=_words(lang), app_title=t("app_title", lang), **context)
    return Response(html, status=status, mimetype="text/html")


def _words(lang: str) -> dict[str, str]:
    return {key: (en if lang == "en" else zh) for key, (zh, en) in WORDS.items()}


def _lang(target: str | None = None) -> str:
    """The page language: ?lang=, else the language of the page to return to, else the setting."""
    lang = request.values.get("lang")
    if lang not in ("zh", "en") and target:
        lang = parse_qs(urlsplit(target).query).get("lang", [""])[0]
    if lang not in ("zh", "en"):
        lang = get_settings().language
    return "en" if lang == "en" else "zh"


# -- CSRF and redirects -----------------------------------------------------------------------
def csrf_token() -> str:
    """The session's CSRF token, for any form that POSTs to this server (e.g. a sign-out button)."""
    if _CSRF_KEY not in session:
        session[_CSRF_KEY] = secrets.token_urlsafe(32)
    return session[_CSRF_KEY]


def _csrf_ok() -> bool:
    expected = session.get(_CSRF_KEY, "")
    sent = request.form.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(expected.encode(), sent.encode())


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else "/": never an open redirect to another host."""
    if not target:
        return "/"
    target = target.strip()
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in PUBLIC_PATHS:
        return "/"
    return target
