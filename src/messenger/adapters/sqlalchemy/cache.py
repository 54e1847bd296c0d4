"""A process-wide cache of chats, their member ids and their newest messages, exact as of
a feed position.

Every post needs its chat and its members, and most history requests want a chat's newest
page; reading them costs queries that dominate both paths. The cache removes those reads
without answering stale:

- It remembers the feed position it is exact for (``head``). A write unit of work reads the
  head under the ``feed_head`` lock and uses the cache only when the two agree; a different
  head (another process wrote) clears the cache first. A read-only unit may also be answered
  by a cache that is ahead of the head it read, and never moves the cache back.
- Every change to a chat row, to a chat's members or to a message records a feed event (the
  domain's rule), so any such change elsewhere moves the head and clears the cache here.
- A unit of work of this process drops what it changed *before* its commit is sent and again
  right after it lands. A chat or member set read from the database is only put in while
  the head is still the one read before that read; a page, only if no change to its chat was
  applied since the unit began (its ``mark``, taken before its first query: SQLite reads on
  a snapshot that starts there, not at the page's own query). So no value older than a
  landed commit survives.
- After a commit with nothing else in between, the head moves on with it and the chat rows
  it wrote are put back.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable

from messenger.domain.model import Chat, Message, ReactionCount

# Entries, not bytes: a chat with 50 members costs a few KiB, so this stays in the tens of MiB.
DEFAULT_CAPACITY = 20_000
# Newest pages are bigger (up to a page of messages each): fewer of them.
DEFAULT_WINDOWS = 512


class _Window:
    """A chat's newest messages, ascending; ``complete``: the chat has no older ones."""

    __slots__ = ("complete", "messages", "size")

    def __init__(self, messages: list[Message], complete: bool, size: int) -> None:
        self.messages = messages
        self.complete = complete
        self.size = size


def _copy(message: Message) -> Message:
    # A shallow copy (its fields are immutable values) at a fraction of dataclasses.replace.
    clone = object.__new__(Message)
    clone.__dict__.update(message.__dict__)
    return clone


class ChatCache:
    __slots__ = (
        "_capacity",
        "_changes",
        "_chats",
        "_drafters",
        "_generation",
        "_member_ids",
        "_sequence",
        "_windows",
        "_windows_capacity",
        "head",
        "hits",
        "misses",
        "writers",
    )

    def __init__(self, capacity: int = DEFAULT_CAPACITY, windows: int = DEFAULT_WINDOWS) -> None:
        self._capacity = capacity
        self._windows_capacity = windows
        self.head: int | None = None
        # Write units of work of this process between their lock and their commit's end:
        # while there are any, a head that moved may be theirs, so readers must not resync.
        self.writers = 0
        self._chats: OrderedDict[int, Chat] = OrderedDict()
        self._member_ids: OrderedDict[int, frozenset[int]] = OrderedDict()
        # Per chat in ``_member_ids``: those of its members who keep a draft there (a post
        # of theirs drops it). Put, evicted and forgotten with the member ids.
        self._drafters: dict[int, frozenset[int]] = {}
        self._windows: OrderedDict[int, _Window] = OrderedDict()
        # Page fills are checked against these instead of the head, which moves with every
        # post: a clear bumps the generation; a change to a chat's messages takes the next
        # sequence number, remembered per chat.
        self._generation = 0
        self._sequence = 0
        self._changes: dict[int, int] = {}
        # Lookups answered and not, by what was looked up (chat, members, page), for
        # /metrics: a plain increment each, kept whether or not anyone reads them.
        self.hits = {"chat": 0, "members": 0, "page": 0}
        self.misses = {"chat": 0, "members": 0, "page": 0}

    def sync(self, head: int) -> None:
        """Called with a head just read: forget all if it moved elsewhere."""
        if head != self.head:
            self._chats.clear()
            self._member_ids.clear()
            self._drafters.clear()
            self._windows.clear()
            self._changes.clear()
            self._generation += 1
            self.head = head

    def chat(self, chat_id: int) -> Chat | None:
        found = self._chats.get(chat_id)
        if found is None:
            self.misses["chat"] += 1
            return None
        self.hits["chat"] += 1
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
            self.hits["members"] += 1
            self._member_ids.move_to_end(chat_id)
        else:
            self.misses["members"] += 1
        return found

    def drafters(self, chat_id: int) -> frozenset[int] | None:
        """Members of the chat who keep a draft there, known with its member ids."""
        return self._drafters.get(chat_id)

    def put_member_ids(self, chat_id: int, ids: frozenset[int], drafters: frozenset[int]) -> None:
        self._member_ids[chat_id] = ids
        self._drafters[chat_id] = drafters
        self._member_ids.move_to_end(chat_id)
        if len(self._member_ids) > self._capacity:
            evicted, _ = self._member_ids.popitem(last=False)
            self._drafters.pop(evicted, None)

    def newest(self, chat_id: int, limit: int) -> list[Message] | None:
        """The chat's newest ``limit`` messages, ascending, if the cache knows them."""
        window = self._windows.get(chat_id)
        if window is None or (len(window.messages) < limit and not window.complete):
            self.misses["page"] += 1
            return None
        self.hits["page"] += 1
        self._windows.move_to_end(chat_id)
        return [_copy(m) for m in window.messages[-limit:]]

    def mark(self) -> tuple[int, int]:
        """Taken by a unit of work before its first query, for ``put_newest``."""
        return self._generation, self._sequence

    def _changed(self, chat_id: int) -> None:
        self._sequence += 1
        self._changes[chat_id] = self._sequence

    def put_newest(
        self, chat_id: int, messages: list[Message], limit: int, mark: tuple[int, int]
    ) -> None:
        """``messages``: the answer to "the newest ``limit``" (fewer: that is all there is),
        read by a unit of work that took ``mark`` before its first query.

        Kept only if no change to the chat's messages was applied since: the page may
        predate it. A commit that landed but is not applied yet is fine either way, because
        applying it later replaces a message the page already has.
        """
        generation, sequence = mark
        if generation != self._generation or self._changes.get(chat_id, 0) > sequence:
            return
        window = self._windows.get(chat_id)
        if window is not None and len(window.messages) >= len(messages):
            return
        copies = [_copy(m) for m in messages]
        self._windows[chat_id] = _Window(copies, len(messages) < limit, limit)
        self._windows.move_to_end(chat_id)
        if len(self._windows) > self._windows_capacity:
            self._windows.popitem(last=False)

    def apply_message(self, message: Message) -> None:
        """A committed post, edit or delete, applied to its chat's newest page."""
        self._changed(message.chat_id)
        window = self._windows.get(message.chat_id)
        if window is None:
            return
        kept = window.messages
        if not kept or message.id > kept[-1].id:
            kept.append(_copy(message))
            if len(kept) > window.size:
                del kept[0]
                window.complete = False
            return
        # Already there when a reader filled the window after the commit landed: replace.
        for index in range(len(kept) - 1, -1, -1):
            if kept[index].id == message.id:
                kept[index] = _copy(message)
                return
            if kept[index].id < message.id:
                return

    def apply_reactions(
        self, chat_id: int, message_id: int, reactions: tuple[ReactionCount, ...]
    ) -> None:
        """A committed change of a message's reaction counts, applied to its newest page."""
        self._changed(chat_id)
        window = self._windows.get(chat_id)
        if window is None:
            return
        for message in window.messages:
            if message.id == message_id:
                message.reactions = reactions
                return

    def forget(
        self,
        chat_ids: Iterable[int],
        member_chat_ids: Iterable[int],
        message_chat_ids: Iterable[int],
    ) -> None:
        for chat_id in chat_ids:
            self._chats.pop(chat_id, None)
        for chat_id in member_chat_ids:
            self._member_ids.pop(chat_id, None)
            self._drafters.pop(chat_id, None)
        for chat_id in message_chat_ids:
            self._windows.pop(chat_id, None)
            self._changed(chat_id)
