"""The quotes of replies (``Message.reply_to``), as each audience may see them.

A reply carries a preview of the message it answers. A read shows the original as it is
now, to that reader: deleted, or cleared or hidden by the reader, it is a quote with no
text. A frame is the same bytes for everyone it reaches, so its quote is as of the moment
and shows the text only when every member of the chat still sees the original; otherwise
it goes as deleted (the members who see the original still have it in their history, and
their next read of the reply shows the text).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from messenger.domain.model import Membership, Message, ReplyPreview
from messenger.domain.ports import UnitOfWork


def _quoting(messages: Sequence[Message]) -> set[int]:
    # A tombstone quotes nothing: it keeps nothing of its content.
    return {m.reply_to_id for m in messages if m.reply_to_id is not None and not m.deleted}


async def with_previews_for(
    uow: UnitOfWork, me: Membership, messages: Sequence[Message]
) -> list[Message]:
    """The messages (copies where a quote is set) with their quotes as the member sees
    them: one read of the originals for a page with replies, none for a page without."""
    return await with_previews_in(uow, me.user_id, {me.chat_id: me}, messages)


async def with_previews_in(
    uow: UnitOfWork,
    user_id: int,
    mine: Mapping[int, Membership],
    messages: Sequence[Message],
) -> list[Message]:
    """As ``with_previews_for``, for messages of several chats of the user (``mine``: the
    user's membership of each)."""
    wanted = _quoting(messages)
    if not wanted:
        return list(messages)
    originals = await uow.messages.get_many(wanted)
    hiding = any(m.has_hidden for m in mine.values())
    hidden = await uow.messages.hidden_among(user_id, list(originals)) if hiding else ()
    result = []
    for message in messages:
        original = None if message.deleted else originals.get(message.reply_to_id or 0)
        me = mine.get(message.chat_id)
        preview = (
            None
            if original is None or me is None
            else ReplyPreview.of(
                original, visible=me.sees(original.id) and original.id not in hidden
            )
        )
        result.append(
            message
            if preview == message.reply_to
            else dataclasses.replace(message, reply_to=preview)
        )
    return result


async def fill_preview_for_all(uow: UnitOfWork, message: Message) -> None:
    """Set the quote of a message about to go to its whole chat in a frame (``message`` is
    the caller's own copy)."""
    wanted = _quoting([message])
    if not wanted:
        message.reply_to = None
        return
    originals = await uow.messages.get_many(wanted)
    original = originals.get(message.reply_to_id or 0)
    if original is None:
        message.reply_to = None
        return
    withheld = await uow.messages.hidden_from_some([original.id])
    message.reply_to = ReplyPreview.of(original, visible=original.id not in withheld)
