"""The README's examples are true: they run as written."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
from litestar.testing import TestClient

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Embedding the domain as a library"
MOUNT_SECTION = "### Mounting the API in another ASGI service"


def example(section_title: str = SECTION) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(section_title) + len(section_title)
    # Up to the next heading of level 2 or 3 (a "# comment" in a code block is no heading).
    following = re.compile(r"^#{2,3} ", re.MULTILINE).search(text, start)
    section = text[start : following.start() if following else len(text)]
    match = re.search(r"^```python\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    assert match, f"no python block under {section_title!r}"
    return match.group(1)


def embedding_example() -> str:
    return example(SECTION)


def test_the_readme_embedding_example_runs() -> None:
    code = embedding_example()
    assert "messenger.in_memory()" in code

    # Run as a script: the block calls asyncio.run itself and asserts its own claims.
    exec(compile(code, f"{README}:{SECTION}", "exec"), {"__name__": "__main__"})


def test_the_readme_mount_example_hands_out_urls_under_the_mount_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESSENGER_DATABASE_URL", "memory://")
    monkeypatch.setenv("MESSENGER_SECRET_KEY", "readme-mount-test-secret-0123456789abcdef")
    monkeypatch.setenv("MESSENGER_UPLOAD_DIR", str(tmp_path / "uploads"))
    # A module of its own: Litestar resolves the handlers' annotations in their module.
    module = types.ModuleType("readme_mount")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(example(MOUNT_SECTION), f"{README}:{MOUNT_SECTION}", "exec"), vars(module))

    with TestClient(module.app) as http:
        api = "/chat/api/v1"
        alice = http.post(
            f"{api}/auth/register", json={"username": "alice", "password": "correct horse"}
        ).json()
        bob = http.post(
            f"{api}/auth/register", json={"username": "bob", "password": "battery staple"}
        ).json()
        auth = {"Authorization": f"Bearer {alice['access_token']}"}
        upload = http.post(f"{api}/files", files={"file": ("a.txt", b"hello")}, headers=auth)
        assert upload.status_code == 201, upload.text
        file = upload.json()
        chat = http.post(
            f"{api}/chats", json={"kind": "direct", "user_id": bob["user"]["id"]}, headers=auth
        ).json()
        posted = http.post(
            f"{api}/chats/{chat['id']}/messages",
            json={"client_id": "c-1", "text": "see attached", "attachment_ids": [file["id"]]},
            headers=auth,
        ).json()

        [attachment] = posted["attachments"]
        assert file["url"] == attachment["url"] == f"{api}/files/{file['id']}"
        download = http.get(attachment["url"], headers=auth)
        assert (download.status_code, download.content) == (200, b"hello")
        socket = http.get(f"{api}/docs/asyncapi.json").json()["channels"]["socket"]
        assert socket["address"] == f"{api}/ws"
