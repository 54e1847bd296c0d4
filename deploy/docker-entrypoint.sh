#!/bin/sh
# The image's entrypoint: refuse to start without a signing key, migrate before serving,
# then `exec` the command so the server replaces this shell as PID 1 and receives SIGTERM.
set -eu

if [ -z "${MESSENGER_SECRET_KEY:-}" ]; then
    echo "messenger: set MESSENGER_SECRET_KEY (32+ random bytes, e.g. openssl rand -base64 48)" >&2
    exit 64
fi

if [ "${1:-}" = "messenger" ] && [ "${2:-}" = "serve" ]; then
    # Several replicas may start at once: alembic's version table makes a second run a no-op.
    messenger migrate
fi

exec "$@"
