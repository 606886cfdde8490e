# syntax=docker/dockerfile:1
# Multi-stage image for every role (api, worker, emulator): one image, the command picks the role.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production APP_ENV=docker
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
COPY bin ./bin
# Run as the unprivileged user the node image provides.
USER node
EXPOSE 8080 9780
ENTRYPOINT ["node", "dist/main.js"]
CMD ["start"]
