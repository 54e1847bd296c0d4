"""Fixtures for the domain tests: the whole messenger on in-memory adapters."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass

import pytest

import messenger
from messenger.adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory, TickingClock
from messenger.domain.events import Notification
from messenger.domain.model import ChatDetails
from messenger.domain.service import Messenger


@dataclass
class Published:
    """Every notification the app published, in order (the notifier's only output)."""

    items: list[Notification]

    def types(self) -> list[str]:
        return [n.event.type for n in self.items]

    def clear(self) -> None:
        self.items.clear()

    def to(self, user_id: int) -> list[Notification]:
        return [n for n in self.items if user_id in n.recipients]


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
def app(clock: TickingClock) -> Messenger:
    return messenger.in_memory(clock=clock)


@pytest.fixture
def published(app: Messenger) -> Published:
    seen: list[Notification] = []
    app.ports.notifier.subscribe(seen.append)  # type: ignore[attr-defined]
    return Published(seen)


def store_of(app: Messenger) -> InMemoryStore:
    """The in-memory store behind ``app`` (for asserting on what was kept)."""
    factory = app.ports.uow
    assert isinstance(factory, InMemoryUnitOfWorkFactory)
    return factory.store


async def new_user(app: Messenger, username: str, password: str = "password-123") -> int:
    result = await app.register(username, password)
    return result.user.id


@pytest.fixture
async def alice(app: Messenger) -> int:
    return await new_user(app, "alice")


@pytest.fixture
async def bob(app: Messenger) -> int:
    return await new_user(app, "bob")


@pytest.fixture
async def carol(app: Messenger) -> int:
    return await new_user(app, "carol")


@pytest.fixture
async def dave(app: Messenger) -> int:
    return await new_user(app, "dave")


@pytest.fixture
async def dialog(app: Messenger, alice: int, bob: int) -> int:
    """The chat id of alice's dialog with bob."""
    details, _ = await app.open_dialog(alice, bob)
    return details.chat.id


@pytest.fixture
async def group(app: Messenger, alice: int, bob: int, carol: int) -> int:
    """A group owned by alice with bob and carol as plain members."""
    details: ChatDetails = await app.create_group(alice, "Team", [bob, carol])
    return details.chat.id


async def chunks(parts: Iterable[bytes]) -> AsyncIterable[bytes]:
    """An upload body as the HTTP layer would stream it."""
    for part in parts:
        yield part


async def read_all(stream: AsyncIterable[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])
