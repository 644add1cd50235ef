#!/usr/bin/env bash
# Serve the site, its django-tasks worker and (unless PAYMENT_SANDBOX=0) the local
# payment sandbox together; Ctrl-C stops them all.
set -euo pipefail
PY=.venv/bin/python
ADDR="${ADDR:-127.0.0.1:8000}"
export SITE_URL="${SITE_URL:-http://$ADDR}"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT INT TERM
if [ "${PAYMENT_SANDBOX:-1}" = "1" ]; then
  # WeChat Pay and Alipay on this machine (scripts/payment_sandbox.py, docs/funding.md):
  # the portal's provider settings are read from the file it writes.
  rm -f var/sandbox/env
  $PY scripts/payment_sandbox.py &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -f var/sandbox/env ] && break; sleep 0.2; done
  set -a; . var/sandbox/env; set +a
fi
$PY manage.py db_worker --queue-name '*' --interval 1 --no-reload &
PIDS+=($!)
echo "Task worker started. Site: $SITE_URL/  Admin: $SITE_URL/admin/"
$PY manage.py runserver "$ADDR" --noreload
