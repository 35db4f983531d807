#!/bin/sh
# Provisions the sandbox image's root filesystem. Runs as root INSIDE the target system: from the Dockerfile
# (`RUN sh /tmp/provision.sh`) and, for the offline build, in a chroot of a debootstrap root (build-image.sh).
# Both paths therefore install the same packages and create the same user.
set -eu
export DEBIAN_FRONTEND=noninteractive

PACKAGES='ca-certificates git nodejs npm python3 python3-pytest make g++ procps'

echo '[sandbox] provision: apt-get update'
apt-get update -qq
echo "[sandbox] provision: installing $PACKAGES"
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null

echo '[sandbox] provision: user sandbox (uid 1000), /workspace'
groupadd --gid 1000 sandbox
useradd --uid 1000 --gid 1000 --home-dir /home/sandbox --create-home --shell /bin/bash sandbox
mkdir -p /workspace
chown 1000:1000 /workspace

echo '[sandbox] provision: cleaning apt caches'
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log /tmp/* /root/.npm
