"""The admin console's live figures (issue 16): how many accounts, how many of them are
online, and how much was written today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from messenger.domain.usecases.base import UseCase, require_admin


@dataclass(frozen=True)
class LiveFigures:
    """What the console shows at a glance. ``users_total``: accounts not deleted (the
    deactivated ones included); ``users_active``: those that can log in; ``users_online``
    and ``sockets``: as the caller counted them (the socket hub of this process);
    ``messages_today``: messages posted since midnight UTC, deleted ones included."""

    users_total: int
    users_active: int
    users_online: int
    sockets: int
    messages_today: int


class ShowLiveFigures(UseCase):
    """An administrator looks at the server's live figures.

    Who is online is known only where the sockets are, so the entrypoint that holds them
    passes those counts in; the rest is read from storage.
    """

    async def __call__(self, admin_id: int, *, users_online: int, sockets: int) -> LiveFigures:
        midnight = (
            self._clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        )
        async with self._uow(read_only=True) as uow:
            await require_admin(uow, admin_id)
            total, active = await uow.users.count_accounts()
            today = await uow.messages.count_since(midnight)
        return LiveFigures(
            users_total=total,
            users_active=active,
            users_online=users_online,
            sockets=sockets,
            messages_today=today,
        )
