"""In-memory adapters: storage and in-process services, for tests and embedders."""

from messenger.adapters.memory.fakes import (
    FastHasher,
    InMemoryFileStore,
    InMemoryLoginThrottle,
    InMemoryTokens,
    InProcessNotifier,
    RandomIds,
    SystemClock,
    TickingClock,
)
from messenger.adapters.memory.store import (
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
)

__all__ = [
    "FastHasher",
    "InMemoryFileStore",
    "InMemoryLoginThrottle",
    "InMemoryStore",
    "InMemoryTokens",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "InProcessNotifier",
    "RandomIds",
    "SystemClock",
    "TickingClock",
]
