#!/usr/bin/env bash
# Builds Tandem's sandbox image when it is missing, tagged by a content hash of its definition.
#
#   bash sandbox/build-image.sh            (as root; called by .ci/run with no arguments)
#
# Tags `tandem-sandbox:<hash>` and `tandem-sandbox:latest`, where <hash> is the first 12 hex digits of the
# SHA-256 of sandbox/Dockerfile, sandbox/provision.sh and this script. When the hash tag exists already, it
# only re-points `latest` and exits. Otherwise:
#   - `docker build` of sandbox/Dockerfile when a registry is reachable (debian:bookworm-slim can be pulled);
#   - else an offline build from Debian's packages: debootstrap (minbase) into a temporary root, provision.sh
#     in a chroot, then `tar | docker import` with the Dockerfile's ENV, USER and WORKDIR lines. The
#     provisioned root is cached as /var/cache/tandem-sandbox/rootfs-<hash2>.tar (hash2: provision.sh and
#     the debootstrap arguments, the inputs of the root filesystem) so a rebuild after
#     `docker rmi` is only an import (15-60 s on a busy 2-core machine).
#
# Environment (all optional):
#   TANDEM_SANDBOX_BUILD            auto (default) | docker | offline
#   TANDEM_SANDBOX_REPO             image repository name, default tandem-sandbox
#   TANDEM_DEBIAN_MIRROR            Debian mirror, default: the first bookworm URI in the machine's apt sources
#   TANDEM_DEBIAN_SECURITY_MIRROR   default: the machine's bookworm-security URI, else deb.debian.org
#   TANDEM_SANDBOX_CACHE            cache directory, default /var/cache/tandem-sandbox
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo_name="${TANDEM_SANDBOX_REPO:-tandem-sandbox}"
mode="${TANDEM_SANDBOX_BUILD:-auto}"
cache="${TANDEM_SANDBOX_CACHE:-/var/cache/tandem-sandbox}"
start=$SECONDS

say() { printf '[sandbox] %s (%ss)\n' "$*" "$((SECONDS - start))"; }
die() { printf '[sandbox] error: %s\n' "$*" >&2; exit 1; }

# What debootstrap is asked for; with provision.sh, the only inputs of the offline root filesystem.
debootstrap_args=(--variant=minbase --include=nodejs,git,python3,ca-certificates bookworm)

hash="$(cat "$here/Dockerfile" "$here/provision.sh" "$here/build-image.sh" | sha256sum | cut -c1-12)"
# The root filesystem depends neither on the Dockerfile's ENV/USER/WORKDIR lines nor on the rest of this
# script: key its cache on its own inputs so such edits cost an import, not a rebuild.
rootfs_hash="$( (cat "$here/provision.sh"; echo "${debootstrap_args[*]}") | sha256sum | cut -c1-12)"
image="$repo_name:$hash"

docker info >/dev/null 2>&1 || die 'the Docker engine is not reachable (start it: dockerd, or systemctl start docker)'

if docker image inspect "$image" >/dev/null 2>&1; then
  docker tag "$image" "$repo_name:latest"
  say "$image is up to date; $repo_name:latest points at it"
  exit 0
fi

# Prints the first URI of the machine's apt sources (deb822 or one-line format) serving the given suite.
apt_uri_for() {
  local suite="$1" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      function flush() { if (uri != "" && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ")) { print uri; found = 1; exit } }
      /^[[:space:]]*$/ { flush(); uri = ""; suites = ""; types = ""; next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { $1 = ""; suites = $0 }
      /^Types:/ { $1 = ""; types = $0 }
      END { if (!found) flush() }
    ' "$f" | head -1
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' "$f"
  done
}

build_with_docker() {
  say "docker build of $here/Dockerfile"
  docker build --quiet --tag "$image" "$here" >/dev/null
}

build_offline() {
  [ "$(id -u)" -eq 0 ] || die 'the offline build needs root (debootstrap and chroot)'
  command -v debootstrap >/dev/null || die 'debootstrap is missing: apt-get install debootstrap'
  mkdir -p "$cache"
  local tarball="$cache/rootfs-$rootfs_hash.tar"
  if [ ! -s "$tarball" ]; then
    local mirror="${TANDEM_DEBIAN_MIRROR:-$(apt_uri_for bookworm | head -1)}"
    mirror="${mirror:-http://deb.debian.org/debian}"
    local security="${TANDEM_DEBIAN_SECURITY_MIRROR:-$(apt_uri_for bookworm-security | head -1)}"
    security="${security:-http://deb.debian.org/debian-security}"
    local stale
    for stale in "$cache"/root.*; do
      if [ -d "$stale" ] && ! mountpoint -q "$stale/proc"; then rm -rf "$stale"; fi
    done
    local root
    root="$(mktemp -d "$cache/root.XXXXXX")"
    # shellcheck disable=SC2064 # expand now: the variable is local
    trap "umount '$root/proc' 2>/dev/null || true; rm -rf '$root'" EXIT
    say "debootstrap bookworm from $mirror (about a minute)"
    debootstrap "${debootstrap_args[@]}" "$root" "$mirror" \
      >"$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log" >&2; die 'debootstrap failed'; }
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
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc"
    cp "$here/provision.sh" "$root/tmp/provision.sh"
    say 'provisioning in a chroot (packages, user)'
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh /tmp/provision.sh
    umount "$root/proc"
    : >"$root/etc/resolv.conf"
    rm -f "$root/etc/hostname"
    say "caching the root filesystem as $tarball"
    rm -f "$cache"/rootfs-*.tar
    tar --numeric-owner -C "$root" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
  else
    say "using the cached root filesystem $tarball"
  fi
  # The Dockerfile is the one definition of the image's configuration: reuse its ENV, USER and WORKDIR.
  local changes=()
  while IFS= read -r line; do
    changes+=(--change "$line")
  done < <(grep -E '^(ENV|USER|WORKDIR) ' "$here/Dockerfile")
  say "docker import as $image"
  docker import "${changes[@]}" --message "tandem sandbox $hash (offline build)" "$tarball" "$image" >/dev/null
  if [ -n "${root:-}" ]; then
    # Deleting ~30,000 small files can take a minute on a busy disk: do it after this script is done
    # (a leftover root.* directory is removed by the next offline build).
    say 'removing the temporary root in the background'
    trap - EXIT
    nohup rm -rf "$root" >/dev/null 2>&1 &
  fi
}

# Drops older content-hash tags of the repository (best effort: an image a container still uses stays).
# Written without grep: under `set -o pipefail` a grep that matches nothing (a first build has no older tag)
# fails the pipeline and would end the script with no message.
prune_older_tags() {
  local old
  for old in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$repo_name"); do
    case "$old" in
      "$image") ;;
      "$repo_name":????????????)
        [[ "${old#"$repo_name":}" =~ ^[0-9a-f]{12}$ ]] || continue
        if docker rmi "$old" </dev/null >/dev/null 2>&1; then say "removed the older image $old"; fi
        ;;
    esac
  done
  return 0
}

exec 9>"${TMPDIR:-/tmp}/tandem-sandbox-build.lock"
flock 9
if docker image inspect "$image" >/dev/null 2>&1; then
  say "$image was built by a concurrent run"
else
  case "$mode" in
    docker) build_with_docker ;;
    offline) build_offline ;;
    auto)
      if docker pull --quiet debian:bookworm-slim >/dev/null 2>&1 && build_with_docker; then
        :
      else
        say 'no registry reachable: building offline from Debian packages'
        build_offline
      fi
      ;;
    *) die "TANDEM_SANDBOX_BUILD must be auto, docker or offline, not '$mode'" ;;
  esac
fi
docker tag "$image" "$repo_name:latest"
prune_older_tags
say "built $image; $repo_name:latest points at it"
