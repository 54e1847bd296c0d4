"""Avatars (on the fake Images port): an upload becomes two sizes the user owns; the one
it replaces goes; who may see it is GetAvatar's decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messenger.adapters.memory import FakeImages, InMemoryFileStore, TickingClock, fake_image
from messenger.container import in_memory_container
from messenger.domain.errors import (
    ImageTooLarge,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    Throttled,
    UnsupportedImage,
    ValidationError,
)
from messenger.domain.events import ProfileUpdated
from messenger.domain.model import FileKind, Limits, avatar_version
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, chunks, new_user, read_all, store_of


@pytest.fixture
def app(clock: TickingClock) -> Messenger:
    messenger: Messenger = in_memory_container(clock=clock, images=FakeImages()).messenger()
    return messenger


def blobs(app: Messenger) -> set[str]:
    store = app.ports.files
    assert isinstance(store, InMemoryFileStore)
    return set(store._blobs)


async def test_an_uploaded_image_becomes_the_avatar_in_two_sizes_the_user_owns(
    app: Messenger, alice: int
) -> None:
    user = await app.upload_avatar(alice, chunks([fake_image(800, 600)]))

    assert user.avatar_file_id is not None
    files = store_of(app).files
    large = files[user.avatar_file_id]
    assert (large.kind, large.owner_id, large.width, large.height) == (
        FileKind.AVATAR,
        alice,
        512,
        512,
    )
    assert large.thumbnail_id is not None
    small = files[large.thumbnail_id]
    assert (small.kind, small.owner_id, small.width, small.height) == (
        FileKind.AVATAR_SMALL,
        alice,
        96,
        96,
    )
    assert blobs(app) == {large.storage_key, small.storage_key}


async def test_a_new_avatar_replaces_the_old_one_and_its_files_go(
    app: Messenger, alice: int
) -> None:
    first = await app.upload_avatar(alice, chunks([fake_image(100, 100)]))
    second = await app.upload_avatar(alice, chunks([fake_image(300, 200)]))

    assert second.avatar_file_id != first.avatar_file_id
    files = store_of(app).files
    assert first.avatar_file_id not in files
    assert {f.kind for f in files.values()} == {FileKind.AVATAR, FileKind.AVATAR_SMALL}
    assert len(blobs(app)) == 2


async def test_removing_the_avatar_deletes_both_sizes(app: Messenger, alice: int) -> None:
    await app.upload_avatar(alice, chunks([fake_image(100, 100)]))

    user = await app.remove_avatar(alice)

    assert user.avatar_file_id is None
    assert not store_of(app).files
    assert not blobs(app)
    with pytest.raises(NotFound):
        await app.get_avatar(alice, alice, 96)


async def test_what_is_not_an_image_is_refused_and_nothing_is_kept(
    app: Messenger, alice: int
) -> None:
    with pytest.raises(UnsupportedImage) as caught:
        await app.upload_avatar(alice, chunks([b"%PDF-1.7 not a picture"]))

    assert (caught.value.code, caught.value.field) == ("unsupported_image", "file")
    assert not store_of(app).files
    assert not blobs(app)


async def test_an_image_of_too_many_pixels_is_refused(clock: TickingClock) -> None:
    app: Messenger = in_memory_container(
        clock=clock, images=FakeImages(), limits=Limits(max_image_pixels=10_000)
    ).messenger()
    alice = await new_user(app, "alice")

    with pytest.raises(ImageTooLarge) as caught:
        await app.upload_avatar(alice, chunks([fake_image(101, 100)]))

    assert caught.value.code == "image_too_large"
    assert not blobs(app)


async def test_an_avatar_upload_over_its_size_limit_is_refused(clock: TickingClock) -> None:
    app: Messenger = in_memory_container(
        clock=clock, images=FakeImages(), limits=Limits(max_avatar_bytes=100)
    ).messenger()
    alice = await new_user(app, "alice")

    with pytest.raises(PayloadTooLarge):
        await app.upload_avatar(alice, chunks([fake_image(10, 10), b"x" * 100]))

    assert not blobs(app)


async def test_avatar_uploads_spend_the_upload_budget(clock: TickingClock) -> None:
    app: Messenger = in_memory_container(
        clock=clock, images=FakeImages(), limits=Limits(uploads_per_minute=2)
    ).messenger()
    alice = await new_user(app, "alice")
    await app.upload_file(alice, "a.txt", None, chunks([b"a"]))
    await app.upload_avatar(alice, chunks([fake_image(10, 10)]))

    with pytest.raises(Throttled):
        await app.upload_avatar(alice, chunks([fake_image(10, 10)]))


async def test_an_avatar_that_would_exceed_the_quota_is_refused_and_the_old_one_stays(
    clock: TickingClock,
) -> None:
    app: Messenger = in_memory_container(
        clock=clock, images=FakeImages(), limits=Limits(upload_quota_bytes=100)
    ).messenger()
    alice = await new_user(app, "alice")
    first = await app.upload_avatar(alice, chunks([fake_image(10, 10)]))
    await app.upload_file(alice, "filler.bin", None, chunks([b"x" * 40]))

    with pytest.raises(QuotaExceeded):
        await app.upload_avatar(alice, chunks([fake_image(20, 20)]))

    assert (await app.get_my_account(alice)).avatar_file_id == first.avatar_file_id
    assert len(blobs(app)) == 3


async def test_any_signed_in_user_sees_an_avatar_at_each_size_with_its_version(
    app: Messenger, alice: int, bob: int
) -> None:
    user = await app.upload_avatar(alice, chunks([fake_image(100, 100)]))
    assert user.avatar_file_id is not None

    large = await app.get_avatar(bob, alice, 512)
    small = await app.get_avatar(bob, alice, 96)

    assert large.file.id == user.avatar_file_id
    assert (large.file.width, small.file.width) == (512, 96)
    assert large.version == small.version == avatar_version(user.avatar_file_id)
    assert await read_all(small.content) == fake_image(96, 96, b"encoded")


async def test_no_avatar_and_no_user_answer_alike(app: Messenger, alice: int, bob: int) -> None:
    with pytest.raises(NotFound):
        await app.get_avatar(bob, alice, 96)
    with pytest.raises(NotFound):
        await app.get_avatar(bob, 10_000, 96)


async def test_only_the_two_sizes_are_served(app: Messenger, alice: int) -> None:
    await app.upload_avatar(alice, chunks([fake_image(100, 100)]))

    with pytest.raises(ValidationError) as caught:
        await app.get_avatar(alice, alice, 128)

    assert caught.value.field == "size"


async def test_an_earlier_upload_becomes_the_avatar_as_clients_of_before_set_it(
    app: Messenger, alice: int
) -> None:
    upload = await app.upload_file(alice, "me.png", "image/png", chunks([fake_image(64, 64)]))

    user = await app.set_avatar_from_upload(alice, upload.id)

    assert user.avatar_file_id not in (None, upload.id)
    files = store_of(app).files
    assert user.avatar_file_id is not None
    assert files[user.avatar_file_id].kind is FileKind.AVATAR
    assert upload.id in files  # the upload itself stays what it was


async def test_someone_elses_upload_cannot_become_my_avatar(
    app: Messenger, alice: int, bob: int
) -> None:
    upload = await app.upload_file(bob, "bob.png", "image/png", chunks([fake_image(64, 64)]))

    with pytest.raises(ValidationError):
        await app.set_avatar_from_upload(alice, upload.id)


async def test_the_sweep_of_unattached_uploads_spares_both_sizes_of_an_avatar(
    app: Messenger, clock: TickingClock, alice: int
) -> None:
    await app.upload_avatar(alice, chunks([fake_image(100, 100)]))
    clock.advance(timedelta(days=3))

    assert await app.delete_abandoned_uploads() == 0
    assert len(store_of(app).files) == 2
    await app.remove_avatar(alice)
    assert not store_of(app).files


async def test_an_uploaded_avatar_replaces_a_preset_and_everyone_who_shows_it_is_told(
    app: Messenger, alice: int, bob: int, published: Published
) -> None:
    await app.open_dialog(alice, bob)
    await app.choose_preset_avatar(alice, "owl")
    published.clear()

    user = await app.upload_avatar(alice, chunks([fake_image(100, 100)]))

    assert (user.avatar_preset, user.avatar_file_id is not None) == (None, True)
    [own, mates] = published.items
    assert isinstance(own.event, ProfileUpdated)
    assert own.event.profile == user.public()
    assert (own.recipients, mates.recipients) == ({alice}, {bob})


async def test_removing_the_avatar_takes_a_preset_off_too_and_is_told(
    app: Messenger, alice: int, published: Published
) -> None:
    await app.choose_preset_avatar(alice, "owl")
    published.clear()

    user = await app.remove_avatar(alice)

    assert (user.avatar_preset, user.avatar_file_id) == (None, None)
    assert published.types() == ["profile_updated"]
    published.clear()
    await app.remove_avatar(alice)
    assert published.items == []  # nothing was shown: nothing changed
