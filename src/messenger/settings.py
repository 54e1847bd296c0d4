"""Settings read from ``MESSENGER_*`` environment variables.

Nothing is read at import time: ``Settings.from_env()`` is called by the CLI (or an
embedding service) and the result handed to the container.
"""

from __future__ import annotations

import os
import secrets
import textwrap
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
REGISTRATION_MODES = ("open", "invite", "closed")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class EnvironmentVariable:
    """One variable the server reads: ``messenger --help`` lists them, the README documents
    them (a test holds the two to this table, and the table to the names ``src`` reads)."""

    name: str
    default: str
    meaning: str


# Every environment variable the ``messenger`` command and the server read, in the order
# ``--help`` shows them. A new setting is one row here (and its field and parsing below).
ENVIRONMENT: tuple[EnvironmentVariable, ...] = (
    EnvironmentVariable(
        "MESSENGER_DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "mysql+aiomysql://user:pw@host/db for MariaDB; memory:// keeps all in memory; "
        "a relative SQLite path is relative to the working directory",
    ),
    EnvironmentVariable(
        "MESSENGER_SECRET_KEY",
        "generated once into var/secret_key",
        "token signing key, at least 32 bytes; set it in production",
    ),
    EnvironmentVariable(
        "MESSENGER_BROKER_URL", "none", "redis://host:6379/0 to fan events out across processes"
    ),
    EnvironmentVariable("MESSENGER_ACCESS_TOKEN_TTL", "900", "access-token lifetime, seconds"),
    EnvironmentVariable(
        "MESSENGER_SESSION_IDLE_DAYS", "30", "a device not refreshed this long is logged out"
    ),
    EnvironmentVariable("MESSENGER_SESSION_MAX_DAYS", "90", "a session ends this long after login"),
    EnvironmentVariable(
        "MESSENGER_CORS_ORIGINS", "app://.", "comma-separated browser origins allowed"
    ),
    EnvironmentVariable(
        "MESSENGER_UPLOAD_DIR", "var/uploads", "where uploads are stored (relative: to the cwd)"
    ),
    EnvironmentVariable("MESSENGER_MAX_UPLOAD_BYTES", "20971520", "upload size limit, bytes"),
    EnvironmentVariable(
        "MESSENGER_AUTH_RATE_LIMIT", "60", "requests per minute and address on /auth routes"
    ),
    EnvironmentVariable(
        "MESSENGER_DB_TIMEOUT", "5", "seconds a request's database work may take (0: no limit)"
    ),
    EnvironmentVariable("MESSENGER_HASH_CONCURRENCY", "2", "argon2 computations at once"),
    EnvironmentVariable("MESSENGER_DOCS", "0", "1 serves the HTML API docs at /api/v1/docs"),
    EnvironmentVariable("MESSENGER_WS_COMPRESSION", "0", "1 offers permessage-deflate on sockets"),
    EnvironmentVariable(
        "MESSENGER_TYPING_JOINED_ABOVE", "100", "bigger chats send typing to joined sockets only"
    ),
    EnvironmentVariable(
        "MESSENGER_WS_UNAUTH_PER_ADDRESS", "100", "unauthenticated sockets per client address"
    ),
    EnvironmentVariable(
        "MESSENGER_SYNC_CONCURRENCY", "8", "GET /sync requests served at once (0: no limit)"
    ),
    EnvironmentVariable(
        "MESSENGER_SYNC_QUEUE", "200", "GET /sync requests waiting; more get 503 + Retry-After"
    ),
    EnvironmentVariable("MESSENGER_ROOT_PATH", "empty", "path prefix clients reach the app under"),
    EnvironmentVariable("MESSENGER_LIMIT_POST_RATE", "20", "messages per user and second"),
    EnvironmentVariable("MESSENGER_LIMIT_POST_BURST", "60", "messages a user may post at once"),
    EnvironmentVariable(
        "MESSENGER_LIMIT_CHATS_PER_HOUR", "50", "dialogs and groups opened per user and hour"
    ),
    EnvironmentVariable(
        "MESSENGER_LIMIT_MEMBER_ADDS_PER_HOUR", "300", "people added to groups per user and hour"
    ),
    EnvironmentVariable(
        "MESSENGER_LIMIT_GROUP_MEMBERS", "1000", "members a group may have (2 or more)"
    ),
    EnvironmentVariable("MESSENGER_LIMIT_UPLOADS_PER_MINUTE", "20", "uploads per user and minute"),
    EnvironmentVariable(
        "MESSENGER_LIMIT_UPLOAD_QUOTA_BYTES", "1073741824", "total size of a user's files"
    ),
    EnvironmentVariable(
        "MESSENGER_LIMIT_UNATTACHED_UPLOAD_HOURS", "24", "uploads on no message are deleted after"
    ),
    EnvironmentVariable(
        "MESSENGER_METRICS", "0", "1: serve Prometheus metrics at GET /metrics (off: 404)"
    ),
    EnvironmentVariable(
        "MESSENGER_METRICS_TOKEN", "unset", "bearer token GET /metrics requires when set"
    ),
    EnvironmentVariable(
        "MESSENGER_LOG_FORMAT", "text", "json: every log line is one JSON object, with request id"
    ),
    EnvironmentVariable(
        "MESSENGER_REGISTRATION",
        "open",
        "who may register: open, invite or closed (an admin's setting overrides it)",
    ),
    EnvironmentVariable(
        "MESSENGER_PASSWORD_RESET_HOURS", "24", "how long an admin's password-reset link is valid"
    ),
    EnvironmentVariable(
        "MESSENGER_PUBLIC_URL",
        "the address of each request",
        "where users open the web client (https://chat.example.com): invite and reset links",
    ),
    EnvironmentVariable(
        "MESSENGER_AUDIT_RETENTION_DAYS",
        "365",
        "audit log entries are kept this many days (0: all)",
    ),
    EnvironmentVariable(
        "MESSENGER_FEED_RETENTION_DAYS",
        "30",
        "the sync feed keeps this many days; older cursors get 410 resync_required (0: all)",
    ),
    EnvironmentVariable(
        "MESSENGER_WEB_DIR",
        "the packaged client",
        "directory of a web client (its index.html) to serve at / instead",
    ),
    EnvironmentVariable(
        "FORWARDED_ALLOW_IPS",
        "unset: proxy headers ignored",
        "addresses of trusted proxies whose X-Forwarded-For/-Proto are believed",
    ),
    EnvironmentVariable(
        "MESSENGER_PASSWORD", "prompt", "the password `messenger create-user` sets (else asked)"
    ),
)


def environment_help() -> str:
    """The variables as plain text, one per line, for ``messenger --help``."""
    lines: list[str] = []
    for var in ENVIRONMENT:
        lines.append(f"  {var.name} (default: {var.default})")
        lines.extend(
            textwrap.wrap(var.meaning, 78, initial_indent=" " * 6, subsequent_indent=" " * 6)
        )
    return "\n".join(lines)


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
    # Every post to a group is one frame per member's socket: the size of the biggest
    # channel is the deployment's choice (the big-channel bench raises it to 5,000).
    limit_group_members: int = 1000
    limit_upload_quota_bytes: int = 1024**3
    limit_unattached_upload_hours: int = 24
    # Sockets that have not authenticated yet, per client address: each costs memory and an
    # ASGI task while it waits for its ``auth`` frame.
    ws_unauth_per_address: int = 100
    # Catch-ups (``GET /sync``) served at once, and how many more may wait for a place;
    # beyond that a client is told to come back (503 + Retry-After). After a restart every
    # client calls it within seconds (0: no limit).
    sync_concurrency: int = 8
    sync_queue: int = 200
    # A refresh session (a logged-in device) ends after this many days without a refresh,
    # and this many days after login whatever happens.
    session_idle_days: int = 30
    session_max_days: int = 90
    # In chats of more members than this, ``typing`` reaches only sockets that sent
    # ``join_chat`` for the chat (the domain's ``Limits.typing_joined_above``).
    typing_joined_above: int = 100
    # ``GET /metrics`` (Prometheus) is served only when on; with a token set, only to
    # requests that carry it as a bearer token.
    metrics: bool = False
    metrics_token: str | None = None
    # ``text`` (one human-readable line per record) or ``json`` (one JSON object per line).
    log_format: str = "text"
    # Who may register (open, invite, closed) until an administrator sets the mode at run
    # time (``PATCH /admin/settings``); a fresh server takes its first account whatever it is.
    registration: str = "open"
    # How long a password-reset link an administrator issues stays valid.
    password_reset_hours: int = 24
    # The address users open the web client at (scheme, host and root path, no trailing
    # slash): links the server hands out (invites, password resets) start with it. Unset:
    # the address each request came to (the shell's commands then need ``--url``).
    public_url: str | None = None
    # Audit log entries are kept this many days, then pruned by housekeeping (0: forever).
    audit_retention_days: int = 365
    # The change feed keeps this many days (0: forever): a client whose cursor is older
    # reloads its snapshot (410 resync_required).
    feed_retention_days: int = 30

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
        if self.limit_group_members < 2:
            raise SettingsError("MESSENGER_LIMIT_GROUP_MEMBERS must be at least 2.")
        if self.typing_joined_above < 0:
            raise SettingsError("MESSENGER_TYPING_JOINED_ABOVE must not be negative.")
        if self.audit_retention_days < 0:
            raise SettingsError(
                "MESSENGER_AUDIT_RETENTION_DAYS must not be negative (0 keeps entries forever)."
            )
        if self.feed_retention_days < 0:
            raise SettingsError(
                "MESSENGER_FEED_RETENTION_DAYS must not be negative (0 keeps the feed forever)."
            )
        if self.sync_concurrency < 0 or self.sync_queue < 0:
            raise SettingsError(
                "MESSENGER_SYNC_CONCURRENCY and MESSENGER_SYNC_QUEUE must not be negative."
            )
        if self.ws_unauth_per_address < 1:
            raise SettingsError("MESSENGER_WS_UNAUTH_PER_ADDRESS must be positive.")
        if not 1 <= self.session_idle_days <= self.session_max_days:
            raise SettingsError(
                "MESSENGER_SESSION_IDLE_DAYS must be positive and at most "
                "MESSENGER_SESSION_MAX_DAYS."
            )
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(
                f"MESSENGER_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                f"not {self.log_format!r}."
            )
        if self.registration not in REGISTRATION_MODES:
            raise SettingsError(
                "MESSENGER_REGISTRATION must be one of " + ", ".join(REGISTRATION_MODES) + "."
            )
        if not 1 <= self.password_reset_hours <= 24 * 30:
            raise SettingsError("MESSENGER_PASSWORD_RESET_HOURS must be 1-720.")
        if self.public_url is not None and (
            not self.public_url.startswith(("http://", "https://")) or self.public_url.endswith("/")
        ):
            raise SettingsError(
                "MESSENGER_PUBLIC_URL must start with http:// or https:// and not end with '/', "
                "like 'https://chat.example.com'."
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
            limit_group_members=_int(env, "MESSENGER_LIMIT_GROUP_MEMBERS", 1000),
            limit_upload_quota_bytes=_int(env, "MESSENGER_LIMIT_UPLOAD_QUOTA_BYTES", 1024**3),
            limit_unattached_upload_hours=_int(env, "MESSENGER_LIMIT_UNATTACHED_UPLOAD_HOURS", 24),
            ws_unauth_per_address=_int(env, "MESSENGER_WS_UNAUTH_PER_ADDRESS", 100),
            sync_concurrency=_int(env, "MESSENGER_SYNC_CONCURRENCY", 8),
            sync_queue=_int(env, "MESSENGER_SYNC_QUEUE", 200),
            session_idle_days=_int(env, "MESSENGER_SESSION_IDLE_DAYS", 30),
            session_max_days=_int(env, "MESSENGER_SESSION_MAX_DAYS", 90),
            typing_joined_above=_int(env, "MESSENGER_TYPING_JOINED_ABOVE", 100),
            metrics=env.get("MESSENGER_METRICS", "0").lower() not in ("", "0", "false", "no"),
            metrics_token=env.get("MESSENGER_METRICS_TOKEN") or None,
            log_format=(env.get("MESSENGER_LOG_FORMAT") or "text").strip().lower(),
            registration=(env.get("MESSENGER_REGISTRATION") or "open").strip().lower(),
            password_reset_hours=_int(env, "MESSENGER_PASSWORD_RESET_HOURS", 24),
            public_url=env.get("MESSENGER_PUBLIC_URL") or None,
            audit_retention_days=_int(env, "MESSENGER_AUDIT_RETENTION_DAYS", 365),
            feed_retention_days=_int(env, "MESSENGER_FEED_RETENTION_DAYS", 30),
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
