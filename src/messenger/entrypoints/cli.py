"""The messenger server: serve the API and web client, migrate the database, manage it.

Settings come from the environment (below); a relative path in them (the SQLite default,
var/uploads) is relative to the directory the command runs in.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import importlib.metadata
import importlib.util
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from messenger.container import (
    Container,
    DatabaseUnreachable,
    SchemaStatus,
    running,
    schema_status,
    upgrade_database,
)
from messenger.domain.administration import OPERATOR, UserFilter
from messenger.domain.errors import DomainError
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.settings import LOG_FORMATS, Settings, SettingsError, environment_help

DISTRIBUTION = "messenger-server"

# How long a shutdown waits for socket sends in hand to finish and be acknowledged.
SOCKET_DRAIN_S = 5.0
# How long `serve` waits for the database to tell its schema's revision before it starts
# without knowing (a stalled database must not hold the start for long).
SCHEMA_CHECK_TIMEOUT_S = 3.0


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise SystemExit(f"messenger: {exc}") from None


def _configure_logging() -> None:
    from messenger.entrypoints.logs import configure_logging

    # Before anything logs: every line of the process in the one format asked for. Settings
    # that do not validate are the command's to report (``check`` lists them), so the
    # format is then read on its own.
    try:
        log_format = Settings.from_env().log_format
    except SettingsError:
        log_format = os.environ.get("MESSENGER_LOG_FORMAT", "").strip().lower()
    configure_logging(log_format if log_format in LOG_FORMATS else "text")


def _prepare_sqlite_dir(database_url: str) -> None:
    # "sqlite+aiosqlite:///var/messenger.db" on a fresh clone: create "var/" first.
    marker = ":///"
    if database_url.startswith("sqlite") and marker in database_url:
        path = database_url.split(marker, 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)


def serve(host: str, port: int, *, access_log: bool = False) -> None:
    """Run the API with uvicorn until SIGINT/SIGTERM (finishing requests in flight).

    One process: events reach only this process's sockets until a broker notifier is set.
    """
    import uvicorn

    from messenger.entrypoints.http import create_app
    from messenger.entrypoints.http.app import DRAIN_SOCKETS
    from messenger.entrypoints.logs import UVICORN_LOG_CONFIG
    from messenger.entrypoints.ws import SessionConfig
    from messenger.entrypoints.ws.uvicorn_protocol import CompactWebSocketProtocol

    settings = _settings()
    _prepare_sqlite_dir(settings.database_url)
    # Serving an old schema fails later, on some request, with a 500: refuse at once.
    try:
        status = schema_status(settings.database_url, SCHEMA_CHECK_TIMEOUT_S)
    except DatabaseUnreachable as exc:
        # The server rides out a database outage (/ready answers 503 until it is back), so
        # it starts without one too; `messenger check` tells an operator what is wrong.
        logging.getLogger(__name__).warning(
            "Cannot check the database schema (%s); serving anyway", exc
        )
        status = None
    problem = status.problem() if status is not None else None
    if problem:
        raise SystemExit(f"messenger: {problem}")
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(Container(settings=settings))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        # The sans-I/O protocol needs the least CPU per connect and memory per idle socket;
        # this subclass of it keeps ~6 KiB less on each open socket.
        ws=CompactWebSocketProtocol,
        # Off unless configured: a compressing socket keeps ~30 KiB of zlib state.
        ws_per_message_deflate=settings.ws_compression,
        # The app refuses bigger frames anyway, but only after uvicorn has buffered them
        # (16 MiB by its default, before the socket has even authenticated); this way the
        # protocol closes the socket with 1009 as soon as a frame's header announces more.
        ws_max_size=SessionConfig().max_frame_bytes,
        # A log line per request cost ~3% of a history request's CPU; off unless asked for.
        access_log=access_log,
        # Logging is configured once for the process (``configure_logging``): uvicorn adds
        # no handler or format of its own.
        log_config=UVICORN_LOG_CONFIG,
        timeout_graceful_shutdown=10,
        # X-Forwarded-For decides the client address (and so its rate-limit budget): trusted
        # only when the operator names the proxies. uvicorn would otherwise trust 127.0.0.1,
        # so anything on the host could claim a fresh address with every request.
        proxy_headers=bool(os.environ.get("FORWARDED_ALLOW_IPS")),
        server_header=False,
    )
    drain = app.state[DRAIN_SOCKETS]

    class DrainingServer(uvicorn.Server):
        """On SIGTERM/SIGINT the app first finishes the socket frames in hand and
        acknowledges them; only then does uvicorn close the sockets."""

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await drain(SOCKET_DRAIN_S)
            except Exception:
                logging.getLogger(__name__).exception("Draining the sockets failed")
            await super().shutdown(sockets)

    # What is built by now (modules, the app, its routes) lives as long as the process: out
    # of the collector's way, a full collection no longer walks it. Those walks had grown
    # with the admin, metrics and moderation code into stalls that set the steady delivery
    # p99 (make bench, MariaDB: 29-88 ms without, 22-45 ms with, 12-20 ms before those).
    gc.freeze()
    DrainingServer(config).run()


def _status(database_url: str) -> SchemaStatus | None:
    try:
        return schema_status(database_url)
    except DatabaseUnreachable as exc:
        raise SystemExit(f"messenger: cannot reach the database: {exc}") from None


def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = _settings()
    _prepare_sqlite_dir(settings.database_url)
    upgrade_database(settings.database_url)
    print("messenger: database is up to date")


def migrate_status() -> int:
    """Print the database's revision and the code's newest; 0 when they match."""
    settings = _settings()
    status = _status(settings.database_url)
    if status is None:
        print("current: in-memory storage has no schema")
        return 0
    print(f"current: {', '.join(status.current) or 'none (never migrated)'}")
    print(f"head:    {', '.join(status.head)}")
    problem = status.problem()
    if problem:
        print(f"messenger: {problem}", file=sys.stderr)
        return 1
    return 0


def check(environ: dict[str, str] | None = None) -> int:
    """Check what the server needs before it serves: one line per problem, 0 when none."""
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        # Nothing else can be checked without valid settings.
        print(f"messenger: settings: {exc}", file=sys.stderr)
        return 1
    problems: list[str] = []
    try:
        status = schema_status(settings.database_url)
    except DatabaseUnreachable as exc:
        problems.append(f"database: cannot reach it: {exc}")
    else:
        problem = status.problem() if status is not None else None
        if problem:
            problems.append(f"database: {problem}")
    upload_problem = _writable_problem(settings.upload_dir)
    if upload_problem:
        problems.append(f"uploads: {upload_problem}")
    for problem in problems:
        print(f"messenger: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("messenger: OK (settings valid, database reachable and current, uploads writable)")
    return 0


def _writable_problem(directory: Path) -> str | None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Writing a file is the only test that holds for ACLs, read-only mounts and quotas.
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".check-"):
            pass
    except OSError as exc:
        return f"{directory} is not writable: {exc.strerror or exc}"
    return None


def version() -> str:
    """The installed distribution's version (or the checkout's, when run from source)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


async def _create_user(
    username: str, password: str, email: str | None, name: str | None, *, admin: bool
) -> int:
    container = Container(settings=_settings())
    async with running(container) as (messenger, _):
        # The operator creates accounts whatever the registration mode.
        result = await messenger.register(
            username, password, email=email, display_name=name, admin=admin, by_operator=True
        )
        # Registering opened a session that nobody will use.
        await messenger.log_out(AccessClaims(user_id=result.user.id, session_id=result.session.id))
        return result.user.id


def create_user(
    username: str, email: str | None, display_name: str | None, *, admin: bool = False
) -> None:
    """Register an account from the command line (password from MESSENGER_PASSWORD or a
    prompt); ``admin``: a server administrator."""
    password = os.environ.get("MESSENGER_PASSWORD") or getpass.getpass("Password: ")
    try:
        user_id = asyncio.run(_create_user(username, password, email, display_name, admin=admin))
    except DomainError as exc:
        raise SystemExit(f"messenger: {exc.message}") from None
    role = "administrator" if admin else "user"
    print(f"messenger: created {role} {username!r} with id {user_id}")


async def _delete_abandoned_uploads() -> int:
    async with running(Container(settings=_settings())) as (messenger, _):
        return await messenger.delete_abandoned_uploads()


def cleanup_uploads() -> None:
    """Delete the uploads attached to no message that are older than the limit (the server
    also does it every hour)."""
    deleted = asyncio.run(_delete_abandoned_uploads())
    print(f"messenger: deleted {deleted} uploads attached to no message")


async def _prune_feed() -> int:
    async with running(Container(settings=_settings())) as (messenger, _):
        return await messenger.prune_feed()


def prune_feed() -> None:
    """Delete feed entries older than the retention, in small batches (the server also does
    it every hour); running it while servers prune too is harmless."""
    pruned = asyncio.run(_prune_feed())
    print(f"messenger: pruned {pruned} feed entries past MESSENGER_FEED_RETENTION_DAYS")


# --- administration from the server's shell (``users``, ``invite``) ---------------------------
# The shell acts as the server's operator (``OPERATOR``): no administrator account is
# needed, and the audit log records these actions with no actor.

T = TypeVar("T")


def _as_operator(action: Callable[[Messenger], Awaitable[T]]) -> T:
    async def run() -> T:
        async with running(Container(settings=_settings())) as (messenger, _):
            return await action(messenger)

    try:
        return asyncio.run(run())
    except DomainError as exc:
        raise SystemExit(f"messenger: {exc.message}") from None


def _link(base_url: str | None, param: str, token: str) -> str:
    """The web client's link with ``?param=token``; without a base URL (``--url`` or
    MESSENGER_PUBLIC_URL) the part to append to the server's address."""
    base = (base_url or _settings().public_url or "").rstrip("/")
    return f"{base}/?{param}={token}"


def users_list(query: str, status: str | None) -> None:
    """Print every account matching ``query`` (username, display name or email), one a line."""

    async def run(messenger: Messenger) -> None:
        wanted = None if status is None else UserFilter(status)
        cursor = None
        print("id\tusername\tstatus\tadmin\temail\tdisplay name")
        while True:
            page = await messenger.list_users(OPERATOR, query, wanted, limit=100, cursor=cursor)
            for u in page.items:
                state = "deleted" if u.deleted else "deactivated" if u.deactivated else "active"
                admin = "admin" if u.is_admin else "-"
                print(f"{u.id}\t{u.username}\t{state}\t{admin}\t{u.email or '-'}\t{u.display_name}")
            if not page.has_more:
                return
            cursor = page.next_cursor

    _as_operator(run)


def users_deactivate(username: str) -> None:
    """Deactivate an account: its sessions end and its sockets close at once."""

    async def run(messenger: Messenger) -> None:
        user = await messenger.find_user_by_name(OPERATOR, username)
        await messenger.deactivate_user(OPERATOR, user.id)

    _as_operator(run)
    print(f"messenger: deactivated {username!r}")


def users_reactivate(username: str) -> None:
    """Let a deactivated account log in again."""

    async def run(messenger: Messenger) -> None:
        user = await messenger.find_user_by_name(OPERATOR, username)
        await messenger.reactivate_user(OPERATOR, user.id)

    _as_operator(run)
    print(f"messenger: reactivated {username!r}")


def users_promote(username: str, *, revoke: bool = False) -> None:
    """Make an account a server administrator (``revoke``: take the role away)."""

    async def run(messenger: Messenger) -> None:
        user = await messenger.find_user_by_name(OPERATOR, username)
        change = messenger.demote_user if revoke else messenger.promote_user
        await change(OPERATOR, user.id)

    _as_operator(run)
    done = "is no longer an administrator" if revoke else "is an administrator"
    print(f"messenger: {username!r} {done}")


def users_reset_password(username: str, base_url: str | None) -> None:
    """Print a one-time link for the user to set a new password."""

    async def run(messenger: Messenger) -> tuple[str, str]:
        user = await messenger.find_user_by_name(OPERATOR, username)
        issued = await messenger.issue_password_reset(OPERATOR, user.id)
        return issued.token, issued.expires_at.isoformat(timespec="seconds")

    token, expires_at = _as_operator(run)
    print(f"messenger: password reset link for {username!r}, valid until {expires_at}:")
    print(_link(base_url, "reset", token))


def _uses(raw: str) -> int | None:
    if raw == "unlimited":
        return None
    try:
        return int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError("a number, or 'unlimited'") from None


def invite(
    email: str | None, expires_in: int | None, uses: int | None, base_url: str | None
) -> None:
    """Print a new invite link (for registration in ``invite`` mode)."""

    async def run(messenger: Messenger) -> tuple[str, str]:
        issued = await messenger.create_invite(
            OPERATOR, email=email, expires_in=expires_in, uses=uses
        )
        return issued.token, issued.invite.expires_at.isoformat(timespec="seconds")

    token, expires_at = _as_operator(run)
    who = "anyone with the link" if email is None else email
    times = "any number of times" if uses is None else f"{uses} time(s)"
    print(f"messenger: invite for {who}, usable {times} until {expires_at}:")
    print(_link(base_url, "invite", token))


def _add_admin_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``messenger users ...`` and ``messenger invite``."""
    url_help = "the web client's address for the link (default: MESSENGER_PUBLIC_URL)"
    p_users = commands.add_parser("users", help="manage accounts (as the server's operator)")
    users = p_users.add_subparsers(dest="users_command", required=True)
    p_list = users.add_parser("list", help="list accounts, by username")
    p_list.add_argument("--q", default="", help="part of the username, display name or email")
    p_list.add_argument("--status", choices=[f.value for f in UserFilter])
    for name, about in (
        ("deactivate", "end the account's sessions and refuse its logins"),
        ("reactivate", "let a deactivated account log in again"),
    ):
        users.add_parser(name, help=about).add_argument("username")
    p_reset = users.add_parser("reset-password", help="print a one-time password reset link")
    p_reset.add_argument("username")
    p_reset.add_argument("--url", help=url_help)
    p_promote = users.add_parser("promote", help="make an account a server administrator")
    p_promote.add_argument("username")
    p_promote.add_argument("--revoke", action="store_true", help="take the role away instead")
    p_invite = commands.add_parser("invite", help="print a new invite link")
    p_invite.add_argument("--email", help="only a registration with this email may use it")
    p_invite.add_argument(
        "--expires-in", type=int, help="seconds it stays valid (default 7 days, at most 90)"
    )
    p_invite.add_argument(
        "--uses", type=_uses, default=1, help="registrations it admits (default 1; 'unlimited')"
    )
    p_invite.add_argument("--url", help=url_help)


def _run_admin_command(args: argparse.Namespace) -> bool:
    """Run ``users ...`` or ``invite``; False for any other command."""
    if args.command == "invite":
        invite(args.email, args.expires_in, args.uses, args.url)
    elif args.command != "users":
        return False
    elif args.users_command == "list":
        users_list(args.q, args.status)
    elif args.users_command == "deactivate":
        users_deactivate(args.username)
    elif args.users_command == "reactivate":
        users_reactivate(args.username)
    elif args.users_command == "reset-password":
        users_reset_password(args.username, args.url)
    elif args.users_command == "promote":
        users_promote(args.username, revoke=args.revoke)
    return True


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``messenger`` command."""
    parser = argparse.ArgumentParser(
        prog="messenger",
        description=__doc__,
        epilog="environment variables:\n" + environment_help(),
        # The description and the variables are laid out by hand: keep their line breaks.
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"messenger {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_serve = commands.add_parser("serve", help="serve the HTTP API")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument(
        "--access-log", action="store_true", help="log every request (off: it costs CPU)"
    )
    p_migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    p_migrate.add_argument(
        "--status",
        action="store_true",
        help="only show the database's revision and the newest; exit 1 when behind",
    )
    commands.add_parser(
        "check",
        help="check settings, database (reachable, schema current) and the upload directory",
    )
    p_user = commands.add_parser("create-user", help="create an account")
    p_user.add_argument("username")
    p_user.add_argument("--email")
    p_user.add_argument("--display-name")
    p_user.add_argument("--admin", action="store_true", help="a server administrator")
    commands.add_parser(
        "cleanup-uploads",
        help="delete uploads attached to no message after MESSENGER_LIMIT_UNATTACHED_UPLOAD_HOURS",
    )
    p_feed = commands.add_parser("feed", help="the change feed /sync reads")
    feed_commands = p_feed.add_subparsers(dest="feed_command", required=True, metavar="ACTION")
    feed_commands.add_parser(
        "prune", help="delete feed entries older than MESSENGER_FEED_RETENTION_DAYS"
    )
    _add_admin_commands(commands)
    args = parser.parse_args(argv)
    _configure_logging()
    # Alembic tells of its plugins and context at INFO whenever it reads the schema's
    # revision; only the upgrades that `migrate` runs are worth a line.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if args.command != "migrate" or args.status:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "serve":
        serve(args.host, args.port, access_log=args.access_log)
    elif args.command == "migrate" and args.status:
        sys.exit(migrate_status())
    elif args.command == "migrate":
        migrate()
    elif args.command == "check":
        sys.exit(check())
    elif args.command == "create-user":
        create_user(args.username, args.email, args.display_name, admin=args.admin)
    elif args.command == "cleanup-uploads":
        cleanup_uploads()
    elif args.command == "feed" and args.feed_command == "prune":
        prune_feed()
    elif _run_admin_command(args):
        pass
    else:  # pragma: no cover - argparse rejects unknown commands
        parser.error(f"unknown command {args.command!r}")
    sys.exit(0)
