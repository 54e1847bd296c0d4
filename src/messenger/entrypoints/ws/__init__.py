"""The real-time entrypoint: the socket protocol, the connection hub and ``sync``."""

from messenger.entrypoints.ws.hub import Connection, ConnectionHub, HubConfig, Transport
from messenger.entrypoints.ws.realtime import SYNC_PATH, WS_PATH, Realtime, SyncPage, sync
from messenger.entrypoints.ws.session import Session, SessionConfig

__all__ = [
    "SYNC_PATH",
    "WS_PATH",
    "Connection",
    "ConnectionHub",
    "HubConfig",
    "Realtime",
    "Session",
    "SessionConfig",
    "SyncPage",
    "Transport",
    "sync",
]
