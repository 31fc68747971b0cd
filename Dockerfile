# csbs-errors: one image for every service (`ingest`, `api`, `serve`, ...); the command picks one.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.build.json ./
COPY packages ./packages
COPY services ./services
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app /app
COPY migrations ./migrations
USER node
EXPOSE 8080
ENTRYPOINT ["node", "services/cli/bin/csbs-errors.js"]
CMD ["serve"]
