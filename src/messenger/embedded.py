"""Run the messenger domain inside another Python service, on in-memory adapters."""

from __future__ import annotations

from messenger.container import in_memory_container
from messenger.domain.model import Limits
from messenger.domain.ports import Clock, PasswordHasher
from messenger.domain.service import Messenger


def in_memory(
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    limits: Limits | None = None,
) -> Messenger:
    """A complete messenger in this process's memory (the container's in-memory preset).

    ``messenger.ports.notifier`` is an ``InProcessNotifier``: ``subscribe`` to it to receive
    every event after it is committed; ``messenger.events`` has them encoded as clients
    receive them (what the socket hub reads). Pass a real ``hasher`` (for example the argon2 one)
    when passwords matter; the default is fast and meant for tests and demos. For more
    control (any port replaced), build ``messenger.container.in_memory_container()``.
    """
    messenger: Messenger = in_memory_container(
        clock=clock, hasher=hasher, limits=limits
    ).messenger()
    return messenger
