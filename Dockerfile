# schemagate as a scratch image, and as a binary to drop into an existing application image.
#   docker build -t schemagate .                       # the scratch image (ENTRYPOINT /schemagate)
#   docker build --target app-example -t myapp .       # schemagate as an app image's entrypoint

# The build stage runs the same script the tests run: one static, stripped binary from Debian 12
# packages only.
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates
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
