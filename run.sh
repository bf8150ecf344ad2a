#!/usr/bin/env bash
# Runs the cockpit on its embedded defaults: SQLite under var/, demo data for 黄山市 generated on
# first run, a local cache. Serves on HOST:PORT (default 127.0.0.1:8050).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python app.py "$@"
