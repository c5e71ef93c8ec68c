# One image, three roles (ROLE=api | worker | all).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends llvm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production STORAGE_ROOT=/data/symbol-store PORT=3000
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
# Not root: the image's own user (node, uid 1000) owns only what it writes.
RUN mkdir -p /data/symbol-store && chown node:node /data/symbol-store
USER node
VOLUME /data/symbol-store
# 3000: the API; 9464: a worker's /metrics, /healthz, /readyz (METRICS_PORT).
EXPOSE 3000 9464
CMD ["node", "dist/main.js"]
