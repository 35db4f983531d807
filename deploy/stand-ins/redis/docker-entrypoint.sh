#!/bin/sh
# Entry point of Tandem's stand-in for the official redis image, which it follows: arguments starting with
# `-` (or a .conf file) go to redis-server; the server runs as user redis, owning /data; and, when no
# `--protected-mode` is given, `--protected-mode no` is added, because without a configuration file Redis
# would otherwise refuse every client that is not on loopback (the other containers).
set -eu

case "${1:-}" in
  -* | *.conf) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis:redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "${1:-}" = redis-server ]; then
  case " $* " in
    *' --protected-mode '*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
fi

exec "$@"
