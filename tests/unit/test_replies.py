"""Reply previews: the quote a reply carries, as each reader may see it, and what it costs."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from messenger.adapters.codec import decode_event, encode_event
from messenger.adapters.memory.store import InMemoryMessageRepository
from messenger.domain.errors import ValidationError
from messenger.domain.events import MessageEdited, MessagePosted
from messenger.domain.model import Message, ReplyPreview
from messenger.domain.service import Messenger
from tests.unit.conftest import Published


async def say(app: Messenger, user_id: int, chat_id: int, text: str, **kw: int) -> Message:
    return (await app.post_message(user_id, chat_id, f"c-{text[:20]}", text, **kw)).message


async def reply_in_history(app: Messenger, reader: int, chat_id: int, reply_id: int) -> Message:
    [found] = [m for m in (await app.read_history(reader, chat_id)).items if m.id == reply_id]
    return found


async def test_a_reply_quotes_the_first_200_characters_of_its_original(
    app: Messenger, group: int, alice: int, bob: int, published: Published
) -> None:
    original = await say(app, alice, group, "x" * 150 + "y" * 100)
    published.clear()

    reply = await say(app, bob, group, "agreed", reply_to_id=original.id)

    expected = ReplyPreview(original.id, alice, "x" * 150 + "y" * 50, deleted=False)
    assert reply.reply_to == expected
    [note] = published.items
    assert isinstance(note.event, MessagePosted)
    assert note.event.message.reply_to == expected
    assert (await reply_in_history(app, alice, group, reply.id)).reply_to == expected
    assert decode_event(encode_event(note.event)) == note.event


async def test_a_message_that_is_no_reply_quotes_nothing(
    app: Messenger, dialog: int, alice: int
) -> None:
    message = await say(app, alice, dialog, "plain")

    assert message.reply_to is None
    assert (await reply_in_history(app, alice, dialog, message.id)).reply_to is None


async def test_reads_show_the_original_as_it_is_now(
    app: Messenger, group: int, alice: int, bob: int
) -> None:
    original = await say(app, alice, group, "first draft")
    reply = await say(app, bob, group, "ok", reply_to_id=original.id)

    await app.edit_message(alice, original.id, "final text")
    assert (await reply_in_history(app, bob, group, reply.id)).reply_to == ReplyPreview(
        original.id, alice, "final text", deleted=False
    )
    await app.delete_message(alice, original.id)
    assert (await reply_in_history(app, bob, group, reply.id)).reply_to == ReplyPreview(
        original.id, alice, "", deleted=True
    )


@pytest.mark.parametrize("how", ["hidden", "cleared"])
async def test_an_original_the_reader_hid_or_cleared_reads_as_deleted_for_them_alone(
    app: Messenger, group: int, alice: int, bob: int, carol: int, how: str
) -> None:
    original = await say(app, alice, group, "not for carol any more")
    if how == "hidden":
        await app.hide_message(carol, original.id)
        reply = await say(app, bob, group, "re", reply_to_id=original.id)
    else:
        # Carol clears the chat, then a reply quotes what she cleared.
        await app.clear_chat(carol, group)
        reply = await say(app, bob, group, "re", reply_to_id=original.id)

    mine = (await reply_in_history(app, carol, group, reply.id)).reply_to
    theirs = (await reply_in_history(app, alice, group, reply.id)).reply_to

    assert mine == ReplyPreview(original.id, alice, "", deleted=True)
    assert theirs == ReplyPreview(original.id, alice, "not for carol any more", deleted=False)


async def test_a_frame_never_quotes_what_one_of_its_recipients_no_longer_sees(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    original = await say(app, alice, group, "cleared by carol")
    await app.clear_chat(carol, group)
    published.clear()

    reply = await say(app, bob, group, "re", reply_to_id=original.id)
    await app.edit_message(bob, reply.id, "re: edited")

    for note in published.items:
        assert isinstance(note.event, MessagePosted | MessageEdited)
        assert carol in note.recipients
        assert note.event.message.reply_to == ReplyPreview(original.id, alice, "", deleted=True)
    changes = await app.get_changes_since(carol, 0)
    assert "cleared by carol" not in repr(changes.entries)


async def test_a_deleted_reply_quotes_nothing(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    original = await say(app, alice, dialog, "q")
    reply = await say(app, bob, dialog, "a", reply_to_id=original.id)
    published.clear()

    tombstone = await app.delete_message(bob, reply.id)

    assert tombstone.reply_to is None
    assert published.items[0].event.message.reply_to is None  # type: ignore[attr-defined]
    assert (await reply_in_history(app, alice, dialog, reply.id)).reply_to is None


async def test_a_reply_to_a_message_of_another_chat_is_refused(
    app: Messenger, group: int, dialog: int, alice: int
) -> None:
    elsewhere = await say(app, alice, dialog, "elsewhere")
    with pytest.raises(ValidationError) as raised:
        await say(app, alice, group, "re", reply_to_id=elsewhere.id)
    assert raised.value.field == "reply_to_id"


class _Counted:
    """Counts the reads of originals the reply previews make."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        for name in ("get_many", "hidden_from_some"):
            real = getattr(InMemoryMessageRepository, name)

            def counting(
                repo: InMemoryMessageRepository, ids: Iterable[int], _real=real, _name=name
            ) -> object:
                self.calls.append(_name)
                return _real(repo, ids)

            monkeypatch.setattr(InMemoryMessageRepository, name, counting)


async def test_posts_and_pages_without_replies_read_no_originals(
    app: Messenger, dialog: int, alice: int, bob: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = await say(app, alice, dialog, "q")
    counted = _Counted(monkeypatch)

    await say(app, bob, dialog, "no reply")
    page = await app.read_history(alice, dialog, after=original.id)

    assert counted.calls == []
    assert len(page.items) == 1
    await say(app, bob, dialog, "a", reply_to_id=original.id)
    assert counted.calls == ["get_many", "hidden_from_some"]
    counted.calls.clear()
    await app.read_history(alice, dialog)
    assert counted.calls == ["get_many"]


async def test_the_chat_lists_last_message_quotes_as_the_reader_sees_it(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    original = await say(app, alice, group, "quoted")
    await app.hide_message(carol, original.id)
    reply = await say(app, bob, group, "re", reply_to_id=original.id)

    def last_of(listing: object) -> Message:
        [summary] = listing.items  # type: ignore[attr-defined]
        assert summary.last_message is not None
        assert summary.last_message.id == reply.id
        return summary.last_message  # type: ignore[no-any-return]

    assert last_of(await app.list_chats(alice)).reply_to == ReplyPreview(
        original.id, alice, "quoted", deleted=False
    )
    assert last_of(await app.list_chats(carol)).reply_to == ReplyPreview(
        original.id, alice, "", deleted=True
    )
