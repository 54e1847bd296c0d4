"""Drafts, on the in-memory adapters: kept for the user's other devices, shown in the chat
list, dropped when the user sends a message in the chat (and only then, at no cost to a
post whose sender has none)."""

from __future__ import annotations

import pytest

from messenger.adapters.codec import decode_event, encode_event
from messenger.adapters.memory.store import InMemoryChatPrefsRepository
from messenger.domain.chat_prefs import MUTED_FOREVER, Draft
from messenger.domain.errors import ChatNotFound, MessageTooLong, ValidationError
from messenger.domain.events import DraftUpdated
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, store_of


async def draft_in_list(app: Messenger, user_id: int, chat_id: int) -> Draft | None:
    for item in (await app.list_chats(user_id, limit=100)).items:
        if item.chat.id == chat_id:
            return item.draft
    raise AssertionError(f"chat {chat_id} is not in the list")


async def test_a_saved_draft_is_in_the_chat_list_of_its_author_only(
    app: Messenger, published: Published, alice: int, bob: int, dialog: int
) -> None:
    published.clear()

    draft = await app.save_draft(alice, dialog, "  half a thought", None)

    assert draft is not None
    assert draft.text == "  half a thought"
    assert await draft_in_list(app, alice, dialog) == draft
    assert await draft_in_list(app, bob, dialog) is None
    [note] = published.items
    assert note.recipients == {alice}
    assert note.event == DraftUpdated(alice, dialog, draft)
    assert decode_event(encode_event(note.event)) == note.event


async def test_an_empty_text_clears_the_draft_and_clearing_none_tells_nobody(
    app: Messenger, published: Published, alice: int, dialog: int
) -> None:
    await app.save_draft(alice, dialog, "soon", None)
    published.clear()

    assert await app.save_draft(alice, dialog, "  \n ", None) is None
    assert await app.save_draft(alice, dialog, "", None) is None

    assert [n.event for n in published.items] == [DraftUpdated(alice, dialog, None)]
    assert await draft_in_list(app, alice, dialog) is None
    assert store_of(app).chat_prefs == {}


async def test_a_draft_replies_to_a_message_of_its_chat_only(
    app: Messenger, alice: int, bob: int, dialog: int, group: int
) -> None:
    original = await app.post_message(bob, dialog, "c1", "question?")
    elsewhere = await app.post_message(alice, group, "c2", "other")

    draft = await app.save_draft(alice, dialog, "answer", original.message.id)

    assert draft is not None
    assert draft.reply_to_id == original.message.id
    with pytest.raises(ValidationError) as caught:
        await app.save_draft(alice, dialog, "answer", elsewhere.message.id)
    assert caught.value.field == "reply_to_id"


async def test_a_draft_is_as_long_as_a_message_may_be(
    app: Messenger, alice: int, dialog: int
) -> None:
    limit = app.ports.limits.max_message_length
    await app.save_draft(alice, dialog, "x" * limit, None)
    with pytest.raises(MessageTooLong):
        await app.save_draft(alice, dialog, "x" * (limit + 1), None)


async def test_only_members_keep_drafts(app: Messenger, carol: int, dialog: int) -> None:
    with pytest.raises(ChatNotFound):
        await app.save_draft(carol, dialog, "let me in", None)


async def test_sending_a_message_drops_the_senders_draft_and_tells_their_devices(
    app: Messenger, published: Published, alice: int, bob: int, group: int
) -> None:
    await app.save_draft(alice, group, "almost", None)
    await app.save_draft(bob, group, "bob's own", None)
    published.clear()

    await app.post_message(alice, group, "c1", "almost done")

    drafts = [n for n in published.items if isinstance(n.event, DraftUpdated)]
    assert [(n.event, n.recipients) for n in drafts] == [
        (DraftUpdated(alice, group, None), frozenset({alice}))
    ]
    assert await draft_in_list(app, alice, group) is None
    bobs = await draft_in_list(app, bob, group)
    assert bobs is not None
    assert bobs.text == "bob's own"


async def test_a_draft_elsewhere_stays_when_a_message_is_sent(
    app: Messenger, alice: int, dialog: int, group: int
) -> None:
    await app.save_draft(alice, dialog, "for bob", None)

    await app.post_message(alice, group, "c1", "to the team")

    assert await draft_in_list(app, alice, dialog) is not None


async def test_a_post_whose_sender_has_no_draft_reads_no_draft(
    app: Messenger,
    published: Published,
    alice: int,
    bob: int,
    group: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await app.save_draft(bob, group, "bob types", None)
    await app.change_chat_settings(alice, group, muted_until=MUTED_FOREVER)
    reads: list[tuple[int, int]] = []
    original = InMemoryChatPrefsRepository.get

    async def counting(self: InMemoryChatPrefsRepository, chat_id: int, user_id: int) -> object:
        reads.append((chat_id, user_id))
        return await original(self, chat_id, user_id)

    monkeypatch.setattr(InMemoryChatPrefsRepository, "get", counting)
    published.clear()

    await app.post_message(alice, group, "c1", "no draft of mine here")

    assert reads == []
    assert published.types() == ["new_message"]


async def test_a_draft_saved_twice_unchanged_is_told_once(
    app: Messenger, published: Published, alice: int, dialog: int
) -> None:
    published.clear()
    await app.save_draft(alice, dialog, "same", None)
    await app.save_draft(alice, dialog, "same", None)

    assert published.types() == ["draft_updated"]


async def test_a_draft_and_the_chats_settings_live_side_by_side(
    app: Messenger, alice: int, dialog: int
) -> None:
    await app.change_chat_settings(alice, dialog, pinned=True)
    await app.save_draft(alice, dialog, "note", None)
    await app.save_draft(alice, dialog, "", None)

    [item] = (await app.list_chats(alice)).items
    assert item.settings is not None
    assert item.settings.pinned
    assert item.draft is None
