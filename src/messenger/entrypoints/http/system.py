"""``/health`` (the process answers) and ``/ready`` (and its database too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import get
from litestar.di import NamedDependency

from messenger.entrypoints.http.schemas import Health

ReadinessCheck = Callable[[], Awaitable[None]]


@get("/health", summary="Liveness", tags=["system"])
async def health() -> Health:
    return Health(status="ok")


@get(
    "/ready",
    summary="Readiness: the database answers (503 otherwise)",
    tags=["system"],
    opt={"problems": (503,)},
)
async def ready(readiness: NamedDependency[ReadinessCheck]) -> Health:
    await readiness()
    return Health(status="ok")
