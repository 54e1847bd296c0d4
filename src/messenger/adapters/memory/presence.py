"""Presence of one process: online while this process holds a socket of the user."""

from __future__ import annotations

from collections.abc import Iterable


class InProcessPresence:
    """The ``PresenceRegistry`` of a server that is the only process (no broker)."""

    def __init__(self) -> None:
        self._here: set[int] = set()

    async def came(self, user_id: int) -> bool:
        self._here.add(user_id)
        return True

    async def left(self, user_id: int) -> bool:
        self._here.discard(user_id)
        return True

    async def online_among(self, user_ids: Iterable[int]) -> set[int]:
        return self._here.intersection(user_ids)

    async def orphans(self) -> set[int]:
        return set()
