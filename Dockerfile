# syntax=docker/dockerfile:1
# kode-operator: one self-contained executable (bun build --compile) on a small glibc base, run as non-root.
#   docker build -t ghcr.io/jacero-io/kode-operator:dev .
#   docker run --rm ghcr.io/jacero-io/kode-operator:dev --help

# Build: bun comes from npm (devDependency "bun", pinned in package-lock.json), so the image needs only Node.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json bunfig.toml ./
COPY src ./src
RUN npm run build && ./dist/kode --help >/dev/null

# Run: glibc + libgcc, no shell, no package manager; the executable needs nothing else.
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.source="https://github.com/jacero-io/kode-operator" \
      org.opencontainers.image.description="Kubernetes operator for browser-based development environments" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build --chown=65532:65532 /src/dist/kode /kode
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/kode"]
CMD ["operator"]
