# shellcheck shell=bash
# Helpers shared by the deploy/ scripts that build images from Debian's packages with no registry
# (sourced, not run). Callers set `set -euo pipefail` and define say() and die().

# Prints the first URI of the machine's apt sources (deb822 or one-line format) serving the given suite.
# Same reading as sandbox/build-image.sh's apt_uri_for.
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
  return 0
}

# The Debian mirror to debootstrap from: TANDEM_DEBIAN_MIRROR, else the machine's first Debian source
# (the mirror serves every suite, also those the machine itself does not use), else deb.debian.org.
debian_mirror() {
  local mirror="${TANDEM_DEBIAN_MIRROR:-}"
  [ -n "$mirror" ] || mirror="$(apt_uri_for bookworm | head -1)"
  printf '%s\n' "${mirror:-http://deb.debian.org/debian}"
}

# Builds a root filesystem tarball with `debootstrap --variant=minbase --include=PKGS SUITE` into
# TARBALL, unless TARBALL exists already (the cache). The root is trimmed of apt's lists and caches and of
# the machine's resolv.conf and host name. The optional function named by $4 runs on the root before it is
# packed (e.g. to remove a cluster created by a package's postinst).
#   build_root_tarball TARBALL SUITE PKGS [CUSTOMIZE_FN]
build_root_tarball() {
  local tarball="$1" suite="$2" pkgs="$3" customize="${4:-}" mirror cache root stale
  if [ -s "$tarball" ]; then
    say "using the cached root filesystem $tarball"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die 'building the root filesystem needs root (debootstrap)'
  command -v debootstrap >/dev/null || die 'debootstrap is missing: apt-get install debootstrap'
  cache="$(dirname "$tarball")"
  mkdir -p "$cache"
  mirror="$(debian_mirror)"
  # A root left by a run that was killed (never one in use: only this lock's holder builds).
  for stale in "$cache"/"$(basename "$tarball" .tar)".root.*; do
    [ -d "$stale" ] && rm -rf "$stale"
  done
  root="$(mktemp -d "$cache/$(basename "$tarball" .tar).root.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: the variable is local
  trap "rm -rf '$root'" EXIT
  say "debootstrap --variant=minbase --include=$pkgs $suite from $mirror"
  debootstrap --variant=minbase --include="$pkgs" "$suite" "$root" "$mirror" \
    >"$tarball.debootstrap.log" 2>&1 || { tail -20 "$tarball.debootstrap.log" >&2; die 'debootstrap failed'; }
  [ -z "$customize" ] || "$customize" "$root"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  : >"$root/etc/resolv.conf"
  rm -f "$root/etc/hostname"
  tar --numeric-owner -C "$root" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  rm -rf "$root"
  trap - EXIT
  say "cached the root filesystem as $tarball ($(du -h "$tarball" | cut -f1))"
}

# Removes the repository's other content-hash tags (12 hex digits, optionally with a suffix such as
# `-no-pgvector`), keeping the ones given. Best effort: an image a container still uses stays. Written
# without grep, which fails a pipeline under pipefail when nothing matches (a first build).
#   prune_older_tags REPOSITORY KEEP...
prune_older_tags() {
  local repository="$1" old tag keep
  shift
  for old in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$repository"); do
    tag="${old#"$repository":}"
    for keep in "$@"; do [ "$old" = "$keep" ] && continue 2; done
    [[ "$tag" =~ ^[0-9a-f]{12}(-[a-z0-9-]+)?$ ]] || continue
    if docker rmi "$old" </dev/null >/dev/null 2>&1; then say "removed the older image $old"; fi
  done
  return 0
}
