#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server in Docker for the test suites and prints its superuser URL on
# stdout (progress on stderr). Used by .ci/run; by hand:
#
#   image="$(bash deploy/build-stand-in-image.sh postgres)"
#   export TANDEM_TEST_POSTGRES_URL="$(bash deploy/start-test-postgres.sh my-test-pg "$image")"
#   ...                                    # npx vitest run test/db test/queue
#   docker rm -f my-test-pg                # the data lives in a tmpfs: gone with the container
#
# The container: data directory on a tmpfs, durability off (fsync, synchronous_commit, full_page_writes:
# test data need not survive a crash, and the suites create a database per test), 300 connections,
# published on a random loopback port, a random password. Ready when it accepts a TCP connection (the
# stand-in's entry point never opens TCP before initialisation is over). Fails after 120 s, with the logs.
set -euo pipefail

name="${1:?usage: start-test-postgres.sh CONTAINER-NAME IMAGE}"
image="${2:?usage: start-test-postgres.sh CONTAINER-NAME IMAGE}"
start=$SECONDS
say() { printf '[test-postgres] %s (%ss)\n' "$*" "$((SECONDS - start))" >&2; }
die() {
  printf '[test-postgres] error: %s\n' "$*" >&2
  docker logs --tail 30 "$name" >&2 2>&1 || true
  docker rm -f "$name" >/dev/null 2>&1 || true
  exit 1
}

password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
docker run --detach --name "$name" --label dev.tandem.test-postgres=1 \
  --tmpfs /var/lib/postgresql/data --shm-size 256m --publish 127.0.0.1::5432 \
  --env "POSTGRES_PASSWORD=$password" --env POSTGRES_INITDB_ARGS=--no-sync \
  "$image" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
  >/dev/null
until docker exec "$name" pg_isready --quiet --host 127.0.0.1 --username postgres 2>/dev/null; do
  [ "$(docker inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || die "$name exited"
  [ $((SECONDS - start)) -lt 120 ] || die "$name not ready after 120 s"
  sleep 0.5
done
port="$(docker port "$name" 5432/tcp | head -1 | sed 's/.*://')"
say "$name ($image) ready on 127.0.0.1:$port"
printf 'postgres://postgres:%s@127.0.0.1:%s/postgres\n' "$password" "$port"
