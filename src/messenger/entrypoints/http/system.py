"""``/health`` (the process answers) and ``/ready`` (and its database too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from messenger.entrypoints.http.schemas import Health, Problem

ReadinessCheck = Callable[[], Awaitable[None]]


@get("/health", summary="Liveness", tags=["system"])
async def health() -> Health:
    return Health(status="ok")


@get(
    "/ready",
    summary="Readiness: the database answers (503 otherwise)",
    tags=["system"],
    # Every error answer of the API is a Problem; its ``code`` is the ``ErrorCode`` enum.
    responses={
        503: ResponseSpec(
            data_container=Problem,
            description="Not ready (problem details, code service_unavailable)",
            media_type="application/problem+json",
            generate_examples=False,
        )
    },
)
async def ready(readiness: NamedDependency[ReadinessCheck]) -> Health:
    await readiness()
    return Health(status="ok")
