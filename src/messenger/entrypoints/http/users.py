"""``/users``: the caller's account, profiles and search."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from msgspec import UNSET

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.errors import ValidationError
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.schemas import MAX_ID, PageCursor, ProfileList, ProfilePatch


@get("/me", summary="The caller's own account")
async def get_me(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    return wire.user(await messenger.get_my_account(claims.user_id))


@patch(
    "/me",
    summary="Change display name, avatar URL or bio",
    opt={"problems": (413, 422, 429)},
)
async def update_me(
    data: JSONBody[ProfilePatch],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    """``avatar_url`` (for clients of before ``POST /users/me/avatar``) is the ``url`` of an
    image the caller uploaded (``POST /files``), as the server gave it: it is made into the
    avatar as that upload would be. ``null`` or ``""`` removes the avatar; the current
    ``avatar_url`` sent back leaves it."""
    if data.avatar_url is not UNSET:
        await _change_avatar(messenger, wire, claims.user_id, data.avatar_url)
    user = await messenger.update_profile(
        claims.user_id,
        display_name=None if data.display_name is UNSET else data.display_name,
        bio=None if data.bio is UNSET else data.bio,
    )
    return wire.user(user)


async def _change_avatar(messenger: Messenger, wire: Wire, user_id: int, url: str | None) -> None:
    url = (url or "").strip()
    if not url:
        await messenger.remove_avatar(user_id)
        return
    file_id = wire.file_id_of(url)
    if file_id is not None:
        await messenger.set_avatar_from_upload(user_id, file_id)
        return
    me = await messenger.get_my_account(user_id)
    if url == wire.avatar_url(me.id, me.avatar_file_id):
        return
    raise ValidationError(
        "The avatar must be the URL of a file you uploaded to this server "
        f"({wire.file_url('{id}')}).",
        field="avatar_url",
    )


@get("/", summary="Search users by username or display name (a page, by username)")
async def search_users(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    q: Annotated[str, QueryParameter(max_length=100)] = "",
    limit: Annotated[int | None, QueryParameter(ge=1, le=50)] = None,
    cursor: PageCursor = None,
) -> ProfileList:
    page = await messenger.search_users(q, limit, cursor=cursor)
    return ProfileList.of(page, [wire.public_profile(p) for p in page.items])


@get("/{user_id:int}", summary="A user's public profile")
async def get_user(
    user_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.PublicProfile:
    return wire.public_profile(await messenger.get_profile(user_id))


def users_router() -> Router:
    return Router(
        path="/users",
        route_handlers=[get_me, update_me, search_users, get_user],
        security=BEARER,
        tags=["users"],
    )
