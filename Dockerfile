# Build: cgo is required, because gorm.io/driver/sqlite is mattn/go-sqlite3;
# the sqlite_fts5 tag compiles the FTS5 the vouchers' text index needs.
FROM golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -tags sqlite_fts5 -trimpath -ldflags "-X main.version=${VERSION}" -o /out/bilag .

# Run: distroless base has glibc for the cgo binary and the CA certificates
# that outbound HTTPS to Visma needs; same Debian release as the builder.
FROM gcr.io/distroless/base-debian13:nonroot
COPY --from=build /out/bilag /bilag
ENV BILAG_ADDR=0.0.0.0:8080 BILAG_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s CMD ["/bilag", "healthcheck"]
ENTRYPOINT ["/bilag"]
CMD ["serve"]
