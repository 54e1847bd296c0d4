"""Logging of the server process, configured in one place, and the request id.

``configure_logging`` is called by the CLI before it serves or migrates: every line the
process writes (ours, uvicorn's error and access logs, alembic's) goes through one handler
on stderr in one format, ``text`` (a human-readable line) or ``json`` (one object per
line, ``MESSENGER_LOG_FORMAT=json``). uvicorn is handed ``UVICORN_LOG_CONFIG`` so that it
installs no format of its own.

Each HTTP request and socket gets a request id (``RequestIds``): a sane ``X-Request-ID``
from the client or proxy is kept, else one is made; the response carries it, and every
record logged while the request is handled has it (a context variable).

What never reaches a log line: tokens and passwords (access lines lose their query string,
where a careless client may put ``?token=``; ``token=``/``password=`` values in any message
are blanked) and message text (nothing logs it).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import sys
import time
from contextvars import ContextVar
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER = REQUEST_ID_HEADER.lower().encode()
# What a proxy's or client's id may look like: a UUID, a hex or base64url string, a trace id.
_SANE_ID = re.compile(rb"[A-Za-z0-9._:+/=-]{1,128}")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIds:
    """ASGI middleware: a request id per HTTP request and socket, in the context of
    whatever it logs, and on the HTTP response as ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Litestar hands its ``lifespan`` scope to no middleware: HTTP and sockets only.
        kind = scope["type"]
        rid = _incoming(scope["headers"]) or _new_id()
        token = request_id.set(rid)
        try:
            if kind == ScopeType.HTTP:
                header = (_HEADER, rid.encode())

                async def send_with_id(message: Message) -> None:
                    if message["type"] == "http.response.start":
                        message["headers"] = [*message.get("headers", ()), header]
                    await send(message)

                await self.app(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send)
        finally:
            request_id.reset(token)


# Unique, not secret: a random tag of this process and a counter cost a fraction of fresh
# random bytes per request (a system call each).
_PROCESS_TAG = secrets.token_hex(4)
_counter = itertools.count(1)


def _new_id() -> str:
    return f"{_PROCESS_TAG}{next(_counter):08x}"


def _incoming(headers: Any) -> str | None:
    for name, value in headers:
        if name == _HEADER:
            return value.decode() if _SANE_ID.fullmatch(value) else None
    return None


# --- redaction ---------------------------------------------------------------------------

_SECRET_IN_TEXT = re.compile(
    r"((?:access_|refresh_|invite_)?(?:token|password|secret)=)[^&\s\"']*", re.IGNORECASE
)


def _redact(text: str) -> str:
    return _SECRET_IN_TEXT.sub(r"\1***", text) if "=" in text else text


class ScrubSecrets(logging.Filter):
    """Adds the request id to each record; drops the query string of access lines and
    blanks ``token=``/``password=`` values in every other message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            # (client, method, path with query, HTTP version, status): the path alone.
            client, method, path, version, status = args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
            return True
        if isinstance(args, tuple) and args:
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        return True


class QuietAlembicPlugins(logging.Filter):
    """Alembic's "Context impl SQLiteImpl." and "Will assume transactional DDL." say
    nothing an operator needs: debug level."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith(("Context impl", "Will assume")):
            # The handler's level then drops it unless debug logging is on.
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


# --- formats -----------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request id, and the
    traceback of an exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid is not None:
            entry["request_id"] = rid
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            client, method, path, _, status = (*record.args, None, None, None, None, None)[:5]
            entry.update(client=client, method=method, path=path, status=status)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-12-07T14:29:17.123Z INFO uvicorn.access [3f2a...] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _utc(record.created)

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.rid = f" [{rid}]" if rid else ""
        return super().format(record)


def _utc(created: float) -> str:
    seconds = int(created)
    millis = int((created - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


# --- configuration -----------------------------------------------------------------------

# For ``uvicorn.Config(log_config=...)``: uvicorn keeps its loggers (and the access log's
# on/off switch) but adds no handler or format; theirs propagate to ours on the root.
UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
        "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "uvicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
    },
}


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """One handler on stderr for the whole process, in ``log_format`` (``text``, ``json``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ScrubSecrets())
    handler.setLevel(level)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    migration = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, QuietAlembicPlugins) for f in migration.filters):
        migration.addFilter(QuietAlembicPlugins())
    # Python's warnings (deprecations in dependencies) go through the same handler.
    logging.captureWarnings(True)
