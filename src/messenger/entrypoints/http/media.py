"""``/chats/{id}/media``: a chat's gallery of images and files."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.schemas import MAX_ID, Page, PageCursor, PageLimit


class MediaList(Page[shapes.MediaItem]):
    """A page of a chat's media, newest first."""


@get(
    "/{chat_id:int}/media",
    summary="A chat's images or other files, newest first (members only)",
    description=(
        "`kind=image`: attachments the server recognised as images (with `width`, `height` "
        "and `thumbnail_url`); `kind=file`: every other attachment. Deleted messages' "
        "files are not listed."
    ),
    opt={"problems": (404, 422)},
)
async def list_chat_media(
    chat_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    kind: Annotated[Literal["image", "file"], QueryParameter(description="image or file")],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> MediaList:
    page = await messenger.list_chat_media(claims.user_id, chat_id, kind, limit, cursor)
    return MediaList.of(page, [wire.media_item(m) for m in page.items])


def media_router() -> Router:
    return Router(path="/chats", route_handlers=[list_chat_media], security=BEARER, tags=["chats"])
