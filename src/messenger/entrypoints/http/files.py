"""``/files``: streaming upload and download; ``/messages/{id}/files``: attaching uploads to
a message already sent."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Stream

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.domain.usecases import NewFile
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.multipart import read_file_part, read_file_parts
from messenger.entrypoints.http.operations import OCTET_STREAM, download, upload
from messenger.entrypoints.http.schemas import MAX_ID

# Multipart framing around the file: boundaries, part headers, a few small fields.
MULTIPART_OVERHEAD = 64 * 1024


@post(
    "/",
    status_code=201,
    summary="Upload a file (multipart/form-data, field 'file')",
    opt={"problems": (400, 413, 429)},
    operation_class=upload(),
)
async def upload_file(
    request: Request[Any, Any, Any],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.File:
    part = await read_file_part(request.headers.get("content-type"), request.stream())
    stored = await messenger.upload_file(
        claims.user_id, part.filename, part.content_type, part.chunks
    )
    return wire.file(stored)


# Raster images a browser only ever draws: the client may show them in place. Not SVG, which
# is a document that can carry script.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# type "/" subtype, both RFC 9110 tokens: anything else stored must not reach the header.
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}")


def _served_type(content_type: str) -> str:
    return content_type if _MEDIA_TYPE.fullmatch(content_type) else "application/octet-stream"


def _disposition(name: str, content_type: str) -> str:
    # An ASCII fallback plus the exact UTF-8 name (RFC 6266 / 5987); quotes and control
    # characters never reach the header.
    kind = "inline" if content_type in INLINE_TYPES else "attachment"
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _chain(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


@get(
    "/{file_id:str}",
    summary="Download a file (its uploader and members of chats where it is attached)",
    response_description=(
        "The file's bytes, with the content type they were uploaded with (a thumbnail's is "
        "`image/webp`; a type that is not a plain `type/subtype` is `application/octet-stream`)"
    ),
    operation_class=download(
        ("image/*", OCTET_STREAM, "*/*"),
        {
            "Content-Disposition": "`inline` for raster images, else `attachment`; with the "
            "file's name (RFC 6266)",
            "Content-Length": "The file's size in bytes",
            "Cache-Control": "`private, max-age=3600`",
            "X-Content-Type-Options": "`nosniff`",
            "Content-Security-Policy": "`sandbox; default-src 'none'`: an uploaded page runs "
            "nothing",
        },
    ),
)
async def download_file(
    file_id: Annotated[str, PathParameter(min_length=1, max_length=64)],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> Stream:
    stored, content = await messenger.open_file(claims.user_id, file_id)
    # Read the first chunk before answering, so a missing blob is a 404, not a cut stream.
    first = await anext(content, b"")
    content_type = _served_type(stored.content_type)
    return Stream(
        _chain(first, content),
        headers={
            # A header, not ``media_type``: the handler's media type would win over the
            # stream's, and a text type would get a charset the upload never declared.
            "Content-Type": content_type,
            "Content-Disposition": _disposition(stored.name, content_type),
            "Content-Length": str(stored.size),
            "X-Content-Type-Options": "nosniff",
            # Even if a browser is talked into rendering it, an uploaded page may run nothing.
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, max-age=3600",
        },
    )


@post(
    "/{message_id:int}/files",
    status_code=200,
    summary="Attach files to your message (multipart/form-data, field 'file', repeatable)",
    opt={"problems": (400, 403, 413, 422, 429)},
    operation_class=upload(many=True),
)
async def attach_files(
    message_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    request: Request[Any, Any, Any],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Message:
    content_type = request.headers.get("content-type")

    async def files() -> AsyncIterator[NewFile]:
        async for part in read_file_parts(content_type, request.stream()):
            yield NewFile(part.filename, part.content_type, part.chunks)

    return wire.message(
        await messenger.attach_files_to_message(claims.user_id, message_id, files())
    )


def message_files_router(max_upload_bytes: int, max_files: int) -> Router:
    """``POST /messages/{id}/files``: a body may carry up to ``max_files`` uploads."""
    return Router(
        path="/messages",
        route_handlers=[attach_files],
        security=BEARER,
        tags=["messages"],
        request_max_body_size=max_files * (max_upload_bytes + MULTIPART_OVERHEAD),
    )


def files_router(max_upload_bytes: int) -> Router:
    return Router(
        path="/files",
        route_handlers=[upload_file, download_file],
        security=BEARER,
        tags=["files"],
        request_max_body_size=max_upload_bytes + MULTIPART_OVERHEAD,
    )
