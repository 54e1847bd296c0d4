"""Message search: the reader's own chats, only what they may see, newest first."""

from __future__ import annotations

from datetime import datetime

from messenger.domain.errors import ChatNotFound, ValidationError
from messenger.domain.model import FoundMessage, Has, Membership, Message, MessageQuery
from messenger.domain.paging import Listing, Order, decode_cursor, encode_cursor, page_size
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.base import UseCase

MAX_QUERY_LENGTH = 200

# Message ids ascend in commit order: the newest result has the highest id.
MESSAGES_NEWEST_FIRST: Order[FoundMessage] = Order(
    "search", lambda f: (f.message.id,), (int,), descending=True
)


class SearchMessages(UseCase):
    """Find messages by their words in the chats the user is a member of.

    What the user may see is decided anew on every request, by the rule history reads by:
    the chat's messages above what the member cleared, neither deleted nor hidden by them.
    A ``chat_id`` of a chat the user is not in answers as a chat that does not exist.
    """

    async def __call__(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        from_user_id: int | None = None,
        has: str | None = None,
        before: datetime | None = None,
        after: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Listing[FoundMessage]:
        text = text.strip()
        if not text:
            raise ValidationError("Type something to search for.", field="q")
        if len(text) > MAX_QUERY_LENGTH:
            raise ValidationError(f"q must be at most {MAX_QUERY_LENGTH} characters.", field="q")
        wanted = _has(has)
        cap = self._limits.max_search_results
        size = page_size(limit, self._limits, cap=cap)
        start = decode_cursor(MESSAGES_NEWEST_FIRST, cursor)
        async with self._uow(read_only=True) as uow:
            memberships = await _memberships(uow, user_id, chat_id)
            query = MessageQuery(
                text=text,
                reader_id=user_id,
                floors={m.chat_id: m.cleared_up_to for m in memberships},
                sender_id=from_user_id,
                has=wanted,
                sent_before=before,
                sent_after=after,
                below_id=None if start is None else int(start[0]),
            )
            found = await uow.search.find(query, size + 1) if memberships else []
            page = found[:size]
            visible = await _visible(uow, query, memberships, page)
            items = [FoundMessage(m, uow.search.highlights(text, m.text)) for m in visible]
        # The cursor names the last message the index returned, shown or not, so a result
        # the rules below drop never stops the paging.
        has_more = len(found) > size
        last = (page[-1].id,) if has_more else None
        return Listing(
            tuple(items),
            has_more,
            encode_cursor(MESSAGES_NEWEST_FIRST.kind, last) if last else None,
        )


def _has(has: str | None) -> Has | None:
    if has is None:
        return None
    try:
        return Has(has)
    except ValueError:
        raise ValidationError("has must be file or image.", field="has") from None


async def _memberships(uow: UnitOfWork, user_id: int, chat_id: int | None) -> list[Membership]:
    if chat_id is None:
        return await uow.members.of_user(user_id)
    me = await uow.members.get(chat_id, user_id)
    if me is None:
        raise ChatNotFound()
    return [me]


async def _visible(
    uow: UnitOfWork, query: MessageQuery, memberships: list[Membership], found: list[Message]
) -> list[Message]:
    """The index's results checked again by the domain's own rules (``Membership.sees``,
    hidden messages): an index that drifted must still show nobody what they may not see."""
    mine = {m.chat_id: m for m in memberships}
    kept = [
        m for m in found if query.admits(m) and m.chat_id in mine and mine[m.chat_id].sees(m.id)
    ]
    if any(mine[m.chat_id].has_hidden for m in kept):
        hidden = await uow.messages.hidden_among(query.reader_id, [m.id for m in kept])
        kept = [m for m in kept if m.id not in hidden]
    return kept
