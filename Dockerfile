# syntax=docker/dockerfile:1
# Verity's container image: `verity serve` as a non-root user, production dependencies only.
# Operations guide (configuration, several instances, backups, upgrades): docs/operations.md.
#
#   docker build -t verity .
#   docker run -v ./verity.yaml:/etc/verity/verity.yaml:ro -v verity-data:/var/lib/verity \
#     -e VERITY_HASH_KEY -p 8787:8787 verity
#
# The runtime folder is made by scripts/container-build.sh, which test/ops/container-recipe.test.ts
# also runs (these base images cannot be pulled where Verity is developed, so the test is what
# exercises the recipe there).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile the TypeScript, then assemble /app with production dependencies only ----
FROM ${NODE_IMAGE} AS build
# For better-sqlite3 when its prebuilt binary cannot be downloaded (another CPU, no GitHub):
# it is then compiled. Only this stage has the compilers; the runtime image does not.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the package's `prepare` script would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build
COPY static ./static
COPY demo ./demo
COPY scripts/container-build.sh ./scripts/
# A mirror of better-sqlite3's prebuilt binaries, for builders without GitHub (optional).
ARG npm_config_better_sqlite3_binary_host
RUN sh scripts/container-build.sh /src /app

# ---- runtime ----
FROM ${NODE_IMAGE}
# VERITY_CONFIG: where every command looks for the configuration, so `docker exec … verity token
# create` and the like find the same file as serve. NODE_OPTIONS: a 1 MB young generation lowers
# the server's memory peak under a burst of verifications, with more frequent garbage collection
# (docs/benchmarks.md measures both; docs/operations.md, "Memory").
ENV NODE_ENV=production \
    VERITY_CONFIG=/etc/verity/verity.yaml \
    NODE_OPTIONS=--max-semi-space-size=1
WORKDIR /app
# Root owns the code, so the server cannot change it; only the data folder is writable, by `node`
# (uid 1000, the base image's unprivileged user).
COPY --from=build /app /app
RUN mkdir -p /var/lib/verity /etc/verity \
 && chown node:node /var/lib/verity \
 && chmod 0700 /var/lib/verity
USER node
# The embedded database, its generated hash key and the default audit-anchor file live here
# (dataDir: /var/lib/verity in the configuration). With PostgreSQL it still holds the anchors.
VOLUME ["/var/lib/verity"]
EXPOSE 8787
# Liveness from inside the container: no curl in the slim image, so Node's fetch. Set
# VERITY_HEALTH_URL if server.port is not 8787.
ENV VERITY_HEALTH_URL=http://127.0.0.1:8787/healthz
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.VERITY_HEALTH_URL, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) reaches node directly, as PID 1 here, and serve stops cleanly on it.
ENTRYPOINT ["node", "dist/src/cli/bin.js"]
CMD ["serve", "--config", "/etc/verity/verity.yaml", "--host", "0.0.0.0"]
