"""``/users``: the caller's account, profiles and search."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, delete, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from msgspec import UNSET

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.errors import ValidationError
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER, client_address
from messenger.entrypoints.http.schemas import (
    MAX_ID,
    DeleteAccountIn,
    PageCursor,
    ProfileList,
    ProfilePatch,
)


@get("/me", summary="The caller's own account")
async def get_me(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    return wire.user(await messenger.get_my_account(claims.user_id))


@patch("/me", summary="Change display name, avatar URL or bio")
async def update_me(
    data: JSONBody[ProfilePatch],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    """``avatar_url`` is the ``url`` of a file the caller uploaded (``POST /files``), as
    the server gave it; ``null`` or ``""`` removes the avatar."""
    user = await messenger.update_profile(
        claims.user_id,
        display_name=None if data.display_name is UNSET else data.display_name,
        # The use case reads "" as "remove the avatar" and None as "leave it".
        avatar_file_id=None if data.avatar_url is UNSET else _avatar_file(wire, data.avatar_url),
        bio=None if data.bio is UNSET else data.bio,
    )
    return wire.user(user)


@delete(
    "/me",
    status_code=204,
    summary="Delete your account",
    description=(
        "Confirmed by `password` (wrong: 403 `invalid_credentials`, counted against the "
        "account's login throttle, then 429 `throttled`). At once: every session ends "
        "(sockets close with 4001), logging in and refreshing fail (401), the username and "
        "email are free to be registered again, and others see the profile as `deleted: "
        'true` (display name "Deleted account"); chat-mates get `profile_updated`. The '
        "messages stay in others' chats under the deleted account; with "
        "`?erase_messages=true` they are deleted for everyone as well (`message_deleted` to "
        "each chat), in batches that a restart resumes. Uploads no message carries are "
        "removed."
    ),
    opt={"problems": (403, 429)},
)
async def delete_me(
    request: Request[Any, Any, Any],
    data: JSONBody[DeleteAccountIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    erase_messages: Annotated[bool, QueryParameter(required=False)] = False,
) -> None:
    await messenger.delete_account(
        claims, data.password, erase_messages=erase_messages, address=client_address(request)
    )


def _avatar_file(wire: Wire, url: str | None) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    file_id = wire.file_id_of(url)
    if file_id is None:
        raise ValidationError(
            "The avatar must be the URL of a file you uploaded to this server "
            f"({wire.file_url('{id}')}).",
            field="avatar_url",
        )
    return file_id


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
        route_handlers=[get_me, update_me, delete_me, search_users, get_user],
        security=BEARER,
        tags=["users"],
    )
