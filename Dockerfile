# syntax=docker/dockerfile:1
# The demo order service as production code: TypeScript built in one stage, run by node on the
# built output in the next, with production dependencies only, as a non-root user, under tini.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Install scripts off (.npmrc): the compiler needs no native addon.
RUN npm ci --include=dev
COPY tsconfig.json tsconfig.build.json ./
COPY plugin ./plugin
COPY service ./service
COPY drizzle ./drizzle
COPY scripts/migrate.ts scripts/copy-migrations.mjs ./scripts/
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# tini runs as PID 1: it passes SIGTERM to node and reaps zombies.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Install scripts ON here (no .npmrc in this stage): pulsar-client's install downloads its
# prebuilt addon, so the service runs Pulsar's native driver; the require() fails the build if
# the addon did not come. Besides the library's production dependencies, the demo needs the
# library's peers it uses (fastify, drizzle-orm, the database drivers, pulsar-client, avsc for its
# Avro codec, prom-client for /metrics) and pino. They are development dependencies of this
# repository, which --omit=dev leaves out (and `npm install --no-save` of them too), so they are
# made production dependencies of the image's package.json once the locked ones are in.
RUN npm ci --omit=dev --no-audit --no-fund \
 && node -e "const fs = require('fs'); const p = require('./package.json'); for (const n of ['fastify', 'drizzle-orm', 'postgres', '@electric-sql/pglite', 'pulsar-client', 'avsc', 'prom-client', 'pino']) { p.dependencies[n] = p.devDependencies[n] ?? p.peerDependencies[n]; delete p.devDependencies[n] } fs.writeFileSync('package.json', JSON.stringify(p))" \
 && npm install --omit=dev --no-audit --no-fund \
 && node -e "require('pulsar-client')" \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/service/main.js"]
