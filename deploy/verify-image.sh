#!/usr/bin/env bash
# Builds Tandem's own image from the real Dockerfile and smoke-tests it, on a machine that may have no
# Docker registry (an operator/maintainer check, not part of CI: docs/deployment.md, "Verifying the image
# offline").
#
#   bash deploy/verify-image.sh [--keep] [--tag NAME]     (as root, or a user of the Docker engine)
#
# Steps, each printed with the seconds since the start:
#   1. base image: when `node:20-bookworm-slim` is absent (no registry to pull it from), a stand-in is
#      built and tagged with that name: `debootstrap --variant=minbase bookworm` from the machine's apt
#      mirror, made slim as Docker's Debian images are (no docs, man pages, locales; apt's docker-clean),
#      the host's own Node 20 binary, npm and corepack copied into /usr/local as the official image has
#      them, a `node` user (uid 1000), then `docker import`. The stand-in carries the label
#      dev.tandem.stand-in=1; its root filesystem is cached as <cache>/node-base-<hash>.tar (the cache
#      directory of sandbox/build-image.sh), so a rerun after `docker rmi` is only an import. An existing
#      node:20-bookworm-slim, real or stand-in, is never replaced.
#   2. network: a container on the default bridge, then with `--network host`, fetches the npm registry and
#      the Debian mirror. A TLS failure is retried with the host's extra CA certificates (the PEM files in
#      /usr/local/share/ca-certificates, or TANDEM_BUILD_CA_FILE), which the build then gets as the
#      Dockerfile's EXTRA_CA_CERTS build argument (build stage only). The choice and its reason are printed.
#   3. `nice -n 10 docker build` of the Dockerfile (the build stage is tagged <tag>-build, so that it, and
#      only it, can be removed afterwards). The legacy builder is used when buildx is missing.
#   4. smoke test: `tandem --help`; node-llama-cpp's CPU binary loads offline; then `start` with a Gitea
#      configuration that points at a stand-in of Gitea's API (deploy/stand-ins/forge-api: it answers
#      only `GET /api/v1/user`, which start needs to learn the bot's login, on a network of this run), the
#      Docker socket and a fresh data directory mounted at the same path on both sides (as documented);
#      checks tini is PID 1, GET /healthz answers 200 with the gitea forge, a badly signed
#      Gitea delivery gets 401 and a signed unsupported one 202; `docker stop` (SIGTERM) must exit 0
#      within the grace, and the warm sandbox containers of that process must be gone.
#   5. `docker-compose config -q` (or `docker compose config -q`) on docker-compose.yml, when available.
#   6. clean-up: the containers and the data directory are removed; the built image and the build stage
#      too unless --keep.
# Prints a summary (build seconds, image size, start-to-healthy and stop seconds) and exits 1 on the first
# failed check. Idempotent: safe to rerun; a concurrent run waits on a lock.
#
# Environment (all optional):
#   TANDEM_DEBIAN_MIRROR           Debian mirror for the stand-in, default: the machine's bookworm apt source
#   TANDEM_DEBIAN_SECURITY_MIRROR  default: the machine's bookworm-security source, else deb.debian.org
#   TANDEM_SANDBOX_CACHE           cache directory, default /var/cache/tandem-sandbox
#   TANDEM_BUILD_CA_FILE           PEM bundle npm should trust in the build (a TLS-intercepting proxy's CA)
#   TANDEM_VERIFY_HEALTH_TIMEOUT   seconds to wait for /healthz, default 300
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
keep=0
tag=tandem:verify
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --tag)
      [ $# -ge 2 ] || { echo 'usage: verify-image.sh [--keep] [--tag NAME]' >&2; exit 2; }
      tag="$2"
      shift
      ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument '$1'; usage: verify-image.sh [--keep] [--tag NAME]" >&2; exit 2 ;;
  esac
  shift
done
case "$tag" in *:*) ;; *) tag="$tag:latest" ;; esac
build_tag="${tag}-build"

base=node:20-bookworm-slim
cache="${TANDEM_SANDBOX_CACHE:-/var/cache/tandem-sandbox}"
health_timeout="${TANDEM_VERIFY_HEALTH_TIMEOUT:-300}"
start=$SECONDS
declare -A figures=()
figure_order=()

say() { printf '[verify-image] %s (%ss)\n' "$*" "$((SECONDS - start))"; }
die() { printf '[verify-image] FAILED: %s (%ss)\n' "$*" "$((SECONDS - start))" >&2; exit 1; }
record() { figures[$1]="$2"; figure_order+=("$1"); }
now_ms() { date +%s%3N; }
seconds_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

command -v docker >/dev/null || die 'the docker CLI is missing'
docker info >/dev/null 2>&1 || die 'the Docker engine is not reachable (start it: dockerd, or systemctl start docker)'

exec 9>"${TMPDIR:-/tmp}/tandem-verify-image.lock"
flock 9

# Everything this run creates, removed on exit whatever happens (see cleanup below).
containers=()
networks=()
data_dir=''
tmp_files=()
cleanup() {
  local c n
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  for n in "${networks[@]}"; do docker network rm "$n" >/dev/null 2>&1 || true; done
  if [ -n "$data_dir" ]; then
    # Warm sandboxes left by a process that did not stop cleanly (normally none).
    docker ps -aq --filter label=dev.tandem.sandbox=1 --filter "label=dev.tandem.worker=${worker_id:-none}" |
      xargs -r docker rm -f >/dev/null 2>&1 || true
    rm -rf "$data_dir"
  fi
  [ ${#tmp_files[@]} -eq 0 ] || rm -f "${tmp_files[@]}"
  if [ "$keep" -eq 0 ]; then
    docker rmi "$tag" "$build_tag" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# --- 1. base image -----------------------------------------------------------------------------------

# apt_uri_for: the machine's apt source of a suite (shared with build-stand-in-image.sh).
# shellcheck source=deploy/lib/debian-root.sh
. "$here/lib/debian-root.sh"

mirror="${TANDEM_DEBIAN_MIRROR:-$(apt_uri_for bookworm | head -1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
security="${TANDEM_DEBIAN_SECURITY_MIRROR:-$(apt_uri_for bookworm-security | head -1)}"
security="${security:-http://deb.debian.org/debian-security}"

# Builds the stand-in's root filesystem into the tarball given (see step 1 in the header).
build_base_rootfs() {
  local tarball="$1" node_bin npm_dir modules root
  node_bin="$(readlink -f "$(command -v node)")"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  modules="$(dirname "$npm_dir")"
  [ -f "$npm_dir/bin/npm-cli.js" ] || die "cannot find npm's package next to $(command -v npm)"
  local stale
  for stale in "$cache"/node-root.*; do [ -d "$stale" ] && rm -rf "$stale"; done
  root="$(mktemp -d "$cache/node-root.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: the variable is local
  trap "rm -rf '$root'; cleanup" EXIT
  say "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/node-base-debootstrap.log" 2>&1 ||
    { tail -20 "$cache/node-base-debootstrap.log" >&2; die 'debootstrap failed'; }
  # The apt sources of the official image (deb822), on the machine's mirror.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # What makes Docker's debian:bookworm-slim "slim" (debuerreotype's slimify and its apt settings), so that
  # image sizes measured on the stand-in match the real base.
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/apt.conf.d"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
DPKG
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  rm -rf "$root"/usr/share/{groff,info,linda,locale,man}/* "$root"/usr/share/lintian/overrides/*
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  say "copying the host's Node $(node -v) and npm $(npm -v) into /usr/local"
  install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  if [ -f "$modules/corepack/dist/corepack.js" ]; then
    cp -a "$modules/corepack" "$root/usr/local/lib/node_modules/corepack"
    ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
  fi
  chroot "$root" /usr/sbin/groupadd --gid 1000 node
  chroot "$root" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$root" /usr/bin/env -i /usr/local/bin/node -e 'process.exit(0)' || die 'the copied node does not run in the bookworm root'
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  : >"$root/etc/resolv.conf"
  rm -f "$root/etc/hostname"
  tar --numeric-owner -C "$root" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  rm -rf "$root"
  trap cleanup EXIT
}

ensure_base() {
  if docker image inspect "$base" >/dev/null 2>&1; then
    local kind
    kind="$(docker image inspect --format '{{ index .Config.Labels "dev.tandem.stand-in" }}' "$base" 2>/dev/null || true)"
    say "using the existing $base$([ "$kind" = 1 ] && echo ' (an offline stand-in from an earlier run)')"
    record base "$base$([ "$kind" = 1 ] && echo ' (stand-in)')"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "$base is missing and building its stand-in needs root (debootstrap, chroot)"
  command -v debootstrap >/dev/null || die "$base is missing and debootstrap is too: apt-get install debootstrap"
  { command -v node && command -v npm; } >/dev/null || die "$base is missing and the host has no node/npm to copy"
  case "$(node -v)" in v20.*) ;; *) die "$base is missing and the host's node is $(node -v), not 20.x" ;; esac
  local key tarball
  key="$( (echo 'recipe 2 minbase bookworm slim'; echo "$mirror $security"; node -v; npm -v) | sha256sum | cut -c1-12)"
  mkdir -p "$cache"
  tarball="$cache/node-base-$key.tar"
  if [ -s "$tarball" ]; then
    say "using the cached stand-in root filesystem $tarball"
  else
    say "$base is absent and no registry serves it: building a stand-in"
    rm -f "$cache"/node-base-*.tar
    build_base_rootfs "$tarball"
  fi
  # Another process may have tagged it meanwhile: never replace an existing image of that name.
  if docker image inspect "$base" >/dev/null 2>&1; then
    say "$base appeared meanwhile; using it"
  else
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "ENV NODE_VERSION=$(node -v | cut -c2-)" \
      --change 'LABEL dev.tandem.stand-in=1' \
      --change 'CMD ["node"]' \
      --message "offline stand-in for $base (deploy/verify-image.sh)" \
      "$tarball" "$base" >/dev/null
    say "imported the stand-in as $base"
  fi
  record base "$base (stand-in built here)"
}

# --- 2. network ------------------------------------------------------------------------------------------

# Fetches the npm registry and the Debian mirror from a container of the base image.
# Prints `ok`, `tls` (a certificate the container does not trust) or `net` (no route, DNS, timeout)
# for the registry, then the mirror's HTTP status or error.
probe() {
  local network="$1" ca="$2"
  local args=(--rm --network "$network")
  if [ -n "$ca" ]; then args+=(-v "$ca:/tmp/extra-ca.pem:ro" -e NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem); fi
  # shellcheck disable=SC2016 # JavaScript, not shell
  docker run "${args[@]}" "$base" node -e '
    const check = (url) => fetch(url, { method: "HEAD", signal: AbortSignal.timeout(20000) }).then(
      (r) => (r.status < 500 ? "ok" : `net (HTTP ${r.status})`),
      (e) => {
        const code = String(e.cause?.code ?? e.cause?.name ?? e.name);
        return /CERT|SELF_SIGNED|UNABLE_TO|TLS/.test(code) ? `tls (${code})` : `net (${code})`;
      });
    Promise.all([check(process.argv[1]), check(process.argv[2])]).then((r) => console.log(r.join(" | ")));
  ' https://registry.npmjs.org/ "$mirror/dists/bookworm/Release" 2>/dev/null || echo 'net (docker run failed) | ?'
}

# Sets `ca` to a PEM bundle of the host's extra CAs (TANDEM_BUILD_CA_FILE, else the certificates added
# in /usr/local/share/ca-certificates), or to '' when there are none.
find_extra_ca() {
  if [ -n "${TANDEM_BUILD_CA_FILE:-}" ]; then
    [ -r "$TANDEM_BUILD_CA_FILE" ] || die "TANDEM_BUILD_CA_FILE ($TANDEM_BUILD_CA_FILE) is not readable"
    ca="$TANDEM_BUILD_CA_FILE"
    return
  fi
  ca="$(mktemp "${TMPDIR:-/tmp}/tandem-verify-ca.XXXXXX")"
  tmp_files+=("$ca")
  cat /usr/local/share/ca-certificates/*.crt >"$ca" 2>/dev/null || true
  [ -s "$ca" ] || ca=''
}

choose_network() {
  local network result ca='' looked=0
  build_network=''
  build_ca=''
  for network in default host; do
    result="$(probe "$network" '')"
    say "from a container on --network $network: npm registry ${result%% | *}, Debian mirror ${result##* | }"
    if [[ "$result" == ok* ]]; then
      build_network="$network"
      network_reason="the $network network reaches the registry"
      break
    fi
    if [[ "$result" == tls* ]]; then
      if [ "$looked" = 0 ]; then
        find_extra_ca
        looked=1
      fi
      if [ -n "$ca" ]; then
        result="$(probe "$network" "$ca")"
        say "  again with the host's extra CA certificates: npm registry ${result%% | *}"
        if [[ "$result" == ok* ]]; then
          build_network="$network"
          build_ca="$ca"
          network_reason="the $network network reaches the registry through a TLS-intercepting proxy: its CA is passed as EXTRA_CA_CERTS"
          break
        fi
      fi
    fi
  done
  [ -n "$build_network" ] || die 'no container network reaches the npm registry (see the lines above)'
  # One build argument holds at most 128 KiB (the kernel's MAX_ARG_STRLEN).
  [ "$(wc -c <"${build_ca:-/dev/null}")" -lt 120000 ] ||
    die "the CA bundle $build_ca is too large for a build argument; set TANDEM_BUILD_CA_FILE to the proxy's CA alone"
  say "building with --network $build_network: $network_reason"
  record network "$build_network ($network_reason)"
}

# --- 3. build --------------------------------------------------------------------------------------------

build_image() {
  local args=(--network "$build_network" --file "$repo/Dockerfile")
  [ -z "$build_ca" ] || args+=(--build-arg "EXTRA_CA_CERTS=$(cat "$build_ca")")
  local builder=1 log
  docker buildx version >/dev/null 2>&1 || builder=0
  log="$(mktemp "${TMPDIR:-/tmp}/tandem-verify-build.XXXXXX")"
  tmp_files+=("$log")
  local t0
  t0="$(now_ms)"
  say "docker build of $repo/Dockerfile as $tag ($([ $builder = 1 ] && echo BuildKit || echo 'legacy builder: no buildx here'); log $log)"
  if ! DOCKER_BUILDKIT=$builder nice -n 10 docker build "${args[@]}" --target build --tag "$build_tag" "$repo" >"$log" 2>&1 ||
    ! DOCKER_BUILDKIT=$builder nice -n 10 docker build "${args[@]}" --tag "$tag" "$repo" >>"$log" 2>&1; then
    tail -40 "$log" >&2
    die 'docker build failed'
  fi
  record buildSeconds "$(seconds_since "$t0")"
  local bytes
  bytes="$(docker image inspect --format '{{.Size}}' "$tag")"
  record imageSizeMB "$((bytes / 1000 / 1000))"
  say "built $tag in ${figures[buildSeconds]} s, $((bytes / 1000 / 1000)) MB"
  if grep -q 'npm install --no-save' "$log" && grep -q 'EUSAGE' "$log"; then
    say 'note: npm ci refused the lock; the build used the npm install --no-save fallback'
  fi
}

# --- 4. smoke test -----------------------------------------------------------------------------------------

smoke_test() {
  local out
  out="$(docker run --rm "$tag" --help 2>&1)" || die "tandem --help failed: $out"
  { grep -q 'start' <<<"$out" && grep -q 'worker' <<<"$out"; } || die "tandem --help does not list start and worker: $out"
  say 'tandem --help lists the commands'
  # The embedded model runtime (the default catalog's provider) loads its prebuilt CPU binary offline.
  # A file, not `node -e`: node-llama-cpp tests its binary in a child started with the parent's execArgv.
  # shellcheck disable=SC2016 # JavaScript, not shell
  out="$(printf '%s\n' \
    'const { getLlama } = await import("node-llama-cpp");' \
    'const llama = await getLlama({ gpu: false, build: "never", progressLogs: false });' \
    'console.log(`node-llama-cpp: ${llama.buildType} CPU binary loads (gpu: ${llama.gpu})`);' \
    'await llama.dispose();' |
    docker run --rm -i --network none --entrypoint sh "$tag" -c 'cat >/app/llama-check.mjs && node /app/llama-check.mjs' 2>&1)" ||
    die "node-llama-cpp does not load in the image: $out"
  say "$(tail -1 <<<"$out")"
  local entry
  entry="$(docker image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.User}}' "$tag")"
  say "entry point and command: $entry"

  local socket=/var/run/docker.sock
  [ -S "$socket" ] || die "the smoke test needs the Docker socket at $socket (start's worker side starts sandboxes)"
  data_dir="$(mktemp -d "${TMPDIR:-/tmp}/tandem-verify-data.XXXXXX")"
  local name secret=verify-webhook-secret
  name="tandem-verify-$$-$RANDOM"
  local t0
  t0="$(now_ms)"
  # Start learns the bot's login from the forge before anything else: Gitea's API stand-in answers it.
  networks+=("$name")
  docker network create "$name" >/dev/null
  containers+=("$name-gitea")
  docker run --detach --name "$name-gitea" --network "$name" --entrypoint node \
    --volume "$here/stand-ins/forge-api/forge-api.mjs:/stand-in/forge-api.mjs:ro" \
    "$tag" /stand-in/forge-api.mjs 3001 >/dev/null
  containers+=("$name")
  docker run --detach --name "$name" --network "$name" --publish 127.0.0.1::3000 \
    --volume "$socket:$socket" --volume "$data_dir:$data_dir" \
    --env "TANDEM_DATA_DIR=$data_dir" \
    --env "GITEA_URL=http://$name-gitea:3001" --env GITEA_TOKEN=verify-token \
    --env "GITEA_WEBHOOK_SECRET=$secret" --env GITEA_BOT_LOGIN=tandem-bot \
    --env TANDEM_SHUTDOWN_GRACE_SECONDS=10 \
    "$tag" start >/dev/null
  local port url
  port="$(docker port "$name" 3000/tcp | head -1 | sed 's/.*://')"
  url="http://127.0.0.1:$port"
  local body='' status=''
  while :; do
    if [ "$(docker inspect --format '{{.State.Running}}' "$name")" != true ]; then
      docker logs --tail 40 "$name" >&2 || true
      die "the container exited before /healthz answered"
    fi
    body="$(curl -sS --max-time 5 -w '\n%{http_code}' "$url/healthz" 2>/dev/null || true)"
    status="${body##*$'\n'}"
    [ "$status" = 200 ] && break
    if [ "$(seconds_since "$t0" | cut -d. -f1)" -ge "$health_timeout" ]; then
      docker logs --tail 40 "$name" >&2 || true
      die "/healthz did not answer 200 within $health_timeout s"
    fi
    sleep 0.5
  done
  record startToHealthySeconds "$(seconds_since "$t0")"
  body="${body%$'\n'*}"
  say "GET /healthz: 200 $body (${figures[startToHealthySeconds]} s after docker run)"
  { grep -q '"status":"ok"' <<<"$body" && grep -q '"gitea"' <<<"$body"; } || die "unexpected /healthz body: $body"

  local pid1
  pid1="$(docker exec "$name" cat /proc/1/cmdline | tr '\0' ' ')"
  [[ "$pid1" == /usr/bin/tini\ --\ node\ * ]] || die "PID 1 is '$pid1', not tini"
  say "PID 1: $pid1"

  # Ingestion in the image: a badly signed delivery is refused, a signed unsupported event is ignored.
  local payload='{"ref":"verify","ref_type":"branch"}' signature
  status="$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/api/gitea/webhooks" \
    -H 'content-type: application/json' -H 'x-gitea-event: create' -H 'x-gitea-delivery: verify-1' \
    -H 'x-gitea-signature: 00' --data "$payload")"
  [ "$status" = 401 ] || die "a badly signed Gitea delivery got $status, not 401"
  signature="$(printf '%s' "$payload" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)"
  status="$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/api/gitea/webhooks" \
    -H 'content-type: application/json' -H 'x-gitea-event: create' -H 'x-gitea-delivery: verify-2' \
    -H "x-gitea-signature: $signature" --data "$payload")"
  [ "$status" = 202 ] || die "a signed, unsupported Gitea delivery got $status, not 202"
  say 'Gitea webhooks: bad signature 401, signed unsupported event 202'

  # The sandbox provider's worker id, to find this process's warm sandboxes (worker/worker-side.ts).
  worker_id="$(docker inspect --format '{{.Config.Hostname}}' "$name")-$(printf '%s' "$data_dir" | sha256sum | cut -c1-10)"
  local warm
  warm="$(docker ps -q --filter label=dev.tandem.sandbox=1 --filter "label=dev.tandem.worker=$worker_id" | wc -l)"
  say "warm sandbox containers of this process: $warm"

  t0="$(now_ms)"
  docker stop --time 60 "$name" >/dev/null
  record stopSeconds "$(seconds_since "$t0")"
  local code
  code="$(docker inspect --format '{{.State.ExitCode}}' "$name")"
  docker logs "$name" >"$data_dir/container.log" 2>&1 || true
  [ "$code" = 0 ] || { tail -20 "$data_dir/container.log" >&2; die "docker stop: exit code $code, not 0"; }
  grep -q '"msg":"stopped"' "$data_dir/container.log" || die 'the log has no "stopped" line: the shutdown was not graceful'
  say "docker stop (SIGTERM through tini): exit 0 in ${figures[stopSeconds]} s"
  warm="$(docker ps -aq --filter label=dev.tandem.sandbox=1 --filter "label=dev.tandem.worker=$worker_id" | wc -l)"
  [ "$warm" = 0 ] || die "$warm sandbox container(s) of the stopped process remain"
  if grep -q '"level":50' "$data_dir/container.log"; then
    say 'note: error lines in the log:'
    grep '"level":50' "$data_dir/container.log" | head -5 | cut -c1-300 >&2
  fi
}

# --- 5. compose ------------------------------------------------------------------------------------------

check_compose() {
  local compose=()
  if command -v docker-compose >/dev/null; then
    compose=(docker-compose)
  elif docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  else
    say 'docker-compose.yml not checked: neither docker-compose nor docker compose is installed'
    record compose 'not checked'
    return
  fi
  local out
  out="$(cd "$repo" && POSTGRES_PASSWORD=verify "${compose[@]}" -f docker-compose.yml config -q 2>&1)" ||
    die "${compose[*]} config -q: $out"
  # The required variable must be required: without it, config must fail and name it. An empty env file
  # keeps a .env next to the file out (a file: docker-compose 1.29 refuses /dev/null, which would fail
  # this check for the wrong reason).
  local empty_env
  empty_env="$(mktemp)"
  tmp_files+=("$empty_env")
  if out="$(cd "$repo" && env -u POSTGRES_PASSWORD "${compose[@]}" -f docker-compose.yml --env-file "$empty_env" config -q 2>&1)"; then
    die "${compose[*]} config accepted docker-compose.yml without POSTGRES_PASSWORD"
  fi
  grep -q 'set POSTGRES_PASSWORD' <<<"$out" || die "${compose[*]} config failed without naming POSTGRES_PASSWORD: $out"
  say "${compose[*]} config -q: valid (and refused without POSTGRES_PASSWORD)"
  record compose "valid ($("${compose[@]}" version --short 2>/dev/null || echo '?'))"
}

ensure_base
choose_network
build_image
smoke_test
check_compose

say 'all checks passed'
for k in "${figure_order[@]}"; do printf '  %-22s %s\n' "$k" "${figures[$k]}"; done
if [ "$keep" -eq 1 ]; then
  say "kept $tag (and its build stage $build_tag)"
else
  say "removing $tag and $build_tag (--keep keeps them)"
fi
