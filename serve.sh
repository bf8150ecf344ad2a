#!/usr/bin/env bash
# The production stack in one command: gunicorn web workers and a Celery worker, on PostgreSQL and
# Redis. Configure with environment variables (README); defaults suit one machine:
#   DATABASE_URL=postgresql+psycopg://cockpit@127.0.0.1:5432/cockpit COCKPIT_REDIS_URL=redis://127.0.0.1:6379/0 ./serve.sh
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
export COCKPIT_PRODUCTION="${COCKPIT_PRODUCTION:-1}"
export COCKPIT_JOBS="${COCKPIT_JOBS:-celery}"
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database}"
: "${COCKPIT_REDIS_URL:?set COCKPIT_REDIS_URL to the shared Redis cache}"
export COCKPIT_CELERY_BROKER="${COCKPIT_CELERY_BROKER:-${COCKPIT_REDIS_URL%/*}/1}"
# Prepare the database (schema, demo data if empty) once, before the workers start.
.venv/bin/python -c "import os; os.environ['COCKPIT_NO_APP']='1'; import app; app.prepare_data()"
.venv/bin/celery -A app:celery_app worker --concurrency "${COCKPIT_JOB_WORKERS:-2}" --loglevel INFO &
celery_pid=$!
trap 'kill $celery_pid 2>/dev/null || true' EXIT
.venv/bin/gunicorn -c gunicorn.conf.py app:server
