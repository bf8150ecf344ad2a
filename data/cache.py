"""Memoization of the query layer with flask-caching.

Keys are the function, the parts of the view it depends on (region, time range, the filters it
reads) and the data version (data_meta 'version', bumped by every generator tick and load), so
fresh data is never hidden by the cache. The default backend is a file-system cache under var/,
which all worker processes of one machine share; with COCKPIT_REDIS_URL it is Redis, shared by
every machine.
"""
from __future__ import annotations

import contextvars
import functools
import hashlib
import math
import os
import pickle
import struct
import threading
import time
from pathlib import Path

from flask_caching import Cache
from flask_caching.backends.filesystemcache import FileSystemCache
from sqlalchemy import select

from core.settings import get_settings

cache = Cache()
_configured = False
_version_lock = threading.Lock()
_version_cache: dict[str, tuple[float, str]] = {}
VERSION_TTL_SECONDS = 2.0


def cache_config() -> dict:
    settings = get_settings()
    if settings.cache_redis_url:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.cache_redis_url,
                "CACHE_KEY_PREFIX": f"cockpit:{settings.region_adcode}:",
                "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout}
    return {"CACHE_TYPE": "data.cache.PrunedFileSystemCache", "CACHE_DIR": str(settings.var_dir / "cache"),
            "CACHE_THRESHOLD": 20000, "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout}


class PrunedFileSystemCache(FileSystemCache):
    """The file-system cache, pruned in batches. Once over its threshold, cachelib's own removes the
    expired entries and then the oldest until it is just under it again — so from then on every
    write reads every file of the directory, twice (a full cache of 20,000 entries took about a
    second a write; warming the views one click away fills it in a few data versions). This one,
    once over, removes in one pass the expired entries and then those that expire first, down to
    PRUNED_TO of the threshold: a pass per few thousand writes."""

    PRUNED_TO = 0.8

    def _prune(self) -> None:
        if not self._over_threshold():
            return
        now = time.time()
        kept = []
        for name in self._list_dir():
            try:
                with self._safe_stream_open(name, "rb") as stream:
                    expires = struct.unpack("I", stream.read(4))[0]
            except (OSError, EOFError, struct.error):  # another worker removed or is writing it
                continue
            if expires != 0 and expires < now:
                self._remove_file(name)
            else:
                kept.append((expires or math.inf, name))
        target = int(self._threshold * self.PRUNED_TO)
        kept.sort()  # the first to expire: written longest ago (or kept for less long)
        for _, name in kept[:max(0, len(kept) - target)]:
            self._remove_file(name)
        self._update_count(value=min(len(kept), target))

    @staticmethod
    def _remove_file(name: str) -> None:
        try:
            os.remove(name)
        except OSError:
            pass


def init_cache(server) -> Cache:
    global _configured
    cache.init_app(server, config=cache_config())
    _configured = True
    return cache


def data_version(url: str | None = None) -> str:
    """The data version, re-read at most every two seconds per process."""
    from data.models import DataMeta
    from data.queries.common import fetch

    key = url or get_settings().db_url
    now = time.monotonic()
    with _version_lock:
        hit = _version_cache.get(key)
        if hit and now - hit[0] < VERSION_TTL_SECONDS:
            return hit[1]
    rows = fetch(select(DataMeta.value).where(DataMeta.key == "version"), url)  # on a shared connection, if any
    version = (rows[0][0] if rows else None) or "0"
    with _version_lock:
        _version_cache[key] = (now, version)
    return version


def forget_data_version() -> None:
    with _version_lock:
        _version_cache.clear()


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the code and the catalogue: part of every key, so that entries written by an
    older release (a persistent file or Redis cache outlives a deploy) are never read as if they
    had today's shape or meaning."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha1()
    for folder in ("core", "data", "callbacks", "components", "pages"):
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(path.read_bytes())
    digest.update((root / "data" / "catalogue.yaml").read_bytes())
    return digest.hexdigest()[:16]


def cache_key(fn, *args, **kwargs) -> str:
    raw = pickle.dumps((fn.__module__, fn.__qualname__, args, sorted(kwargs.items()), data_version(),
                        get_settings().db_url, code_version()))
    return "q:" + hashlib.sha1(raw).hexdigest()


def is_cached(fn, *args, **kwargs) -> bool:
    """Whether a memoized call's answer is in the cache (`fn` is the function @cached wraps)."""
    return _configured and cache.get(cache_key(fn, *args, **kwargs)) is not None


# Set while the cache is being warmed, to the keys renewed so far: a memoized call computes and
# stores its answer anew (so that warmed entries are renewed before they expire) instead of reading
# it — once per warming: the many views that share an entry (a cross-filter leaves most of a page's
# figures as they were) read it once it has been renewed.
refreshing: contextvars.ContextVar[set | None] = contextvars.ContextVar("cache_refreshing", default=None)


def cached(fn):
    """Memoize a query function of hashable arguments (a ViewState is hashable)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not _configured:
            return fn(*args, **kwargs)
        key = cache_key(fn, *args, **kwargs)
        renewed = refreshing.get()
        try:
            hit = None if renewed is not None and key not in renewed else cache.get(key)
        except Exception:  # a cache outage must not take the dashboard down
            hit = None
        if hit is not None:
            return hit
        result = fn(*args, **kwargs)
        try:
            cache.set(key, result)
        except Exception:
            pass
        if renewed is not None:
            renewed.add(key)
        return result

    wrapper.uncached = fn
    return wrapper
