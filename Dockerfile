# The messenger server with its web client: `docker compose up --build` (compose.yaml).
# Build stage: the wheel, which carries the migrations and the web client (setup.py).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md LICENSE ./
COPY src ./src
COPY migrations ./migrations
COPY client/renderer ./client/renderer
COPY client/locales ./client/locales
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# A user of its own; its home holds what the server writes (the uploads volume).
RUN groupadd --system --gid 10001 messenger \
    && useradd --system --uid 10001 --gid messenger --create-home --home-dir /var/lib/messenger messenger \
    && mkdir -p /var/lib/messenger/uploads \
    && chown -R messenger:messenger /var/lib/messenger
# The exact versions of requirements.lock first (a layer that survives code changes),
# then the wheel alone.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --requirement /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir --no-deps /tmp/dist/*.whl && rm -rf /tmp/dist
COPY deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

# Numeric, so runtimes that check for a non-root user (runAsNonRoot) can tell.
USER 10001:10001
WORKDIR /var/lib/messenger
ENV MESSENGER_UPLOAD_DIR=/var/lib/messenger/uploads
EXPOSE 8000
# slim has no curl: the standard library asks /ready (the database answers, or 503).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/api/v1/ready', timeout=4)"]
# Exec form throughout, and the entrypoint ends in `exec`: the server becomes PID 1, so the
# SIGTERM of `docker stop` reaches it and it drains its sockets before exiting.
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["messenger", "serve", "--host", "0.0.0.0", "--port", "8000"]
