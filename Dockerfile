# schemagate as a scratch image, and as a binary to drop into an existing application image.
#   docker build -t schemagate .                       # the scratch image (the last stage)
#   docker build --target app-example -t myapp .       # schemagate as an app image's entrypoint
# tests/containers/engine_test.sh builds both on a real engine on every test run.

# The build stage runs the same script the tests run: one static, stripped binary from Debian 12
# packages only. It installs only what building needs (`install-deps static`), in a layer of its
# own that a source change does not rebuild; only the sources the binary is built from are copied.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN ./scripts/install-deps static && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt .
COPY scripts scripts
COPY src src
RUN ./scripts/build-static
RUN echo 'schemagate:x:65532:65532:schemagate:/nonexistent:/sbin/nologin' > /tmp/passwd \
 && echo 'schemagate:x:65532:' > /tmp/group

# Nothing but the binary, a CA bundle (for sslmode=verify-full with sslrootcert=/etc/ssl/certs/
# ca-certificates.crt) and a non-root user.
FROM scratch AS schemagate
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /tmp/passwd /etc/passwd
COPY --from=build /tmp/group /etc/group
COPY --from=build /src/build-static/schemagate /schemagate
USER 65532:65532
ENTRYPOINT ["/schemagate"]

# Dropping the binary into an application image someone else built: the app becomes PID 1
# through schemagate's exec, after the database is ready, migrated and verified.
FROM python:3.12-slim AS app-example
COPY --from=schemagate /schemagate /usr/local/bin/schemagate
COPY examples/migrations /app/migrations
WORKDIR /app
ENTRYPOINT ["schemagate", "--"]
CMD ["python3", "-m", "http.server", "8000"]

# The last stage is the scratch image again, so a build without --target makes it.
FROM schemagate
