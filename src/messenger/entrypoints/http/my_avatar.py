"""``/users/me/avatar``: upload or remove your avatar; ``/users/{id}/avatar``: the image.

(``avatars.py`` is the preset avatars' list.)
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.model import AVATAR_LARGE, AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.files import INLINE_TYPES, MULTIPART_OVERHEAD
from messenger.entrypoints.http.multipart import read_file_part
from messenger.entrypoints.http.operations import OCTET_STREAM, RASTER_IMAGES, download, upload
from messenger.entrypoints.http.schemas import MAX_ID

# The URL carries the avatar's version: while it is current, what it answered never changes.
IMMUTABLE = "private, max-age=31536000, immutable"
# Without the current version: keep it, but ask again each time (a 304 while unchanged).
REVALIDATE = "private, no-cache"


@post(
    "/me/avatar",
    status_code=200,
    summary="Upload your avatar (multipart/form-data, field 'file': PNG, JPEG, WebP or GIF)",
    description=(
        "The image is recognised by its bytes (not its name or type), cropped to a centred "
        "square and re-encoded without its metadata at 512 and 96 px; the answer is your "
        "account with the new `avatar` URLs. Refused with `unsupported_image` (422) for any "
        "other content, `image_too_large` (422) beyond 40 megapixels, `too_large` (413) "
        "beyond 5 MiB."
    ),
    opt={"problems": (400, 413, 422, 429)},
    operation_class=upload(accepts=RASTER_IMAGES),
)
async def upload_my_avatar(
    request: Request[Any, Any, Any],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    part = await read_file_part(request.headers.get("content-type"), request.stream())
    return wire.user(await messenger.upload_avatar(claims.user_id, part.chunks))


@delete("/me/avatar", status_code=204, summary="Remove your avatar")
async def remove_my_avatar(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.remove_avatar(claims.user_id)


@get(
    "/{user_id:int}/avatar",
    summary="A user's avatar image, 96 or 512 px square (the URLs of a profile's `avatar`)",
    description=(
        "With `v` the current version (as in the profile's URLs) the answer may be cached for "
        "good; otherwise it is to be revalidated (`ETag`, 304 on `If-None-Match`)."
    ),
    # The answer's own header wins; this is the 304's.
    media_type="image/webp",
    response_description="The image's bytes (WebP, or as uploaded for older avatars)",
    opt={"problems": (404, 422)},
    operation_class=download(
        (*RASTER_IMAGES, OCTET_STREAM),
        {
            "ETag": "The image's tag, for `If-None-Match`",
            "Cache-Control": f"`{IMMUTABLE}` with the current `v`, else `{REVALIDATE}`",
            "X-Content-Type-Options": "`nosniff`",
            "Content-Security-Policy": "`sandbox; default-src 'none'`",
        },
        revalidated=True,
    ),
)
async def get_avatar(
    user_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    request: Request[Any, Any, Any],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    size: Annotated[int, QueryParameter(description="96 or 512 (pixels)")] = AVATAR_LARGE,
    v: Annotated[
        str | None, QueryParameter(max_length=64, description="The avatar's version")
    ] = None,
) -> Response[bytes]:
    avatar = await messenger.get_avatar(claims.user_id, user_id, size)
    etag = f'"{avatar.file.id}"'
    content_type = avatar.file.content_type
    headers = {
        "ETag": etag,
        "Cache-Control": IMMUTABLE if v == avatar.version else REVALIDATE,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(b"", status_code=304, headers=headers)
    content = b"".join([chunk async for chunk in avatar.content])
    # Avatars of before were any upload: only raster images go out as what they are.
    served = content_type if content_type in INLINE_TYPES else "application/octet-stream"
    return Response(content, headers={**headers, "Content-Type": served})


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def my_avatar_router(max_avatar_bytes: int) -> Router:
    return Router(
        path="/users",
        route_handlers=[upload_my_avatar, remove_my_avatar, get_avatar],
        security=BEARER,
        tags=["users"],
        request_max_body_size=max_avatar_bytes + MULTIPART_OVERHEAD,
    )
