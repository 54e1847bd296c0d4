"""The REST API: ``create_app(container)`` builds the Litestar app."""

from messenger.contract import API_PREFIX
from messenger.entrypoints.http.app import create_app

__all__ = ["API_PREFIX", "create_app"]
