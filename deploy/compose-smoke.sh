#!/usr/bin/env bash
# Brings docker-compose.yml up for real and checks what an operator relies on (called by .ci/run):
#
#   bash deploy/compose-smoke.sh      (as root, or a user of the Docker engine; needs node_modules)
#
#   1. images: Tandem's own image is built from the Dockerfile by deploy/verify-image.sh (which also
#      smoke-tests it) and kept as tandem-ci:<hash>, <hash> the first 12 hex digits of the SHA-256 of
#      what the Dockerfile copies, so an unchanged tree is not built again; redis:7-alpine and
#      pgvector/pgvector:pg17 are used when present or pullable, else the stand-ins of
#      deploy/build-stand-in-image.sh. A generated override file only names these images; everything
#      else is docker-compose.yml as users run it.
#   2. up: `compose up -d --no-build` under a project name of its own, with a fresh data directory
#      (TANDEM_HOST_DATA_DIR), a loopback port (TANDEM_PORT), a random POSTGRES_PASSWORD and a GitHub App
#      of its own (a throwaway key; GitHub itself is never reached: start learns the App's bot login from
#      the stand-in of deploy/stand-ins/forge-api, as a GitHub Enterprise host over http, GHE_PROTOCOL);
#      GET /healthz must answer 200.
#   3. one webhook: the `installation` `created` payload of @octokit/webhooks-examples, signed with the
#      compose file's WEBHOOK_SECRET: a badly signed copy gets 401, the signed one 200 "accepted"; the
#      worker container must then process its job: the repository row it writes (only the router writes
#      it), the outbox row relayed, and BullMQ's job finished without error in Redis.
#   4. `compose down` (volumes kept), `compose up` again: healthy, the delivery and the repository still
#      recorded, and the same delivery sent again is answered "duplicate".
#   5. clean-up, always: `compose down -v`, the data directory, the worker's sandbox containers.
# Prints the seconds of each step and exits 1 on the first failed check, with the services' logs.
# A concurrent run waits on a lock (the worker's host name is fixed by the compose file).
#
# Environment (optional): TANDEM_SMOKE_HEALTH_TIMEOUT seconds to wait for /healthz (default 240).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
start=$SECONDS
health_timeout="${TANDEM_SMOKE_HEALTH_TIMEOUT:-240}"
say() { printf '[compose-smoke] %s (%ss)\n' "$*" "$((SECONDS - start))"; }
die() {
  printf '[compose-smoke] FAILED: %s (%ss)\n' "$*" "$((SECONDS - start))" >&2
  if [ "${up:-0}" = 1 ]; then
    compose ps >&2 || true
    compose logs --no-color --tail 40 >&2 || true
  fi
  exit 1
}
# shellcheck source=deploy/lib/debian-root.sh
. "$here/lib/debian-root.sh"

for tool in docker curl openssl node flock; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
docker info >/dev/null 2>&1 || die 'the Docker engine is not reachable'
if docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose_cmd=(docker-compose)
else
  die 'neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)'
fi
docker image inspect tandem-sandbox:latest >/dev/null 2>&1 ||
  die 'the sandbox image tandem-sandbox:latest is missing (the worker warms a sandbox): run sandbox/build-image.sh'

exec 8>"${TMPDIR:-/tmp}/tandem-compose-smoke.lock"
flock 8

# --- 1. images ---------------------------------------------------------------------------------------

# Prints the image to use for a public one: itself when present or pullable, else its stand-in.
public_or_stand_in() {
  local public="$1" stand_in="$2"
  if docker image inspect "$public" >/dev/null 2>&1 || docker pull --quiet "$public" >/dev/null 2>&1; then
    printf '%s\n' "$public"
  else
    bash "$here/build-stand-in-image.sh" "$stand_in"
  fi
}

# The content hash of what the Dockerfile copies into Tandem's image (and of the Dockerfile itself).
image_inputs_hash() {
  (
    cd "$repo"
    find Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json \
      app.yml src worker migrations -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-12
}

redis_image="$(public_or_stand_in redis:7-alpine redis)"
postgres_image="$(public_or_stand_in pgvector/pgvector:pg17 postgres)"
tandem_image="tandem-ci:$(image_inputs_hash)"
if docker image inspect "$tandem_image" >/dev/null 2>&1; then
  say "Tandem's image $tandem_image is up to date"
else
  say "building Tandem's image as $tandem_image (deploy/verify-image.sh --keep)"
  bash "$here/verify-image.sh" --keep --tag "$tandem_image" >&2 || die 'deploy/verify-image.sh failed'
  prune_older_tags tandem-ci "$tandem_image" "$tandem_image-build"
fi
say "images: redis $redis_image, postgres $postgres_image, server and worker $tandem_image"

# --- 2. up -------------------------------------------------------------------------------------------

dir="$(mktemp -d "${TMPDIR:-/tmp}/tandem-compose.XXXXXX")"
project="tandem-smoke-$$"
up=0
cleanup() {
  set +e
  if [ "$up" != none ]; then
    compose down -v --remove-orphans --timeout 30 >/dev/null 2>&1
  fi
  # Sandboxes of this worker (host name tandem-worker, this data directory) if it did not stop cleanly.
  local worker_id
  worker_id="tandem-worker-$(printf '%s' "$dir/data" | sha256sum | cut -c1-10)"
  docker ps -aq --filter label=dev.tandem.sandbox=1 --filter "label=dev.tandem.worker=$worker_id" |
    xargs -r docker rm -f >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT

compose() {
  "${compose_cmd[@]}" --project-name "$project" --env-file "$dir/empty.env" \
    --file "$repo/docker-compose.yml" --file "$dir/images.yml" "$@"
}

: >"$dir/empty.env"
cat >"$dir/images.yml" <<YAML
# Generated by deploy/compose-smoke.sh: the images available on this machine, nothing else.
services:
  redis: { image: '$redis_image' }
  postgres: { image: '$postgres_image' }
  server: { image: '$tandem_image' }
  worker: { image: '$tandem_image' }
  # No GitHub here: start learns the App's bot login from this stand-in of its API (GET /app).
  forge-api:
    image: '$tandem_image'
    entrypoint: [node, /stand-in/forge-api.mjs, '3001']
    volumes: ['$here/stand-ins/forge-api/forge-api.mjs:/stand-in/forge-api.mjs:ro']
YAML
mkdir -p "$dir/data"
port="$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
url="http://127.0.0.1:$port"
export TANDEM_HOST_DATA_DIR="$dir/data" TANDEM_PORT="127.0.0.1:$port" LOG_LEVEL=info
POSTGRES_PASSWORD="$(openssl rand -hex 16)"
WEBHOOK_SECRET="$(openssl rand -hex 16)"
PRIVATE_KEY="$(openssl genrsa 2048 2>/dev/null | base64 -w0)"
export POSTGRES_PASSWORD WEBHOOK_SECRET PRIVATE_KEY APP_ID=424242 GHE_HOST=forge-api:3001 GHE_PROTOCOL=http
say "compose: $("${compose_cmd[@]}" version --short 2>/dev/null || echo '?') (${compose_cmd[*]}), project $project"

# Waits until GET /healthz answers 200.
wait_healthy() {
  local t0=$SECONDS status
  while :; do
    status="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$url/healthz" 2>/dev/null || true)"
    [ "$status" = 200 ] && break
    [ $((SECONDS - t0)) -lt "$health_timeout" ] || die "/healthz did not answer 200 within $health_timeout s (last: $status)"
    sleep 1
  done
}

t0=$SECONDS
up=1
compose up -d --no-build >"$dir/up.log" 2>&1 || { cat "$dir/up.log" >&2; die 'compose up failed'; }
wait_healthy
say "compose up: GET /healthz 200 after $((SECONDS - t0)) s"

# --- 3. one webhook, processed by the worker container ---------------------------------------------------

psql() { compose exec -T postgres psql -U tandem -d tandem -tAq -c "$1"; }
redis() { compose exec -T redis redis-cli "$@"; }

(cd "$repo" && node -e '
  const hooks = require("@octokit/webhooks-examples");
  const example = hooks.find((w) => w.name === "installation").examples.find((e) => e.action === "created");
  process.stdout.write(JSON.stringify(example));') >"$dir/payload.json"
installation_id="$(node -e 'process.stdout.write(String(require(process.argv[1]).installation.id))' "$dir/payload.json")"
repository="$(node -e 'process.stdout.write(require(process.argv[1]).repositories[0].full_name)' "$dir/payload.json")"
delivery="$(cat /proc/sys/kernel/random/uuid)"
signature="sha256=$(openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -r <"$dir/payload.json" | cut -d' ' -f1)"
deliver() {
  curl -sS -o "$dir/answer.json" -w '%{http_code}' -X POST "$url/api/github/webhooks" \
    -H 'content-type: application/json' -H 'x-github-event: installation' \
    -H "x-github-delivery: $delivery" -H "x-hub-signature-256: $1" --data-binary @"$dir/payload.json"
}

status="$(deliver sha256=0000)"
[ "$status" = 401 ] || die "a badly signed delivery got $status, not 401"
t0=$SECONDS
status="$(deliver "$signature")"
[ "$status" = 200 ] && grep -q '"accepted"' "$dir/answer.json" ||
  die "the signed installation delivery got $status $(cat "$dir/answer.json"), not 200 accepted"
say "webhook: bad signature 401; signed installation.created ($repository) 200 accepted, delivery $delivery"

job="github-$delivery"
row=''
while [ -z "$row" ]; do
  row="$(psql "select id from repositories where forge = 'github' and owner || '/' || name = '$repository' and installation_id = $installation_id" || true)"
  [ -n "$row" ] || [ $((SECONDS - t0)) -lt 90 ] || die "no repository row for $repository 90 s after the delivery"
  [ -n "$row" ] || sleep 1
done
relayed="$(psql "select count(*) from outbox where delivery_id = '$job' and relayed_at is not null")"
[ "$relayed" = 1 ] || die "the outbox row of $job is not marked relayed ($relayed)"
finished="$(redis hget "bull:events:$job" finishedOn | tr -d '\r')"
failed="$(redis hget "bull:events:$job" failedReason | tr -d '\r')"
[ -n "$finished" ] && [ -z "$failed" ] || die "BullMQ job $job: finishedOn '$finished', failedReason '$failed'"
# Logs to files first: `grep -q` stops reading at the first match, and under pipefail the writer's
# SIGPIPE would fail the pipeline.
compose logs --no-color worker >"$dir/worker.log" 2>&1
compose logs --no-color server >"$dir/server.log" 2>&1
grep -q '"msg":"workers started"' "$dir/worker.log" || die 'the worker log has no "workers started"'
if grep -q '"msg":"workers started"' "$dir/server.log"; then
  die 'the server container started job processors too'
fi
say "processed by the worker container in $((SECONDS - t0)) s: repositories row $row ($repository, installation $installation_id) written by the router, outbox relayed, BullMQ job $job finished (finishedOn $finished); the server runs no processors"

# --- 4. down and up again: nothing lost ------------------------------------------------------------

t0=$SECONDS
compose down --timeout 60 >"$dir/down.log" 2>&1 || { cat "$dir/down.log" >&2; die 'compose down failed'; }
up=0
docker volume inspect "${project}_postgres" "${project}_redis" >/dev/null 2>&1 ||
  die 'compose down removed the data volumes'
say "compose down in $((SECONDS - t0)) s; volumes ${project}_postgres and ${project}_redis kept"
t0=$SECONDS
up=1
compose up -d --no-build >"$dir/up.log" 2>&1 || { cat "$dir/up.log" >&2; die 'compose up (second) failed'; }
wait_healthy
say "compose up again: GET /healthz 200 after $((SECONDS - t0)) s"
kept="$(psql "select count(*) from webhook_deliveries where id = '$job'"):$(psql "select count(*) from repositories where id = $row")"
[ "$kept" = 1:1 ] || die "after down and up: delivery and repository rows $kept, not 1:1"
status="$(deliver "$signature")"
[ "$status" = 200 ] && grep -q '"duplicate"' "$dir/answer.json" ||
  die "the same delivery sent again got $status $(cat "$dir/answer.json"), not 200 duplicate"
say 'after down and up: the delivery and its repository are still recorded; the same delivery again is a duplicate'

# --- 5. clean-up (trap) ------------------------------------------------------------------------------
t0=$SECONDS
compose down -v --remove-orphans --timeout 60 >/dev/null 2>&1 || die 'compose down -v failed'
up=none
say "compose down -v in $((SECONDS - t0)) s; all checks passed"
