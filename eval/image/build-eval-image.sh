#!/usr/bin/env bash
# Builds tandem-eval:latest (and tandem-eval:<hash>) from tandem-sandbox:latest plus Debian packages
# (see Dockerfile). Needs the sandbox image (sandbox/build-image.sh) and a reachable Debian mirror; no
# registry. Rebuilt only when the Dockerfile or the sandbox image changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base_id="$(docker image inspect --format '{{.Id}}' tandem-sandbox:latest)"
hash="$( { cat "$here/Dockerfile"; echo "$base_id"; } | sha256sum | cut -c1-12)"
if docker image inspect "tandem-eval:$hash" >/dev/null 2>&1; then
  docker tag "tandem-eval:$hash" tandem-eval:latest
  echo "[eval-image] tandem-eval:$hash is up to date"
  exit 0
fi
echo "[eval-image] building tandem-eval:$hash"
docker build --pull=false -t "tandem-eval:$hash" -t tandem-eval:latest "$here"
