"""The web client: the desktop app's renderer served at ``/`` so a browser gets the same UI.

The renderer is plain ES modules with no build step, so its directory is served as-is.
Locales live beside it in ``client/locales`` (shared with the Electron shell) and are
served at ``/locales``. An installed package carries both as ``messenger/_web/renderer``
and ``messenger/_web/locales`` (``messenger.packaged``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.file_system import BaseLocalFileSystem
from litestar.params import PathParameter
from litestar.response import File
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.types import FileInfo, PathType

from messenger.packaged import WEB_RENDERER, data_dir

log = logging.getLogger("messenger.webclient")

WEB_DIR_ENV = "MESSENGER_WEB_DIR"

# The page talks only to its own origin (REST and the socket); nothing inline, no eval.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob: https:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def find_web_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The renderer directory: ``$MESSENGER_WEB_DIR``, else the one shipped in the package
    (``messenger/_web/renderer``), else ``client/renderer`` of the source checkout."""
    env = os.environ if environ is None else environ
    configured = env.get(WEB_DIR_ENV)
    if configured:
        path = Path(configured).expanduser().resolve()
        return path if (path / "index.html").is_file() else None
    candidate = data_dir(WEB_RENDERER)
    return candidate if candidate is not None and (candidate / "index.html").is_file() else None


class _ClientFiles(BaseLocalFileSystem):
    """The client's files on disk, where a name no file can have is simply not found."""

    async def info(self, path: PathType, **kwargs: Any) -> FileInfo:
        # A request path may carry a NUL byte (``/%00``), on which ``stat`` raises
        # ``ValueError`` (a 500) rather than ``FileNotFoundError`` (a 404).
        if "\0" in str(path):
            raise FileNotFoundError(path)
        return await super().info(path, **kwargs)


def _security_headers(response: Response[Any]) -> Response[Any]:
    # Set on every static answer (index.html included) so the policy cannot be bypassed
    # by opening a file directly.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _admin_console_router(
    directory: Path, locales: Path | None, cache: CacheControlHeader
) -> Router:
    """The admin console at ``/admin``: the same page as ``/`` (the client shows the console
    when the path says so), for ``/admin`` and every path below it.

    Below ``/admin/`` the page's relative links (``app.js``, ``locales/en.json``) resolve
    under ``/admin/``, so a name of one of the client's files is that file; anything else
    is the page, so a reloaded or bookmarked console link opens the console.
    """
    index = directory / "index.html"

    def _served(rest: str) -> Path:
        if "\0" in rest:
            return index
        base, name = directory, rest
        if locales is not None and rest.startswith("locales/"):
            base, name = locales, rest.removeprefix("locales/")
        candidate = (base / name).resolve()
        if name and candidate.is_relative_to(base.resolve()) and candidate.is_file():
            return candidate
        return index

    def _file(path: Path) -> File:
        return File(path=path, content_disposition_type="inline", filename=path.name)

    @get("/", sync_to_thread=False, include_in_schema=False, name="admin_console")
    def console() -> File:
        return _file(index)

    @get("/{rest:path}", sync_to_thread=False, include_in_schema=False, name="admin_console_files")
    def console_files(rest: Annotated[str, PathParameter()]) -> File:
        return _file(_served(rest.lstrip("/")))

    return Router(
        path="/admin",
        route_handlers=[console, console_files],
        cache_control=cache,
        after_request=_security_headers,
    )


def web_client_route_handlers(web_dir: Path | None = None) -> list[Router]:
    """Routers serving the web client at ``/`` (and its locales at ``/locales``, and the
    admin console at ``/admin``); empty when no client is installed, so the API still runs alone."""
    directory = web_dir if web_dir is not None else find_web_dir()
    if directory is None:
        log.info("No web client found (set %s to serve one at /)", WEB_DIR_ENV)
        return []
    # No-cache rather than no-store: the browser revalidates (cheap 304s) and always
    # runs the renderer that matches the server it talks to.
    cache = CacheControlHeader(no_cache=True)
    files = _ClientFiles()
    routers: list[Router] = []
    locales = directory / "locales"
    if not locales.is_dir():
        locales = directory.parent / "locales"
    separate_locales = locales.is_dir() and locales.parent != directory
    routers.append(_admin_console_router(directory, locales if separate_locales else None, cache))
    if separate_locales:
        routers.append(
            create_static_files_router(
                path="/locales",
                directories=[locales],
                file_system=files,
                name="web_client_locales",
                cache_control=cache,
                after_request=_security_headers,
                include_in_schema=False,
            )
        )
    routers.append(
        create_static_files_router(
            path="/",
            directories=[directory],
            file_system=files,
            html_mode=True,
            name="web_client",
            cache_control=cache,
            after_request=_security_headers,
            include_in_schema=False,
        )
    )
    return routers


__all__ = ["CONTENT_SECURITY_POLICY", "WEB_DIR_ENV", "find_web_dir", "web_client_route_handlers"]
