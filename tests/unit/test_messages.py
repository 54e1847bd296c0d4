"""Messages: post, edit, delete, history, read and delivery marks, typing."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import messenger
from messenger.adapters.memory import TickingClock
from messenger.domain.errors import (
    ChatNotFound,
    Conflict,
    Forbidden,
    MessageTooLong,
    NotFound,
    ValidationError,
)
from messenger.domain.events import MessagesDelivered, Notification
from messenger.domain.model import Limits, Role
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, chunks, store_of

# --- post ---------------------------------------------------------------------------------


async def test_posting_stores_the_trimmed_text_and_notifies_every_member(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    published.clear()

    result = await app.post_message(bob, group, "c-1", "  Привет 👋 \n")

    assert result.created
    assert result.message.text == "Привет 👋"
    assert result.message.sender_id == bob
    assert result.message.chat_id == group
    assert published.types() == ["new_message"]
    assert published.items[0].recipients == {alice, bob, carol}
    assert published.items[0].position is not None
    page = await app.read_history(carol, group)
    assert page.items == (result.message,)


async def test_resending_with_same_client_id_returns_the_first_message_and_publishes_nothing(
    app: Messenger, dialog: int, alice: int, published: Published
) -> None:
    first = await app.post_message(alice, dialog, "c-1", "hello")
    published.clear()

    again = await app.post_message(alice, dialog, "c-1", "hello, edited before retry")

    assert not again.created
    assert again.message == first.message
    assert published.items == []
    assert len((await app.read_history(alice, dialog)).items) == 1


async def test_concurrent_resends_store_one_message(
    app: Messenger, dialog: int, alice: int
) -> None:
    results = await asyncio.gather(
        *(app.post_message(alice, dialog, "c-1", "hello") for _ in range(5))
    )

    assert len({r.message.id for r in results}) == 1
    assert sum(r.created for r in results) == 1


async def test_a_group_commit_mixing_resends_and_new_posts_stores_each_once(
    app: Messenger, dialog: int, group: int, alice: int, bob: int, published: Published
) -> None:
    stored = await app.post_message(alice, dialog, "c-1", "hello")
    published.clear()

    # Posted at once, so they share group commits: stored resends, a resend within the
    # batch, a reused client id, and new posts around them.
    results = await asyncio.gather(
        app.post_message(bob, dialog, "b-1", "new before"),
        app.post_message(alice, dialog, "c-1", "hello again"),
        app.post_message(alice, group, "c-2", "new"),
        app.post_message(alice, group, "c-2", "new, resent at once"),
        app.post_message(alice, group, "c-1", "reused in another chat"),
        app.post_message(bob, group, "b-2", "new after"),
        return_exceptions=True,
    )

    new_before, resent, new, resent_at_once, reused, new_after = results
    assert not isinstance(resent, BaseException)
    assert not resent.created
    assert resent.message == stored.message
    assert not isinstance(new, BaseException)
    assert new.created
    assert not isinstance(resent_at_once, BaseException)
    assert not resent_at_once.created
    assert resent_at_once.message.id == new.message.id
    assert isinstance(reused, Conflict)
    for fresh in (new_before, new_after):
        assert not isinstance(fresh, BaseException)
        assert fresh.created
    assert sorted(n.event.message.client_id for n in published.items) == ["b-1", "b-2", "c-2"]  # type: ignore[attr-defined]
    assert [m.client_id for m in (await app.read_history(alice, group)).items] == ["c-2", "b-2"]
    assert [m.client_id for m in (await app.read_history(bob, dialog)).items] == ["c-1", "b-1"]


async def test_the_same_client_id_from_another_sender_is_another_message(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    mine = await app.post_message(alice, dialog, "c-1", "hello")
    theirs = await app.post_message(bob, dialog, "c-1", "hello")

    assert theirs.created
    assert theirs.message.id != mine.message.id


async def test_reusing_a_client_id_in_another_chat_is_a_conflict(
    app: Messenger, dialog: int, group: int, alice: int
) -> None:
    await app.post_message(alice, dialog, "c-1", "hello")

    with pytest.raises(Conflict) as caught:
        await app.post_message(alice, group, "c-1", "hello")

    # A permanent conflict: the message must not invite a retry that can never succeed.
    assert caught.value.code == "conflict"
    assert "another chat" in str(caught.value)
    assert (await app.read_history(alice, group)).items == ()


async def test_a_stranger_cannot_post_and_learns_nothing_about_the_chat(
    app: Messenger, dialog: int, carol: int, published: Published
) -> None:
    published.clear()

    with pytest.raises(ChatNotFound) as stranger:
        await app.post_message(carol, dialog, "c-1", "let me in")
    with pytest.raises(ChatNotFound) as missing:
        await app.post_message(carol, 999, "c-2", "anyone?")

    assert str(stranger.value) == str(missing.value)
    assert published.items == []
    assert not store_of(app).messages


async def test_a_too_long_text_is_rejected_with_message_too_long(
    app: Messenger, dialog: int, alice: int
) -> None:
    with pytest.raises(MessageTooLong) as caught:
        await app.post_message(alice, dialog, "c-1", "x" * 5001)

    assert caught.value.code == "message_too_long"
    assert isinstance(caught.value, ValidationError)
    assert (await app.post_message(alice, dialog, "c-2", "x" * 5000)).created


async def test_the_message_length_limit_is_configurable(alice: int) -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(max_message_length=10))
    alice = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    chat = (await app.open_dialog(alice, bob))[0].chat.id

    with pytest.raises(MessageTooLong):
        await app.post_message(alice, chat, "c-1", "x" * 11)
    assert (await app.post_message(alice, chat, "c-2", "  " + "x" * 10 + "  ")).created


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
async def test_a_whitespace_only_text_is_rejected(
    app: Messenger, dialog: int, alice: int, text: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.post_message(alice, dialog, "c-1", text)

    assert caught.value.code == "validation_error"
    assert caught.value.field == "text"


@pytest.mark.parametrize("text", ["", "   "])
async def test_a_message_with_an_attachment_may_have_no_text(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published, text: str
) -> None:
    upload = await app.upload_file(alice, "photo.png", "image/png", chunks([b"\x89PNG"]))

    posted = await app.post_message(alice, dialog, "a-1", text, attachment_ids=[upload.id])

    assert posted.created
    assert posted.message.text == ""
    assert [a.id for a in posted.message.attachments] == [upload.id]
    assert (await app.read_history(bob, dialog)).items == (posted.message,)
    assert published.types() == ["new_message"]


async def test_an_empty_text_with_an_unknown_attachment_is_still_refused(
    app: Messenger, dialog: int, alice: int
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.post_message(alice, dialog, "a-1", "", attachment_ids=["no-such-file"])

    assert caught.value.field == "attachment_ids"
    assert (await app.read_history(alice, dialog)).items == ()


@pytest.mark.parametrize("client_id", ["", "  ", "x" * 65])
async def test_a_client_id_must_have_1_to_64_characters(
    app: Messenger, dialog: int, alice: int, client_id: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.post_message(alice, dialog, client_id, "hello")

    assert caught.value.field == "client_id"


async def test_a_reply_points_to_a_message_of_the_same_chat(
    app: Messenger, dialog: int, group: int, alice: int, bob: int
) -> None:
    original = (await app.post_message(bob, dialog, "b-1", "question")).message
    elsewhere = (await app.post_message(bob, group, "b-2", "other")).message

    reply = await app.post_message(alice, dialog, "a-1", "answer", reply_to_id=original.id)

    assert reply.message.reply_to_id == original.id
    for bad in (elsewhere.id, 999):
        with pytest.raises(ValidationError) as caught:
            await app.post_message(alice, dialog, f"a-{bad}", "answer", reply_to_id=bad)
        assert caught.value.field == "reply_to_id"


async def test_only_your_own_uploads_can_be_attached(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    mine = await app.upload_file(alice, "report.pdf", "application/pdf", chunks([b"%PDF"]))
    theirs = await app.upload_file(bob, "secret.txt", "text/plain", chunks([b"secret"]))

    posted = await app.post_message(alice, dialog, "a-1", "see attached", attachment_ids=[mine.id])

    [attachment] = posted.message.attachments
    assert (attachment.id, attachment.name, attachment.size) == (mine.id, "report.pdf", 4)
    assert attachment.content_type == "application/pdf"
    for bad in (theirs.id, "no-such-file"):
        with pytest.raises(ValidationError) as caught:
            await app.post_message(alice, dialog, f"a-{bad}", "steal", attachment_ids=[bad])
        assert caught.value.field == "attachment_ids"


async def test_too_many_attachments_are_rejected(app: Messenger, dialog: int, alice: int) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.post_message(alice, dialog, "a-1", "files", attachment_ids=["f"] * 11)

    assert caught.value.field == "attachment_ids"


async def test_message_ids_ascend_in_posting_order(
    app: Messenger, dialog: int, group: int, alice: int, bob: int
) -> None:
    ids = [
        (await app.post_message(sender, chat, f"c-{i}", "x")).message.id
        for i, (sender, chat) in enumerate([(alice, dialog), (bob, group), (bob, dialog)] * 3)
    ]

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


# --- edit ---------------------------------------------------------------------------------


async def test_the_author_edits_a_message_and_the_old_text_is_kept(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "helo")).message
    published.clear()

    await app.edit_message(alice, message.id, "hello")
    edited = await app.edit_message(alice, message.id, " hello! ")

    assert edited.text == "hello!"
    assert edited.edited_at is not None
    assert published.types() == ["message_updated", "message_updated"]
    history = (await app.get_edit_history(bob, message.id)).items
    assert [e.text for e in history] == ["helo", "hello"]
    assert (await app.read_history(bob, dialog)).items == (edited,)


async def test_the_edit_history_pages_oldest_first(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "v0")).message
    for i in range(1, 6):
        await app.edit_message(alice, message.id, f"v{i}")

    first = await app.get_edit_history(bob, message.id, limit=2)
    second = await app.get_edit_history(bob, message.id, limit=2, cursor=first.next_cursor)
    last = await app.get_edit_history(bob, message.id, limit=2, cursor=second.next_cursor)

    assert [[e.text for e in p.items] for p in (first, second, last)] == [
        ["v0", "v1"],
        ["v2", "v3"],
        ["v4"],
    ]
    assert (first.has_more, second.has_more, last.has_more) == (True, True, False)
    assert last.next_cursor is None


async def test_editing_to_the_same_text_changes_nothing(
    app: Messenger, dialog: int, alice: int, published: Published
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "hello")).message
    published.clear()

    unchanged = await app.edit_message(alice, message.id, "hello")

    assert unchanged.edited_at is None
    assert published.items == []
    assert (await app.get_edit_history(alice, message.id)).items == ()


@pytest.mark.parametrize("text", ["hacked", "hello"])
async def test_only_the_author_can_edit(
    app: Messenger, group: int, alice: int, bob: int, text: str
) -> None:
    # Even the group owner, and even with an unchanged text.
    message = (await app.post_message(bob, group, "b-1", "hello")).message

    with pytest.raises(Forbidden):
        await app.edit_message(alice, message.id, text)

    assert (await app.get_edit_history(bob, message.id)).items == ()


async def test_a_stranger_cannot_edit_or_see_edits(
    app: Messenger, dialog: int, alice: int, carol: int
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "hello")).message

    with pytest.raises(NotFound):
        await app.edit_message(carol, message.id, "hacked")
    with pytest.raises(NotFound):
        await app.get_edit_history(carol, message.id)
    with pytest.raises(NotFound):
        await app.edit_message(alice, 999, "nothing")


async def test_a_deleted_message_cannot_be_edited(app: Messenger, dialog: int, alice: int) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "hello")).message
    await app.delete_message(alice, message.id)

    with pytest.raises(Forbidden):
        await app.edit_message(alice, message.id, "back from the dead")


async def test_an_edit_must_be_valid_text(app: Messenger, dialog: int, alice: int) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "hello")).message

    with pytest.raises(ValidationError):
        await app.edit_message(alice, message.id, "  ")
    with pytest.raises(MessageTooLong):
        await app.edit_message(alice, message.id, "x" * 5001)


async def test_a_message_with_attachments_can_be_edited_to_no_text(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    upload = await app.upload_file(alice, "plan.pdf", "application/pdf", chunks([b"%PDF"]))
    message = (
        await app.post_message(alice, dialog, "a-1", "caption", attachment_ids=[upload.id])
    ).message
    published.clear()

    edited = await app.edit_message(alice, message.id, "  ")

    assert edited.text == ""
    assert edited.attachments == message.attachments
    assert [e.text for e in (await app.get_edit_history(alice, message.id)).items] == ["caption"]
    assert published.types() == ["message_updated"]


async def test_a_message_without_attachments_cannot_be_edited_to_no_text(
    app: Messenger, dialog: int, alice: int
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "hello")).message

    with pytest.raises(ValidationError) as caught:
        await app.edit_message(alice, message.id, "")

    assert caught.value.field == "text"
    assert (await app.read_history(alice, dialog)).items[0].text == "hello"


# --- delete -------------------------------------------------------------------------------


async def test_deleting_leaves_a_tombstone_without_content_or_edit_history(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    upload = await app.upload_file(alice, "a.txt", "text/plain", chunks([b"a"]))
    message = (
        await app.post_message(alice, dialog, "a-1", "secret", attachment_ids=[upload.id])
    ).message
    await app.edit_message(alice, message.id, "more secret")
    published.clear()

    tombstone = await app.delete_message(alice, message.id)

    assert tombstone.id == message.id
    assert tombstone.deleted
    assert tombstone.text == ""
    assert tombstone.attachments == ()
    assert published.types() == ["message_deleted"]
    assert published.items[0].recipients == {alice, bob}
    assert (await app.read_history(bob, dialog)).items == (tombstone,)
    assert (await app.get_edit_history(alice, message.id)).items == ()
    assert not store_of(app).edits.get(message.id)


async def test_deleting_twice_is_harmless(
    app: Messenger, dialog: int, alice: int, published: Published
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "oops")).message
    first = await app.delete_message(alice, message.id)
    published.clear()

    second = await app.delete_message(alice, message.id)

    assert second == first
    assert published.items == []


async def test_the_peer_in_a_dialog_cannot_delete_your_message(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "mine")).message

    with pytest.raises(Forbidden):
        await app.delete_message(bob, message.id)

    assert (await app.read_history(bob, dialog)).items[0].text == "mine"


async def test_group_admins_delete_others_messages_but_members_do_not(
    app: Messenger, group: int, alice: int, bob: int, carol: int
) -> None:
    first = (await app.post_message(carol, group, "c-1", "spam")).message
    second = (await app.post_message(carol, group, "c-2", "more spam")).message
    await app.change_role(alice, group, bob, Role.ADMIN)

    with pytest.raises(Forbidden):
        await app.delete_message(carol, (await app.post_message(bob, group, "b", "hi")).message.id)
    assert (await app.delete_message(alice, first.id)).deleted  # owner
    assert (await app.delete_message(bob, second.id)).deleted  # admin


async def test_a_stranger_cannot_delete(
    app: Messenger, dialog: int, alice: int, carol: int
) -> None:
    message = (await app.post_message(alice, dialog, "a-1", "mine")).message

    with pytest.raises(NotFound):
        await app.delete_message(carol, message.id)
    with pytest.raises(NotFound):
        await app.delete_message(carol, 999)


async def test_a_deleted_attachment_can_no_longer_be_opened_by_the_peer(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    upload = await app.upload_file(alice, "a.txt", "text/plain", chunks([b"a"]))
    message = (
        await app.post_message(alice, dialog, "a-1", "file", attachment_ids=[upload.id])
    ).message
    await app.open_file(bob, upload.id)

    await app.delete_message(alice, message.id)

    with pytest.raises(NotFound):
        await app.open_file(bob, upload.id)
    assert (await app.open_file(alice, upload.id))[0].id == upload.id


# --- history ------------------------------------------------------------------------------


async def post_many(app: Messenger, sender: int, chat: int, count: int) -> list[int]:
    return [
        (await app.post_message(sender, chat, f"m-{chat}-{i}", f"message {i}")).message.id
        for i in range(count)
    ]


async def test_history_without_a_cursor_is_the_newest_page_in_ascending_order(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    ids = await post_many(app, alice, dialog, 7)

    page = await app.read_history(bob, dialog, limit=3)

    assert [m.id for m in page.items] == ids[-3:]
    assert page.has_more


async def test_history_before_a_message_pages_back(app: Messenger, dialog: int, alice: int) -> None:
    ids = await post_many(app, alice, dialog, 7)

    middle = await app.read_history(alice, dialog, before=ids[4], limit=3)
    start = await app.read_history(alice, dialog, before=ids[1], limit=3)

    assert [m.id for m in middle.items] == ids[1:4]
    assert middle.has_more
    assert [m.id for m in start.items] == ids[:1]
    assert not start.has_more


async def test_history_after_a_message_pages_forward(
    app: Messenger, dialog: int, alice: int
) -> None:
    ids = await post_many(app, alice, dialog, 7)

    next_page = await app.read_history(alice, dialog, after=ids[0], limit=3)
    last_page = await app.read_history(alice, dialog, after=ids[3], limit=3)
    beyond = await app.read_history(alice, dialog, after=ids[-1], limit=3)

    assert [m.id for m in next_page.items] == ids[1:4]
    assert next_page.has_more
    assert [m.id for m in last_page.items] == ids[4:]
    assert not last_page.has_more
    assert beyond.items == ()


async def test_history_between_two_messages(app: Messenger, dialog: int, alice: int) -> None:
    ids = await post_many(app, alice, dialog, 7)

    page = await app.read_history(alice, dialog, after=ids[1], before=ids[5], limit=10)

    assert [m.id for m in page.items] == ids[2:5]


async def test_history_holds_only_the_chats_messages(
    app: Messenger, dialog: int, group: int, alice: int
) -> None:
    mine = await post_many(app, alice, dialog, 3)
    await post_many(app, alice, group, 3)

    page = await app.read_history(alice, dialog)

    assert [m.id for m in page.items] == mine
    assert not page.has_more


async def test_history_of_an_empty_chat_is_empty(app: Messenger, dialog: int, alice: int) -> None:
    page = await app.read_history(alice, dialog)

    assert page.items == ()
    assert not page.has_more


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"before": -1}, "before")],
)
async def test_history_rejects_bad_paging_arguments(
    app: Messenger, dialog: int, alice: int, kwargs: dict[str, int], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.read_history(alice, dialog, **kwargs)

    assert caught.value.field == field


async def test_a_non_member_reads_a_chat_exactly_like_an_unknown_one(
    app: Messenger, dialog: int, alice: int, carol: int
) -> None:
    await post_many(app, alice, dialog, 2)

    with pytest.raises(ChatNotFound) as stranger:
        await app.read_history(carol, dialog)
    with pytest.raises(ChatNotFound) as unknown:
        await app.read_history(carol, 999)

    assert type(stranger.value) is type(unknown.value)
    assert (stranger.value.code, str(stranger.value)) == (unknown.value.code, str(unknown.value))


async def test_a_removed_member_can_no_longer_read_the_history(
    app: Messenger, group: int, alice: int, carol: int
) -> None:
    await post_many(app, alice, group, 2)
    await app.remove_member(alice, group, carol)

    with pytest.raises(ChatNotFound):
        await app.read_history(carol, group)


async def _page_through(count: int, limit: int, backwards: bool) -> tuple[list[int], list[int]]:
    app = messenger.in_memory(clock=TickingClock())
    alice = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    chat = (await app.open_dialog(alice, bob))[0].chat.id
    posted = await post_many(app, alice, chat, count)
    seen: list[int] = []
    if backwards:
        page = await app.read_history(bob, chat, limit=limit)
        seen = [m.id for m in page.items]
        while page.has_more:
            page = await app.read_history(bob, chat, before=seen[0], limit=limit)
            assert 0 < len(page.items) <= limit
            seen = [m.id for m in page.items] + seen
    else:
        page = await app.read_history(bob, chat, after=0, limit=limit)
        seen = [m.id for m in page.items]
        while page.has_more:
            page = await app.read_history(bob, chat, after=seen[-1], limit=limit)
            assert 0 < len(page.items) <= limit
            seen += [m.id for m in page.items]
    return posted, seen


@settings(max_examples=60, deadline=None)
@given(count=st.integers(0, 40), limit=st.integers(1, 12), backwards=st.booleans())
def test_paging_through_history_covers_every_message_exactly_once_in_order(
    count: int, limit: int, backwards: bool
) -> None:
    posted, seen = asyncio.run(_page_through(count, limit, backwards))

    assert seen == posted  # ascending, no gaps, no overlaps


async def _around(
    count: int, limit: int, pick: int, hidden: list[int]
) -> tuple[list[int], int, list[int], bool, bool | None]:
    app = messenger.in_memory(clock=TickingClock())
    alice = (await app.register("alice", "password-123")).user.id
    bob = (await app.register("bob", "password-123")).user.id
    chat = (await app.open_dialog(alice, bob))[0].chat.id
    posted = await post_many(app, alice, chat, count)
    for index in hidden:
        if index < len(posted):
            await app.hide_message(bob, posted[index])
    visible = [m for i, m in enumerate(posted) if i not in hidden]
    target = posted[pick % len(posted)] if posted else 1
    page = await app.read_history(bob, chat, around=target, limit=limit)
    return visible, target, [m.id for m in page.items], page.has_more, page.has_newer


@settings(max_examples=80, deadline=None)
@given(
    count=st.integers(0, 30),
    limit=st.integers(1, 12),
    pick=st.integers(0, 1000),
    hidden=st.lists(st.integers(0, 29), max_size=5, unique=True),
)
def test_a_page_around_a_message_is_the_window_of_visible_history_centred_on_it(
    count: int, limit: int, pick: int, hidden: list[int]
) -> None:
    visible, target, ids, has_older, has_newer = asyncio.run(_around(count, limit, pick, hidden))

    # A contiguous window of what the reader sees, as full as the history allows...
    assert len(ids) == min(limit, len(visible))
    if ids:
        start = visible.index(ids[0])
        assert ids == visible[start : start + len(ids)]
        assert has_older == (start > 0)
        assert has_newer == (start + len(ids) < len(visible))
    # ...holding the target when the reader sees it, with at least half the page (or all
    # there is) at or before it.
    if target in visible:
        assert target in ids
        at_or_before = [i for i in ids if i <= target]
        older_available = len([i for i in visible if i <= target])
        assert len(at_or_before) >= min(older_available, limit // 2 + 1, len(ids))


async def test_around_cannot_be_combined_with_before_or_after(
    app: Messenger, dialog: int, alice: int
) -> None:
    posted = await post_many(app, alice, dialog, 3)

    for extra in ({"before": posted[2]}, {"after": posted[0]}):
        with pytest.raises(ValidationError) as error:
            await app.read_history(alice, dialog, around=posted[1], **extra)  # type: ignore[arg-type]
        assert error.value.field == "around"


async def test_around_a_message_of_a_chat_you_left_is_not_found(
    app: Messenger, group: int, alice: int, carol: int
) -> None:
    posted = await post_many(app, alice, group, 3)
    await app.remove_member(alice, group, carol)

    with pytest.raises(ChatNotFound):
        await app.read_history(carol, group, around=posted[1])


# --- mark read ----------------------------------------------------------------------------


async def test_marking_read_moves_the_watermark_and_tells_the_members(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    ids = await post_many(app, alice, dialog, 3)
    published.clear()

    state = await app.mark_read(bob, dialog, ids[1])

    assert (state.chat_id, state.read_message_id, state.unread_count) == (dialog, ids[1], 1)
    assert published.types() == ["messages_read"]
    assert published.items[0].recipients == {alice, bob}


async def test_the_read_watermark_never_moves_back(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    ids = await post_many(app, alice, dialog, 3)
    await app.mark_read(bob, dialog, ids[2])
    published.clear()

    state = await app.mark_read(bob, dialog, ids[0])

    assert state.read_message_id == ids[2]
    assert state.unread_count == 0
    assert published.items == []


async def test_reading_implies_delivery(app: Messenger, dialog: int, alice: int, bob: int) -> None:
    ids = await post_many(app, alice, dialog, 2)

    await app.mark_read(bob, dialog, ids[1])

    details = await app.get_chat(alice, dialog)
    [bobs] = [m.membership for m in details.members if m.membership.user_id == bob]
    assert bobs.delivered_message_id == ids[1]


async def test_unread_is_never_negative(app: Messenger, dialog: int, alice: int, bob: int) -> None:
    ids = await post_many(app, alice, dialog, 2)
    await app.delete_message(alice, ids[1])

    state = await app.mark_read(bob, dialog, ids[1])

    assert state.unread_count == 0
    [summary] = (await app.list_chats(bob)).items
    assert summary.unread_count == 0


async def test_marking_a_message_of_another_chat_read_fails(
    app: Messenger, dialog: int, group: int, alice: int, bob: int
) -> None:
    elsewhere = (await app.post_message(alice, group, "g-1", "x")).message

    with pytest.raises(NotFound):
        await app.mark_read(bob, dialog, elsewhere.id)
    with pytest.raises(NotFound):
        await app.mark_read(bob, dialog, 999)


async def test_a_stranger_cannot_mark_read(
    app: Messenger, dialog: int, alice: int, carol: int
) -> None:
    [message_id] = await post_many(app, alice, dialog, 1)

    with pytest.raises(ChatNotFound):
        await app.mark_read(carol, dialog, message_id)


# --- delivery -----------------------------------------------------------------------------


async def delivered(app: Messenger, viewer: int, chat: int, user: int) -> int:
    details = await app.get_chat(viewer, chat)
    [m] = [m.membership for m in details.members if m.membership.user_id == user]
    return m.delivered_message_id


async def test_acknowledging_the_feed_moves_the_delivered_watermark(
    app: Messenger,
    dialog: int,
    group: int,
    alice: int,
    bob: int,
    carol: int,
    published: Published,
) -> None:
    ids = await post_many(app, alice, dialog, 2)
    [in_group] = await post_many(app, alice, group, 1)
    cursor = (await app.get_changes_since(bob, since=None)).cursor
    published.clear()

    await app.acknowledge_delivery(bob, cursor)

    assert await delivered(app, alice, dialog, bob) == ids[-1]
    assert await delivered(app, alice, group, bob) == in_group
    events = [n.event for n in published.items]
    assert all(isinstance(e, MessagesDelivered) for e in events)
    assert {(e.chat_id, e.message_id) for e in events} == {(dialog, ids[-1]), (group, in_group)}
    # The chat's other members hear of it; the acker's own devices do not (ticks show on
    # one's own messages only).
    told = {n.event.chat_id: n.recipients for n in published.items}
    assert told == {dialog: {alice}, group: {alice, carol}}
    # ... nor does a sync replay it to them.
    synced = (await app.get_changes_since(bob, cursor)).entries
    assert not [e for e in synced if isinstance(e.event, MessagesDelivered)]
    assert [
        e.event.chat_id
        for e in (await app.get_changes_since(carol, cursor)).entries
        if isinstance(e.event, MessagesDelivered)
    ] == [group]


async def test_acknowledging_a_chat_where_nobody_else_is_left_tells_nobody(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    [posted] = await post_many(app, alice, group, 1)
    await app.remove_member(alice, group, carol)
    await app.remove_member(alice, group, alice)
    cursor = (await app.get_changes_since(bob, since=None)).cursor
    published.clear()

    await app.acknowledge_delivery(bob, cursor)

    assert published.items == []
    assert await delivered(app, bob, group, bob) == posted


async def test_acknowledging_again_changes_nothing(
    app: Messenger, dialog: int, alice: int, bob: int, published: Published
) -> None:
    await post_many(app, alice, dialog, 2)
    cursor = (await app.get_changes_since(bob, since=None)).cursor
    await app.acknowledge_delivery(bob, cursor)
    published.clear()

    await app.acknowledge_delivery(bob, cursor)
    await app.acknowledge_delivery(bob, cursor - 1)

    assert published.items == []


async def test_acknowledging_a_cursor_up_to_an_earlier_message_delivers_only_that(
    app: Messenger, dialog: int, alice: int, bob: int
) -> None:
    [first] = await post_many(app, alice, dialog, 1)
    cursor = (await app.get_changes_since(bob, since=None)).cursor
    await app.post_message(alice, dialog, "later", "later")

    await app.acknowledge_delivery(bob, cursor)

    assert await delivered(app, alice, dialog, bob) == first


async def test_own_messages_do_not_count_as_delivered_to_yourself(
    app: Messenger, dialog: int, alice: int, published: Published
) -> None:
    await post_many(app, alice, dialog, 2)
    published.clear()

    await app.acknowledge_delivery(alice, 10_000)

    assert published.items == []
    assert await delivered(app, alice, dialog, alice) == 0


async def test_acknowledging_for_an_unknown_user_fails(app: Messenger) -> None:
    with pytest.raises(NotFound):
        await app.acknowledge_delivery(999, 1)


# --- typing -------------------------------------------------------------------------------


async def test_typing_is_sent_to_the_other_members_only_and_never_stored(
    app: Messenger, group: int, alice: int, bob: int, carol: int, published: Published
) -> None:
    before = (await app.get_changes_since(bob, since=None)).cursor
    published.clear()

    await app.send_typing(alice, group)

    [notification] = published.items
    assert notification.event.type == "typing"
    assert notification.recipients == {bob, carol}
    assert notification.position is None
    assert (await app.get_changes_since(bob, since=None)).cursor == before
    assert (await app.get_changes_since(bob, since=before)).entries == ()


async def test_a_stranger_cannot_send_typing(
    app: Messenger, group: int, dave: int, published: Published
) -> None:
    published.clear()

    with pytest.raises(ChatNotFound):
        await app.send_typing(dave, group)

    assert published.items == []


async def test_typing_alone_in_a_group_notifies_nobody(
    app: Messenger, alice: int, published: Published
) -> None:
    chat = (await app.create_group(alice, "Notes", [])).chat.id
    published.clear()

    await app.send_typing(alice, chat)

    assert published.items == []


async def test_typing_in_a_chat_above_the_threshold_is_only_for_devices_where_it_is_open() -> None:
    app = messenger.in_memory(clock=TickingClock(), limits=Limits(typing_joined_above=2))
    alice, bob, carol = [
        (await app.register(n, "password-123")).user.id for n in ("alice", "bob", "carol")
    ]
    seen: list[Notification] = []
    app.ports.notifier.subscribe(seen.append)  # type: ignore[attr-defined]
    pair = (await app.create_group(alice, "Two", [bob])).chat.id
    three = (await app.create_group(alice, "Three", [bob, carol])).chat.id
    seen.clear()

    await app.send_typing(alice, pair)
    await app.send_typing(alice, three)

    events = [n.event for n in seen]
    assert [(e.chat_id, getattr(e, "only_where_open", None)) for e in events] == [
        (pair, False),
        (three, True),
    ]


async def test_only_members_open_a_chat(app: Messenger, group: int, alice: int, dave: int) -> None:
    await app.open_chat(alice, group)

    with pytest.raises(ChatNotFound):
        await app.open_chat(dave, group)
    with pytest.raises(ChatNotFound):
        await app.open_chat(alice, 999)
