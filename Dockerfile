# syntax=docker/dockerfile:1
# The vbx image: `docker build -t vbx .` at the repository root. How to run it (Compose with a
# TLS proxy, the configuration, the data volume): docs/deploy.md.

# Build stage: Rust, plus Node.js 20+ with npm for the web UI that crates/vbx/build.rs builds
# and embeds in the binary (Debian 12's own nodejs is too old).
FROM rust:1-bookworm AS build
COPY --from=node:20-bookworm /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && node --version && npm --version
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY crates crates
COPY web web
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/root/.npm \
    --mount=type=cache,target=/src/target \
    cargo build --release -p vbx --locked \
    && install -m 0755 target/release/vbx /usr/local/bin/vbx

# Final image: the binary (it needs only glibc and libgcc), its health probe, and a user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid, so the configuration on the host can be given to it (chown 10001:10001).
# The data directory is 0700 like everything vbx writes; a new named volume copies that.
RUN groupadd --system --gid 10001 vbx \
    && useradd --system --uid 10001 --gid vbx --home-dir /var/lib/vbx --no-create-home \
       --shell /usr/sbin/nologin vbx \
    && install -d -m 0700 -o vbx -g vbx /var/lib/vbx \
    && install -d -m 0755 /etc/vbx
COPY --from=build /usr/local/bin/vbx /usr/local/bin/vbx
COPY deploy/healthcheck /usr/local/bin/vbx-healthcheck
USER 10001:10001
ENV VBX_LOG=info
VOLUME /var/lib/vbx
EXPOSE 8000
# vbx-healthcheck asks GET /healthz on 127.0.0.1:8000 (VBX_HEALTHCHECK_ADDR for another port).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/vbx-healthcheck"]
ENTRYPOINT ["/usr/local/bin/vbx"]
# The configuration is mounted read-only at /etc/vbx/vbx.toml; the listen address here wins
# over server.listen so that a published port reaches vbx (Compose listens on 127.0.0.1).
CMD ["serve", "--config", "/etc/vbx/vbx.toml", "--data-dir", "/var/lib/vbx", "--listen", "0.0.0.0:8000"]
