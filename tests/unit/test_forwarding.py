"""Forwarding: only what the sender sees, the source's content with its files shared, the
first source kept, its chat named only to those who are in it, idempotent like any post."""

from __future__ import annotations

import pytest

from messenger.adapters.codec import decode_event, encode_event
from messenger.domain.errors import NotFound, ValidationError
from messenger.domain.events import MessagePosted
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, chunks, read_all, store_of


async def test_a_forward_carries_the_source_text_and_where_it_came_from(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    source = (await app.post_message(bob, group, "c-1", "release notes")).message
    # Alice's dialog with carol: carol is in the group too, so its id may be named.
    dialog, _ = await app.open_dialog(alice, carol)

    forward = (
        await app.post_message(alice, dialog.chat.id, "f-1", "", forward_of=source.id)
    ).message

    assert forward.text == "release notes"
    assert forward.sender_id == alice
    assert forward.forwarded_from is not None
    assert forward.forwarded_from.sender_id == bob
    assert forward.forwarded_from.sent_at == source.created_at
    assert forward.forwarded_from.chat_id == group
    [read] = (await app.read_history(carol, dialog.chat.id)).items
    assert read.forwarded_from == forward.forwarded_from


async def test_the_source_chat_is_not_named_to_an_audience_outside_it(
    app: Messenger, group: int, alice: int, dave: int
) -> None:
    source = (await app.post_message(alice, group, "c-1", "internal")).message
    dialog, _ = await app.open_dialog(alice, dave)

    forward = (
        await app.post_message(alice, dialog.chat.id, "f-1", "", forward_of=source.id)
    ).message

    assert forward.forwarded_from is not None
    assert forward.forwarded_from.chat_id is None
    assert forward.forwarded_from.sender_id == alice


async def test_forwarding_a_forward_keeps_the_first_source(
    app: Messenger, group: int, alice: int, bob: int, carol: int, dave: int
) -> None:
    source = (await app.post_message(bob, group, "c-1", "original")).message
    to_carol, _ = await app.open_dialog(alice, carol)
    first = await app.post_message(alice, to_carol.chat.id, "f-1", "", forward_of=source.id)
    to_dave, _ = await app.open_dialog(carol, dave)

    second = (
        await app.post_message(carol, to_dave.chat.id, "f-2", "", forward_of=first.message.id)
    ).message

    assert second.forwarded_from is not None
    assert second.forwarded_from.sender_id == bob
    assert second.forwarded_from.sent_at == source.created_at
    # Dave is not in the group: its id stays untold.
    assert second.forwarded_from.chat_id is None
    assert second.text == "original"


@pytest.mark.parametrize("how", ["stranger", "deleted", "hidden", "cleared", "missing"])
async def test_only_a_message_the_sender_sees_can_be_forwarded(
    app: Messenger, group: int, dialog: int, alice: int, bob: int, dave: int, how: str
) -> None:
    source = (await app.post_message(bob, group, "c-1", "secret")).message
    sender, target = bob, dialog
    if how == "stranger":
        sender, target = dave, (await app.open_dialog(dave, alice))[0].chat.id
    elif how == "deleted":
        await app.delete_message(bob, source.id)
    elif how == "hidden":
        await app.hide_message(bob, source.id)
    elif how == "cleared":
        await app.clear_chat(bob, group)

    with pytest.raises(NotFound):
        await app.post_message(
            sender, target, "f-1", "", forward_of=10**9 if how == "missing" else source.id
        )


async def test_a_forward_takes_no_text_and_no_files_of_its_own(
    app: Messenger, group: int, dialog: int, alice: int
) -> None:
    source = (await app.post_message(alice, group, "c-1", "x")).message
    with pytest.raises(ValidationError) as text:
        await app.post_message(alice, dialog, "f-1", "my comment", forward_of=source.id)
    with pytest.raises(ValidationError) as files:
        await app.post_message(alice, dialog, "f-2", "", attachment_ids=["f"], forward_of=source.id)

    assert text.value.field == "text"
    assert files.value.field == "attachment_ids"


async def test_files_are_shared_and_members_of_either_chat_download_them(
    app: Messenger, group: int, alice: int, bob: int, dave: int
) -> None:
    upload = await app.upload_file(bob, "plan.pdf", "application/pdf", chunks([b"%PDF-1"]))
    source = (await app.post_message(bob, group, "c-1", "", attachment_ids=[upload.id])).message
    dialog, _ = await app.open_dialog(alice, dave)

    forward = (
        await app.post_message(alice, dialog.chat.id, "f-1", "", forward_of=source.id)
    ).message

    assert [a.id for a in forward.attachments] == [upload.id]
    assert len(store_of(app).files) == 1  # shared, not copied
    _, content = await app.open_file(dave, upload.id)
    assert await read_all(content) == b"%PDF-1"
    # The source deleted: the forward still carries the file, and dave may still read it.
    await app.delete_message(bob, source.id)
    assert await app.delete_abandoned_uploads() == 0
    _, content = await app.open_file(dave, upload.id)
    assert await read_all(content) == b"%PDF-1"


async def test_resending_a_forward_returns_the_first_even_after_the_source_went(
    app: Messenger, group: int, dialog: int, alice: int, published: Published
) -> None:
    source = (await app.post_message(alice, group, "c-1", "once")).message
    first = await app.post_message(alice, dialog, "f-1", "", forward_of=source.id)
    await app.delete_message(alice, source.id)
    published.clear()

    again = await app.post_message(alice, dialog, "f-1", "", forward_of=source.id)

    assert not again.created
    assert again.message == first.message
    assert published.items == []


async def test_the_forward_source_survives_the_stored_feed(
    app: Messenger, group: int, dialog: int, alice: int, published: Published
) -> None:
    source = (await app.post_message(alice, group, "c-1", "kept")).message
    published.clear()
    await app.post_message(alice, dialog, "f-1", "", forward_of=source.id)

    [note] = published.items
    assert isinstance(note.event, MessagePosted)
    assert decode_event(encode_event(note.event)) == note.event
