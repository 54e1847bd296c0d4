"""The shell's administration commands (``messenger users ...``, ``messenger invite``) on a
migrated SQLite database, as an operator runs them: each a process of its own over the
same database, acting as the server (no account needed; the audit log shows no actor)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from messenger.container import Container, running
from messenger.domain.administration import RegistrationMode
from messenger.domain.audit import AuditAction
from messenger.domain.errors import AccountDeactivated
from messenger.entrypoints.cli import main
from messenger.settings import Settings

pytestmark = pytest.mark.integration

SECRET = "cli-admin-test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery"


@pytest.fixture
def shell(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("MESSENGER_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MESSENGER_SECRET_KEY", SECRET)
    monkeypatch.setenv("MESSENGER_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("MESSENGER_PASSWORD", PASSWORD)
    # An invite-only server: create-user is the operator's, and registers all the same.
    monkeypatch.setenv("MESSENGER_REGISTRATION", "invite")
    monkeypatch.delenv("MESSENGER_PUBLIC_URL", raising=False)
    return Settings.from_env()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    out = capsys.readouterr().out
    assert done.value.code == 0, out
    return out


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    assert isinstance(done.value.code, str)
    return done.value.code


async def log_in(settings: Settings, login: str, password: str = PASSWORD) -> int:
    async with running(Container(settings=settings)) as (messenger, _):
        return (await messenger.authenticate(login, password)).user.id


async def audit(settings: Settings) -> list[tuple[AuditAction, int | None]]:
    async with running(Container(settings=settings)) as (messenger, _):
        uow = messenger.ports.uow(read_only=True)
        async with uow:
            return [(e.action, e.actor_id) for e in await uow.audit.page(limit=100)]


def test_the_operator_manages_accounts_from_the_shell(
    shell: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "create-user", "root")
    run(capsys, "create-user", "bob", "--email", "bob@corp.example")

    listing = run(capsys, "users", "list").splitlines()
    assert listing[0].split("\t")[:4] == ["id", "username", "status", "admin"]
    assert [line.split("\t")[1:4] for line in listing[1:]] == [
        ["bob", "active", "-"],
        ["root", "active", "admin"],
    ]
    assert "bob" in run(capsys, "users", "list", "--q", "corp")
    assert "bob" not in run(capsys, "users", "list", "--status", "admin")

    assert "deactivated 'bob'" in run(capsys, "users", "deactivate", "bob")
    with pytest.raises(AccountDeactivated):
        asyncio.run(log_in(shell, "bob"))
    assert "\tbob\tdeactivated" in run(capsys, "users", "list", "--status", "deactivated")
    run(capsys, "users", "reactivate", "bob")
    asyncio.run(log_in(shell, "bob"))

    assert "is an administrator" in run(capsys, "users", "promote", "bob")
    assert "bob\tactive\tadmin" in run(capsys, "users", "list", "--status", "admin")
    assert "no longer" in run(capsys, "users", "promote", "bob", "--revoke")

    assert "User not found" in fails(capsys, "users", "deactivate", "nobody")
    actions = asyncio.run(audit(shell))
    assert (AuditAction.USER_DEACTIVATED, None) in actions
    assert (AuditAction.ADMIN_GRANTED, None) in actions


def test_the_shell_prints_reset_and_invite_links(
    shell: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "create-user", "root")
    run(capsys, "create-user", "bob")

    out = run(capsys, "users", "reset-password", "bob", "--url", "https://chat.example.com/")
    link = out.splitlines()[-1]
    assert link.startswith("https://chat.example.com/?reset=")
    token = link.split("?reset=", 1)[1]

    async def reset() -> None:
        async with running(Container(settings=shell)) as (messenger, _):
            await messenger.reset_password(token, "a brand new passphrase")

    asyncio.run(reset())
    asyncio.run(log_in(shell, "bob", "a brand new passphrase"))

    # Without --url or MESSENGER_PUBLIC_URL: the part to append to the server's address.
    assert run(capsys, "invite").splitlines()[-1].startswith("/?invite=")
    monkeypatch.setenv("MESSENGER_PUBLIC_URL", "https://chat.example.com/team")
    out = run(capsys, "invite", "--email", "new@corp.example", "--uses", "unlimited")
    assert "new@corp.example, usable any number of times" in out
    link = out.splitlines()[-1]
    assert link.startswith("https://chat.example.com/team/?invite=")

    async def register_with(invite_token: str) -> None:
        async with running(Container(settings=shell)) as (messenger, _):
            assert await messenger.get_registration_mode() is RegistrationMode.INVITE
            await messenger.register(
                "newbie", PASSWORD, email="new@corp.example", invite_token=invite_token
            )

    asyncio.run(register_with(link.split("?invite=", 1)[1]))
    assert "expires_in" in fails(capsys, "invite", "--expires-in", "0")
