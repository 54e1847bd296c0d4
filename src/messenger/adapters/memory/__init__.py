"""In-memory adapters: storage and in-process services (committer, session trust), for tests
and embedders."""

from messenger.adapters.memory.committer import DirectCommitter
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
from messenger.adapters.memory.images import FakeImages, fake_image
from messenger.adapters.memory.presence import InProcessPresence
from messenger.adapters.memory.rates import InMemoryRateLimiter
from messenger.adapters.memory.sessions import InMemorySessionTrust
from messenger.adapters.memory.store import (
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
)

__all__ = [
    "DirectCommitter",
    "FakeImages",
    "FastHasher",
    "InMemoryFileStore",
    "InMemoryLoginThrottle",
    "InMemoryRateLimiter",
    "InMemorySessionTrust",
    "InMemoryStore",
    "InMemoryTokens",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "InProcessNotifier",
    "InProcessPresence",
    "RandomIds",
    "SystemClock",
    "TickingClock",
    "fake_image",
]
