#!/usr/bin/env bash
# Serve the site and its django-tasks worker together; Ctrl-C stops both.
set -euo pipefail
PY=.venv/bin/python
ADDR="${ADDR:-127.0.0.1:8000}"
$PY manage.py db_worker --queue-name '*' --interval 1 --no-reload &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
echo "Task worker started (pid $WORKER). Site: http://$ADDR/  Admin: http://$ADDR/admin/"
$PY manage.py runserver "$ADDR" --noreload
