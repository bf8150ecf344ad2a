"""Background jobs (Dash background callbacks): DiskcacheManager by default, Celery with Redis by
setting (COCKPIT_JOBS=celery), so long exports never run inside a web request.

Run Celery workers with:  celery -A app:celery_app worker --concurrency 2
"""
from __future__ import annotations

from core.settings import get_settings

celery_app = None


def background_manager():
    global celery_app
    settings = get_settings()
    if settings.jobs_backend == "celery":
        from celery import Celery
        from dash import CeleryManager

        celery_app = Celery("cockpit", broker=settings.celery_broker_url, backend=settings.celery_broker_url)
        celery_app.conf.update(task_track_started=True, result_expires=3600, worker_max_tasks_per_child=200)
        return CeleryManager(celery_app, expire=3600)
    if settings.jobs_backend != "diskcache":
        raise ValueError(f"COCKPIT_JOBS must be diskcache or celery, not '{settings.jobs_backend}'")
    import diskcache
    from dash import DiskcacheManager

    folder = settings.var_dir / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=3600)
