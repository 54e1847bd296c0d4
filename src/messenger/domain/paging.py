"""Pages of a list: ``limit`` and an opaque ``cursor`` in; items, ``has_more`` and
``next_cursor`` out.

Every list a user reads (chats, search results, sessions, edit history) pages this way;
message history keeps its own ``before``/``after`` ids. A cursor names the sort key of the
last item a page returned, not an offset, so the next page starts right after that item
however the list changed in between: nothing is served twice. An item whose key moves
ahead of the cursor meanwhile (a chat that became active moves to the top) is not on the
later pages; clients learn of that change through the socket anyway.

The cursor is encoded here and nowhere else: base64url of a JSON array ``[kind, *key]``.
``kind`` names the list, so a cursor of one list is refused by another. Clients must treat
it as opaque; it grants nothing (it only positions the caller within their own list).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeAlias, TypeVar

from messenger.domain.errors import ValidationError
from messenger.domain.model import Limits

Key: TypeAlias = tuple[int | str, ...]
T = TypeVar("T")
U = TypeVar("U")

# Far above any real cursor (a few dozen characters): anything longer is not ours.
MAX_CURSOR_LENGTH = 512

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One page of a list: ``next_cursor`` continues it, ``None`` when nothing follows."""

    items: tuple[T, ...]
    has_more: bool = False
    next_cursor: str | None = None

    def with_items(self, items: Sequence[U]) -> Listing[U]:
        """The same page position over other items (e.g. the rows turned into summaries)."""
        return Listing(tuple(items), self.has_more, self.next_cursor)


@dataclass(frozen=True)
class Order(Generic[T]):
    """How a list is sorted, and so what its cursor holds: ``key`` of the last item."""

    kind: str
    key: Callable[[T], Key]
    types: tuple[type[int] | type[str], ...]
    descending: bool = False


def micros(moment: datetime) -> int:
    """A timestamp as whole microseconds since the epoch (exact, unlike a float)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # storage hands back naive UTC
    return (moment - _EPOCH) // _MICROSECOND


def page_size(limit: int | None, limits: Limits, *, cap: int | None = None) -> int:
    """The requested page size, or the default; outside 1..cap is a validation error."""
    cap = limits.max_page_size if cap is None else cap
    size = min(limits.default_page_size, cap) if limit is None else limit
    if not 1 <= size <= cap:
        raise ValidationError(f"limit must be 1-{cap}.", field="limit")
    return size


def encode_cursor(kind: str, key: Key) -> str:
    """The opaque cursor that continues a ``kind`` list after the item with ``key``."""
    raw = json.dumps([kind, *key], separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(order: Order[T], cursor: str | None) -> Key | None:
    """The key a cursor of this list names; ``None`` for no cursor (the first page).

    Anything that is not a cursor this list handed out is a ``validation_error`` on
    ``cursor``, whatever the bytes.
    """
    if cursor is None:
        return None
    invalid = ValidationError("The cursor is not valid for this list.", field="cursor")
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        value = json.loads(raw)
    except (ValueError, binascii.Error, RecursionError):
        raise invalid from None
    if not isinstance(value, list) or len(value) != len(order.types) + 1 or value[0] != order.kind:
        raise invalid
    key = tuple(value[1:])
    for part, kind in zip(key, order.types, strict=True):
        # bool is an int to isinstance, and no key holds one.
        if type(part) is not kind:
            raise invalid
    return key


def finish_page(fetched: Sequence[T], order: Order[T], limit: int) -> Listing[T]:
    """The page from up to ``limit + 1`` items that follow the cursor, in order: one more
    than the page holds tells that another page follows."""
    items = tuple(fetched[:limit])
    has_more = len(fetched) > limit
    cursor = encode_cursor(order.kind, order.key(items[-1])) if has_more and items else None
    return Listing(items, has_more, cursor)


def paginate(ordered: Sequence[T], order: Order[T], limit: int, cursor: str | None) -> Listing[T]:
    """The page of an already sorted list that follows ``cursor``."""
    start = decode_cursor(order, cursor)
    rest = ordered
    if start is not None:
        if order.descending:
            rest = [item for item in ordered if order.key(item) < start]
        else:
            rest = [item for item in ordered if order.key(item) > start]
    return finish_page(rest[: limit + 1], order, limit)


__all__ = [
    "MAX_CURSOR_LENGTH",
    "Key",
    "Listing",
    "Order",
    "decode_cursor",
    "encode_cursor",
    "finish_page",
    "micros",
    "page_size",
    "paginate",
]
