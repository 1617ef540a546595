# syntax=docker/dockerfile:1
# The single static llmgate binary in a distroless image, running as nonroot (65532).
# Multi-arch: `docker buildx build --platform linux/amd64,linux/arm64 .` cross-compiles on the
# build machine's own platform instead of emulating the target.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w" -o /out/llmgate ./cmd/llmgate \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/llmgate /usr/local/bin/llmgate
# /data is the only writable place llmgate needs, owned by nonroot so a named volume mounted
# there (Docker copies the ownership into a new volume) is writable. It holds the SQLite
# database, the master key and audit checkpoints; with PostgreSQL, Vault and keys from the
# environment nothing is written there (see docs/deploy.md).
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV LLMGATE_ADDR=0.0.0.0:8080 LLMGATE_DATA_DIR=/data LLMGATE_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/llmgate"]
CMD ["serve"]
