#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the database DATABASE_URL names.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_restored scripts/restore.sh FILE.dump
#   DATABASE_URL=sqlite:///var/restored.sqlite3 scripts/restore.sh FILE.sqlite3
#
# PostgreSQL: the target database must exist and be EMPTY (create it with `createdb`);
# the restore runs as one transaction (`pg_restore --single-transaction --exit-on-error`),
# so it is all or nothing. SQLite: the target file must not exist (the copy is written
# with the backup API, then checked with `PRAGMA integrity_check`).
# Afterwards: `manage.py migrate` (a no-op for a backup of the same release) and
# `manage.py reconcile`, which must print no discrepancy.
set -euo pipefail
cd "$(dirname "$0")/.."
FILE="${1:?usage: scripts/restore.sh BACKUP_FILE}"
[ -f "$FILE" ] || { echo "no such file: $FILE" >&2; exit 1; }
: "${DATABASE_URL:?set DATABASE_URL to the target database}"

case "$DATABASE_URL" in
  postgres://*|postgresql://*|pgsql://*)
    URL="${DATABASE_URL/#pgsql:/postgresql:}"
    TABLES="$(psql "$URL" -tAc "SELECT count(*) FROM pg_tables WHERE schemaname='public'")"
    if [ "$TABLES" != "0" ]; then
      echo "refusing to restore into a database that has $TABLES tables; use an empty one" >&2
      exit 1
    fi
    pg_restore --no-owner --no-privileges --single-transaction --exit-on-error \
      --dbname="$URL" "$FILE"
    ;;
  sqlite://*)
    DB="${DATABASE_URL#sqlite://}"
    DB="${DB#/}"; case "$DATABASE_URL" in sqlite:////*) DB="/${DB#/}" ;; esac
    [ -e "$DB" ] && { echo "refusing to overwrite $DB" >&2; exit 1; }
    mkdir -p "$(dirname "$DB")"
    sqlite3 "$FILE" ".backup '$DB'"
    [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = "ok" ] \
      || { echo "integrity check failed for $DB" >&2; exit 1; }
    ;;
  *) echo "unsupported DATABASE_URL scheme: ${DATABASE_URL%%:*}" >&2; exit 2 ;;
esac
echo "restored $FILE into ${DATABASE_URL%%\?*}"
