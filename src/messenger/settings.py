"""Settings read from ``MESSENGER_*`` environment variables.

Nothing is read at import time: ``Settings.from_env()`` is called by the CLI (or an
embedding service) and the result handed to the container.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/messenger.db"
# Production needs no development origins (a dev server on :3000 is ``make run``'s to add);
# the server's own origin is always allowed.
DEFAULT_CORS_ORIGINS = (
    # The Electron client loads its page from a custom scheme; browsers send "null" as the
    # origin of file:// pages, which we deliberately do not allow.
    "app://.",
)
MIN_SECRET_BYTES = 32


class SettingsError(ValueError):
    """An environment variable holds a value the server cannot start with."""


@dataclass(frozen=True)
class Settings:
    """Everything the server is configured with."""

    secret_key: str
    database_url: str = DEFAULT_DATABASE_URL
    access_token_ttl: int = 900
    token_audience: str = "messenger"
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    upload_dir: Path = Path("var/uploads")
    max_upload_bytes: int = 20 * 1024 * 1024
    # Requests per minute and client address on the /auth routes (login, register, refresh).
    auth_rate_limit: int = 60
    # How many argon2 computations may run at once; each takes ~64 MiB and a core.
    hash_concurrency: int = 2
    # Seconds a unit of work (one request's database work) may take in all before it fails
    # with 503: a stalled database must fail requests quickly, not hold them (0: no limit).
    db_timeout: float = 5.0
    broker_url: str | None = None
    # The HTML API docs pages (Scalar, Swagger) load their scripts from a public CDN, on the
    # origin of the web client that keeps tokens: off unless asked for (``make run`` does).
    # openapi.json and asyncapi.json are always served.
    docs: bool = False
    # permessage-deflate on sockets whose client asks for it (browsers do): ~30 KiB more on
    # each such socket for as long as it is open, to shrink frames of small JSON.
    ws_compression: bool = False
    # The path prefix under which clients reach the app ("/chat" when it is mounted there,
    # or behind a proxy that strips it): URLs the server hands out (attachments, the
    # AsyncAPI document's socket address) start with it.
    root_path: str = ""
    # Per-user budgets against flooding (MESSENGER_LIMIT_*; 0: no limit); see the domain's
    # ``Limits`` for what each counts.
    limit_post_rate: int = 20
    limit_post_burst: int = 60
    limit_chats_per_hour: int = 50
    limit_member_adds_per_hour: int = 300
    limit_uploads_per_minute: int = 20
    limit_upload_quota_bytes: int = 1024**3
    limit_unattached_upload_hours: int = 24
    # Sockets that have not authenticated yet, per client address: each costs memory and an
    # ASGI task while it waits for its ``auth`` frame.
    ws_unauth_per_address: int = 100
    # A refresh session (a logged-in device) ends after this many days without a refresh,
    # and this many days after login whatever happens.
    session_idle_days: int = 30
    session_max_days: int = 90
    # In chats of more members than this, ``typing`` reaches only sockets that sent
    # ``join_chat`` for the chat (the domain's ``Limits.typing_joined_above``).
    typing_joined_above: int = 100
    # Audit log entries are kept this many days, then pruned by housekeeping (0: forever).
    audit_retention_days: int = 365

    def __post_init__(self) -> None:
        if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(
                f"MESSENGER_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes long."
            )
        if self.access_token_ttl < 1:
            raise SettingsError("MESSENGER_ACCESS_TOKEN_TTL must be a positive number of seconds.")
        if self.max_upload_bytes < 1:
            raise SettingsError("MESSENGER_MAX_UPLOAD_BYTES must be positive.")
        for name in _LIMIT_SETTINGS:
            if getattr(self, name) < 0:
                raise SettingsError(f"MESSENGER_{name.upper()} must not be negative.")
        if self.limit_post_rate and self.limit_post_burst < 1:
            raise SettingsError("MESSENGER_LIMIT_POST_BURST must be at least 1.")
        if self.typing_joined_above < 0:
            raise SettingsError("MESSENGER_TYPING_JOINED_ABOVE must not be negative.")
        if self.audit_retention_days < 0:
            raise SettingsError(
                "MESSENGER_AUDIT_RETENTION_DAYS must not be negative (0 keeps entries forever)."
            )
        if self.ws_unauth_per_address < 1:
            raise SettingsError("MESSENGER_WS_UNAUTH_PER_ADDRESS must be positive.")
        if not 1 <= self.session_idle_days <= self.session_max_days:
            raise SettingsError(
                "MESSENGER_SESSION_IDLE_DAYS must be positive and at most "
                "MESSENGER_SESSION_MAX_DAYS."
            )
        if self.root_path and (not self.root_path.startswith("/") or self.root_path.endswith("/")):
            raise SettingsError(
                "MESSENGER_ROOT_PATH must start with '/' and not end with it, like '/chat'."
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; without ``MESSENGER_SECRET_KEY`` a development key is kept
        in ``var/secret_key``."""
        env = os.environ if environ is None else environ
        secret = env.get("MESSENGER_SECRET_KEY") or dev_secret_key(Path("var/secret_key"))
        origins = env.get("MESSENGER_CORS_ORIGINS")
        return cls(
            secret_key=secret,
            database_url=env.get("MESSENGER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            access_token_ttl=_int(env, "MESSENGER_ACCESS_TOKEN_TTL", 900),
            cors_origins=(
                tuple(o.strip() for o in origins.split(",") if o.strip())
                if origins is not None
                else DEFAULT_CORS_ORIGINS
            ),
            upload_dir=Path(env.get("MESSENGER_UPLOAD_DIR") or "var/uploads"),
            max_upload_bytes=_int(env, "MESSENGER_MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
            auth_rate_limit=_int(env, "MESSENGER_AUTH_RATE_LIMIT", 60),
            hash_concurrency=_int(env, "MESSENGER_HASH_CONCURRENCY", 2),
            db_timeout=_float(env, "MESSENGER_DB_TIMEOUT", 5.0),
            broker_url=env.get("MESSENGER_BROKER_URL") or None,
            docs=env.get("MESSENGER_DOCS", "0").lower() not in ("", "0", "false", "no"),
            ws_compression=env.get("MESSENGER_WS_COMPRESSION", "0").lower()
            not in ("", "0", "false", "no"),
            root_path=env.get("MESSENGER_ROOT_PATH", ""),
            limit_post_rate=_int(env, "MESSENGER_LIMIT_POST_RATE", 20),
            limit_post_burst=_int(env, "MESSENGER_LIMIT_POST_BURST", 60),
            limit_chats_per_hour=_int(env, "MESSENGER_LIMIT_CHATS_PER_HOUR", 50),
            limit_member_adds_per_hour=_int(env, "MESSENGER_LIMIT_MEMBER_ADDS_PER_HOUR", 300),
            limit_uploads_per_minute=_int(env, "MESSENGER_LIMIT_UPLOADS_PER_MINUTE", 20),
            limit_upload_quota_bytes=_int(env, "MESSENGER_LIMIT_UPLOAD_QUOTA_BYTES", 1024**3),
            limit_unattached_upload_hours=_int(env, "MESSENGER_LIMIT_UNATTACHED_UPLOAD_HOURS", 24),
            ws_unauth_per_address=_int(env, "MESSENGER_WS_UNAUTH_PER_ADDRESS", 100),
            session_idle_days=_int(env, "MESSENGER_SESSION_IDLE_DAYS", 30),
            session_max_days=_int(env, "MESSENGER_SESSION_MAX_DAYS", 90),
            typing_joined_above=_int(env, "MESSENGER_TYPING_JOINED_ABOVE", 100),
            audit_retention_days=_int(env, "MESSENGER_AUDIT_RETENTION_DAYS", 365),
        )


_LIMIT_SETTINGS = (
    "limit_post_rate",
    "limit_post_burst",
    "limit_chats_per_hour",
    "limit_member_adds_per_hour",
    "limit_uploads_per_minute",
    "limit_upload_quota_bytes",
    "limit_unattached_upload_hours",
)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}.") from None
    if not value >= 0:
        raise SettingsError(f"{name} must not be negative.")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, not {raw!r}.") from None


def dev_secret_key(path: Path) -> str:
    """A signing key generated on first use and kept (owner-only) for later runs."""
    try:
        key = path.read_text().strip()
        if len(key.encode()) >= MIN_SECRET_BYTES:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with 0600 from the start, so the key is never readable by others even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key
