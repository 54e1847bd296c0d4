"""Run the messenger domain inside another Python service, on in-memory adapters."""

from __future__ import annotations

from messenger.adapters.memory import (
    FastHasher,
    InMemoryFileStore,
    InMemoryLoginThrottle,
    InMemoryTokens,
    InMemoryUnitOfWorkFactory,
    InProcessNotifier,
    RandomIds,
    SystemClock,
)
from messenger.contract import Wire
from messenger.domain.model import Limits
from messenger.domain.ports import Clock, PasswordHasher
from messenger.domain.service import Messenger
from messenger.domain.usecases import Ports


def in_memory(
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    limits: Limits | None = None,
) -> Messenger:
    """A complete messenger in this process's memory.

    ``messenger.ports.notifier`` is an ``InProcessNotifier``: ``subscribe`` to it to receive
    every event after it is committed; ``messenger.events`` has them encoded as clients
    receive them (what the socket hub reads). Pass a real ``hasher`` (for example the argon2 one)
    when passwords matter; the default is fast and meant for tests and demos.
    """
    clock = clock or SystemClock()
    notifier = InProcessNotifier(Wire().delivery)
    ports = Ports(
        uow=InMemoryUnitOfWorkFactory(),
        notifier=notifier,
        hasher=hasher or FastHasher(),
        clock=clock,
        ids=RandomIds(),
        tokens=InMemoryTokens(clock),
        files=InMemoryFileStore(),
        throttle=InMemoryLoginThrottle(),
        limits=limits or Limits(),
    )
    return Messenger(ports, events=notifier.deliveries)
