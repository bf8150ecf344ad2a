"""Every setting the app reads, from environment variables, with embedded defaults.

One place so that a deployment is described by its environment alone (12-factor): the same
code runs the demo on a laptop (SQLite file, local cache) and a province on many machines
(PostgreSQL, Redis, Celery).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if not raw:
        return default
    return raw.lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    # The region the deployment serves: a prefecture city (341000) or a province (340000).
    region_adcode: str = "341000"
    database_url: str = ""
    var_dir: Path = PROJECT_ROOT / "var"
    # Empty: a file-system cache under var/ (shared by all worker processes of one machine).
    cache_redis_url: str = ""
    # Entries are keyed by the data version, so new data are never hidden by them; the lifetime
    # only bounds the cache's size.
    cache_timeout: int = 3600
    # Background jobs: "diskcache" (embedded) or "celery" (uses celery_broker_url).
    jobs_backend: str = "diskcache"
    celery_broker_url: str = "redis://127.0.0.1:6379/1"
    # Demo data generated on first run when the database is empty.
    demo_generate: bool = True
    demo_scale: float = 1.0
    demo_seed: int = 20211
    demo_years: int = 3
    demo_end: date | None = None
    live_mode: bool = False
    refresh_seconds: int = 30
    stale_after_minutes: int = 90
    secret_key: str = ""
    auth_required: bool = True
    trusted_user_header: str = ""
    # Reverse proxies in front of the app (nginx, the SSO proxy): their X-Forwarded-For gives the
    # client address that sign-in limits and the audit log use.
    proxy_hops: int = 0
    session_minutes: int = 480
    # The largest request body accepted (413 above it, before it is read). Dash callback bodies
    # carry component state: the largest the pages send is about 4.5 KB (measured); data
    # uploads go through the CLI loader, never the web.
    max_body_bytes: int = 1024 * 1024
    # How often a process checks for new data to warm the cache for (callbacks/prewarm.py); 0: never.
    prewarm_seconds: int = 60
    # Whether the warming also computes the views one click away from the first ones: each
    # cross-filter a chart, ranking or small map of those views offers (callbacks/prewarm.py).
    prewarm_clicks: bool = True
    production: bool = False
    carousel: tuple[str, ...] = ("/", "/tourism", "/environment", "/traffic", "/safety", "/eldercare")
    carousel_seconds: int = 30
    tile_url: str = ""
    language: str = "zh"
    extra: dict = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'cockpit.db'}"


def load_settings() -> Settings:
    var_dir = Path(_env("COCKPIT_VAR_DIR", str(PROJECT_ROOT / "var")))
    end = _env("COCKPIT_DEMO_END")
    secret = _env("COCKPIT_SECRET_KEY") or _persistent_secret(var_dir)
    carousel = tuple(p for p in _env("COCKPIT_CAROUSEL").split(",") if p) or Settings.carousel
    return Settings(
        region_adcode=_env("COCKPIT_REGION", "341000"),
        database_url=_env("DATABASE_URL"),
        var_dir=var_dir,
        cache_redis_url=_env("COCKPIT_REDIS_URL"),
        cache_timeout=int(_env("COCKPIT_CACHE_TIMEOUT", "3600")),
        jobs_backend=_env("COCKPIT_JOBS", "diskcache"),
        celery_broker_url=_env("COCKPIT_CELERY_BROKER", "redis://127.0.0.1:6379/1"),
        demo_generate=_env_bool("COCKPIT_DEMO", True),
        demo_scale=float(_env("COCKPIT_DEMO_SCALE", "1")),
        demo_seed=int(_env("COCKPIT_DEMO_SEED", "20211")),
        demo_years=int(_env("COCKPIT_DEMO_YEARS", "3")),
        demo_end=date.fromisoformat(end) if end else None,
        live_mode=_env_bool("COCKPIT_LIVE", False),
        refresh_seconds=int(_env("COCKPIT_REFRESH_SECONDS", "30")),
        stale_after_minutes=int(_env("COCKPIT_STALE_MINUTES", "90")),
        secret_key=secret,
        auth_required=_env_bool("COCKPIT_AUTH", True),
        trusted_user_header=_env("COCKPIT_TRUSTED_USER_HEADER"),
        proxy_hops=int(_env("COCKPIT_PROXY_HOPS", "0")),
        session_minutes=int(_env("COCKPIT_SESSION_MINUTES", "480")),
        max_body_bytes=int(_env("COCKPIT_MAX_BODY_BYTES", str(1024 * 1024))),
        prewarm_seconds=int(_env("COCKPIT_PREWARM_SECONDS", "60")),
        prewarm_clicks=_env_bool("COCKPIT_PREWARM_CLICKS", True),
        production=_env_bool("COCKPIT_PRODUCTION", False),
        carousel=carousel,
        carousel_seconds=int(_env("COCKPIT_CAROUSEL_SECONDS", "30")),
        tile_url=_env("COCKPIT_TILE_URL"),
        language=_env("COCKPIT_LANGUAGE", "zh"),
    )


def _persistent_secret(var_dir: Path) -> str:
    """A random secret kept in var/ so that sessions survive restarts and all local workers agree."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic: the first worker wins, the others read its key
        except FileExistsError:
            pass
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def override_settings(**changes) -> Settings:
    """Replace settings (tests, CLI flags). Returns the new settings."""
    global _settings
    from dataclasses import replace

    _settings = replace(get_settings(), **changes)
    return _settings
