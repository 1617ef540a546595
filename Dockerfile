# Builds the single static llmgate binary into a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/llmgate ./cmd/llmgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/llmgate /usr/local/bin/llmgate
USER nonroot
ENV LLMGATE_ADDR=0.0.0.0:8080 LLMGATE_DATA_DIR=/data LLMGATE_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/llmgate"]
CMD ["serve"]
