# natm-bot as a container image.
#
#   podman build --format docker -t natm-bot .        (or: docker build -t natm-bot .)
#
# State (database, encryption store, credentials.json) lives in the volume /var/lib/natm-bot;
# the config is mounted read-only at /etc/natm-bot/bot.yaml. The bot runs as the user
# natm-bot, uid 10001. See "Running in production" in README.md for the login step and the
# rest. (`--format docker` keeps the HEALTHCHECK, which podman's default OCI format drops.)

# --- build: the bot and its libraries in a virtual environment -----------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/natm-bot
COPY pyproject.toml README.md bot.example.yaml /src/
COPY natm_bot /src/natm_bot
COPY commands /src/commands
COPY data /src/data
# Behind a proxy that inspects TLS, give pip its certificate authority as a build secret:
#   podman build --secret id=pip-ca,src=/etc/ssl/certs/ca-certificates.crt -t natm-bot .
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
    && /opt/natm-bot/bin/pip install --no-cache-dir --disable-pip-version-check /src \
    && /opt/natm-bot/bin/pip uninstall --yes --quiet pip setuptools

# --- run: Python and the environment, nothing to build with -------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
    && groupadd --system --gid 10001 natm-bot \
    && useradd --system --uid 10001 --gid natm-bot --home-dir /var/lib/natm-bot \
        --no-create-home --shell /usr/sbin/nologin natm-bot \
    && install -d -o natm-bot -g natm-bot -m 0700 /var/lib/natm-bot \
    && install -d -m 0755 /etc/natm-bot
COPY deploy/healthcheck.py /usr/local/lib/natm-bot/healthcheck.py
COPY --from=build /opt/natm-bot /opt/natm-bot

ENV PATH=/opt/natm-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER natm-bot
WORKDIR /var/lib/natm-bot
VOLUME ["/var/lib/natm-bot"]

# The bot's /healthz when `http:` is in bot.yaml, else: alive and its database opens.
# `podman healthcheck run` / `docker inspect` show the result.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/opt/natm-bot/bin/python", "/usr/local/lib/natm-bot/healthcheck.py", \
         "/etc/natm-bot/bot.yaml"]

# `podman stop` sends SIGTERM: the bot stops within 10 seconds and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["natm-bot"]
CMD ["run", "-c", "/etc/natm-bot/bot.yaml"]
