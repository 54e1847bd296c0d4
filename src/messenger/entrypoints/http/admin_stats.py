"""``GET /admin/stats``: the admin console's live figures (issue 16)."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from litestar import Router, get
from litestar.di import NamedDependency

from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER


class LiveFiguresOut(msgspec.Struct, kw_only=True):
    """Accounts (not deleted; of them, those that can log in), users online and open
    sockets (on the process that answers), and messages posted since midnight UTC."""

    users_total: int
    users_active: int
    users_online: int
    sockets: int
    messages_today: int


def admin_stats_router(live_counts: Callable[[], tuple[int, int]]) -> Router:
    """The route, reading (users online, sockets) from ``live_counts`` (the socket hub)."""

    @get(
        "/stats",
        summary="The server's live figures (administrators only)",
        description=(
            "Read every few seconds by the admin console. `users_online` and `sockets` "
            "are those of the server process that answers. Anyone but an administrator: "
            "403 `forbidden`."
        ),
        opt={"problems": (403,)},
    )
    async def show_live_figures(
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> LiveFiguresOut:
        online, sockets = live_counts()
        figures = await messenger.show_live_figures(
            claims.user_id, users_online=online, sockets=sockets
        )
        return LiveFiguresOut(
            users_total=figures.users_total,
            users_active=figures.users_active,
            users_online=figures.users_online,
            sockets=figures.sockets,
            messages_today=figures.messages_today,
        )

    return Router(
        path="/admin", route_handlers=[show_live_figures], security=BEARER, tags=["admin"]
    )
