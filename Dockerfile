# syntax=docker/dockerfile:1
# flowgate's images: one Dockerfile, one image per app, chosen with the APP build argument.
# Build from the repository root (the context holds the lockfile):
#   docker build --build-arg APP=gateway   -t flowgate-gateway:dev .
#   docker build --build-arg APP=processor -t flowgate-processor:dev .
#   docker build --build-arg APP=sweeper   -t flowgate-sweeper:dev .
#   docker build --build-arg APP=console   -t flowgate-console:dev .
# Needs BuildKit (the default builder since Docker 23, and podman/buildah build only what the
# target needs too): it builds just the stages of the chosen app. The legacy builder would build
# every app stage and fail on the processor's job modules when APP is not processor.
# The base is pinned to an exact Node LTS release; pin the digest too in your registry mirror
# (`docker buildx imagetools inspect node:24.21.0-bookworm-slim`) if you need bit-for-bit rebuilds.

# gateway, processor, sweeper or console. No default: an image is always built for an app someone
# named.
# The last stage is `FROM app-${APP}`: an empty or unknown APP names no stage (and no image), so
# the build fails before anything is built.
ARG APP

# Production node_modules only: the bundle keeps npm packages external (tools/build/bundle.mjs).
# `npm install` with the lockfile rather than `npm ci`: the lockfile was written on one platform
# and `npm ci` refuses when the registry lacks another platform's optional packages.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

# The bundle, built exactly as `npm run build` builds it.
FROM node:24.21.0-bookworm-slim AS build
ARG APP
WORKDIR /app
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY nx.json tsconfig.base.json .swcrc ./
COPY tools/build tools/build
COPY libs libs
COPY apps/${APP} apps/${APP}
RUN npx nx run ${APP}:build --outputStyle=static
# The job modules the processor loads (FLOWGATE_JOBS, e.g. dist/examples/demo.js); only the
# processor image ships them.
RUN if [ "${APP}" = processor ]; then npx nx run examples:build --outputStyle=static; fi

# What every app image holds. Owned by root and only readable by the app user: with a read-only
# root filesystem the app writes nothing but /tmp.
FROM node:24.21.0-bookworm-slim AS runtime
ARG APP
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist/apps/${APP} dist/apps/${APP}
USER 10001:10001
# The apps drain on SIGTERM and exit 0 (the gateway answers its in-flight requests, the processor
# finishes and commits its records, the sweeper closes its connections); node is PID 1 and
# installs its own SIGTERM handler, so the exec-form CMDs below are enough (no shell, no init).
STOPSIGNAL SIGTERM

# One stage per app for what differs: its port and the bundle it starts. They are separate
# stages because an exec-form CMD cannot expand ${APP}.
FROM runtime AS app-gateway
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FLOWGATE_GATEWAY_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/apps/gateway/main.js"]

FROM runtime AS app-processor
COPY --from=build /app/dist/examples dist/examples
EXPOSE 9101
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FLOWGATE_PROCESSOR_PORT || 9101) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/apps/processor/main.js"]

FROM runtime AS app-sweeper
EXPOSE 9102
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FLOWGATE_SWEEPER_PORT || 9102) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/apps/sweeper/main.js"]

# The console's page assets (dist/apps/console/assets) sit next to its bundle: built by its
# build target from npm packages, served by the app itself (no CDN).
FROM runtime AS app-console
EXPOSE 9300
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FLOWGATE_CONSOLE_PORT || 9300) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/apps/console/main.js"]

FROM app-${APP}
