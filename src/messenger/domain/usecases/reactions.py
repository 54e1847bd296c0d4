"""Reactions: react to a message with an emoji, take it back, see who reacted.

A message keeps the counts of its reactions (``Message.reactions``) next to the rows of who
reacted with what, and both change in one unit of work, so history shows the counts without
reading the rows. Reacting twice, or taking back what is not there, changes nothing and
tells nobody.
"""

from __future__ import annotations

from messenger.domain.errors import Blocked, ValidationError
from messenger.domain.events import MessageReactionsChanged
from messenger.domain.model import ChatKind, Message, ProfileView, Reacted, Reaction
from messenger.domain.paging import Listing, Order, decode_cursor, finish_page, page_size
from messenger.domain.ports import EmojiSet, UnitOfWork
from messenger.domain.usecases.base import UseCase, seen_by, views_of
from messenger.domain.usecases.messages import load_visible_message

# Who reacted, by user id: a stable order that needs no other column.
REACTORS_BY_ID: Order[ProfileView] = Order("reactors", lambda v: (v.id,), (int,))


def check_emoji(emoji_set: EmojiSet, raw: str) -> str:
    """The reaction ``raw`` names, in its one stored form; a validation error on ``emoji``
    for anything but exactly one emoji."""
    emoji = emoji_set.canonical(raw)
    if emoji is None:
        raise ValidationError("A reaction must be exactly one emoji.", field="emoji")
    return emoji


async def _blocked_in_dialog(uow: UnitOfWork, chat_id: int, user_id: int) -> bool:
    """Whether the chat is a dialog whose other member blocked the user: a block keeps
    their reactions away as it keeps their messages."""
    chat = await uow.chats.get(chat_id)
    if chat is None or chat.kind is not ChatKind.DIRECT:
        return False
    others = await uow.members.member_ids(chat_id) - {user_id}
    return bool(others) and bool(await uow.blocks.blockers_of(user_id, others))


async def _changed(
    uow: UnitOfWork, message: Message, user_id: int, emoji: str, *, added: bool
) -> None:
    """Store the new counts and tell whoever sees the message (not those who cleared or
    hid it: for them it does not exist)."""
    await uow.messages.update_reactions(message)
    event = MessageReactionsChanged(
        chat=message.chat_id,
        message_id=message.id,
        user_id=user_id,
        emoji=emoji,
        added=added,
        reactions=message.reactions,
    )
    uow.record(event, (await seen_by(uow, [message]))[message.id])


class _Reacting(UseCase):
    """What reacting and taking back share: the budget each change spends."""

    def _spend_budget(self, user_id: int) -> None:
        limits = self._limits
        self._spend("reactions", user_id, limits.reaction_rate, limits.reaction_burst)


class ReactToMessage(_Reacting):
    """React to a message you see with an emoji (one reaction per emoji per user, at most
    ``Limits.max_reactions`` different emoji per message; a deleted message takes none, nor
    a dialog whose other member blocked you). Each change is pushed to every member who sees
    the message, so it spends the user's reaction budget (``Limits.reaction_rate``)."""

    async def __call__(self, user_id: int, message_id: int, emoji: str) -> Reacted:
        emoji = check_emoji(self._ports.emoji, emoji)
        async with self._uow() as uow:
            message = await load_visible_message(uow, message_id, user_id)
            mine = (await uow.reactions.mine(user_id, [message.id])).get(message.id, frozenset())
            if emoji in mine:
                return Reacted(message, mine)
            message.add_reaction(emoji, self._limits.max_reactions)
            if await _blocked_in_dialog(uow, message.chat_id, user_id):
                raise Blocked("This user has blocked you; you cannot react to their messages.")
            self._spend_budget(user_id)
            await uow.reactions.add(Reaction(message.id, user_id, emoji, self._clock.now()))
            await _changed(uow, message, user_id, emoji, added=True)
            notifications = await uow.commit()
        await self._publish(notifications)
        return Reacted(message, mine | {emoji})


class RemoveReaction(_Reacting):
    """Take back your reaction with an emoji (none there: nothing changes)."""

    async def __call__(self, user_id: int, message_id: int, emoji: str) -> Reacted:
        emoji = check_emoji(self._ports.emoji, emoji)
        async with self._uow() as uow:
            message = await load_visible_message(uow, message_id, user_id)
            mine = (await uow.reactions.mine(user_id, [message.id])).get(message.id, frozenset())
            if emoji not in mine:
                return Reacted(message, mine)
            self._spend_budget(user_id)
            message.remove_reaction(emoji)
            await uow.reactions.remove(message.id, user_id, emoji)
            await _changed(uow, message, user_id, emoji, added=False)
            notifications = await uow.commit()
        await self._publish(notifications)
        return Reacted(message, mine - {emoji})


class ListReactors(UseCase):
    """A page of the users who reacted to a message you see with an emoji (profiles as you
    may see them), by user id."""

    async def __call__(
        self,
        user_id: int,
        message_id: int,
        emoji: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Listing[ProfileView]:
        emoji = check_emoji(self._ports.emoji, emoji)
        size = page_size(limit, self._limits)
        start = decode_cursor(REACTORS_BY_ID, cursor)
        async with self._uow(read_only=True) as uow:
            await load_visible_message(uow, message_id, user_id)
            after = None if start is None else int(start[0])
            found = await uow.reactions.users_of(message_id, emoji, after=after, limit=size + 1)
            users = sorted(await uow.users.get_many(found), key=lambda u: u.id)
            views = await views_of(uow, user_id, users)
        return finish_page(views, REACTORS_BY_ID, size)
