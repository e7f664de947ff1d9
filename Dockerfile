# Hold Slayer service image. cgo is on: the SQLite driver is C.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/holdslayer ./cmd/holdslayer

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates espeak-ng sox \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data holdslayer \
 && mkdir -p /data && chown holdslayer /data
COPY --from=build /out/holdslayer /usr/local/bin/holdslayer
USER holdslayer
VOLUME /data
ENV HOLDSLAYER_DATA_DIR=/data
ENTRYPOINT ["holdslayer"]
CMD ["serve"]
