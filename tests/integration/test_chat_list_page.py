"""The chat list's page, picked by the storage (``MembershipRepository.chat_list``), is
exactly what sorting all of the user's chats and paging them returned before: same chats,
same order, same ``has_more`` and cursors, on every adapter, over every page and after any
cursor a client could send."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from messenger.domain.chat_list import ListedChat, chat_list_order
from messenger.domain.chat_prefs import MUTED_FOREVER, ChatPrefs
from messenger.domain.model import Chat, ChatKind, Membership, Role, User
from messenger.domain.paging import (
    Key,
    Listing,
    decode_cursor,
    encode_cursor,
    finish_page,
    micros,
    paginate,
)
from messenger.domain.ports import UnitOfWork, UnitOfWorkFactory

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_names = itertools.count()


def at(step: int) -> datetime:
    # Odd steps a microsecond off the minute: the cursor's time must be exact to the µs.
    return T0 + timedelta(minutes=step, microseconds=step % 2)


PrefsSpec = tuple[int | str | None, int | None, int | None]


@dataclass(frozen=True)
class ChatSpec:
    activity: int
    last_message_id: int | None
    member: bool
    # (muted until: None, a step or "forever"; pin position; archived up to)
    prefs: PrefsSpec | None


_CHAT = st.builds(
    ChatSpec,
    activity=st.integers(0, 6),
    last_message_id=st.none() | st.integers(1, 8),
    member=st.booleans() | st.just(True),
    prefs=st.none()
    | st.tuples(
        st.none() | st.integers(0, 7) | st.just("forever"),
        st.none() | st.integers(0, 4),
        st.none() | st.integers(0, 8),
    ),
)
# Keys a client could send back: near the real ones (pin positions, activities to the µs,
# chat ids) and far outside them.
_EXTREME = st.sampled_from([-(10**30), -(2**63), 2**63, 10**30])
_KIND = st.integers(-1, 2)
_FIRST = st.integers(-6, 1) | st.builds(
    lambda step, delta: micros(at(step)) + delta, st.integers(-1, 8), st.integers(-1, 1)
)
_CRAFTED = st.lists(st.tuples(_KIND, _FIRST | _EXTREME, st.integers(-1, 14) | _EXTREME), max_size=4)


async def _reference(
    uow: UnitOfWork, user_id: int, archived: bool, limit: int, cursor: str | None
) -> Listing[ListedChat]:
    """The chat list as ListChats built it before the storage picked the page: every chat
    of the user read, filtered, sorted in Python, then paged."""
    mine = {m.chat_id: m for m in await uow.members.of_user(user_id)}
    chats = await uow.chats.get_many(mine)
    prefs = {p.chat_id: p for p in await uow.chat_prefs.of_user(user_id)}
    order = chat_list_order(archived)
    listed = [
        ListedChat(mine[c.id], c, prefs.get(c.id))
        for c in chats
        if (c.id in prefs and prefs[c.id].archived(c)) is archived
    ]
    listed.sort(key=order.key, reverse=True)
    return paginate(listed, order, limit, cursor)


async def _paged(
    uow: UnitOfWork, user_id: int, archived: bool, limit: int, cursor: str | None
) -> Listing[ListedChat]:
    order = chat_list_order(archived)
    after = decode_cursor(order, cursor)
    fetched = await uow.members.chat_list(user_id, archived=archived, after=after, limit=limit + 1)
    return finish_page(fetched, order, limit)


def _prefs(chat_id: int, user_id: int, spec: PrefsSpec) -> ChatPrefs:
    muted, pin, archived_up_to = spec
    muted_until = MUTED_FOREVER if muted == "forever" else None if muted is None else at(int(muted))
    return ChatPrefs(chat_id, user_id, muted_until, pin, archived_up_to)


async def _store(uow_factory: UnitOfWorkFactory, specs: list[ChatSpec]) -> tuple[int, int]:
    """The reader's chats as ``specs`` say, beside another member's contrary choices; the
    reader's id and the first chat's id."""
    async with uow_factory() as uow:
        reader, other = [
            await uow.users.add(User(0, f"lister{next(_names)}", None, "x", "L", T0))
            for _ in range(2)
        ]
        first = 0
        for spec in specs:
            chat = await uow.chats.add(
                Chat(0, ChatKind.GROUP, "g", other.id, T0, at(spec.activity), spec.last_message_id)
            )
            first = first or chat.id
            await uow.members.add(Membership(chat.id, other.id, Role.MEMBER, T0))
            await uow.chat_prefs.save(ChatPrefs(chat.id, other.id, None, 0, None))
            if spec.member:
                await uow.members.add(Membership(chat.id, reader.id, Role.MEMBER, T0))
            if spec.prefs is not None:
                await uow.chat_prefs.save(_prefs(chat.id, reader.id, spec.prefs))
        await uow.commit()
    return reader.id, first


@pytest.mark.parametrize("archived", [False, True], ids=["list", "archive"])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(specs=st.lists(_CHAT, max_size=12), limit=st.integers(1, 5), crafted=_CRAFTED)
# Chats archived, pinned and not at the same instant and position, a page of one: every
# cursor falls on a tie that only the id breaks.
@example(
    specs=[
        ChatSpec(1, 1, True, prefs)
        for prefs in [(None, 0, None), (None, 5, 5), ("forever", None, 0), None]
        for _ in range(2)
    ],
    limit=1,
    crafted=[],
)
async def test_the_storage_picks_the_page_that_sorting_every_chat_picked(
    uow_factory: UnitOfWorkFactory,
    archived: bool,
    specs: list[ChatSpec],
    limit: int,
    crafted: list[tuple[int, int, int]],
) -> None:
    reader, first = await _store(uow_factory, specs)
    order = chat_list_order(archived)
    async with uow_factory(read_only=True) as uow:
        cursor: str | None = None
        pages = 0
        while True:
            page = await _paged(uow, reader, archived, limit, cursor)
            assert page == await _reference(uow, reader, archived, limit, cursor)
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert pages <= len(specs) // limit + 1
        for kind, start, chat in crafted:
            # Chat ids near this example's (an extreme one stays as it is).
            chat_id = chat if abs(chat) > 10**6 else first + chat
            key: Key = (start, chat_id) if archived else (kind, start, chat_id)
            sent = encode_cursor(order.kind, key)
            assert await _paged(uow, reader, archived, limit, sent) == await _reference(
                uow, reader, archived, limit, sent
            )
