#!/usr/bin/env bash
# Back up the portal's database (and optionally the private files) to BACKUP_DIR.
#
#   scripts/backup.sh                       # DATABASE_URL from the environment / .env
#   BACKUP_DIR=/srv/backups scripts/backup.sh
#   scripts/backup.sh -o /tmp/portal.dump   # explicit output file
#
# PostgreSQL: `pg_dump --format=custom` (one consistent snapshot, even under load: a
# dump is a single REPEATABLE READ transaction, so every ledger transaction is either
# wholly in it or not at all). SQLite: the online backup API (`sqlite3 .backup`), safe
# while the site and the task worker are writing. Private files (uploads, generated
# PDFs) are archived with tar when BACKUP_FILES=1. Prints the path of the dump.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ -z "${DATABASE_URL:-}" ] && [ -f .env ]; then
  DATABASE_URL="$(grep -E '^DATABASE_URL=' .env | tail -1 | cut -d= -f2- || true)"
fi
DATABASE_URL="${DATABASE_URL:-sqlite:///var/db.sqlite3}"
BACKUP_DIR="${BACKUP_DIR:-var/backups}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
[ -n "$OUT" ] || mkdir -p "$BACKUP_DIR"
umask 077

case "$DATABASE_URL" in
  postgres://*|postgresql://*|pgsql://*)
    OUT="${OUT:-$BACKUP_DIR/portal-$STAMP.dump}"
    URL="${DATABASE_URL/#pgsql:/postgresql:}"
    pg_dump --format=custom --no-owner --no-privileges --file="$OUT.partial" "$URL"
    ;;
  sqlite://*)
    DB="${DATABASE_URL#sqlite://}"
    DB="${DB#/}"; case "$DATABASE_URL" in sqlite:////*) DB="/${DB#/}" ;; esac
    [ -f "$DB" ] || { echo "no SQLite database at $DB" >&2; exit 1; }
    OUT="${OUT:-$BACKUP_DIR/portal-$STAMP.sqlite3}"
    sqlite3 "$DB" ".backup '$OUT.partial'"
    ;;
  *) echo "unsupported DATABASE_URL scheme: ${DATABASE_URL%%:*}" >&2; exit 2 ;;
esac
mv "$OUT.partial" "$OUT"

if [ "${BACKUP_FILES:-0}" = "1" ]; then
  PRIVATE="${PRIVATE_MEDIA_ROOT:-var/private}"
  MEDIA="${MEDIA_ROOT:-var/media}"
  tar -czf "${OUT%.*}-files.tar.gz" --ignore-failed-read "$PRIVATE" "$MEDIA" 2>/dev/null || true
fi
# Keep the newest KEEP backups in BACKUP_DIR (default 14); explicit -o files are not pruned.
if [ "$(dirname "$OUT")" = "$BACKUP_DIR" ]; then
  { ls -1t "$BACKUP_DIR"/portal-*.dump "$BACKUP_DIR"/portal-*.sqlite3 2>/dev/null || true; } \
    | tail -n +"$(( ${KEEP:-14} + 1 ))" | xargs -r rm -f
fi
echo "$OUT"
