"""The sessions this process trusts for a while: a ``SessionTrust`` kept in a dict.

Per process by nature (a revocation made here must take effect here at once), so it is the
production adapter as well as the one for tests and embedders.
"""

from __future__ import annotations


class InMemorySessionTrust:
    """Sessions this process recently found active: session id -> (user id, deadline),
    bounded, oldest out first."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, float]] = {}
        # Bumped by every revocation, so that a reader who loaded a session before a
        # concurrent revocation committed does not cache what it read.
        self._epoch = 0

    @property
    def epoch(self) -> int:
        return self._epoch

    def get(self, session_id: str) -> tuple[int, float] | None:
        return self._entries.get(session_id)

    def put(
        self, session_id: str, user_id: int, deadline: float, *, epoch: int, max_size: int
    ) -> None:
        if epoch != self._epoch:
            return
        entries = self._entries
        entries.pop(session_id, None)
        while entries and len(entries) >= max_size:
            del entries[next(iter(entries))]
        entries[session_id] = (user_id, deadline)

    def expire(self, session_id: str) -> None:
        self._entries.pop(session_id, None)

    def revoke(self, session_id: str) -> None:
        self._epoch += 1
        self._entries.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._entries)
