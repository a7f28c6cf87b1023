# The service image for compose.yaml: the TypeScript sources run through tsx, as `npm start` does
# (no build step). Native modules (better-sqlite3) compile in the full image; the slim one runs.
FROM node:20-bookworm AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY schema ./schema
COPY consumers ./consumers
COPY migrations ./migrations
USER node
EXPOSE 4000 9464
# On SIGTERM the process drains and exits 0 within SHUTDOWN_TIMEOUT_MS (10 s by default).
CMD ["node", "--import", "tsx", "src/main.ts"]
