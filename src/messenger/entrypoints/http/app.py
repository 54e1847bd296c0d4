"""The Litestar application factory for the REST API under ``/api/v1``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Response, Router, get
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Server
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler, Middleware

from messenger.container import Container, running
from messenger.contract import API_PREFIX, ErrorCode, Wire
from messenger.domain.errors import ServiceUnavailable
from messenger.entrypoints.admission import Admission
from messenger.entrypoints.housekeeping import sweeping_uploads
from messenger.entrypoints.http.admin_stats import admin_stats_router
from messenger.entrypoints.http.administration import administration_router
from messenger.entrypoints.http.auth import auth_router
from messenger.entrypoints.http.avatars import avatars_router
from messenger.entrypoints.http.chats import chats_router, messages_router
from messenger.entrypoints.http.contacts import contacts_router, relations_router
from messenger.entrypoints.http.deps import Runtime, provide_claims, provide_wire_after
from messenger.entrypoints.http.errors import (
    DecodingRequest,
    exception_handlers,
    problem_response,
)
from messenger.entrypoints.http.files import files_router, message_files_router
from messenger.entrypoints.http.media import media_router
from messenger.entrypoints.http.moderation import moderation_router
from messenger.entrypoints.http.my_avatar import my_avatar_router
from messenger.entrypoints.http.problems import document_problems
from messenger.entrypoints.http.search import search_router
from messenger.entrypoints.http.system import ReadinessCheck, health, ready
from messenger.entrypoints.http.themes import themes_router
from messenger.entrypoints.http.users import users_router
from messenger.entrypoints.logs import REQUEST_ID_HEADER, RequestIds
from messenger.entrypoints.webclient import web_client_route_handlers
from messenger.entrypoints.ws import Realtime
from messenger.metrics import Metrics
from messenger.settings import Settings

# JSON bodies of this API are small; only uploads (their own router) may be larger.
MAX_JSON_BODY = 1024 * 1024


DRAIN_SOCKETS = "drain_sockets"


async def _docs_not_found_as_problem(response: Response[Any]) -> Response[Any]:
    # Litestar answers unknown paths under the docs with its own HTML page; every error of
    # the API is problem details.
    if response.status_code == 404:
        return problem_response(404, ErrorCode.NOT_FOUND, "No such page.")
    return response


def docs_redirect(settings: Settings) -> ControllerRouterHandler:
    """``/docs``: where people look for API docs first. The HTML pages when they are served
    (``MESSENGER_DOCS=1``), else the OpenAPI document, which is always there."""
    target = f"{settings.root_path}{API_PREFIX}/docs" + ("" if settings.docs else "/openapi.json")

    @get("/docs", include_in_schema=False, sync_to_thread=False, name="docs_redirect")
    def docs() -> Redirect:
        return Redirect(target, status_code=302)

    return docs


def create_app(
    container: Container,
    *,
    extra_route_handlers: Sequence[ControllerRouterHandler] = (),
    extra_dependencies: Mapping[str, Provide] | None = None,
    debug: bool = False,
) -> Litestar:
    """Build the ASGI app on a container; its resources start and stop with the app.

    ``extra_route_handlers`` are mounted under ``/api/v1`` with the same dependencies
    (``messenger``, ``claims``) and error mapping, which is how the socket endpoints join.
    """
    settings: Settings = container.settings()
    wire: Wire = container.wire_format()
    runtime = Runtime()
    ready_check: list[ReadinessCheck] = []
    metrics: Metrics | None = container.metrics()
    realtime = Realtime(
        allowed_origins=settings.cors_origins,
        frames=wire,
        unauthenticated_per_address=settings.ws_unauth_per_address,
        metrics=metrics,
        sync_admission=Admission(settings.sync_concurrency, settings.sync_queue),
    )
    observed: list[ControllerRouterHandler] = []
    middleware: list[Middleware] = []
    if metrics is not None:
        # Imported only when asked for: a server without metrics never loads the client.
        from messenger.entrypoints.http.metrics import (
            metrics_handler,
            metrics_registry,
            request_metrics,
        )

        registry = metrics_registry(metrics)
        observed.append(metrics_handler(registry, settings.metrics_token))
        middleware.append(request_metrics(registry).middleware)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with running(container) as (messenger, readiness):
            runtime.messenger = messenger
            ready_check.append(readiness)
            try:
                # The socket hub stops first: it closes every socket with 1012.
                async with sweeping_uploads(messenger), realtime.running(messenger):
                    yield
            finally:
                runtime.messenger = None
                ready_check.clear()

    def provide_readiness() -> ReadinessCheck:
        if not ready_check:
            raise ServiceUnavailable("The server is starting or stopping.")
        return ready_check[0]

    api = Router(
        path=API_PREFIX,
        route_handlers=[
            health,
            ready,
            auth_router(settings.auth_rate_limit),
            administration_router(settings.root_path, settings.public_url),
            users_router(),
            relations_router(),
            contacts_router(),
            avatars_router(),
            themes_router(),
            chats_router(),
            messages_router(),
            files_router(settings.max_upload_bytes),
            my_avatar_router(container.limits().max_avatar_bytes),
            media_router(),
            search_router(),
            moderation_router(),
            message_files_router(settings.max_upload_bytes, container.limits().max_attachments),
            # The admin console's live figures count this process's sockets (issue 16).
            admin_stats_router(realtime.live_counts),
            *realtime.route_handlers,
            # Like openapi.json: always there (only the HTML pages follow MESSENGER_DOCS).
            realtime.docs_route_handler(settings.root_path),
            *extra_route_handlers,
        ],
    )
    openapi = OpenAPIConfig(
        title="Messenger API",
        version="1.0.0",
        description="REST API of the self-hosted messenger. Errors are RFC 9457 problem "
        "details (`Problem`) with a stable `code` (`ErrorCode`). The socket protocol is "
        f"published as AsyncAPI at `{API_PREFIX}/docs/asyncapi.json`.",
        path=f"{API_PREFIX}/docs",
        openapi_router=Router(
            f"{API_PREFIX}/docs",
            route_handlers=[],
            include_in_schema=False,
            after_request=_docs_not_found_as_problem,
        ),
        servers=[Server(url=settings.root_path or "/")],
        render_plugins=[
            JsonRenderPlugin(path="/openapi.json"),
            # These pages load third-party scripts: only where docs are asked for.
            *(
                [ScalarRenderPlugin(path="/"), SwaggerRenderPlugin(path="/swagger")]
                if settings.docs
                else []
            ),
        ],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )
    app = Litestar(
        # The browser client at "/" (nothing when the checkout has no client/renderer).
        route_handlers=[api, *observed, docs_redirect(settings), *web_client_route_handlers()],
        dependencies={
            "messenger": Provide(runtime.provide_messenger, sync_to_thread=False),
            "readiness": Provide(provide_readiness, sync_to_thread=False),
            "claims": Provide(provide_claims),
            "wire": Provide(provide_wire_after(wire), sync_to_thread=False),
            **(extra_dependencies or {}),
        },
        exception_handlers=exception_handlers(),
        request_class=DecodingRequest,
        lifespan=[lifespan],
        cors_config=CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            expose_headers=[
                "Retry-After",
                "Content-Disposition",
                "Location",
                "ETag",
                REQUEST_ID_HEADER,
            ],
            max_age=600,
        ),
        openapi_config=openapi,
        request_max_body_size=MAX_JSON_BODY,
        middleware=middleware,
        # Logging is the process's to configure (``entrypoints.logs``, or an embedder's):
        # Litestar's default would install a format of its own on the root logger.
        logging_config=None,
        debug=debug,
    )
    document_problems(app)
    # Outside everything else (CORS, error handling, routing): a 404 or an error answer
    # carries its request id too, and what uvicorn logs for it (the access line) has it.
    app.asgi_handler = RequestIds(app.asgi_handler)
    # For the ASGI server to call before it closes sockets on a shutdown (``serve`` does):
    # sends in hand finish and are acknowledged first.
    app.state[DRAIN_SOCKETS] = realtime.drain
    return app
