"""The operator's commands: ``--version``, ``--help``, ``migrate --status``, ``check``, and
``serve`` refusing a database whose schema is not this code's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from messenger.adapters.sqlalchemy import head_revisions, upgrade_database
from messenger.entrypoints import cli
from messenger.settings import ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cli-operations-secret-0123456789abcdef!"


@pytest.fixture
def sqlite_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    monkeypatch.setenv("MESSENGER_SECRET_KEY", SECRET)
    monkeypatch.setenv("MESSENGER_DATABASE_URL", url)
    monkeypatch.setenv("MESSENGER_UPLOAD_DIR", str(tmp_path / "uploads"))
    return url


def run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


def test_version_names_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert re.fullmatch(r"messenger \S+\n", capsys.readouterr().out)


def test_help_lists_every_environment_variable_as_plain_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["--help"]) == 0
    text = capsys.readouterr().out
    for variable in ENVIRONMENT:
        assert f"  {variable.name} (default: {variable.default})" in text
    for command in ("serve", "migrate", "check", "create-user"):
        assert command in text
    assert "\x1b[" not in text  # no terminal colours: it reads the same in a pager or a file


def test_the_environment_table_names_every_variable_the_code_reads() -> None:
    literal = re.compile(r"""["']((?:MESSENGER|FORWARDED)_[A-Z0-9_]*[A-Z0-9])["']""")
    read = {
        name
        for path in (ROOT / "src").rglob("*.py")
        for name in literal.findall(path.read_text(encoding="utf-8"))
    }
    assert read <= {variable.name for variable in ENVIRONMENT}


def test_the_readme_configuration_table_lists_exactly_the_environment_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("| variable | default | meaning |")
    rows = readme[start:].split("\n\n", 1)[0].splitlines()[2:]
    documented = {re.match(r"\| `([A-Z0-9_]+)`", row).group(1) for row in rows}  # type: ignore[union-attr]
    assert documented == {variable.name for variable in ENVIRONMENT}


def test_migrate_status_fails_until_the_database_is_migrated(
    sqlite_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["migrate", "--status"]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines()[0] == "current: none (never migrated)"
    assert out.err.strip().endswith("run `messenger migrate`")

    upgrade_database(sqlite_env)
    assert run(["migrate", "--status"]) == 0
    (head,) = head_revisions(sqlite_env)
    assert capsys.readouterr().out.splitlines() == [f"current: {head}", f"head:    {head}"]


def test_check_says_ok_when_everything_is_ready(
    sqlite_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade_database(sqlite_env)
    assert run(["check"]) == 0
    assert capsys.readouterr().out.startswith("messenger: OK")


def test_check_names_each_problem_on_a_line_of_its_own(
    sqlite_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A file where the upload directory should be: no mode bits to rely on (CI is root).
    (tmp_path / "occupied").write_text("")
    monkeypatch.setenv("MESSENGER_UPLOAD_DIR", str(tmp_path / "occupied" / "uploads"))
    assert run(["check"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("messenger: database: ")
    assert "messenger migrate" in lines[0]
    assert lines[1].startswith("messenger: uploads: ")


def test_check_reports_an_unreachable_database(
    sqlite_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Nothing listens on port 1: refused at once.
    monkeypatch.setenv("MESSENGER_DATABASE_URL", "mysql+aiomysql://nobody@127.0.0.1:1/none")
    assert run(["check"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("messenger: database: cannot reach it: ")


def test_check_reports_invalid_settings(
    sqlite_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MESSENGER_SECRET_KEY", "short")
    assert run(["check"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("messenger: settings: MESSENGER_SECRET_KEY")


def test_serve_refuses_a_database_that_was_never_migrated(sqlite_env: str) -> None:
    with pytest.raises(SystemExit) as refused:
        cli.serve("127.0.0.1", 8123)
    message = str(refused.value.code)
    assert "\n" not in message
    assert message.endswith("run `messenger migrate`")


def test_serve_refuses_a_database_behind_the_code(sqlite_env: str) -> None:
    upgrade_database(sqlite_env, "0011_mentions")
    with pytest.raises(SystemExit) as refused:
        cli.serve("127.0.0.1", 8123)
    message = str(refused.value.code)
    assert "is behind" in message
    assert message.endswith("run `messenger migrate`")


def test_serve_starts_without_a_reachable_database_as_it_rides_out_outages(
    sqlite_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /ready answers 503 until the database is back; refusing to start would turn a
    # database restart into a server that stays down.
    monkeypatch.setenv("MESSENGER_DATABASE_URL", "mysql+aiomysql://nobody@127.0.0.1:1/none")
    started: list[bool] = []
    monkeypatch.setattr("uvicorn.Server.run", lambda server, sockets=None: started.append(True))
    cli.serve("127.0.0.1", 8123)
    assert started == [True]
