"""In-memory storage: the unit of work and repositories, behaving like the SQL ones.

Write units of work are serialised by one ``asyncio.Lock`` (the SQL adapter serialises them
on a row lock), so feed positions and message ids are handed out in commit order. Changes
are applied to the store at once and undone from a journal on rollback; repositories hand
out copies, so an entity changed by a use case reaches the store only through ``update``.
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import Any, Self, TypeVar

from messenger.adapters import text_search
from messenger.domain.administration import Invite, PasswordReset, UserFilter
from messenger.domain.audit import AuditAction, AuditEntry
from messenger.domain.chat_list import ListedChat, chat_list_page
from messenger.domain.chat_prefs import ChatPrefs
from messenger.domain.errors import Conflict, EmailTaken, UsernameTaken
from messenger.domain.events import (
    ABOUT_A_MESSAGE,
    FEED_EVENTS,
    Event,
    FeedEntry,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    MessagesDelivered,
    MessagesRead,
    Notification,
)
from messenger.domain.model import (
    Block,
    Chat,
    Contact,
    MediaItem,
    Membership,
    Message,
    MessageEdit,
    MessageQuery,
    Pin,
    Reaction,
    RefreshToken,
    ReplyPreview,
    Session,
    StoredFile,
    User,
)
from messenger.domain.moderation import Report, ReportStatus
from messenger.domain.paging import Key
from messenger.domain.ports import Clock
from messenger.domain.privacy import DEFAULT, PrivacySettings, online_visible, relation
from messenger.domain.themes import Theme, UserSettings


@dataclass
class _Stored:
    entry: FeedEntry
    chat_id: int | None
    subject_user_id: int | None
    at: datetime  # when it was committed (pruning goes by it)


@dataclass
class InMemoryStore:
    """All the data, shared by the units of work of one process."""

    users: dict[int, User] = field(default_factory=dict)
    usernames: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    direct_keys: dict[str, int] = field(default_factory=dict)
    members: dict[tuple[int, int], Membership] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    chat_messages: dict[int, list[int]] = field(default_factory=dict)
    client_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    edits: dict[int, list[MessageEdit]] = field(default_factory=dict)
    feed: list[_Stored] = field(default_factory=list)
    # Positions up to this one were pruned: ``feed[i]`` holds position ``feed_base + i + 1``.
    feed_base: int = 0
    sessions: dict[str, Session] = field(default_factory=dict)
    tokens: dict[str, RefreshToken] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    contacts: dict[tuple[int, int], Contact] = field(default_factory=dict)  # (owner, user)
    blocks: dict[tuple[int, int], Block] = field(default_factory=dict)  # (blocker, blocked)
    privacy: dict[int, PrivacySettings] = field(default_factory=dict)
    attachment_index: dict[str, set[int]] = field(default_factory=dict)
    themes: dict[str, Theme] = field(default_factory=dict)
    settings: dict[int, UserSettings] = field(default_factory=dict)
    # (chat id, message id): pinned messages.
    pins: dict[tuple[int, int], Pin] = field(default_factory=dict)
    # (user id, message id): messages hidden "for me".
    hidden: set[tuple[int, int]] = field(default_factory=set)
    # (message id, emoji, user id): who reacted to what.
    reactions: dict[tuple[int, str, int], Reaction] = field(default_factory=dict)
    # message id -> the terms its text is indexed by (text_search.terms).
    search_terms: dict[int, frozenset[str]] = field(default_factory=dict)
    chat_prefs: dict[tuple[int, int], ChatPrefs] = field(default_factory=dict)  # (chat, user)
    audit: dict[int, AuditEntry] = field(default_factory=dict)
    server_settings: dict[str, str] = field(default_factory=dict)
    invites: dict[str, Invite] = field(default_factory=dict)
    password_resets: dict[str, PasswordReset] = field(default_factory=dict)  # by token hash
    reports: dict[int, Report] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def next_id(self, name: str) -> int:
        # Like an autoincrement column: not rolled back, so ids may have gaps.
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]


_MISSING: Any = object()


class _Journal:
    """Undo log of a write unit of work."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], object]] = []

    def put(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        old = mapping.get(key, _MISSING)
        mapping[key] = value
        self._undo.append(
            lambda: mapping.pop(key, None) if old is _MISSING else mapping.__setitem__(key, old)
        )

    def delete(self, mapping: dict[Any, Any], key: Any) -> None:
        if key not in mapping:
            return
        old = mapping.pop(key)
        self._undo.append(lambda: mapping.__setitem__(key, old))

    def call(self, do: Callable[[], object], undo: Callable[[], object]) -> None:
        do()
        self._undo.append(undo)

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()

    def forget(self) -> None:
        self._undo.clear()


class _Repo:
    def __init__(self, store: InMemoryStore, uow: InMemoryUnitOfWork) -> None:
        self._s = store
        self._uow = uow

    @property
    def _j(self) -> _Journal:
        return self._uow.journal()


T = TypeVar("T")


def _c(value: T) -> T:
    return copy.copy(value)


class InMemoryUserRepository(_Repo):
    async def add(self, user: User) -> User:
        if user.username in self._s.usernames:
            raise UsernameTaken()
        if user.email is not None and user.email in self._s.emails:
            raise EmailTaken()
        user = _c(user)
        user.id = self._s.next_id("users")
        self._j.put(self._s.users, user.id, user)
        self._j.put(self._s.usernames, user.username, user.id)
        if user.email is not None:
            self._j.put(self._s.emails, user.email, user.id)
        return _c(user)

    async def get(self, user_id: int) -> User | None:
        user = self._s.users.get(user_id)
        return _c(user) if user else None

    async def get_many(self, user_ids: Iterable[int]) -> list[User]:
        return [_c(self._s.users[i]) for i in sorted(set(user_ids)) if i in self._s.users]

    async def deleted_among(self, user_ids: Iterable[int]) -> set[int]:
        found = (self._s.users.get(i) for i in set(user_ids))
        return {u.id for u in found if u is not None and u.deleted}

    async def by_username(self, username: str) -> User | None:
        user_id = self._s.usernames.get(username.lower())
        return await self.get(user_id) if user_id is not None else None

    async def ids_by_username(self, usernames: Iterable[str]) -> dict[str, int]:
        found = ((n, self._s.usernames.get(n.lower())) for n in set(usernames))
        return {n: i for n, i in found if i is not None}

    async def by_email(self, email: str) -> User | None:
        user_id = self._s.emails.get(email.lower())
        return await self.get(user_id) if user_id is not None else None

    async def update(self, user: User) -> None:
        old = self._s.users[user.id]
        if user.username != old.username:
            if self._s.usernames.get(user.username, user.id) != user.id:
                raise UsernameTaken()
            self._j.delete(self._s.usernames, old.username)
            self._j.put(self._s.usernames, user.username, user.id)
        if user.email != old.email:
            if user.email is not None and self._s.emails.get(user.email, user.id) != user.id:
                raise EmailTaken()
            if old.email is not None:
                self._j.delete(self._s.emails, old.email)
            if user.email is not None:
                self._j.put(self._s.emails, user.email, user.id)
        self._j.put(self._s.users, user.id, _c(user))

    async def search(self, query: str, limit: int, *, after: str | None = None) -> list[User]:
        q = query.lower()
        found = [
            u
            for u in self._s.users.values()
            if (q in u.username or q in u.display_name.lower())
            and (after is None or u.username > after)
            and not u.deleted
        ]
        found.sort(key=lambda u: u.username)
        return [_c(u) for u in found[:limit]]

    async def erasing(self, limit: int) -> list[int]:
        return sorted(u.id for u in self._s.users.values() if u.erasing_messages)[:limit]

    async def any_user(self) -> bool:
        return bool(self._s.users)

    async def count_accounts(self) -> tuple[int, int]:
        live = [u for u in self._s.users.values() if not u.deleted]
        return len(live), sum(1 for u in live if u.can_log_in)

    async def for_admin(
        self, query: str, status: UserFilter | None, limit: int, *, after: str | None = None
    ) -> list[User]:
        found = [
            u
            for u in self._s.users.values()
            if (after is None or u.username > after)
            and _takes(status, u)
            and (
                query in u.username
                or query in u.display_name.lower()
                or (u.email is not None and query in u.email)
            )
        ]
        found.sort(key=lambda u: u.username)
        return [_c(u) for u in found[:limit]]


def _takes(status: UserFilter | None, user: User) -> bool:
    if status is None:
        return True
    if status is UserFilter.DELETED:
        return user.deleted
    if user.deleted:
        return False
    if status is UserFilter.ADMIN:
        return user.is_admin
    return user.deactivated == (status is UserFilter.DEACTIVATED)


class InMemoryChatRepository(_Repo):
    async def add(self, chat: Chat) -> Chat:
        if chat.direct_key is not None and chat.direct_key in self._s.direct_keys:
            raise Conflict("The dialog already exists.")
        chat = _c(chat)
        chat.id = self._s.next_id("chats")
        self._j.put(self._s.chats, chat.id, chat)
        if chat.direct_key is not None:
            self._j.put(self._s.direct_keys, chat.direct_key, chat.id)
        return _c(chat)

    async def get(self, chat_id: int) -> Chat | None:
        chat = self._s.chats.get(chat_id)
        return _c(chat) if chat else None

    async def get_many(self, chat_ids: Iterable[int]) -> list[Chat]:
        return [_c(self._s.chats[i]) for i in sorted(set(chat_ids)) if i in self._s.chats]

    async def by_direct_key(self, direct_key: str) -> Chat | None:
        chat_id = self._s.direct_keys.get(direct_key)
        return await self.get(chat_id) if chat_id is not None else None

    async def update(self, chat: Chat) -> None:
        self._j.put(self._s.chats, chat.id, _c(chat))

    async def update_many(self, chats: Sequence[Chat]) -> None:
        for chat in chats:
            await self.update(chat)


class InMemoryMembershipRepository(_Repo):
    async def add(self, membership: Membership) -> None:
        key = (membership.chat_id, membership.user_id)
        if key in self._s.members:
            raise Conflict("Already a member.")
        self._j.put(self._s.members, key, _c(membership))

    async def get(self, chat_id: int, user_id: int) -> Membership | None:
        m = self._s.members.get((chat_id, user_id))
        return _c(m) if m else None

    async def update(self, membership: Membership) -> None:
        self._j.put(self._s.members, (membership.chat_id, membership.user_id), _c(membership))

    async def remove(self, chat_id: int, user_id: int) -> None:
        self._j.delete(self._s.members, (chat_id, user_id))

    async def of_chat(self, chat_id: int) -> list[Membership]:
        return await self.of_chats([chat_id])

    async def member_ids(self, chat_id: int) -> frozenset[int]:
        return frozenset(uid for (cid, uid) in self._s.members if cid == chat_id)

    async def member_ids_with_drafts(self, chat_id: int) -> tuple[frozenset[int], frozenset[int]]:
        members = await self.member_ids(chat_id)
        prefs = self._s.chat_prefs
        drafting = frozenset(
            uid for uid in members if (p := prefs.get((chat_id, uid))) is not None and p.has_draft
        )
        return members, drafting

    async def of_user(self, user_id: int) -> list[Membership]:
        found = [_c(m) for (_, uid), m in self._s.members.items() if uid == user_id]
        return sorted(found, key=lambda m: m.chat_id)

    async def chat_list(
        self, user_id: int, *, archived: bool, after: Key | None, limit: int
    ) -> list[ListedChat]:
        mine = [
            ListedChat(_c(m), _c(self._s.chats[cid]), _c(self._s.chat_prefs.get((cid, uid))))
            for (cid, uid), m in self._s.members.items()
            if uid == user_id and cid in self._s.chats
        ]
        return chat_list_page(mine, archived=archived, after=after, limit=limit)

    async def of_chats(self, chat_ids: Iterable[int]) -> list[Membership]:
        wanted = set(chat_ids)
        found = [_c(m) for (cid, _), m in self._s.members.items() if cid in wanted]
        return sorted(found, key=lambda m: (m.chat_id, m.user_id))

    async def contacts_of(self, user_id: int) -> set[int]:
        mine = {cid for (cid, uid) in self._s.members if uid == user_id}
        return {uid for (cid, uid) in self._s.members if cid in mine and uid != user_id}


def _stored_message(message: Message) -> Message:
    # As the SQL adapter: what reads make for their audience (the quote) is never stored.
    return dataclasses.replace(message, reply_to=None)


class InMemoryMessageRepository(_Repo):
    async def add(self, message: Message) -> Message:
        key = (message.sender_id, message.client_id)
        if key in self._s.client_ids:
            raise Conflict("Duplicate client id.")
        given = message
        message = _stored_message(message)
        message.id = self._s.next_id("messages")
        self._j.put(self._s.messages, message.id, message)
        self._j.put(self._s.client_ids, key, message.id)
        ids = self._s.chat_messages.setdefault(message.chat_id, [])
        # Ids ascend in commit order because writers are serialised, so appending keeps
        # the per-chat list sorted.
        self._j.call(lambda: ids.append(message.id), ids.pop)
        self._index_attachments(message)
        # As the SQL adapter: the caller's message with its id.
        return dataclasses.replace(message, reply_to=given.reply_to)

    async def add_many(self, messages: Sequence[Message]) -> list[Message]:
        # A Conflict part way leaves the earlier ones in the journal, undone on rollback.
        return [await self.add(m) for m in messages]

    def _index_attachments(self, message: Message) -> None:
        index = self._s.attachment_index
        for file_id, holders in list(index.items()):
            if message.id in holders and all(a.id != file_id for a in message.attachments):
                self._j.call(partial(holders.discard, message.id), partial(holders.add, message.id))
        for attachment in message.attachments:
            holders = index.setdefault(attachment.id, set())
            if message.id not in holders:
                self._j.call(partial(holders.add, message.id), partial(holders.discard, message.id))

    async def get(self, message_id: int) -> Message | None:
        m = self._s.messages.get(message_id)
        return _c(m) if m else None

    async def get_many(self, message_ids: Iterable[int]) -> dict[int, Message]:
        return {i: _c(self._s.messages[i]) for i in set(message_ids) if i in self._s.messages}

    async def hidden_from_some(self, message_ids: Iterable[int]) -> set[int]:
        found = set()
        for message_id in set(message_ids):
            message = self._s.messages.get(message_id)
            if message is None:
                continue
            for (chat_id, user_id), member in self._s.members.items():
                if chat_id == message.chat_id and (
                    not member.sees(message_id) or (user_id, message_id) in self._s.hidden
                ):
                    found.add(message_id)
                    break
        return found

    async def by_client_id(self, sender_id: int, client_id: str) -> Message | None:
        message_id = self._s.client_ids.get((sender_id, client_id))
        return await self.get(message_id) if message_id is not None else None

    async def by_client_ids(
        self, pairs: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], Message]:
        found = {}
        for pair in pairs:
            message_id = self._s.client_ids.get(pair)
            if message_id is not None:
                found[pair] = _c(self._s.messages[message_id])
        return found

    async def update(self, message: Message) -> None:
        self._j.put(self._s.messages, message.id, _stored_message(message))
        self._index_attachments(message)

    async def add_edit(self, edit: MessageEdit) -> None:
        edits = self._s.edits.setdefault(edit.message_id, [])
        self._j.call(lambda: edits.append(edit), edits.pop)

    async def edits_of(self, message_id: int) -> list[MessageEdit]:
        return list(self._s.edits.get(message_id, []))

    async def forget_edits(self, message_id: int) -> None:
        self._j.delete(self._s.edits, message_id)

    async def page(
        self, chat_id: int, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        ids = self._s.chat_messages.get(chat_id, [])
        lo = bisect.bisect_right(ids, after) if after is not None else 0
        hi = bisect.bisect_left(ids, before) if before is not None else len(ids)
        window = ids[lo:hi]
        chosen = window[:limit] if after is not None else window[-limit:] if limit else []
        return [_c(self._s.messages[i]) for i in chosen]

    async def last_of_chats(self, chat_ids: Sequence[int]) -> dict[int, Message]:
        result = {}
        for chat_id in chat_ids:
            ids = self._s.chat_messages.get(chat_id)
            if ids:
                result[chat_id] = _c(self._s.messages[ids[-1]])
        return result

    async def count_unread(self, watermarks: dict[int, int], reader_id: int) -> dict[int, int]:
        result = {}
        for chat_id, watermark in watermarks.items():
            ids = self._s.chat_messages.get(chat_id, [])
            start = bisect.bisect_right(ids, watermark)
            result[chat_id] = sum(
                1
                for i in ids[start:]
                if (m := self._s.messages[i]).sender_id != reader_id
                and not m.deleted
                and (reader_id, i) not in self._s.hidden
            )
        return result

    async def count_unread_mentions(
        self, watermarks: dict[int, int], reader_id: int
    ) -> dict[int, int]:
        result = {}
        for chat_id, watermark in watermarks.items():
            ids = self._s.chat_messages.get(chat_id, [])
            start = bisect.bisect_right(ids, watermark)
            result[chat_id] = sum(
                1
                for i in ids[start:]
                if reader_id in (m := self._s.messages[i]).mentions
                and not m.deleted
                and (reader_id, i) not in self._s.hidden
            )
        return result

    async def mentioning(
        self, user_id: int, chat_id: int, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        ids = [
            i
            for i in self._s.chat_messages.get(chat_id, [])
            if user_id in (m := self._s.messages[i]).mentions and not m.deleted
        ]
        lo = bisect.bisect_right(ids, after) if after is not None else 0
        hi = bisect.bisect_left(ids, before) if before is not None else len(ids)
        window = ids[lo:hi]
        chosen = window[:limit] if after is not None else window[-limit:] if limit else []
        return [_c(self._s.messages[i]) for i in chosen]

    async def hide(self, user_id: int, message_id: int) -> None:
        key = (user_id, message_id)
        if key not in self._s.hidden:
            hidden = self._s.hidden
            self._j.call(partial(hidden.add, key), partial(hidden.discard, key))

    async def hidden_among(self, user_id: int, message_ids: Sequence[int]) -> set[int]:
        return {i for i in message_ids if (user_id, i) in self._s.hidden}

    async def hiders(self, message_ids: Sequence[int]) -> dict[int, set[int]]:
        wanted = set(message_ids)
        result: dict[int, set[int]] = {}
        for user_id, message_id in self._s.hidden:
            if message_id in wanted:
                result.setdefault(message_id, set()).add(user_id)
        return result

    async def update_reactions(self, message: Message) -> None:
        stored = _c(self._s.messages[message.id])
        stored.reactions = message.reactions
        self._j.put(self._s.messages, message.id, stored)

    async def live_of_sender(self, sender_id: int, limit: int) -> list[Message]:
        found = sorted(
            (m for m in self._s.messages.values() if m.sender_id == sender_id and not m.deleted),
            key=lambda m: m.id,
        )
        return [_c(m) for m in found[:limit]]

    async def count_since(self, since: datetime) -> int:
        return sum(1 for m in self._s.messages.values() if m.created_at >= since)


class InMemoryReactionRepository(_Repo):
    async def add(self, reaction: Reaction) -> None:
        key = (reaction.message_id, reaction.emoji, reaction.user_id)
        self._j.put(self._s.reactions, key, reaction)

    async def remove(self, message_id: int, user_id: int, emoji: str) -> None:
        self._j.delete(self._s.reactions, (message_id, emoji, user_id))

    async def remove_all(self, message_id: int) -> None:
        for key in [k for k in self._s.reactions if k[0] == message_id]:
            self._j.delete(self._s.reactions, key)

    async def mine(self, user_id: int, message_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        wanted = set(message_ids)
        found: dict[int, set[str]] = {}
        for message_id, emoji, reactor in self._s.reactions:
            if reactor == user_id and message_id in wanted:
                found.setdefault(message_id, set()).add(emoji)
        return {k: frozenset(v) for k, v in found.items()}

    async def users_of(
        self, message_id: int, emoji: str, *, after: int | None, limit: int
    ) -> list[int]:
        found = sorted(
            u
            for m, e, u in self._s.reactions
            if m == message_id and e == emoji and (after is None or u > after)
        )
        return found[:limit]


class InMemoryFeedRepository(_Repo):
    async def redact(self, message: Message) -> None:
        feed = self._s.feed
        tombstone = ReplyPreview(message.id, message.sender_id, "", True)
        for index, stored in enumerate(feed):
            event = stored.entry.event
            if not isinstance(event, MessagePosted | MessageEdited):
                continue
            carried = event.message
            if carried.id == message.id:
                carried = _c(message)
            elif carried.reply_to is not None and carried.reply_to.id == message.id:
                carried = dataclasses.replace(carried, reply_to=tombstone)
            else:
                continue
            redacted = dataclasses.replace(
                stored,
                entry=dataclasses.replace(
                    stored.entry, event=dataclasses.replace(event, message=carried)
                ),
            )
            self._j.call(
                partial(feed.__setitem__, index, redacted), partial(feed.__setitem__, index, stored)
            )

    def _visible(self, stored: _Stored, user_id: int, *, hiding: bool = True) -> bool:
        if stored.subject_user_id == user_id:
            return True
        if stored.chat_id is None:
            return False
        m = self._s.members.get((stored.chat_id, user_id))
        if m is None or stored.entry.position < m.joined_position:
            return False
        event = stored.entry.event
        if hiding and isinstance(event, MessagePosted | MessageEdited | MessageDeleted):
            message_id = event.message.id
            return m.sees(message_id) and (user_id, message_id) not in self._s.hidden
        if hiding and isinstance(event, ABOUT_A_MESSAGE):
            message_id = event.message_id
            return m.sees(message_id) and (user_id, message_id) not in self._s.hidden
        return True

    async def since(
        self, user_id: int, position: int, up_to: int, limit: int, *, others_reads: bool = True
    ) -> list[FeedEntry]:
        found: list[FeedEntry] = []
        for stored in self._held(position, up_to):
            event = stored.entry.event
            if not others_reads and isinstance(event, MessagesRead) and event.user_id != user_id:
                continue
            if isinstance(event, MessagesDelivered) and event.user_id == user_id:
                continue  # one's own delivery mark is told to the others only
            if self._visible(stored, user_id):
                found.append(stored.entry)
                if len(found) >= limit:
                    break
        return found

    def _held(self, after: int, up_to: int) -> list[_Stored]:
        """The held entries at positions in (after, up_to]."""
        # Positions are dense, so position p lives at index p - base - 1.
        base = self._s.feed_base
        return self._s.feed[max(after - base, 0) : max(up_to - base, 0)]

    async def head(self) -> int:
        return self._s.feed_base + len(self._s.feed)

    async def oldest(self) -> int:
        return self._s.feed_base

    async def prune(self, older_than: datetime, limit: int) -> int:
        # Committed at once, as the SQL adapter does; between writers, whose undo of a
        # redaction goes by index into the list.
        async with self._s.write_lock:
            feed = self._s.feed
            gone = 0
            while gone < min(limit, len(feed)) and feed[gone].at < older_than:
                gone += 1
            del feed[:gone]
            self._s.feed_base += gone
        return gone

    async def newest_posted(self, user_id: int, after: int, up_to: int) -> dict[int, int]:
        result: dict[int, int] = {}
        for stored in self._held(after, up_to):
            event = stored.entry.event
            if (
                isinstance(event, MessagePosted)
                and event.message.sender_id != user_id
                # As the SQL adapter: a device got the post even if it was hidden since.
                and self._visible(stored, user_id, hiding=False)
            ):
                result[event.chat_id] = max(result.get(event.chat_id, 0), event.message.id)
        return result


class InMemoryPinRepository(_Repo):
    async def get(self, chat_id: int, message_id: int) -> Pin | None:
        return self._s.pins.get((chat_id, message_id))

    async def add(self, pin: Pin) -> None:
        self._j.put(self._s.pins, (pin.chat_id, pin.message_id), pin)

    async def remove(self, chat_id: int, message_id: int) -> None:
        self._j.delete(self._s.pins, (chat_id, message_id))

    async def of_chat(self, chat_id: int) -> list[Pin]:
        found = [p for (c, _), p in self._s.pins.items() if c == chat_id]
        return sorted(found, key=lambda p: (p.pinned_at, p.message_id), reverse=True)

    async def among(self, message_ids: Iterable[int]) -> list[Pin]:
        wanted = set(message_ids)
        return [p for (_, m), p in self._s.pins.items() if m in wanted]


class InMemoryContactRepository(_Repo):
    async def get(self, owner_id: int, user_id: int) -> Contact | None:
        contact = self._s.contacts.get((owner_id, user_id))
        return _c(contact) if contact else None

    async def put(self, contact: Contact) -> None:
        self._j.put(self._s.contacts, (contact.owner_id, contact.user_id), _c(contact))

    async def remove(self, owner_id: int, user_id: int) -> None:
        self._j.delete(self._s.contacts, (owner_id, user_id))

    async def of_owner(self, owner_id: int, *, after: int | None, limit: int) -> list[Contact]:
        found = sorted(
            (c for (owner, uid), c in self._s.contacts.items() if owner == owner_id),
            key=lambda c: c.user_id,
        )
        return [_c(c) for c in found if after is None or c.user_id > after][:limit]

    async def among(self, owner_id: int, user_ids: Iterable[int]) -> list[Contact]:
        contacts = self._s.contacts
        return [
            _c(contacts[(owner_id, uid)])
            for uid in sorted(set(user_ids))
            if (owner_id, uid) in contacts
        ]

    async def owners_having(self, user_id: int, owner_ids: Iterable[int]) -> set[int]:
        return {owner for owner in owner_ids if (owner, user_id) in self._s.contacts}


class InMemoryBlockRepository(_Repo):
    async def get(self, blocker_id: int, blocked_id: int) -> Block | None:
        block = self._s.blocks.get((blocker_id, blocked_id))
        return _c(block) if block else None

    async def add(self, block: Block) -> None:
        self._j.put(self._s.blocks, (block.blocker_id, block.blocked_id), _c(block))

    async def remove(self, blocker_id: int, blocked_id: int) -> None:
        self._j.delete(self._s.blocks, (blocker_id, blocked_id))

    async def of_blocker(self, blocker_id: int, *, after: int | None, limit: int) -> list[Block]:
        found = sorted(
            (b for (blocker, _), b in self._s.blocks.items() if blocker == blocker_id),
            key=lambda b: b.blocked_id,
        )
        return [_c(b) for b in found if after is None or b.blocked_id > after][:limit]

    async def blockers_of(self, user_id: int, among: Iterable[int]) -> set[int]:
        return {b for b in among if (b, user_id) in self._s.blocks}

    async def blocked_by(self, blocker_id: int, among: Iterable[int]) -> set[int]:
        return {u for u in among if (blocker_id, u) in self._s.blocks}

    async def blocking_any(self, blocker_ids: Iterable[int], user_ids: Iterable[int]) -> set[int]:
        users = set(user_ids)
        return {
            blocker
            for blocker in set(blocker_ids)
            if any((blocker, u) in self._s.blocks for u in users)
        }


class InMemoryPrivacyRepository(_Repo):
    async def get(self, user_id: int) -> PrivacySettings:
        return self._s.privacy.get(user_id, DEFAULT)

    async def get_many(self, user_ids: Iterable[int]) -> dict[int, PrivacySettings]:
        return {uid: self._s.privacy.get(uid, DEFAULT) for uid in user_ids}

    async def online_visible_to(self, viewer_id: int, owner_ids: Iterable[int]) -> set[int]:
        stored, contacts, blocks = self._s.privacy, self._s.contacts, self._s.blocks
        # As the SQL adapter: ids of no user find nothing.
        return {
            owner
            for owner in owner_ids
            if owner in self._s.users
            and online_visible(
                relation(
                    viewer_id,
                    owner,
                    contact=(owner, viewer_id) in contacts,
                    blocked=(owner, viewer_id) in blocks,
                ),
                stored.get(owner, DEFAULT),
            )
        }

    async def put(self, user_id: int, settings: PrivacySettings) -> None:
        # Settings are frozen: storing the instance itself is as safe as a copy.
        self._j.put(self._s.privacy, user_id, settings)


class InMemorySessionRepository(_Repo):
    async def add(self, session: Session) -> None:
        self._j.put(self._s.sessions, session.id, _c(session))

    async def get(self, session_id: str) -> Session | None:
        s = self._s.sessions.get(session_id)
        return _c(s) if s else None

    async def update(self, session: Session) -> None:
        self._j.put(self._s.sessions, session.id, _c(session))

    async def of_user(self, user_id: int) -> list[Session]:
        return [_c(s) for s in self._s.sessions.values() if s.user_id == user_id]

    async def add_token(self, token: RefreshToken) -> None:
        self._j.put(self._s.tokens, token.token_hash, _c(token))

    async def token(self, token_hash: str) -> RefreshToken | None:
        t = self._s.tokens.get(token_hash)
        return _c(t) if t else None

    async def update_token(self, token: RefreshToken) -> None:
        self._j.put(self._s.tokens, token.token_hash, _c(token))


class InMemoryFileRepository(_Repo):
    async def add(self, file: StoredFile) -> None:
        self._j.put(self._s.files, file.id, _c(file))

    async def get(self, file_id: str) -> StoredFile | None:
        f = self._s.files.get(file_id)
        return _c(f) if f else None

    async def get_many(self, file_ids: Sequence[str]) -> list[StoredFile]:
        return [_c(self._s.files[i]) for i in file_ids if i in self._s.files]

    def _avatars(self) -> set[str]:
        # Files in use though no message carries them: avatars and theme backgrounds.
        used = {u.avatar_file_id for u in self._s.users.values() if u.avatar_file_id}
        used.update(t.background_file_id for t in self._s.themes.values() if t.background_file_id)
        return used

    def _unattached(self, file: StoredFile, avatars: set[str]) -> bool:
        if file.kind.is_variant:
            # A variant goes with the file it was made from, once that is gone.
            return all(f.thumbnail_id != file.id for f in self._s.files.values())
        return not self._s.attachment_index.get(file.id) and file.id not in avatars

    async def attached_in_chats_of(self, file_id: str, user_id: int) -> bool:
        for message_id in self._s.attachment_index.get(file_id, ()):
            message = self._s.messages.get(message_id)
            if message is not None and (message.chat_id, user_id) in self._s.members:
                return True
        return False

    async def total_size_of(self, owner_id: int) -> int:
        return sum(f.size for f in self._s.files.values() if f.owner_id == owner_id)

    async def unattached_before(self, cutoff: datetime, limit: int) -> list[StoredFile]:
        avatars = self._avatars()
        found = [
            f
            for f in self._s.files.values()
            if f.created_at < cutoff and self._unattached(f, avatars)
        ]
        found.sort(key=lambda f: (f.created_at, f.id))
        return [_c(f) for f in found[:limit]]

    async def unattached_of(self, owner_id: int, limit: int) -> list[StoredFile]:
        avatars = self._avatars()
        found = [
            f
            for f in self._s.files.values()
            if f.owner_id == owner_id and self._unattached(f, avatars)
        ]
        found.sort(key=lambda f: (f.created_at, f.id))
        return [_c(f) for f in found[:limit]]

    async def remove_unattached(self, file_ids: Sequence[str]) -> list[str]:
        avatars = self._avatars()
        # Decided before any is deleted, as one DELETE ... WHERE decides it.
        removable = [
            file_id
            for file_id in dict.fromkeys(file_ids)
            if file_id in self._s.files and self._unattached(self._s.files[file_id], avatars)
        ]
        for file_id in removable:
            self._j.delete(self._s.files, file_id)
        return removable

    async def remove(self, file_ids: Sequence[str]) -> None:
        for file_id in dict.fromkeys(file_ids):
            if file_id in self._s.files:
                self._j.delete(self._s.files, file_id)

    async def made_from(self, variant_id: str) -> StoredFile | None:
        for f in self._s.files.values():
            if f.thumbnail_id == variant_id:
                return _c(f)
        return None

    async def media_of_chat(
        self,
        chat_id: int,
        *,
        images: bool,
        before: tuple[int, str] | None,
        limit: int,
        after_message_id: int = 0,
        reader_id: int | None = None,
    ) -> list[MediaItem]:
        found: list[MediaItem] = []
        for message_id in reversed(self._s.chat_messages.get(chat_id, [])):
            if message_id <= after_message_id:
                break
            message = self._s.messages[message_id]
            if message.deleted or (reader_id, message_id) in self._s.hidden:
                continue
            for attachment in sorted(message.attachments, key=lambda a: a.id, reverse=True):
                if attachment.is_image != images:
                    continue
                if before is not None and (message_id, attachment.id) >= before:
                    continue
                found.append(
                    MediaItem(attachment, message_id, message.sender_id, message.created_at)
                )
                if len(found) == limit:
                    return found
        return found


def _ct(theme: Theme) -> Theme:
    # Its colours are a dict: a shallow copy would share it with the store.
    return dataclasses.replace(theme, colors=dict(theme.colors))


class InMemoryThemeRepository(_Repo):
    async def add(self, theme: Theme) -> None:
        self._j.put(self._s.themes, theme.id, _ct(theme))

    async def get(self, theme_id: str) -> Theme | None:
        theme = self._s.themes.get(theme_id)
        return _ct(theme) if theme else None

    async def update(self, theme: Theme) -> None:
        self._j.put(self._s.themes, theme.id, _ct(theme))

    async def remove(self, theme_id: str) -> None:
        self._j.delete(self._s.themes, theme_id)

    async def of_user(self, user_id: int) -> list[Theme]:
        found = [t for t in self._s.themes.values() if t.owner_id == user_id]
        found.sort(key=lambda t: (t.created_at, t.id))
        return [_ct(t) for t in found]


class InMemorySettingsRepository(_Repo):
    async def get(self, user_id: int) -> UserSettings:
        settings = self._s.settings.get(user_id)
        return _c(settings) if settings else UserSettings(user_id=user_id)

    async def save(self, settings: UserSettings) -> None:
        self._j.put(self._s.settings, settings.user_id, _c(settings))


class InMemorySearchIndex(_Repo):
    """The search index as a dict of each message's terms, matched as the SQL indexes match
    (``text_search``)."""

    async def add_many(self, messages: Sequence[Message]) -> None:
        for message in messages:
            await self.replace(message)

    async def replace(self, message: Message) -> None:
        found = text_search.terms(message.text) if not message.deleted else set()
        if found:
            self._j.put(self._s.search_terms, message.id, frozenset(found))
        else:
            self._j.delete(self._s.search_terms, message.id)

    async def remove(self, message_ids: Sequence[int]) -> None:
        for message_id in message_ids:
            self._j.delete(self._s.search_terms, message_id)

    async def find(self, query: MessageQuery, limit: int) -> list[Message]:
        words = text_search.parse(query.text)
        if not words:
            return []
        candidates = sorted(
            (i for c in query.floors for i in self._s.chat_messages.get(c, ())), reverse=True
        )
        found: list[Message] = []
        for message_id in candidates:
            if len(found) == limit:
                break
            message = self._s.messages[message_id]
            terms = self._s.search_terms.get(message_id)
            if (
                terms is not None
                and query.admits(message)
                and (query.reader_id, message_id) not in self._s.hidden
                and text_search.matches(words, terms)
            ):
                found.append(_c(message))
        return found

    def highlights(self, query: str, text: str) -> tuple[str, ...]:
        return tuple(text_search.highlights(text_search.parse(query), text))


class InMemoryChatPrefsRepository(_Repo):
    async def get(self, chat_id: int, user_id: int) -> ChatPrefs | None:
        prefs = self._s.chat_prefs.get((chat_id, user_id))
        return _c(prefs) if prefs else None

    async def of_user(self, user_id: int) -> list[ChatPrefs]:
        found = [_c(p) for (_, uid), p in self._s.chat_prefs.items() if uid == user_id]
        return sorted(found, key=lambda p: p.chat_id)

    async def save(self, prefs: ChatPrefs) -> None:
        key = (prefs.chat_id, prefs.user_id)
        if prefs.is_default:
            self._j.delete(self._s.chat_prefs, key)
        else:
            self._j.put(self._s.chat_prefs, key, _c(prefs))

    async def remove(self, chat_id: int, user_id: int) -> None:
        self._j.delete(self._s.chat_prefs, (chat_id, user_id))


class InMemoryAuditLog(_Repo):
    async def record(self, entry: AuditEntry) -> None:
        entry = _c(entry)
        entry.id = self._s.next_id("audit")
        self._j.put(self._s.audit, entry.id, entry)

    async def page(
        self,
        *,
        limit: int,
        before_id: int | None = None,
        actor_id: int | None = None,
        action: AuditAction | None = None,
    ) -> list[AuditEntry]:
        found = [
            e
            for e in self._s.audit.values()
            if (before_id is None or e.id < before_id)
            and (actor_id is None or e.actor_id == actor_id)
            and (action is None or e.action == action)
        ]
        found.sort(key=lambda e: e.id, reverse=True)
        return [_c(e) for e in found[:limit]]

    async def prune(self, older_than: datetime, limit: int) -> int:
        old = sorted(e.id for e in self._s.audit.values() if e.at < older_than)[:limit]
        for entry_id in old:
            self._j.delete(self._s.audit, entry_id)
        return len(old)


class InMemoryServerSettings(_Repo):
    async def get(self, key: str) -> str | None:
        return self._s.server_settings.get(key)

    async def put(self, key: str, value: str) -> None:
        self._j.put(self._s.server_settings, key, value)


class InMemoryInviteRepository(_Repo):
    async def add(self, invite: Invite) -> None:
        if invite.id in self._s.invites:
            raise Conflict("Duplicate invite id.")
        self._j.put(self._s.invites, invite.id, _c(invite))

    async def get(self, invite_id: str) -> Invite | None:
        invite = self._s.invites.get(invite_id)
        return _c(invite) if invite else None

    async def by_token(self, token_hash: str) -> Invite | None:
        found = (i for i in self._s.invites.values() if i.token_hash == token_hash)
        invite = next(found, None)
        return _c(invite) if invite else None

    async def update(self, invite: Invite) -> None:
        self._j.put(self._s.invites, invite.id, _c(invite))

    async def page(self, limit: int, *, before: tuple[datetime, str] | None = None) -> list[Invite]:
        found = sorted(self._s.invites.values(), key=lambda i: (i.created_at, i.id), reverse=True)
        if before is not None:
            found = [i for i in found if (i.created_at, i.id) < before]
        return [_c(i) for i in found[:limit]]


class InMemoryPasswordResetRepository(_Repo):
    async def add(self, reset: PasswordReset) -> None:
        self._j.put(self._s.password_resets, reset.token_hash, _c(reset))

    async def by_token(self, token_hash: str) -> PasswordReset | None:
        reset = self._s.password_resets.get(token_hash)
        return _c(reset) if reset else None

    async def unused_of(self, user_id: int) -> list[PasswordReset]:
        found = self._s.password_resets.values()
        return [_c(r) for r in found if r.user_id == user_id and r.used_at is None]

    async def update(self, reset: PasswordReset) -> None:
        self._j.put(self._s.password_resets, reset.token_hash, _c(reset))


class InMemoryReportRepository(_Repo):
    async def add(self, report: Report) -> Report:
        stored = dataclasses.replace(report, id=self._s.next_id("reports"))
        self._j.put(self._s.reports, stored.id, stored)
        return _c(stored)

    async def get(self, report_id: int) -> Report | None:
        report = self._s.reports.get(report_id)
        return None if report is None else _c(report)

    async def open_of(self, reporter_id: int, message_id: int) -> Report | None:
        for report in self._s.reports.values():
            if (
                report.reporter_id == reporter_id
                and report.message_id == message_id
                and report.resolution is None
            ):
                return _c(report)
        return None

    async def update(self, report: Report) -> None:
        if report.id in self._s.reports:
            self._j.put(self._s.reports, report.id, _c(report))

    async def page(
        self, *, limit: int, before_id: int | None = None, status: ReportStatus | None = None
    ) -> list[Report]:
        found = [
            r
            for r in self._s.reports.values()
            if (before_id is None or r.id < before_id) and (status is None or r.status == status)
        ]
        found.sort(key=lambda r: r.id, reverse=True)
        return [_c(r) for r in found[:limit]]


class InMemoryUnitOfWork:
    """A unit of work over an ``InMemoryStore``."""

    def __init__(
        self, store: InMemoryStore, *, read_only: bool = False, clock: Clock | None = None
    ) -> None:
        self._store = store
        self._read_only = read_only
        self._clock = clock
        self._journal: _Journal | None = None
        self._recorded: list[tuple[Event, frozenset[int]]] = []
        self.users = InMemoryUserRepository(store, self)
        self.chats = InMemoryChatRepository(store, self)
        self.members = InMemoryMembershipRepository(store, self)
        self.messages = InMemoryMessageRepository(store, self)
        self.feed = InMemoryFeedRepository(store, self)
        self.reactions = InMemoryReactionRepository(store, self)
        self.sessions = InMemorySessionRepository(store, self)
        self.files = InMemoryFileRepository(store, self)
        self.contacts = InMemoryContactRepository(store, self)
        self.blocks = InMemoryBlockRepository(store, self)
        self.privacy = InMemoryPrivacyRepository(store, self)
        self.themes = InMemoryThemeRepository(store, self)
        self.settings = InMemorySettingsRepository(store, self)
        self.pins = InMemoryPinRepository(store, self)
        self.search = InMemorySearchIndex(store, self)
        self.chat_prefs = InMemoryChatPrefsRepository(store, self)
        self.audit = InMemoryAuditLog(store, self)
        self.server_settings = InMemoryServerSettings(store, self)
        self.invites = InMemoryInviteRepository(store, self)
        self.password_resets = InMemoryPasswordResetRepository(store, self)
        self.reports = InMemoryReportRepository(store, self)

    def journal(self) -> _Journal:
        if self._journal is None:
            raise RuntimeError("This unit of work is read-only or not entered.")
        return self._journal

    async def __aenter__(self) -> Self:
        if not self._read_only:
            await self._store.write_lock.acquire()
            self._journal = _Journal()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._journal is not None:
            await self.rollback()
            self._journal = None
            self._store.write_lock.release()

    def record(self, event: Event, recipients: Iterable[int]) -> None:
        self.journal()
        self._recorded.append((event, frozenset(recipients)))

    async def position(self) -> int:
        self.journal()
        pending = sum(1 for event, _ in self._recorded if isinstance(event, FEED_EVENTS))
        return self._store.feed_base + len(self._store.feed) + pending + 1

    async def commit(self) -> list[Notification]:
        journal = self.journal()
        notifications = []
        at: datetime | None = None
        for event, recipients in self._recorded:
            position = None
            if isinstance(event, FEED_EVENTS):
                if at is None:
                    at = self._clock.now() if self._clock is not None else datetime.now(UTC)
                position = self._store.feed_base + len(self._store.feed) + 1
                self._store.feed.append(
                    _Stored(FeedEntry(position, event), event.chat_id, event.subject_user_id, at)
                )
            notifications.append(Notification(event, recipients, position))
        self._recorded.clear()
        journal.forget()
        return notifications

    async def rollback(self) -> None:
        self._recorded.clear()
        if self._journal is not None:
            self._journal.rollback()


class InMemoryUnitOfWorkFactory:
    """Hands out units of work over one shared store."""

    def __init__(self, store: InMemoryStore | None = None, *, clock: Clock | None = None) -> None:
        self.store = store or InMemoryStore()
        # What the feed's entries are stamped with (pruning goes by it): the system clock
        # unless a test's is given.
        self.clock = clock

    def __call__(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, read_only=read_only, clock=self.clock)
