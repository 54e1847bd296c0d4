"""``scripts/ensure-services.sh``, which ``make test`` runs first: services that answer pass,
missing ones are started where that is allowed, and otherwise the run stops with one line
naming what is missing and how to install it. Hermetic: it never touches the real MariaDB or
Redis (the ports are this test's own, the start script a stand-in)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-services.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def listening() -> Iterator[tuple[int, int]]:
    """Two ports something listens on (standing in for MariaDB and Redis)."""
    sockets = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        sockets.append(s)
    yield sockets[0].getsockname()[1], sockets[1].getsockname()[1]
    for s in sockets:
        s.close()


def _run(
    tmp_path: Path, db_port: int, redis_port: int, *, uid: int = 0, **env: str
) -> subprocess.CompletedProcess[str]:
    # A stand-in ``id`` and ``sudo`` first on PATH: who we are and whether sudo works is the
    # test's to say, whoever runs it.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (bin_dir / "sudo").write_text("#!/bin/sh\nexit 1\n")
    for tool in ("id", "sudo"):
        (bin_dir / tool).chmod(0o755)
    marker = tmp_path / "started"
    start = tmp_path / "start.sh"
    start.write_text(f"echo starting...; echo lots of output; touch {marker}; exit 1\n")
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "TMPDIR": str(tmp_path),
            "MESSENGER_TEST_DATABASE_URL": f"mysql+aiomysql://root@127.0.0.1:{db_port}",
            "MESSENGER_TEST_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "SERVICES_SCRIPT": str(start),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_services_that_answer_pass_and_nothing_is_started(
    tmp_path: Path, listening: tuple[int, int]
) -> None:
    result = _run(tmp_path, *listening)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert not (tmp_path / "started").exists()


def test_without_root_or_sudo_it_fails_with_one_line_naming_what_is_missing(
    tmp_path: Path, listening: tuple[int, int]
) -> None:
    redis_port = _free_port()

    result = _run(tmp_path, listening[0], redis_port, uid=1000)

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"make test: Redis (127.0.0.1:{redis_port}) is not reachable")
    assert "MariaDB (" not in line.split(";")[0]
    assert "root or passwordless sudo" in line
    assert "sudo bash scripts/services.sh" in line
    assert "make test-unit" in line
    assert not (tmp_path / "started").exists()


def test_as_root_it_starts_them_and_a_failed_start_is_one_line_too(tmp_path: Path) -> None:
    db_port, redis_port = _free_port(), _free_port()

    result = _run(tmp_path, db_port, redis_port, uid=0)

    assert (tmp_path / "started").exists()
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f"make test: MariaDB (127.0.0.1:{db_port}) and Redis (127.0.0.1:{redis_port}) are not"
    )
    assert "start.sh failed" in line
    # The start script's own output goes to the log named in the line, not to the screen.
    assert "lots of output" not in result.stdout + result.stderr


def test_starting_can_be_switched_off(tmp_path: Path) -> None:
    result = _run(tmp_path, _free_port(), _free_port(), SERVICES_AUTOSTART="0")

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "SERVICES_AUTOSTART=0" in line
    assert not (tmp_path / "started").exists()
