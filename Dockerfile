# Tandem's own image (server, worker, or both with `start`). Build: docker build -t tandem:latest .
# The sandbox image the pair jobs run in is separate: build it on the Docker host with
# sandbox/build-image.sh (docs/sandbox.md). See docs/deployment.md for the Docker socket and volume notes.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# node-llama-cpp ships prebuilt llama.cpp binaries; its postinstall must not fetch sources.
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
COPY package.json package-lock.json ./
# PEM certificates npm should trust besides Node's own (the CA of a TLS-intercepting proxy), e.g.
#   --build-arg EXTRA_CA_CERTS="$(cat /usr/local/share/ca-certificates/*.crt)"
# Used in this build stage only: the runtime image never contains it.
ARG EXTRA_CA_CERTS=""
# npm ci; when it refuses a lock that lacks other platforms' optional binaries (some registry mirrors),
# the same locked versions are installed with npm install --no-save, as .ci/run does (docs/decisions.md).
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" >/tmp/extra-ca.pem && export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; \
    fi \
  && { npm ci --no-audit --no-fund || npm install --no-save --no-audit --no-fund; } \
  && rm -f /tmp/extra-ca.pem
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY worker ./worker
# prune --offline: pruning needs no registry, and online it asks the registry again for the optional
# platform packages the lock lacks (minutes of retries when the registry is slow or untrusted).
# Tandem runs llama.cpp on the CPU only (src/llm/providers/llama-runtime.ts): of node-llama-cpp's prebuilt
# binaries keep this architecture's CPU build; the CUDA, Vulkan and other-architecture ones are ~650 MB.
RUN npm run build && npm prune --omit=dev --offline --no-audit --no-fund \
  && keep="linux-$(node -p 'process.arch === "arm" ? "armv7l" : process.arch')" \
  && find node_modules/@node-llama-cpp -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} +

FROM node:20-bookworm-slim
# git: Tandem runs git on the host side (never in the sandbox); tini reaps git's child processes and
# forwards SIGTERM to node, which shuts down gracefully (TANDEM_SHUTDOWN_GRACE_SECONDS).
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
    HOST=0.0.0.0 \
    PORT=3000 \
    TANDEM_DATA_DIR=/var/lib/tandem
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app.yml ./
COPY migrations ./migrations
# The data directory (PGlite database when DATABASE_URL is unset, model cache, workspaces, sandbox
# workspaces, github-app.env). The worker bind-mounts sandbox workspaces from here into containers it
# starts through the host's Docker socket, so mount it at the SAME path on the host (docs/deployment.md).
VOLUME ["/var/lib/tandem"]
EXPOSE 3000
# Runs as root: the worker needs the Docker socket. Sandboxes themselves run as uid 1000, without
# capabilities or network (docs/security.md).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/cli/main.js"]
CMD ["start"]
