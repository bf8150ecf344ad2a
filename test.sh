#!/usr/bin/env bash
# Runs the whole test suite. Tests that need PostgreSQL, Redis or Chromium are skipped with the
# reason printed at the end when those are missing — except under CI=true, where they fail.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m pytest -rs "$@"
