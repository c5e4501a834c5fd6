# The demo order service. Runs the TypeScript sources with tsx, as `npm start` does.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json .npmrc ./
# Install scripts stay off (.npmrc): the optional native pulsar-client is then skipped and the
# service talks to Pulsar through the WebSocket driver, as everywhere the addon is missing.
RUN npm ci --include=dev && npm cache clean --force

COPY tsconfig.json ./
COPY plugin ./plugin
COPY service ./service
COPY drizzle ./drizzle
COPY scripts/migrate.ts ./scripts/migrate.ts

USER node
EXPOSE 3000
CMD ["npx", "tsx", "service/main.ts"]
