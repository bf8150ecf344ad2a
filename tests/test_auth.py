"""Users, passwords, sign-in limits, roles, regional scope, masking, audit and the users CLI.

The database-backed tests run twice: on a SQLite file and on PostgreSQL (a schema of their own,
dropped afterwards; skipped when the server is absent, failed when CI=true).
"""
from __future__ import annotations

import io
import stat
from datetime import timedelta

import pytest
from sqlalchemy import text

import core.auth as auth
import core.settings as settings_module
from core.audit import recent_audit
from core.auth import (
    User,
    UserAdminError,
    authenticate,
    can,
    clamp_region,
    create_user,
    ensure_first_admin,
    hash_password,
    list_users,
    region_allowed,
    set_disabled,
    set_password,
    verify_password,
)
from core.masking import mask_frame, mask_id_number, mask_name, mask_phone, mask_record
from core.settings import override_settings
from core.users_cli import main as users_cli
from data.db import Base, dispose_engines, get_engine
from data.security_models import AppUser, AuditLog, SigninAttempt
from services import drop_pg_schema, pg_schema_url

PASSWORD = "Huangshan-2024"
SECURITY_TABLES = [AppUser.__table__, AuditLog.__table__, SigninAttempt.__table__]


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    # One var/ for the module: the region tree is extracted once into var/geo.
    return tmp_path_factory.mktemp("var")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, var_dir, monkeypatch):
    """Settings pointing at an empty database with the security tables; yields its URL."""
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cockpit.db'}"
    else:
        url, schema = pg_schema_url("sec")
    monkeypatch.setattr(settings_module, "_settings", settings_module.get_settings())  # restored afterwards
    override_settings(database_url=url, var_dir=var_dir, region_adcode="341000", auth_required=True,
                      trusted_user_header="", secret_key="test-secret")
    Base.metadata.create_all(get_engine(url), tables=SECURITY_TABLES)
    yield url
    dispose_engines()
    if schema:
        drop_pg_schema(schema)


def _events() -> list[tuple[str, str, dict]]:
    return [(e.event, e.username, e.detail) for e in reversed(recent_audit(100))]


# -- passwords and sign-in ---------------------------------------------------------------------
def test_password_is_hashed_with_argon2_and_verifies():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)


def test_right_password_signs_in_and_wrong_one_does_not(db):
    create_user("Wang", PASSWORD, "duty", "341003", display_name="王值班")
    ok = authenticate("  wang ", PASSWORD, "10.0.0.1")  # names are trimmed and case-insensitive
    assert ok.user == User("wang", "王值班", "duty", "341003")
    assert authenticate("wang", "Huangshan-2025", "10.0.0.1").reason == "invalid"
    assert authenticate("nobody", PASSWORD, "10.0.0.1").reason == "invalid"
    assert list_users()[0].last_login_at is not None


def test_disabled_user_is_refused_and_can_be_enabled_again(db):
    create_user("li", PASSWORD, "staff")
    set_disabled("li", True)
    assert authenticate("li", PASSWORD, "10.0.0.1").reason == "disabled"
    set_disabled("li", False)
    assert authenticate("li", PASSWORD, "10.0.0.1").user is not None


def test_new_password_replaces_the_old_one(db):
    create_user("li", PASSWORD, "staff")
    before = authenticate("li", PASSWORD, "10.0.0.1").user
    set_password("li", "Qiyun-Shan-88")
    assert authenticate("li", PASSWORD, "10.0.0.1").reason == "invalid"
    after = authenticate("li", "Qiyun-Shan-88", "10.0.0.1").user
    assert after.session_version != before.session_version  # old session cookies stop working


def test_weak_passwords_bad_roles_and_foreign_scopes_are_refused(db):
    for password in ("Ab1!", "alllowercase1", "zhao-Password-1"):
        with pytest.raises(UserAdminError):
            create_user("zhao", password, "staff")
    with pytest.raises(UserAdminError, match="role"):
        create_user("zhao", PASSWORD, "root")
    with pytest.raises(UserAdminError, match="341502"):
        create_user("zhao", PASSWORD, "staff", "341502")  # a county of 六安, not of 黄山
    create_user("zhao", PASSWORD, "staff")
    with pytest.raises(UserAdminError, match="exists"):
        create_user("ZHAO", PASSWORD, "staff")


def test_five_failures_lock_the_user_name_for_fifteen_minutes(db, monkeypatch):
    create_user("wang", PASSWORD, "duty")
    create_user("li", PASSWORD, "staff")
    start = auth.utcnow()
    for _ in range(5):
        assert authenticate("wang", "wrong-password", "10.0.0.1").reason == "invalid"
    locked = authenticate("wang", PASSWORD, "10.0.0.2")  # even the right password, from elsewhere
    assert locked.reason == "locked" and 14 * 60 < locked.retry_after_seconds <= 15 * 60
    assert authenticate("li", PASSWORD, "10.0.0.1").user is not None  # other names are not locked

    monkeypatch.setattr(auth, "utcnow", lambda: start + timedelta(minutes=14))
    assert authenticate("wang", PASSWORD, "10.0.0.2").reason == "locked"
    monkeypatch.setattr(auth, "utcnow", lambda: start + timedelta(minutes=15, seconds=30))
    assert authenticate("wang", PASSWORD, "10.0.0.2").user is not None


def test_success_clears_the_count_of_the_user_name(db):
    create_user("wang", PASSWORD, "duty")
    for _ in range(4):
        authenticate("wang", "wrong-password", "10.0.0.1")
    assert authenticate("wang", PASSWORD, "10.0.0.1").user is not None
    for _ in range(4):
        authenticate("wang", "wrong-password", "10.0.0.1")
    assert authenticate("wang", PASSWORD, "10.0.0.1").user is not None


def test_twenty_failures_lock_the_address(db):
    create_user("wang", PASSWORD, "duty")
    for i in range(20):  # four tries each at five names: no name reaches its own limit
        assert authenticate(f"guess{i % 5}", "wrong-password", "10.9.9.9").reason == "invalid"
    assert authenticate("wang", PASSWORD, "10.9.9.9").reason == "locked"
    assert authenticate("wang", PASSWORD, "10.0.0.1").user is not None


def test_sign_ins_and_failures_are_audited_without_passwords(db):
    create_user("wang", PASSWORD, "duty")
    authenticate("wang", "wrong-password", "10.0.0.1")
    authenticate("wang", PASSWORD, "10.0.0.1")
    assert _events() == [
        ("signin_failed", "wang", {"via": "password", "reason": "invalid"}),
        ("signin", "wang", {"via": "password"}),
    ]
    assert [e.event for e in recent_audit(10, event="signin")] == ["signin"]
    with get_engine().connect() as connection:
        details = " ".join(connection.execute(text("SELECT detail FROM audit_log")).scalars())
    assert "wrong-password" not in details and PASSWORD not in details


# -- the command-line tool ---------------------------------------------------------------------
def test_cli_creates_lists_disables_and_resets_users(db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert users_cli(["create", "Zhou", "--role", "duty", "--scope", "341003",
                      "--display-name", "周值班", "--password-stdin"]) == 0
    assert authenticate("zhou", PASSWORD, "10.0.0.1").user.scope_adcode == "341003"

    assert users_cli(["list"]) == 0
    listing = capsys.readouterr().out
    assert "zhou" in listing and "值班员" in listing and "黄山区" in listing and "active" in listing

    assert users_cli(["disable", "zhou"]) == 0
    assert authenticate("zhou", PASSWORD, "10.0.0.1").reason == "disabled"
    assert users_cli(["list"]) == 0 and "disabled" in capsys.readouterr().out
    assert users_cli(["enable", "zhou"]) == 0

    monkeypatch.setattr("sys.stdin", io.StringIO("Xin-Mima-2025\n"))
    assert users_cli(["set-password", "zhou", "--password-stdin"]) == 0
    assert authenticate("zhou", "Xin-Mima-2025", "10.0.0.1").user is not None
    actions = [d["action"] for event, who, d in _events() if event == "user_admin"]
    assert actions == ["create", "disable", "enable", "set_password"]


def test_cli_explains_what_is_wrong(db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert users_cli(["create", "zhou", "--role", "duty", "--password-stdin"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert users_cli(["disable", "ghost"]) == 1
    assert "no user ghost" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        users_cli(["create", "zhou", "--role", "superuser"])
    assert list_users() == []


def test_no_default_credentials_and_first_admin_gets_a_random_password(db, tmp_path, capsys):
    for guess in ("admin", "123456", "admin123"):
        assert authenticate("admin", guess, "10.0.0.1").reason == "invalid"
    path = ensure_first_admin(tmp_path / "initial_admin_password")
    password = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(password) >= 16
    assert password in capsys.readouterr().err  # shown once on the console
    assert authenticate("admin", password, "10.0.0.2").user.role == "admin"
    assert ensure_first_admin(tmp_path / "again") is None  # only while there is no user at all
    assert not (tmp_path / "again").exists()


# -- roles, scope, masking ---------------------------------------------------------------------
LEADER = User("leader", "领导", "leader", "341000")
DUTY = User("duty", "值班员", "duty", "341003")
STAFF = User("staff", "科员", "staff", "341000")
ADMIN = User("admin", "管理员", "admin", "341000")


@pytest.mark.parametrize(("action", "allowed"), [
    ("view_incident_detail", {"leader", "duty", "admin"}),
    ("export", {"leader", "duty", "staff", "admin"}),
    ("view_personal_data", {"duty", "admin"}),
    ("admin_users", {"admin"}),
    ("view_audit", {"admin"}),
])
def test_role_rights(action, allowed):
    assert {u.role for u in (LEADER, DUTY, STAFF, ADMIN) if can(u, action)} == allowed
    assert not can(None, action)


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown action"):
        can(ADMIN, "delete_city")


def test_county_user_sees_only_their_county(var_dir, monkeypatch):
    monkeypatch.setattr(settings_module, "_settings", settings_module.get_settings())
    override_settings(var_dir=var_dir, region_adcode="341000")
    county = User("hs", "黄山区值班", "duty", "341003")
    assert region_allowed(county, "341003")
    assert not region_allowed(county, "341002")
    assert not region_allowed(county, "341000")
    assert clamp_region(county, "341000") == "341003"
    assert clamp_region(county, "341002") == "341003"
    assert clamp_region(county, "341003") == "341003"

    city = User("city", "市领导", "leader", "341000")
    assert all(region_allowed(city, code) for code in ("341000", "341002", "341003", "341024"))
    assert not region_allowed(city, "341502") and not region_allowed(city, "nonsense")
    assert clamp_region(city, "341502") == "341000"
    with pytest.raises(PermissionError):
        clamp_region(None, "341000")


def test_masking_functions():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0559-2345678") == "055*****5678"
    assert mask_id_number("34100219900101123X") == "341***********123X"
    assert mask_name("张三丰") == "张**" and mask_name("张三") == "张*"
    assert mask_phone("") == "" and mask_name(None) is None


def test_personal_data_is_masked_unless_the_role_may_see_it():
    record = {"code": "SJ2024000001", "reporter_name": "张三丰", "reporter_phone": "13812345678",
              "summary": "市民来电 13912345678 反映路灯损坏", "adcode": "341003", "severity": 4}
    for user in (LEADER, STAFF, None):
        masked = mask_record(record, user)
        assert masked["reporter_name"] == "张**" and masked["reporter_phone"] == "138****5678"
        assert masked["summary"] == "市民来电 139****5678 反映路灯损坏"
        assert masked["code"] == "SJ2024000001" and masked["severity"] == 4
    for user in (DUTY, ADMIN):
        assert mask_record(record, user) == record
    assert record["reporter_phone"] == "13812345678"  # the caller's record is left untouched

    import pandas as pd
    frame = pd.DataFrame([record])
    assert mask_frame(frame, STAFF).loc[0, "reporter_phone"] == "138****5678"
    assert mask_frame(frame, DUTY).loc[0, "reporter_phone"] == "13812345678"
