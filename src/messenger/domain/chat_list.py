"""The order of a user's chat list, and which chats it holds.

The list holds the user's chats that are not archived (``ChatPrefs.archived``): the pinned
ones first, ascending by their position, then the others by last activity, newest first;
the archived list holds the archived ones, by last activity. Chats active at the same
instant (or pinned at one position) go by id, the higher first.

A storage answers one page of it (``MembershipRepository.chat_list``) without reading the
user's other chats: with thousands of chats, sorting them all here took 150-200 ms a page.
``chat_list_page`` is the rule written plainly over all of them: the reference that the
in-memory adapter runs and the SQL adapter is tested against. A page continues after the
key (``CHAT_LIST`` / ``ARCHIVED_CHATS``) of the last chat of the page before; the cursor
clients hold is that key, so its format is fixed (``paging``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from messenger.domain.chat_prefs import ChatPrefs
from messenger.domain.model import Chat, Membership
from messenger.domain.paging import Key, Order, micros


@dataclass(frozen=True)
class ListedChat:
    """A chat of the list with the user's membership and what they chose for it."""

    membership: Membership
    chat: Chat
    prefs: ChatPrefs | None

    @property
    def pin_position(self) -> int | None:
        return None if self.prefs is None else self.prefs.pin_position

    @property
    def archived(self) -> bool:
        return self.prefs is not None and self.prefs.archived(self.chat)


# Sort keys are descending, and the first part of the chat list's tells pinned chats (1)
# from the others (0): a cursor that names a pinned chat by its position continues with the
# next pinned one, then the others by activity.
PINNED, UNPINNED = 1, 0


def _list_key(item: ListedChat) -> tuple[int, int, int]:
    position = item.pin_position
    if position is not None:
        return (PINNED, -position, item.chat.id)
    return (UNPINNED, micros(item.chat.last_activity_at), item.chat.id)


CHAT_LIST: Order[ListedChat] = Order("chat_list", _list_key, (int, int, int), descending=True)
# The archived chats (never pinned): by activity.
ARCHIVED_CHATS: Order[ListedChat] = Order(
    "archived_chats",
    lambda i: (micros(i.chat.last_activity_at), i.chat.id),
    (int, int),
    descending=True,
)


def chat_list_order(archived: bool) -> Order[ListedChat]:
    return ARCHIVED_CHATS if archived else CHAT_LIST


def chat_list_page(
    chats: Iterable[ListedChat], *, archived: bool, after: Key | None, limit: int
) -> list[ListedChat]:
    """Up to ``limit`` of ``chats`` (all of one user's) in the list's order: the archived
    ones or the others, those after ``after`` (a key of the list's order; None: from the
    top)."""
    order = chat_list_order(archived)
    listed = sorted((c for c in chats if c.archived is archived), key=order.key, reverse=True)
    if after is not None:
        listed = [c for c in listed if order.key(c) < after]
    return listed[:limit]


__all__ = [
    "ARCHIVED_CHATS",
    "CHAT_LIST",
    "PINNED",
    "UNPINNED",
    "ListedChat",
    "chat_list_order",
    "chat_list_page",
]
