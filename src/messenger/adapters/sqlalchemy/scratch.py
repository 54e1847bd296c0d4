"""Throwaway MySQL/MariaDB databases, for test suites and benchmarks."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pymysql
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(server_url: str, prefix: str = "messenger_scratch") -> Iterator[str]:
    """Create an empty utf8mb4 database on the server, yield its URL, drop it afterwards.

    ``server_url`` names the server (``mysql+aiomysql://root@127.0.0.1:3306``); a database in
    it is ignored. Raises ``pymysql.err.OperationalError`` when the server is unreachable.
    """
    server = make_url(server_url)
    name = f"{prefix}_{secrets.token_hex(4)}"
    # A sync connection: setup must not depend on an event loop that may not outlive it.
    conn = pymysql.connect(
        host=server.host or "127.0.0.1",
        port=server.port or 3306,
        user=server.username or "root",
        password=server.password or "",
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=5,
    )
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()
