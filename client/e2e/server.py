"""Runs the real messenger server for the browser tests, exactly as ``messenger serve``
does, plus the web client at ``/`` in case the app factory does not mount it yet."""

from __future__ import annotations

import argparse

import uvicorn

from messenger.container import Container
from messenger.entrypoints.http import create_app
from messenger.entrypoints.webclient import web_client_route_handlers
from messenger.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings.from_env()
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(Container(settings=settings))
    if not any(route.path == "/" for route in app.routes):
        for router in web_client_route_handlers():
            app.register(router)
    uvicorn.run(app, host="127.0.0.1", port=args.port, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
