#!/usr/bin/env bash
# Builds an offline stand-in for a public image that docker-compose.yml uses, from Debian's packages, for
# machines that reach no Docker registry (CI here). Prints the image's name on stdout (progress goes to
# stderr), so callers write `image="$(bash deploy/build-stand-in-image.sh postgres)"`.
#
#   bash deploy/build-stand-in-image.sh postgres                PostgreSQL 17 + pgvector 0.8 (trixie)
#   bash deploy/build-stand-in-image.sh postgres no-pgvector    the same server without pgvector
#   bash deploy/build-stand-in-image.sh redis                   Redis 7 (bookworm)
#
# The images are `tandem-<name>:<hash>` (`-no-pgvector` appended for that variant), where <hash> is the first
# 12 hex digits of the SHA-256 of this script, deploy/lib/debian-root.sh and deploy/stand-ins/<name>/. When
# that tag exists the script only prints it (well under a second). Otherwise:
#   1. root filesystem: `debootstrap --variant=minbase --include=<packages> <suite>` from the machine's
#      Debian mirror, cached as <cache>/stand-in-<name>-<key>.tar (key: suite, packages, mirror and the
#      trimming below), so a rebuild after `docker rmi` or an edit of the Dockerfile is only an import;
#   2. `docker import` of that tarball as tandem-<name>-root:<key>;
#   3. `docker build` of deploy/stand-ins/<name>/Dockerfile on it (entry point, environment, volume).
# Older content-hash tags and cached tarballs of the same name are removed. A concurrent run waits on a
# lock. Needs root for the first build (debootstrap). The stand-ins carry the label dev.tandem.stand-in=1.
#
# Environment (all optional):
#   TANDEM_DEBIAN_MIRROR   Debian mirror, default: the machine's first Debian apt source
#   TANDEM_SANDBOX_CACHE   cache directory, default /var/cache/tandem-sandbox (shared with sandbox/)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
start=$SECONDS
say() { printf '[stand-in] %s (%ss)\n' "$*" "$((SECONDS - start))" >&2; }
die() { printf '[stand-in] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=deploy/lib/debian-root.sh
. "$here/lib/debian-root.sh"

name="${1:-}"
variant="${2:-}"
case "$name:$variant" in
  postgres: | postgres:pgvector) target=pgvector suffix='' ;;
  postgres:no-pgvector) target=no-pgvector suffix=-no-pgvector ;;
  redis: | redis:redis) target=redis suffix='' ;;
  *) die "usage: build-stand-in-image.sh postgres [no-pgvector] | redis (got '$*')" ;;
esac

# Trims a trixie root with PostgreSQL: the cluster the package's postinst created (the image makes its
# own in PGDATA, as the official image does) and the documentation.
trim_postgres_root() {
  local root="$1"
  rm -rf "$root"/var/lib/postgresql/* "$root"/etc/postgresql/* "$root"/var/log/postgresql/*
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
}

# Trims a bookworm root with Redis: the documentation.
trim_redis_root() {
  local root="$1"
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
}

case "$name" in
  postgres) suite=trixie packages=postgresql-17,postgresql-17-pgvector trim=trim_postgres_root ;;
  redis) suite=bookworm packages=redis-server trim=trim_redis_root ;;
esac

repository="tandem-$name"
hash="$(cat "$0" "$here/lib/debian-root.sh" "$here/stand-ins/$name"/* | sha256sum | cut -c1-12)"
image="$repository:$hash$suffix"

docker info >/dev/null 2>&1 || die 'the Docker engine is not reachable (start it: dockerd, or systemctl start docker)'

if docker image inspect "$image" >/dev/null 2>&1; then
  say "$image is up to date"
  printf '%s\n' "$image"
  exit 0
fi

exec 9>"${TMPDIR:-/tmp}/tandem-stand-in-$name.lock"
flock 9
if docker image inspect "$image" >/dev/null 2>&1; then
  say "$image was built by a concurrent run"
  printf '%s\n' "$image"
  exit 0
fi

cache="${TANDEM_SANDBOX_CACHE:-/var/cache/tandem-sandbox}"
key="$( (echo 'recipe 1'; echo "$suite $packages"; debian_mirror; declare -f "$trim") | sha256sum | cut -c1-12)"
tarball="$cache/stand-in-$name-$key.tar"
root_image="$repository-root:$key"
if ! docker image inspect "$root_image" >/dev/null 2>&1; then
  if [ ! -s "$tarball" ]; then
    mkdir -p "$cache"
    rm -f "$cache/stand-in-$name-"*.tar
  fi
  build_root_tarball "$tarball" "$suite" "$packages" "$trim"
  say "docker import as $root_image"
  docker import --message "root filesystem of the $name stand-in (deploy/build-stand-in-image.sh)" \
    "$tarball" "$root_image" >/dev/null
fi

say "docker build of deploy/stand-ins/$name (target $target) as $image"
out="$(docker build --quiet --build-arg "BASE=$root_image" --target "$target" --tag "$image" \
  "$here/stand-ins/$name" 2>&1)" || { printf '%s\n' "$out" >&2; die "docker build of $image failed"; }

prune_older_tags "$repository" "$repository:$hash" "$repository:$hash-no-pgvector"
prune_older_tags "$repository-root" "$root_image"
say "built $image"
printf '%s\n' "$image"
