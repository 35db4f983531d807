#!/usr/bin/env bash
# Entry point of Tandem's stand-in for the official postgres image (pgvector/pgvector builds on it), driven
# by the same environment:
#   POSTGRES_PASSWORD          superuser password; required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER              superuser name, default postgres
#   POSTGRES_DB                database created on the first start, default: the user's name
#   POSTGRES_HOST_AUTH_METHOD  authentication of TCP clients, default scram-sha-256
#   POSTGRES_INITDB_ARGS       extra initdb arguments
#   PGDATA                     data directory, default /var/lib/postgresql/data
# A first start initialises PGDATA (UTF-8, locale C.UTF-8) and creates the database; every start then runs
# `postgres` listening on all addresses, as user postgres. Arguments starting with `-` are passed to
# postgres (`docker run IMAGE -c fsync=off`). Not supported, unlike the official image: the *_FILE
# variables and /docker-entrypoint-initdb.d.
set -euo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  # A fresh named volume or tmpfs may belong to root.
  mkdir -p "$PGDATA" /var/run/postgresql
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chown postgres:postgres /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'error: the database is uninitialized and no superuser password is set: set POSTGRES_PASSWORD' \
      '(or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one)' >&2
    exit 1
  fi
  pwfile=()
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    # mktemp: mode 0600, so the password never sits in a file other users can read.
    pwfile=(--pwfile="$(mktemp)")
    printf '%s\n' "$POSTGRES_PASSWORD" >"${pwfile[0]#--pwfile=}"
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as in the official image
  initdb --username="$user" "${pwfile[@]}" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  [ ${#pwfile[@]} -eq 0 ] || rm -f "${pwfile[0]#--pwfile=}"
  printf '%s\n' "host all all all $auth" >>"$PGDATA/pg_hba.conf"
  printf '%s\n' "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    # The temporary server listens on a private socket only, so that a health check (pg_isready on the
    # default socket) cannot report ready before the real server runs.
    socket="$(mktemp -d)"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories='$socket'" -w start >/dev/null
    printf 'CREATE DATABASE :"db";\n' |
      psql -v ON_ERROR_STOP=1 -v db="$db" --no-psqlrc --quiet --host="$socket" --username="$user" \
        --dbname=postgres
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    rmdir "$socket"
  fi
  echo "initialised $PGDATA: superuser $user, database $db, TCP authentication $auth"
fi

exec "$@"
