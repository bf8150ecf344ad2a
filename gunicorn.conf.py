"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py app:server` (see serve.sh).

Workers keep no state of their own (the cache is Redis, jobs are Celery, sessions are signed
cookies), so more machines can run the same command behind a load balancer.
"""
import os

bind = os.environ.get("COCKPIT_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}")
workers = int(os.environ.get("COCKPIT_WORKERS", "2"))
threads = int(os.environ.get("COCKPIT_THREADS", "4"))  # a slow request does not hold the quick ones
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
keepalive = 5
max_requests = 5000  # recycle workers now and then: no slow growth over months
max_requests_jitter = 500
preload_app = True  # validate the catalogue, regions and database once, before forking
# No query strings in the access log: they may hold filters on personal data.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"


def post_fork(server, worker):
    """Connections must not be shared across processes: each worker opens its own."""
    from data.db import dispose_engines

    dispose_engines()
