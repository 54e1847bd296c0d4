"""A process-wide cache of chats and their member ids, exact as of a feed position.

Every post needs its chat and its members; reading them costs two queries per chat per
transaction, more than the post's own insert. The cache removes those reads without ever
answering stale:

- It is only read inside a write unit of work, after the ``feed_head`` lock has been taken.
  Under the lock nobody else commits, so the database is exactly as of the head just read.
- It remembers the feed position it is exact for (``head``). A unit of work that finds a
  different head (another process wrote, or this process lost track) clears it first.
- Every change to a chat row or to a chat's members records a feed event (the domain's
  rule), so any such change elsewhere moves the head and clears the cache here.
- Changes made by this process drop the touched entries *before* the commit is sent, so no
  later unit of work can read the old value; after the commit the new values are put back,
  but only when nothing else happened in between (the head is still the one the unit of work
  started from).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable

from messenger.domain.model import Chat

# Entries, not bytes: a chat with 50 members costs a few KiB, so this stays in the tens of MiB.
DEFAULT_CAPACITY = 20_000


class ChatCache:
    __slots__ = ("_capacity", "_chats", "_member_ids", "head")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self.head: int | None = None
        self._chats: OrderedDict[int, Chat] = OrderedDict()
        self._member_ids: OrderedDict[int, frozenset[int]] = OrderedDict()

    def sync(self, head: int) -> None:
        """Called under the lock with the head just read: forget all if it moved elsewhere."""
        if head != self.head:
            self._chats.clear()
            self._member_ids.clear()
            self.head = head

    def chat(self, chat_id: int) -> Chat | None:
        found = self._chats.get(chat_id)
        if found is None:
            return None
        self._chats.move_to_end(chat_id)
        # A copy: the caller may change its chat and then roll back.
        return dataclasses.replace(found)

    def put_chat(self, chat: Chat) -> None:
        self._chats[chat.id] = dataclasses.replace(chat)
        self._chats.move_to_end(chat.id)
        if len(self._chats) > self._capacity:
            self._chats.popitem(last=False)

    def member_ids(self, chat_id: int) -> frozenset[int] | None:
        found = self._member_ids.get(chat_id)
        if found is not None:
            self._member_ids.move_to_end(chat_id)
        return found

    def put_member_ids(self, chat_id: int, ids: frozenset[int]) -> None:
        self._member_ids[chat_id] = ids
        self._member_ids.move_to_end(chat_id)
        if len(self._member_ids) > self._capacity:
            self._member_ids.popitem(last=False)

    def forget(self, chat_ids: Iterable[int], member_chat_ids: Iterable[int]) -> None:
        for chat_id in chat_ids:
            self._chats.pop(chat_id, None)
        for chat_id in member_chat_ids:
            self._member_ids.pop(chat_id, None)
