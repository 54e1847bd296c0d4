"""Image uploads and the media gallery (on the fake Images port): an image gets its size
and a thumbnail; a chat's members page through its images and files, newest first."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messenger.adapters.memory import FakeImages, TickingClock, fake_image
from messenger.container import in_memory_container
from messenger.domain.errors import NotFound, ValidationError
from messenger.domain.model import FileKind, Limits, StoredFile
from messenger.domain.service import Messenger
from tests.unit.conftest import chunks, new_user, read_all, store_of


@pytest.fixture
def app(clock: TickingClock) -> Messenger:
    messenger: Messenger = in_memory_container(clock=clock, images=FakeImages()).messenger()
    return messenger


async def upload(app: Messenger, user_id: int, data: bytes, name: str = "f") -> StoredFile:
    return await app.upload_file(user_id, name, None, chunks([data]))


async def dialog(app: Messenger, a: int, b: int) -> int:
    details, _ = await app.open_dialog(a, b)
    return details.chat.id


async def post(app: Messenger, user_id: int, chat_id: int, *files: StoredFile) -> int:
    result = await app.post_message(
        user_id,
        chat_id,
        f"c{len(store_of(app).messages)}",
        "",
        attachment_ids=[f.id for f in files],
    )
    return result.message.id


async def test_an_image_upload_gets_its_size_and_a_thumbnail_of_the_uploaders(
    app: Messenger, alice: int
) -> None:
    stored = await upload(app, alice, fake_image(1600, 800), "photo.jpg")

    assert (stored.width, stored.height) == (1600, 800)
    assert stored.thumbnail_id is not None
    thumbnail = store_of(app).files[stored.thumbnail_id]
    assert (thumbnail.kind, thumbnail.owner_id) == (FileKind.THUMBNAIL, alice)
    assert (thumbnail.width, thumbnail.height) == (320, 160)


async def test_a_file_that_is_no_image_has_no_size_and_no_thumbnail(
    app: Messenger, alice: int
) -> None:
    stored = await upload(app, alice, b"just text", "photo.png")

    assert (stored.width, stored.height, stored.thumbnail_id) == (None, None, None)
    assert len(store_of(app).files) == 1


async def test_an_image_above_the_image_limits_stays_a_plain_file(clock: TickingClock) -> None:
    images = FakeImages()
    app: Messenger = in_memory_container(
        clock=clock, images=images, limits=Limits(max_image_bytes=100, max_image_pixels=10_000)
    ).messenger()
    alice = await new_user(app, "alice")

    big_file = await upload(app, alice, fake_image(10, 10, b"x" * 200))
    many_pixels = await upload(app, alice, fake_image(200, 200))

    assert big_file.width is None
    assert many_pixels.width is None
    assert images.made == []  # neither was decoded


async def test_the_thumbnail_is_for_whoever_may_download_the_image(
    app: Messenger, alice: int, bob: int, carol: int
) -> None:
    image = await upload(app, alice, fake_image(640, 480))
    assert image.thumbnail_id is not None
    with pytest.raises(NotFound):
        await app.open_file(bob, image.thumbnail_id)

    await post(app, alice, await dialog(app, alice, bob), image)

    meta, content = await app.open_file(bob, image.thumbnail_id)
    assert meta.kind is FileKind.THUMBNAIL
    assert await read_all(content) == fake_image(320, 240, b"encoded")
    with pytest.raises(NotFound):
        await app.open_file(carol, image.thumbnail_id)


async def test_attachments_carry_the_images_size_and_thumbnail(
    app: Messenger, alice: int, bob: int
) -> None:
    image = await upload(app, alice, fake_image(640, 480))
    text = await upload(app, alice, b"notes")

    result = await app.post_message(
        alice, await dialog(app, alice, bob), "c1", "", attachment_ids=[image.id, text.id]
    )

    first, second = result.message.attachments
    assert (first.width, first.height, first.thumbnail_id) == (640, 480, image.thumbnail_id)
    assert (second.width, second.height, second.thumbnail_id) == (None, None, None)


async def test_the_thumbnail_of_an_abandoned_upload_goes_with_it(
    app: Messenger, clock: TickingClock, alice: int
) -> None:
    await upload(app, alice, fake_image(640, 480))
    clock.advance(timedelta(days=2))

    # The upload first; its thumbnail, made from nothing any more, right after.
    assert await app.delete_abandoned_uploads() == 1
    assert await app.delete_abandoned_uploads() == 1
    assert not store_of(app).files


async def test_the_gallery_lists_images_and_files_apart_newest_first(
    app: Messenger, alice: int, bob: int
) -> None:
    chat = await dialog(app, alice, bob)
    photos = [await upload(app, alice, fake_image(10 + i, 10)) for i in range(3)]
    doc = await upload(app, bob, b"report")
    first = await post(app, alice, chat, photos[0], photos[1])
    await post(app, bob, chat, await upload(app, bob, b"x"))
    second = await post(app, alice, chat, photos[2])
    await post(app, bob, chat, doc)

    images = await app.list_chat_media(bob, chat, "image")
    files = await app.list_chat_media(alice, chat, "file")

    assert [(m.message_id, m.file.id) for m in images.items] == [
        (second, photos[2].id),
        *sorted(((first, p.id) for p in photos[:2]), reverse=True),
    ]
    assert all(m.sender_id == alice and m.file.width for m in images.items)
    assert [m.file.name for m in files.items] == ["f", "f"]
    assert files.items[0].file.id == doc.id
    assert not images.has_more


async def test_the_gallery_pages_without_repeating_or_skipping(
    app: Messenger, alice: int, bob: int
) -> None:
    chat = await dialog(app, alice, bob)
    for i in range(5):
        await post(app, alice, chat, await upload(app, alice, fake_image(10, 10 + i)))
    seen: list[str] = []
    cursor = None
    while True:
        page = await app.list_chat_media(bob, chat, "image", limit=2, cursor=cursor)
        seen += [m.file.id for m in page.items]
        if not page.has_more:
            break
        cursor = page.next_cursor

    everything = await app.list_chat_media(bob, chat, "image")
    assert seen == [m.file.id for m in everything.items]
    assert len(seen) == 5


async def test_deleted_messages_files_are_not_in_the_gallery(
    app: Messenger, alice: int, bob: int
) -> None:
    chat = await dialog(app, alice, bob)
    kept = await post(app, alice, chat, await upload(app, alice, fake_image(10, 10)))
    gone = await post(app, alice, chat, await upload(app, alice, fake_image(10, 10)))

    await app.delete_message(alice, gone)

    page = await app.list_chat_media(bob, chat, "image")
    assert [m.message_id for m in page.items] == [kept]


async def test_a_stranger_gets_the_gallery_as_for_no_chat(
    app: Messenger, alice: int, bob: int, carol: int
) -> None:
    chat = await dialog(app, alice, bob)

    with pytest.raises(NotFound) as stranger:
        await app.list_chat_media(carol, chat, "image")
    with pytest.raises(NotFound) as missing:
        await app.list_chat_media(carol, 10_000, "image")

    assert stranger.value.code == missing.value.code == "not_found"
    assert stranger.value.message == missing.value.message


@pytest.mark.parametrize(("kind", "cursor"), [("video", None), ("image", "nope")])
async def test_a_bad_kind_or_cursor_is_a_validation_error(
    app: Messenger, alice: int, bob: int, kind: str, cursor: str | None
) -> None:
    chat = await dialog(app, alice, bob)

    with pytest.raises(ValidationError):
        await app.list_chat_media(alice, chat, kind, cursor=cursor)


@settings(max_examples=30, deadline=None)
@given(
    files_per_message=st.lists(
        st.lists(st.booleans(), min_size=1, max_size=3), min_size=1, max_size=6
    ),
    deleted=st.sets(st.integers(0, 5)),
    limit=st.integers(1, 4),
)
def test_paging_the_gallery_gives_each_live_image_once_newest_first(
    files_per_message: list[list[bool]], deleted: set[int], limit: int
) -> None:
    """``files_per_message``: per message, whether each of its files is an image."""

    async def scenario() -> None:
        app: Messenger = in_memory_container(clock=TickingClock(), images=FakeImages()).messenger()
        alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
        chat = await dialog(app, alice, bob)
        expected: list[tuple[int, str]] = []
        for i, kinds in enumerate(files_per_message):
            files = [
                await upload(app, alice, fake_image(8, 8) if image else b"text") for image in kinds
            ]
            message_id = await post(app, alice, chat, *files)
            if i in deleted:
                await app.delete_message(alice, message_id)
            else:
                expected += [(message_id, f.id) for f in files if f.width is not None]
        seen: list[tuple[int, str]] = []
        cursor = None
        while True:
            page = await app.list_chat_media(bob, chat, "image", limit=limit, cursor=cursor)
            assert len(page.items) <= limit
            seen += [(m.message_id, m.file.id) for m in page.items]
            if not page.has_more:
                break
            cursor = page.next_cursor
        assert seen == sorted(expected, reverse=True)

    asyncio.run(scenario())
