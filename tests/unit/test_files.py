"""Files: upload within the size limit, and download only for those allowed to see them."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import messenger
from messenger.adapters.files import LocalFileStore
from messenger.adapters.memory import InMemoryFileStore, TickingClock
from messenger.domain.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    ServiceUnavailable,
    ValidationError,
)
from messenger.domain.model import Limits
from messenger.domain.service import Messenger
from messenger.domain.usecases.files import NewFile, clean_content_type, clean_file_name
from tests.unit.conftest import Published, chunks, read_all, store_of


async def test_an_upload_is_stored_and_its_uploader_can_open_it(app: Messenger, alice: int) -> None:
    stored = await app.upload_file(
        alice, "notes.txt", "text/plain; charset=utf-8", chunks([b"hello ", b"world"])
    )

    assert stored.owner_id == alice
    assert stored.size == 11
    assert stored.name == "notes.txt"
    assert stored.content_type == "text/plain"
    meta, content = await app.open_file(alice, stored.id)
    assert meta == stored
    assert await read_all(content) == b"hello world"


async def test_the_storage_key_never_comes_from_the_client(app: Messenger, alice: int) -> None:
    stored = await app.upload_file(alice, "../../etc/passwd", None, chunks([b"x"]))

    assert stored.name == "passwd"
    assert stored.storage_key == stored.id
    assert "/" not in stored.storage_key


async def test_an_upload_over_the_size_limit_is_rejected_and_nothing_is_kept() -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(max_upload_bytes=10))
    alice = (await app.register("alice", "password-123")).user.id

    with pytest.raises(PayloadTooLarge) as caught:
        await app.upload_file(alice, "big.bin", None, chunks([b"12345", b"67890", b"1"]))

    assert caught.value.code == "too_large"
    assert not store_of(app).files
    files = app.ports.files
    assert isinstance(files, InMemoryFileStore)
    assert not files._blobs
    assert (await app.upload_file(alice, "ok.bin", None, chunks([b"1234567890"]))).size == 10


async def test_members_of_a_chat_where_a_file_is_attached_can_open_it(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    stored = await app.upload_file(alice, "plan.pdf", "application/pdf", chunks([b"%PDF"]))
    with pytest.raises(NotFound):
        await app.open_file(bob, stored.id)

    await app.post_message(alice, group, "a-1", "the plan", attachment_ids=[stored.id])

    for member in (bob, carol):
        _, content = await app.open_file(member, stored.id)
        assert await read_all(content) == b"%PDF"


async def test_strangers_cannot_open_a_file_and_cannot_tell_it_exists(
    app: Messenger, dialog: int, alice: int, carol: int
) -> None:
    stored = await app.upload_file(alice, "private.txt", "text/plain", chunks([b"secret"]))
    await app.post_message(alice, dialog, "a-1", "for bob", attachment_ids=[stored.id])

    with pytest.raises(NotFound) as stranger:
        await app.open_file(carol, stored.id)
    with pytest.raises(NotFound) as missing:
        await app.open_file(carol, "no-such-file")

    assert str(stranger.value) == str(missing.value)


async def test_a_removed_member_can_no_longer_open_the_chats_files(
    app: Messenger, group: int, alice: int, carol: int
) -> None:
    stored = await app.upload_file(alice, "plan.pdf", None, chunks([b"%PDF"]))
    await app.post_message(alice, group, "a-1", "the plan", attachment_ids=[stored.id])

    await app.remove_member(alice, group, carol)

    with pytest.raises(NotFound):
        await app.open_file(carol, stored.id)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("evil\x00name\n.txt", "evilname.txt"),
        ("  ..hidden..  ", "hidden"),
        ("", "file"),
        ("/", "file"),
        ("..", "file"),
        ("отчёт 📄.pdf", "отчёт 📄.pdf"),
        ("x" * 300, "x" * 200),
    ],
)
def test_file_names_are_reduced_to_a_safe_display_name(raw: str, clean: str) -> None:
    assert clean_file_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("image/PNG", "image/png"),
        ("text/plain; charset=utf-8", "text/plain"),
        (None, "application/octet-stream"),
        ("", "application/octet-stream"),
        ("nonsense", "application/octet-stream"),
    ],
)
def test_content_types_are_normalised(raw: str | None, clean: str) -> None:
    assert clean_content_type(raw) == clean


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
async def test_a_full_disk_is_service_unavailable_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    store = LocalFileStore(tmp_path)
    key = "abcdefgh1234"
    # The partial file is the kernel's /dev/full: every write fails with ENOSPC.
    (tmp_path / key[:2]).mkdir()
    (tmp_path / key[:2] / f"{key}.part").symlink_to("/dev/full")

    with pytest.raises(ServiceUnavailable) as caught:
        await store.save(key, chunks([b"x" * 100_000] * 3), max_size=1_000_000)
    assert caught.value.retry_after is not None
    assert list((tmp_path / key[:2]).iterdir()) == []


class _Disk:
    """What ``os.statvfs`` says of a disk."""

    def __init__(self, free: int, read_only: bool = False) -> None:
        self.f_bavail, self.f_frsize = free, 1
        self.f_flag = os.ST_RDONLY if read_only else 0


@pytest.mark.parametrize(
    ("disk", "ready"),
    [(_Disk(10 << 20), True), (_Disk(100), False), (_Disk(10 << 20, read_only=True), False)],
)
async def test_the_file_store_says_when_it_cannot_store_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disk: _Disk, ready: bool
) -> None:
    store = LocalFileStore(tmp_path)
    await store.check()  # the real disk of the tests has room
    monkeypatch.setattr(os, "statvfs", lambda _: disk)
    if ready:
        await store.check()
    else:
        with pytest.raises(ServiceUnavailable):
            await store.check()


# --- attaching files to a sent message ------------------------------------------------------


async def new_files(*contents: bytes) -> AsyncIterator[NewFile]:
    for i, content in enumerate(contents):
        yield NewFile(f"f{i}.txt", "text/plain", chunks([content]))


async def test_the_author_attaches_files_to_a_sent_message_and_members_can_open_them(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    message = (await app.post_message(alice, group, "a-1", "see below")).message
    published.clear()

    updated = await app.attach_files_to_message(alice, message.id, new_files(b"one", b"two"))

    assert [a.name for a in updated.attachments] == ["f0.txt", "f1.txt"]
    assert updated.text == "see below"
    assert updated.edited_at is None
    assert published.types() == ["message_updated"]
    assert published.items[0].recipients == {alice, bob, carol}
    assert (await app.read_history(bob, group)).items == (updated,)
    _, content = await app.open_file(carol, updated.attachments[1].id)
    assert await read_all(content) == b"two"
    # Attached: the sweep of abandoned uploads leaves them alone.
    assert await app.delete_abandoned_uploads() == 0


async def test_attaching_keeps_the_files_a_message_already_has(
    app: Messenger, dialog: int, alice: int
) -> None:
    first = await app.upload_file(alice, "a.txt", None, chunks([b"a"]))
    message = (await app.post_message(alice, dialog, "a-1", "", attachment_ids=[first.id])).message

    updated = await app.attach_files_to_message(alice, message.id, new_files(b"b"))

    assert updated.attachments[0].id == first.id
    assert len(updated.attachments) == 2


@pytest.mark.parametrize("who", ["bob", "carol"])
async def test_only_the_author_attaches_files_and_nothing_is_stored_otherwise(
    app: Messenger, dialog: int, alice: int, bob: int, carol: int, who: str
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "hello")).message
    expected = {"bob": Forbidden, "carol": NotFound}[who]

    with pytest.raises(expected):
        await app.attach_files_to_message(
            {"bob": bob, "carol": carol}[who], message.id, new_files(b"x")
        )

    assert not store_of(app).files


async def test_a_deleted_message_gets_no_files(app: Messenger, dialog: int, alice: int) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "hello")).message
    await app.delete_message(alice, message.id)

    with pytest.raises(Forbidden):
        await app.attach_files_to_message(alice, message.id, new_files(b"x"))


async def test_more_files_than_the_attachment_limit_are_refused_and_none_is_kept() -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(max_attachments=3))
    alice = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    chat = (await app.open_dialog(alice, bob))[0].chat.id
    message = (await app.post_message(alice, chat, "a-1", "hi")).message
    await app.attach_files_to_message(alice, message.id, new_files(b"1", b"2"))

    with pytest.raises(ValidationError) as caught:
        await app.attach_files_to_message(alice, message.id, new_files(b"3", b"4"))

    assert caught.value.field == "file"
    assert len(store_of(app).files) == 2
    files = app.ports.files
    assert isinstance(files, InMemoryFileStore)
    assert len(files._blobs) == 2
    assert (
        len((await app.attach_files_to_message(alice, message.id, new_files(b"3"))).attachments)
        == 3
    )
    with pytest.raises(ValidationError):
        await app.attach_files_to_message(alice, message.id, new_files(b"5"))


async def test_attaching_no_file_is_refused(app: Messenger, dialog: int, alice: int) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "hello")).message

    with pytest.raises(ValidationError):
        await app.attach_files_to_message(alice, message.id, new_files())


async def test_attached_files_count_against_the_upload_quota() -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(upload_quota_bytes=5))
    alice = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    chat = (await app.open_dialog(alice, bob))[0].chat.id
    message = (await app.post_message(alice, chat, "a-1", "hi")).message

    with pytest.raises(QuotaExceeded):
        await app.attach_files_to_message(alice, message.id, new_files(b"123", b"456"))

    assert not store_of(app).files
    assert (await app.read_history(bob, chat)).items[0].attachments == ()
