# Couponflow image: one image, two roles (ROLE=api or ROLE=worker). Build: docker build -t couponflow .
# syntax=docker/dockerfile:1

# --- build: compile TypeScript and the admin console (vite) with the full dependency set ---
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY src ./src
COPY jobs ./jobs
COPY bench ./bench
COPY console ./console
RUN npx tsc -p tsconfig.build.json && npx vite build --config console/vite.config.mts --logLevel warn

# --- runtime deps only: no compiler, no pinned Node package (the image has Node 24) ---
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: non-root, compiled code and production dependencies ---
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
USER node
EXPOSE 3000
# SIGTERM drains (SHUTDOWN_TIMEOUT_MS) and exits 0; node is PID 1 and handles it itself.
CMD ["node", "dist/src/main.js"]
