"""The REST API: ``create_app(container)`` builds the Litestar app."""

from messenger.entrypoints.http.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
