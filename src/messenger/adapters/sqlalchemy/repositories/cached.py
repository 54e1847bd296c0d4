"""Repositories that answer from the process's chat cache, wrapped around any others.

What PostMessage and history read on every call goes through the cache: a chat by id, a
chat's member ids and its newest page. Every change to what the cache holds is noted in
the unit's CacheView *before* it is written, so the view neither answers from nor fills
the cache with what this unit is changing, and drops it around the commit. The rest is
passed through. These know the domain's ports and the view, not SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from messenger.adapters.sqlalchemy.cache_view import CacheView
from messenger.domain.chat_list import ListedChat
from messenger.domain.chat_prefs import ChatPrefs
from messenger.domain.model import Chat, Membership, Message, MessageEdit
from messenger.domain.paging import Key
from messenger.domain.ports import (
    ChatPrefsRepository,
    ChatRepository,
    MembershipRepository,
    MessageRepository,
)


class CachedChatRepository:
    """Chats by id from the cache; changed chats noted for the commit."""

    def __init__(self, inner: ChatRepository, view: CacheView) -> None:
        self._inner = inner
        self._view = view

    async def add(self, chat: Chat) -> Chat:
        return await self._inner.add(chat)

    async def get(self, chat_id: int) -> Chat | None:
        cached = self._view.chat(chat_id)
        if cached is not None:
            return cached
        chat = await self._inner.get(chat_id)
        if chat is not None:
            self._view.put_chat(chat)
        return chat

    async def get_many(self, chat_ids: Iterable[int]) -> list[Chat]:
        return await self._inner.get_many(chat_ids)

    async def by_direct_key(self, direct_key: str) -> Chat | None:
        return await self._inner.by_direct_key(direct_key)

    async def update(self, chat: Chat) -> None:
        self._view.chat_changed(chat)
        await self._inner.update(chat)

    async def update_many(self, chats: Sequence[Chat]) -> None:
        for chat in chats:
            self._view.chat_changed(chat)
        await self._inner.update_many(chats)


class CachedMembershipRepository:
    """A chat's member ids from the cache; chats whose members change noted for the commit."""

    def __init__(self, inner: MembershipRepository, view: CacheView) -> None:
        self._inner = inner
        self._view = view

    async def add(self, membership: Membership) -> None:
        self._view.members_changed(membership.chat_id)
        await self._inner.add(membership)

    async def get(self, chat_id: int, user_id: int) -> Membership | None:
        # History reads the member's row before its (cached) newest page: the head must be
        # read before the unit's first query, or a page read on an older snapshot could be
        # put in the cache as exact for a newer head.
        await self._view.read_head()
        return await self._inner.get(chat_id, user_id)

    async def update(self, membership: Membership) -> None:
        # Roles and watermarks: the member ids stay.
        await self._inner.update(membership)

    async def remove(self, chat_id: int, user_id: int) -> None:
        self._view.members_changed(chat_id)
        await self._inner.remove(chat_id, user_id)

    async def member_ids(self, chat_id: int) -> frozenset[int]:
        await self._view.read_head()
        cached = self._view.member_ids(chat_id)
        if cached is not None:
            return cached
        ids, _ = await self.member_ids_with_drafts(chat_id)
        return ids

    async def member_ids_with_drafts(self, chat_id: int) -> tuple[frozenset[int], frozenset[int]]:
        # One query fills both: the drafters cost a post nothing more than its members.
        await self._view.read_head()
        cached = self._view.member_ids_with_drafts(chat_id)
        if cached is not None:
            return cached
        ids, drafters = await self._inner.member_ids_with_drafts(chat_id)
        if ids:
            self._view.put_member_ids(chat_id, ids, drafters)
        return ids, drafters

    async def of_chat(self, chat_id: int) -> list[Membership]:
        return await self._inner.of_chat(chat_id)

    async def of_user(self, user_id: int) -> list[Membership]:
        return await self._inner.of_user(user_id)

    async def chat_list(
        self, user_id: int, *, archived: bool, after: Key | None, limit: int
    ) -> list[ListedChat]:
        return await self._inner.chat_list(user_id, archived=archived, after=after, limit=limit)

    async def of_chats(self, chat_ids: Iterable[int]) -> list[Membership]:
        return await self._inner.of_chats(chat_ids)

    async def contacts_of(self, user_id: int) -> set[int]:
        return await self._inner.contacts_of(user_id)


class CachedChatPrefsRepository:
    """Chat prefs pass through; a draft that comes or goes is noted for the commit, since
    the cache knows, with a chat's member ids, who keeps a draft there."""

    def __init__(self, inner: ChatPrefsRepository, view: CacheView) -> None:
        self._inner = inner
        self._view = view
        # Whether each row read by this unit had a draft: a save that keeps it so (a draft
        # edited, a chat muted) leaves the cached members alone.
        self._had_draft: dict[tuple[int, int], bool] = {}

    def _seen(self, prefs: ChatPrefs) -> ChatPrefs:
        self._had_draft[(prefs.chat_id, prefs.user_id)] = prefs.has_draft
        return prefs

    async def get(self, chat_id: int, user_id: int) -> ChatPrefs | None:
        prefs = await self._inner.get(chat_id, user_id)
        if prefs is None:
            self._had_draft[(chat_id, user_id)] = False
            return None
        return self._seen(prefs)

    async def of_user(self, user_id: int) -> list[ChatPrefs]:
        return [self._seen(p) for p in await self._inner.of_user(user_id)]

    async def save(self, prefs: ChatPrefs) -> None:
        key = (prefs.chat_id, prefs.user_id)
        if self._had_draft.get(key) is not prefs.has_draft:
            self._view.members_changed(prefs.chat_id)
            self._had_draft[key] = prefs.has_draft
        await self._inner.save(prefs)

    async def remove(self, chat_id: int, user_id: int) -> None:
        self._view.members_changed(chat_id)
        self._had_draft[(chat_id, user_id)] = False
        await self._inner.remove(chat_id, user_id)


class CachedMessageRepository:
    """A chat's newest page from the cache; chats whose messages change noted for the commit."""

    def __init__(self, inner: MessageRepository, view: CacheView) -> None:
        self._inner = inner
        self._view = view

    async def add(self, message: Message) -> Message:
        self._view.messages_changed(message.chat_id)
        return await self._inner.add(message)

    async def add_many(self, messages: Sequence[Message]) -> list[Message]:
        for message in messages:
            self._view.messages_changed(message.chat_id)
        return await self._inner.add_many(messages)

    async def get(self, message_id: int) -> Message | None:
        return await self._inner.get(message_id)

    async def get_many(self, message_ids: Iterable[int]) -> dict[int, Message]:
        return await self._inner.get_many(message_ids)

    async def hidden_from_some(self, message_ids: Iterable[int]) -> set[int]:
        return await self._inner.hidden_from_some(message_ids)

    async def by_client_id(self, sender_id: int, client_id: str) -> Message | None:
        return await self._inner.by_client_id(sender_id, client_id)

    async def by_client_ids(
        self, pairs: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], Message]:
        return await self._inner.by_client_ids(pairs)

    async def update(self, message: Message) -> None:
        self._view.messages_changed(message.chat_id)
        await self._inner.update(message)

    async def add_edit(self, edit: MessageEdit) -> None:
        await self._inner.add_edit(edit)

    async def edits_of(self, message_id: int) -> list[MessageEdit]:
        return await self._inner.edits_of(message_id)

    async def forget_edits(self, message_id: int) -> None:
        await self._inner.forget_edits(message_id)

    async def page(
        self, chat_id: int, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        if limit <= 0 or before is not None or after is not None:
            return await self._inner.page(chat_id, before=before, after=after, limit=limit)
        # Most history requests are a chat's newest page: the cache holds it.
        await self._view.read_head()
        cached = self._view.newest(chat_id, limit)
        if cached is not None:
            return cached
        token = self._view.fill_token(chat_id)
        page = await self._inner.page(chat_id, before=None, after=None, limit=limit)
        if token is not None:
            self._view.put_newest(chat_id, page, limit, token)
        return page

    async def last_of_chats(self, chat_ids: Sequence[int]) -> dict[int, Message]:
        return await self._inner.last_of_chats(chat_ids)

    async def count_unread(self, watermarks: dict[int, int], reader_id: int) -> dict[int, int]:
        return await self._inner.count_unread(watermarks, reader_id)

    # Hiding a message for one user changes nothing the cache holds (it is per user, and
    # filtered by the domain after reading).
    async def count_unread_mentions(
        self, watermarks: dict[int, int], reader_id: int
    ) -> dict[int, int]:
        return await self._inner.count_unread_mentions(watermarks, reader_id)

    async def mentioning(
        self, user_id: int, chat_id: int, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        return await self._inner.mentioning(
            user_id, chat_id, before=before, after=after, limit=limit
        )

    async def hide(self, user_id: int, message_id: int) -> None:
        await self._inner.hide(user_id, message_id)

    async def hidden_among(self, user_id: int, message_ids: Sequence[int]) -> set[int]:
        return await self._inner.hidden_among(user_id, message_ids)

    async def hiders(self, message_ids: Sequence[int]) -> dict[int, set[int]]:
        return await self._inner.hiders(message_ids)

    async def live_of_sender(self, sender_id: int, limit: int) -> list[Message]:
        return await self._inner.live_of_sender(sender_id, limit)

    async def count_since(self, since: datetime) -> int:
        return await self._inner.count_since(since)

    async def update_reactions(self, message: Message) -> None:
        # The newest page may hold the message: patched from the event after the commit.
        self._view.messages_changed(message.chat_id)
        await self._inner.update_reactions(message)
