"""Who the user is and what they may see (SPEC §8).

- Users live in the database (`app_user`), passwords hashed with argon2id. There are no default
  credentials: the first admin is created with `python -m core.users_cli` (or, for an embedded
  demo, `ensure_first_admin()`, which writes a random password to a 0600 file).
- Roles: leader 领导, duty 值班员, staff 综合科室, admin 管理员; `can(user, action)` is the only
  place that maps roles to rights.
- Regional scope: a user sees their scope region and what lies below it. `region_allowed` and
  `clamp_region` are called by the query layer and by callbacks on every region input.
- The request's user comes from (in this order) the demo switch (auth disabled), a trusted SSO
  header set by the 统一身份认证 proxy, or the signed session cookie; `current_user()` returns it
  inside any Flask request, Dash callbacks included (not in background callbacks, which run
  outside the request: pass what they need as arguments).
- Auth disabled (COCKPIT_AUTH=0) makes every visitor the "demo" admin over the whole region. It
  is for a local demo only; `init_security` refuses it together with COCKPIT_PRODUCTION=1.
- The SSO header (COCKPIT_TRUSTED_USER_HEADER, e.g. X-Remote-User) is believed as it comes: the
  proxy MUST remove that header from every client request and set it itself, and the app must
  be reachable only through the proxy (bind gunicorn to 127.0.0.1 or firewall its port).
  The named user must exist here and be enabled; role and scope come from this database.
- Password sign-ins are limited per user name and per client address, counted in the database
  so that the limit holds across worker processes and machines.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, has_request_context, request, session
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from core.audit import audit
from core.settings import get_settings
from data.db import session_scope
from data.regions import region_tree
from data.security_models import AppUser, SigninAttempt, utcnow

ROLES: dict[str, tuple[str, str]] = {
    "leader": ("领导", "Leader"),
    "duty": ("值班员", "Duty officer"),
    "staff": ("综合科室", "Staff"),
    "admin": ("管理员", "Administrator"),
}
PERMISSIONS: dict[str, frozenset[str]] = {
    "view_incident_detail": frozenset({"duty", "admin", "leader"}),
    "export": frozenset({"staff", "duty", "admin", "leader"}),
    # Unmasked names and phone numbers of reporters, callers, residents.
    "view_personal_data": frozenset({"duty", "admin"}),
    "admin_users": frozenset({"admin"}),
    "view_audit": frozenset({"admin"}),
}

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
LOCK_WINDOW = timedelta(minutes=15)
ATTEMPT_RETENTION = timedelta(days=1)
MAX_PASSWORD_CHARS = 1024  # argon2 takes any length; a cap keeps a huge POST from costing CPU
MIN_PASSWORD_CHARS = 8
_USERNAME = re.compile(r"^[\w.@-]{1,64}$")  # \w includes Chinese characters

# Keys of the signed session cookie.
SESSION_USER = "user"
SESSION_VERSION = "ver"
SESSION_SEEN = "seen"
SESSION_VIA = "via"
SESSION_NOTICE = "notice"
# Rewriting the cookie on every request is pointless; activity is tracked to the minute.
_SEEN_RESOLUTION_SECONDS = 60

_hasher = PasswordHasher()
_dummy_hash: str | None = None


class UserAdminError(ValueError):
    """A user-administration request that cannot be carried out (message is shown to the admin)."""


class SsoUserRefused(Exception):
    """The trusted proxy named a user who does not exist here or is disabled."""

    def __init__(self, username: str):
        super().__init__(username)
        self.username = username


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    scope_adcode: str
    # Derived from the password hash: a session cookie minted before a password change stops working.
    session_version: str = field(default="", repr=False, compare=False)

    def role_label(self, lang: str = "zh") -> str:
        zh, en = ROLES[self.role]
        return en if lang == "en" else zh


@dataclass(frozen=True)
class UserInfo:
    """A user as the admin list shows it."""

    username: str
    display_name: str
    role: str
    scope_adcode: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class SigninResult:
    user: User | None
    reason: str = ""  # "" on success, else invalid | disabled | locked
    retry_after_seconds: int = 0


# -- permissions and regional scope -----------------------------------------------------------
def can(user: User | None, action: str) -> bool:
    """Whether the user's role allows the action (an unknown action is a programming error)."""
    try:
        roles = PERMISSIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}; known: {sorted(PERMISSIONS)}") from None
    return user is not None and user.role in roles


def region_allowed(user: User | None, adcode: str | None) -> bool:
    """Whether the user may see this region: their scope or a region below it."""
    if user is None or not adcode:
        return False
    tree = region_tree()
    return tree.exists(adcode) and tree.contains(adcode, user.scope_adcode)


def clamp_region(user: User | None, adcode: str | None) -> str:
    """The region to show: the requested one if allowed, otherwise the user's own scope."""
    if user is None:
        raise PermissionError("no signed-in user")
    return adcode if region_allowed(user, adcode) else user.scope_adcode


# -- the request's user -----------------------------------------------------------------------
def demo_user() -> User:
    """Full rights over the whole deployment, used ONLY when auth is disabled (local demo)."""
    return User("demo", "演示用户 Demo", "admin", get_settings().region_adcode)


def current_user() -> User | None:
    """The user of the current request (None outside a request or when not signed in)."""
    if not get_settings().auth_required:
        return demo_user()
    if not has_request_context():
        return None
    return g.get("cockpit_user")


def resolve_request_user() -> User | None:
    """Find the user of this request, remember it for `current_user()`, and return it.

    Raises SsoUserRefused when the trusted SSO header names an unknown or disabled user.
    """
    settings = get_settings()
    if not settings.auth_required:
        user = demo_user()
    else:
        header = settings.trusted_user_header
        sso_name = request.headers.get(header, "").strip() if header else ""
        user = _sso_user(sso_name) if sso_name else _session_user(settings.session_minutes)
    g.cockpit_user = user
    return user


def _sso_user(name: str) -> User:
    user = find_user(name)
    if user is None:
        audit("signin_failed", {"via": "sso", "reason": "unknown or disabled"}, username=normalize_username(name))
        raise SsoUserRefused(name)
    if session.get(SESSION_USER) != user.username or session.get(SESSION_VIA) != "sso":
        start_session(user, via="sso")
        audit("signin", {"via": "sso"}, user)
    return user


def _session_user(session_minutes: int) -> User | None:
    name = session.get(SESSION_USER)
    if not name:
        return None
    now = time.time()
    idle = now - session.get(SESSION_SEEN, 0)
    if idle > session_minutes * 60:
        session.clear()
        session[SESSION_NOTICE] = "expired"
        audit("signout", {"reason": "inactivity"}, username=name)
        return None
    user = find_user(name)
    if user is None or user.session_version != session.get(SESSION_VERSION):
        # Disabled, deleted, or the password changed since this cookie was issued.
        session.clear()
        return None
    if idle > _SEEN_RESOLUTION_SECONDS:
        session[SESSION_SEEN] = int(now)
    return user


def start_session(user: User, via: str = "password") -> None:
    session.clear()  # nothing from before sign-in carries over
    session.permanent = True
    session[SESSION_USER] = user.username
    session[SESSION_VERSION] = user.session_version
    session[SESSION_SEEN] = int(time.time())
    session[SESSION_VIA] = via
    g.cockpit_user = user


def end_session() -> None:
    session.clear()
    g.cockpit_user = None


# -- passwords --------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with a new password (empty list: acceptable). Follows common 等保 rules."""
    problems = []
    if len(password) < MIN_PASSWORD_CHARS:
        problems.append(f"密码至少 {MIN_PASSWORD_CHARS} 位 / at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        problems.append(f"密码最多 {MAX_PASSWORD_CHARS} 位 / at most {MAX_PASSWORD_CHARS} characters")
    classes = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    if classes < 3:
        problems.append("需包含大写字母、小写字母、数字、符号中的至少三类 / "
                        "use at least three of: lower case, upper case, digits, symbols")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名 / must not contain the user name")
    return problems


def _session_version(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _verify_or_waste_time(password_hash: str | None, password: str) -> bool:
    """Verify; for an unknown user, spend the same time so response times do not reveal names."""
    global _dummy_hash
    if password_hash is None:
        if _dummy_hash is None:
            _dummy_hash = hash_password(secrets.token_hex(16))
        verify_password(_dummy_hash, password)
        return False
    return verify_password(password_hash, password)


# -- users ------------------------------------------------------------------------------------
def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def _to_user(row: AppUser) -> User:
    return User(row.username, row.display_name or row.username, row.role, row.scope_adcode,
                _session_version(row.password_hash))


def find_user(username: str) -> User | None:
    """The enabled user of that name, or None."""
    name = normalize_username(username)
    if not name:
        return None
    with session_scope() as db:
        row = db.scalar(select(AppUser).where(AppUser.username == name))
        return _to_user(row) if row is not None and not row.disabled else None


def count_users() -> int:
    with session_scope() as db:
        return db.scalar(select(func.count()).select_from(AppUser))


def list_users() -> list[UserInfo]:
    with session_scope() as db:
        rows = db.scalars(select(AppUser).order_by(AppUser.username)).all()
        return [UserInfo(r.username, r.display_name, r.role, r.scope_adcode, r.disabled,
                         r.created_at, r.last_login_at) for r in rows]


def create_user(username: str, password: str, role: str, scope_adcode: str | None = None,
                display_name: str = "") -> User:
    """Create an enabled user; scope defaults to the whole deployment. Raises UserAdminError."""
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise UserAdminError("用户名只能包含字母、数字、汉字和 . _ - @，最长 64 位 / "
                             "user names use letters, digits, Chinese characters and . _ - @ (64 at most)")
    if role not in ROLES:
        raise UserAdminError(f"未知角色 / unknown role {role!r}; choose one of {', '.join(ROLES)}")
    scope = scope_adcode or get_settings().region_adcode
    if not region_tree().exists(scope):
        raise UserAdminError(f"管辖区域 {scope} 不在本系统范围内 / region {scope} is not part of this deployment")
    problems = password_problems(password, name)
    if problems:
        raise UserAdminError("; ".join(problems))
    row = AppUser(username=name, display_name=display_name.strip()[:60], password_hash=hash_password(password),
                  role=role, scope_adcode=scope, disabled=False, created_at=utcnow())
    try:
        with session_scope() as db:
            db.add(row)
    except IntegrityError:
        raise UserAdminError(f"用户 {name} 已存在 / user {name} already exists") from None
    return _to_user(row)


def set_disabled(username: str, disabled: bool) -> None:
    """Disable (their sessions end at their next request) or re-enable a user."""
    with session_scope() as db:
        _existing(db, username).disabled = disabled


def set_password(username: str, password: str) -> None:
    """Set a new password; sessions signed in with the old one end."""
    with session_scope() as db:
        row = _existing(db, username)
        problems = password_problems(password, row.username)
        if problems:
            raise UserAdminError("; ".join(problems))
        row.password_hash = hash_password(password)


def _existing(db, username: str) -> AppUser:
    row = db.scalar(select(AppUser).where(AppUser.username == normalize_username(username)))
    if row is None:
        raise UserAdminError(f"没有用户 {username} / no user {username}")
    return row


def first_user_instructions() -> str:
    return (
        "还没有任何用户。请在服务器上创建第一个管理员 / No user exists yet. Create the first administrator:\n"
        "    python -m core.users_cli create admin --role admin\n"
        "(the password is asked for interactively; or pipe it with --password-stdin)"
    )


def ensure_first_admin(path: Path | None = None) -> Path | None:
    """For an embedded demo: when there is no user at all, create 'admin' with a random password.

    The password is written to `path` (default var_dir/initial_admin_password, mode 0600) and
    printed once. Returns the file, or None when users already exist. Never a fixed password.
    """
    if count_users():
        return None
    path = Path(path or get_settings().var_dir / "initial_admin_password")
    password = _random_password()
    try:
        create_user("admin", password, "admin", display_name="管理员")
    except UserAdminError:
        return None  # another worker created it a moment ago
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    path.chmod(0o600)  # the file may have existed with wider rights
    audit("user_admin", {"action": "create", "target": "admin", "role": "admin", "via": "first-run"},
          username="(system)")
    print(f"Created user 'admin' with password {password} (also in {path}); change it after signing in.",
          file=sys.stderr)
    return path


def _random_password() -> str:
    while True:
        candidate = secrets.token_urlsafe(15)
        if not password_problems(candidate, "admin"):
            return candidate


# -- password sign-in with rate limiting ------------------------------------------------------
def authenticate(username: str, password: str, ip: str) -> SigninResult:
    """Check a password sign-in; record and audit the attempt; refuse while locked out."""
    name = normalize_username(username)
    ip = (ip or "")[:45]
    now = utcnow()
    valid = ok = False
    user = None
    with session_scope() as db:
        locked_until = _locked_until(db, name, ip, now)
        if locked_until is None:
            row = db.scalar(select(AppUser).where(AppUser.username == name))
            valid = len(password) <= MAX_PASSWORD_CHARS and _verify_or_waste_time(
                row.password_hash if row else None, password)
            ok = valid and not row.disabled
            db.add(SigninAttempt(ts=now, username=name[:64], ip=ip, success=ok))
            db.execute(delete(SigninAttempt).where(SigninAttempt.ts < now - ATTEMPT_RETENTION))
            if ok:
                if _hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = hash_password(password)
                row.last_login_at = now
                user = _to_user(row)
    if locked_until is not None:
        audit("signin_locked", {"until": locked_until.isoformat(timespec="seconds") + "Z"}, username=name)
        return SigninResult(None, "locked", max(1, int((locked_until - now).total_seconds())))
    if not ok:
        reason = "disabled" if valid else "invalid"
        audit("signin_failed", {"via": "password", "reason": reason}, username=name)
        return SigninResult(None, reason)
    audit("signin", {"via": "password"}, user)
    return SigninResult(user)


def _locked_until(db, username: str, ip: str, now: datetime) -> datetime | None:
    """When the lockout of this user name or address ends (None: not locked).

    A lockout starts at the failure that brings the failures within one window to the limit and
    lasts one window from then. A lockout that started within the last window can only involve
    failures from the last two windows, so older rows are not read. A successful sign-in of the
    user clears the count for the user name, not for the address.
    """
    since = now - 2 * LOCK_WINDOW
    last_success = db.scalar(select(func.max(SigninAttempt.ts)).where(
        SigninAttempt.username == username, SigninAttempt.success.is_(True)))
    user_since = max(since, last_success) if last_success else since
    user_failures = db.scalars(select(SigninAttempt.ts).where(
        SigninAttempt.username == username, SigninAttempt.success.is_(False),
        SigninAttempt.ts > user_since).order_by(SigninAttempt.ts)).all()
    ip_failures = db.scalars(select(SigninAttempt.ts).where(
        SigninAttempt.ip == ip, SigninAttempt.success.is_(False),
        SigninAttempt.ts > since).order_by(SigninAttempt.ts)).all()
    ends = [end for end in (_lock_end(user_failures, MAX_FAILURES_PER_USER),
                            _lock_end(ip_failures, MAX_FAILURES_PER_IP)) if end and end > now]
    return max(ends) if ends else None


def _lock_end(failure_times: list[datetime], limit: int) -> datetime | None:
    end = None
    for i in range(limit - 1, len(failure_times)):
        if failure_times[i] - failure_times[i - limit + 1] <= LOCK_WINDOW:
            end = failure_times[i] + LOCK_WINDOW
    return end
