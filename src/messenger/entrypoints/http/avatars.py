"""``/avatars`` and ``/avatar-frames``: the preset avatars and frames the server ships.

Public and static: the lists and the SVG images need no token (an ``<img>`` can load them).
Each image is served with a policy that lets it run no script and load nothing, so a
hand-written SVG stays a picture even when opened on its own.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get
from litestar.di import NamedDependency
from litestar.params import PathParameter

from messenger.assets import bundled_images
from messenger.contract.wire import Wire
from messenger.domain.errors import NotFound
from messenger.domain.model import PRESET_ID_RE, PresetKind
from messenger.domain.service import Messenger
from messenger.entrypoints.http.operations import download
from messenger.entrypoints.http.schemas import PageCursor, PageLimit, PresetList

SVG = "image/svg+xml"
IMAGE_HEADERS = {
    "Cache-Control": "public, max-age=86400",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
_SVG_DOWNLOAD = download(
    (SVG,),
    {
        "Cache-Control": "`public, max-age=86400`",
        "Content-Security-Policy": "Lets the image run no script and load nothing",
        "X-Content-Type-Options": "`nosniff`",
    },
)
FileName = Annotated[str, PathParameter(max_length=100, description="`{id}.svg`")]


async def _page(
    kind: PresetKind, messenger: Messenger, wire: Wire, limit: int | None, cursor: str | None
) -> PresetList:
    page = await messenger.list_presets(kind, limit=limit, cursor=cursor)
    return PresetList.of(page, [wire.preset(kind, preset_id) for preset_id in page.items])


def _image(kind: PresetKind, file_name: str) -> Response[bytes]:
    preset_id, dot, extension = file_name.rpartition(".")
    image = (
        bundled_images(kind).get(preset_id)
        if dot and extension == "svg" and PRESET_ID_RE.match(preset_id)
        else None
    )
    if image is None:
        raise NotFound("No such image.")
    return Response(image, media_type=SVG, headers=IMAGE_HEADERS)


@get("/avatars/list", summary="The preset avatars (a page, by id)")
async def list_preset_avatars(
    messenger: NamedDependency[Messenger],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> PresetList:
    return await _page(PresetKind.AVATAR, messenger, wire, limit, cursor)


@get("/avatar-frames/list", summary="The avatar frames (a page, by id)")
async def list_avatar_frames(
    messenger: NamedDependency[Messenger],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> PresetList:
    return await _page(PresetKind.FRAME, messenger, wire, limit, cursor)


@get(
    "/avatars/presets/{file_name:str}",
    summary="A preset avatar's image (SVG)",
    media_type=SVG,
    response_description="The SVG image",
    operation_class=_SVG_DOWNLOAD,
)
async def preset_avatar_image(file_name: FileName) -> Response[bytes]:
    return _image(PresetKind.AVATAR, file_name)


@get(
    "/avatar-frames/{file_name:str}",
    summary="An avatar frame's image (SVG; transparent inside, drawn around the avatar)",
    media_type=SVG,
    response_description="The SVG image",
    operation_class=_SVG_DOWNLOAD,
)
async def avatar_frame_image(file_name: FileName) -> Response[bytes]:
    return _image(PresetKind.FRAME, file_name)


def avatars_router() -> Router:
    """The public routes of the preset avatars and frames."""
    return Router(
        path="/",
        route_handlers=[
            list_preset_avatars,
            list_avatar_frames,
            preset_avatar_image,
            avatar_frame_image,
        ],
        tags=["avatars"],
    )
