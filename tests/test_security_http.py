"""The security layer as a browser meets it: a plain Flask app with `init_security`, driven by
the Flask test client against a temporary SQLite database."""
from __future__ import annotations

import io
import json
import logging
import re
from urllib.parse import quote

import pytest
from flask import Flask, jsonify, request

import core.settings as settings_module
from core.audit import recent_audit
from core.auth import create_user, current_user, set_disabled, set_password
from core.security import init_security
from core.settings import override_settings
from data.db import Base, dispose_engines, get_engine
from data.security_models import AppUser, AuditLog, SigninAttempt
from http_client import panel_request

PASSWORD = "Huangshan-2024"
SCRIPT_HASH = "'sha256-dGVzdC1oYXNoLW9mLWFuLWlubGluZS1zY3JpcHQ='"


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("var")


@pytest.fixture
def make_client(tmp_path, var_dir, monkeypatch):
    """Build a test client of a small app behind init_security, with settings changed as given."""
    monkeypatch.setattr(settings_module, "_settings", settings_module.get_settings())  # restored afterwards
    url = f"sqlite:///{tmp_path / 'cockpit.db'}"

    def build(cache_check=None, **changes):
        values = dict(database_url=url, var_dir=var_dir, region_adcode="341000", auth_required=True,
                      trusted_user_header="", secret_key="test-secret", session_minutes=30, production=False,
                      proxy_hops=0, tile_url="")
        override_settings(**{**values, **changes})
        Base.metadata.create_all(get_engine(url), tables=[AppUser.__table__, AuditLog.__table__,
                                                          SigninAttempt.__table__])
        app = Flask("cockpit_test")

        @app.route("/")
        @app.route("/traffic")
        def page():
            return "<h1>驾驶舱</h1>"

        @app.route("/_dash-update-component", methods=["POST"])
        def dash_update():
            if request.is_json:
                request.get_json()  # reads the body as Dash does: 400 if it is cut short
            user = current_user()
            return jsonify(user=user.username, role=user.role)

        init_security(app, cache_check=cache_check, script_hashes=lambda: [SCRIPT_HASH])
        return app.test_client()

    yield build
    dispose_engines()


@pytest.fixture
def client(make_client):
    client = make_client()
    create_user("wang", PASSWORD, "duty", "341003", display_name="王值班")
    return client


def _csrf(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, username="wang", password=PASSWORD, next_path=None, **environ):
    login = "/login" + (f"?next={quote(next_path, safe='')}" if next_path else "")
    token = _csrf(client, login)
    form = {"username": username, "password": password, "csrf_token": token, "next": next_path or ""}
    return client.post("/login", data=form, environ_base=environ)


def _events() -> list[str]:
    return [entry.event for entry in reversed(recent_audit(100))]


# -- sign-in ------------------------------------------------------------------------------------
def test_pages_send_the_browser_to_sign_in_and_back(client):
    response = client.get("/traffic?region=341003&lang=en")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Ftraffic%3Fregion%3D341003%26lang%3Den"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sign in" in page and "User name" in page  # the language of the page asked for

    response = sign_in(client, next_path="/traffic?region=341003&lang=en")
    assert response.status_code == 302 and response.headers["Location"] == "/traffic?region=341003&lang=en"
    assert client.get("/traffic").get_data(as_text=True) == "<h1>驾驶舱</h1>"
    assert client.post("/_dash-update-component", json={}).get_json() == {"user": "wang", "role": "duty"}


def test_dash_requests_without_a_session_get_401_json(client):
    response = client.post("/_dash-update-component", json={"output": "kpi.children"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "signin_required", "login": "/login"}
    assert client.get("/_dash-layout").status_code == 401
    script = client.get("/auth/session-expiry.js")  # the script that turns a 401 into a redirect
    assert script.status_code == 200 and script.mimetype == "application/javascript"


def test_sign_in_form_needs_its_csrf_token(client):
    _csrf(client)  # the session now holds a token, but the form below does not send it
    for token in ("", "forged-token"):
        response = client.post("/login", data={"username": "wang", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 400
        assert "登录页面已过期" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert "signin" not in _events()


def test_wrong_password_disabled_account_and_missing_fields_say_what_happened(client):
    response = sign_in(client, password="wrong-password")
    assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    response = sign_in(client, password="")
    assert response.status_code == 400 and "请输入用户名和密码" in response.get_data(as_text=True)
    set_disabled("wang", True)
    response = sign_in(client)
    assert response.status_code == 403 and "该账号已停用" in response.get_data(as_text=True)
    assert _events() == ["signin_failed", "signin_failed"]


def test_next_never_leads_to_another_site(client):
    outside = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
               "http:/evil.example", "/\r\nLocation: https://evil.example", "/login", "/logout"]
    assert sign_in(client, next_path=outside[0]).headers["Location"] == "/"
    for target in outside[1:]:
        response = client.get("/login", query_string={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/", target


def test_repeated_failures_lock_the_name_with_a_clear_message(client):
    for _ in range(5):
        assert sign_in(client, password="wrong-password").status_code == 401
    response = sign_in(client)  # now even the right password is refused
    assert response.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in response.get_data(as_text=True)
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    assert _events()[-1] == "signin_locked"


def test_client_address_comes_from_the_proxy_only_when_configured(make_client):
    forwarded = {"HTTP_X_FORWARDED_FOR": "10.20.30.40"}
    client = make_client()
    create_user("wang", PASSWORD, "duty")
    sign_in(client, **forwarded)
    client = make_client(proxy_hops=1)
    sign_in(client, **forwarded)
    assert [entry.ip for entry in reversed(recent_audit(10))] == ["127.0.0.1", "10.20.30.40"]


# -- sessions -----------------------------------------------------------------------------------
def test_session_cookie_is_http_only_and_same_site(make_client):
    cookie = make_client().get("/login").headers["Set-Cookie"]
    assert "cockpit_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Secure" in make_client(production=True).get("/login").headers["Set-Cookie"]


def test_session_ends_after_the_idle_time(client):
    sign_in(client)
    with client.session_transaction() as session:
        session["seen"] -= 29 * 60  # still within the 30 minutes
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] -= 31 * 60
    response = client.get("/traffic")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert "长时间未操作，已自动退出" in client.get("/login").get_data(as_text=True)
    assert client.post("/_dash-update-component", json={}).status_code == 401
    assert recent_audit(1)[0].event == "signout" and recent_audit(1)[0].detail == {"reason": "inactivity"}


def test_disabling_a_user_or_changing_the_password_ends_their_sessions(client):
    sign_in(client)
    set_disabled("wang", True)
    assert client.get("/").status_code == 302
    set_disabled("wang", False)
    sign_in(client)
    assert client.get("/").status_code == 200
    set_password("wang", "Qiyun-Shan-88")
    assert client.get("/").status_code == 302


def test_sign_out_asks_then_needs_a_post_with_the_token(client):
    sign_in(client)
    page = client.get("/logout").get_data(as_text=True)
    assert "确定要退出 王值班 的登录吗" in page and 'method="post"' in page
    assert client.post("/logout", data={}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    response = client.post("/logout", data={"csrf_token": _csrf(client, "/logout")})
    assert response.status_code == 302 and response.headers["Location"] == "/login?lang=zh"
    assert "您已安全退出" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert _events() == ["signin", "signout"]


# -- SSO header ---------------------------------------------------------------------------------
def test_trusted_header_signs_in_only_when_configured(make_client):
    header = {"X-Remote-User": "wang"}
    client = make_client()
    create_user("wang", PASSWORD, "duty")
    assert client.get("/", headers=header).status_code == 302  # not configured: ignored

    client = make_client(trusted_user_header="X-Remote-User")
    assert client.get("/", headers=header).status_code == 200
    assert client.post("/_dash-update-component", json={}, headers=header).get_json()["user"] == "wang"
    assert [(e.event, e.detail) for e in recent_audit(10)] == [("signin", {"via": "sso"})]  # once

    response = client.get("/", headers={"X-Remote-User": "stranger"})
    assert response.status_code == 403 and "stranger" in response.get_data(as_text=True)
    set_disabled("wang", True)
    assert client.get("/", headers=header).status_code == 403


def test_without_auth_everyone_is_the_demo_admin_but_never_in_production(make_client):
    client = make_client(auth_required=False)
    assert client.get("/").status_code == 200
    assert client.post("/_dash-update-component", json={}).get_json() == {"user": "demo", "role": "admin"}
    with pytest.raises(RuntimeError, match="demo"):
        make_client(auth_required=False, production=True)


# -- the sign-in page and hardening --------------------------------------------------------------
def test_sign_in_page_is_self_contained_bilingual_and_explains_the_first_setup(make_client):
    client = make_client()
    page = client.get("/login").get_data(as_text=True)
    assert "用户名" in page and "密码" in page and 'lang="zh-CN"' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "python -m core.users_cli create admin --role admin" in page  # no user exists yet
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert "User name" in english and "Password" in english and "中文" in english
    create_user("wang", PASSWORD, "duty")
    assert "users_cli" not in client.get("/login").get_data(as_text=True)


def test_responses_carry_security_headers(client):
    sign_in(client)
    for response in (client.get("/"), client.get("/login?lang=en")):
        headers = response.headers
        policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == f"'self' {SCRIPT_HASH}"  # no inline scripts but Dash's own
        assert "unsafe-eval" not in headers["Content-Security-Policy"]
        assert policy["frame-ancestors"] == "'self'" and policy["object-src"] == "'none'"
        assert policy["img-src"] == "'self' data: blob:"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        assert headers["Cache-Control"] == "no-store"
    assert client.post("/_dash-update-component", json={}).headers["Cache-Control"] == "no-store"


def test_an_intranet_tile_server_is_allowed_for_images(make_client):
    client = make_client(tile_url="http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: http://10.1.2.3:8080;" in client.get("/login").headers[
        "Content-Security-Policy"]


def test_request_log_leaves_out_query_strings(client, caplog):
    with caplog.at_level(logging.INFO, logger="cockpit.access"):
        client.get("/login?next=/incidents&phone=13812345678")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "cockpit.access"]
    assert re.fullmatch(r"GET /login 200 \d+ms -", line)


def test_healthz_reports_database_and_cache(make_client):
    assert make_client().get("/healthz").get_json() == {"db": "ok", "cache": "skipped"}
    response = make_client(cache_check=lambda: True).get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"db": "ok", "cache": "ok"}

    def cache_down():
        raise ConnectionError("redis://127.0.0.1:6379 refused")

    response = make_client(cache_check=cache_down).get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"db": "ok", "cache": "error"}

    client = make_client(cache_check=lambda: True)
    override_settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/nothing")  # nothing listens
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"db": "error", "cache": "ok"}


def test_oversized_bodies_get_413_before_anything_reads_them(client):
    """A forged 50 MB callback is refused on its Content-Length, signed in or not; a body sent
    chunked (no length) as soon as it passes the limit; the pages' own callbacks (≤ 5 KB) go through."""
    callback = panel_request("graph", [f"overview.panel{i}" for i in range(40)], "?region=341000&range=30d")
    forged = json.dumps({**callback, "padding": "x" * (50 * 1024 * 1024)}).encode()
    for signed_in in (False, True):
        if signed_in:
            sign_in(client)
        response = client.post("/_dash-update-component", data=forged, content_type="application/json")
        assert response.status_code == 413
        assert response.get_json() == {"error": "body_too_large", "limit_bytes": 1024 * 1024}
        assert response.headers["X-Content-Type-Options"] == "nosniff"  # still a hardened response
    response = client.post("/_dash-update-component", json=callback)
    assert response.status_code == 200 and response.get_json() == {"user": "wang", "role": "duty"}
    for body, status in ((forged, 413), (json.dumps(callback).encode(), 200)):
        chunked = client.post("/_dash-update-component", input_stream=io.BytesIO(body),
                              content_type="application/json", headers={"Transfer-Encoding": "chunked"},
                              environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True})
        assert chunked.status_code == status


def test_the_body_limit_is_a_setting(make_client):
    client = make_client(max_body_bytes=8000)
    create_user("wang", PASSWORD, "duty", "341003", display_name="王值班")
    sign_in(client)
    padded = b"{}" + b" " * (8000 - 2)  # valid JSON of exactly the limit
    response = client.post("/_dash-update-component", data=padded, content_type="application/json")
    assert response.status_code == 200
    assert client.post("/_dash-update-component", data=padded + b" ",
                       content_type="application/json").status_code == 413
    for body, status in ((padded, 200), (padded + b" ", 413)):  # the same, chunked
        chunked = client.post("/_dash-update-component", input_stream=io.BytesIO(body),
                              content_type="application/json", headers={"Transfer-Encoding": "chunked"},
                              environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True})
        assert chunked.status_code == status
