"""``/users``: the caller's account, profiles and search.

Seed 002's paths answer too, each a thin route over the same use case: ``PUT /me/profile``
(as ``PATCH /me``), ``PUT /me/username``, ``PUT /me/bio``, ``PUT /me/birthdate``,
``GET /search`` (as ``GET /``) and ``GET /{user_id}/profile`` (as ``GET /{user_id}``).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, delete, get, patch, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from msgspec import UNSET

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain import model
from messenger.domain.errors import ValidationError
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER, client_address
from messenger.entrypoints.http.schemas import (
    MAX_ID,
    AvatarFrameIn,
    BioIn,
    BirthdateIn,
    DeleteAccountIn,
    PageCursor,
    PresetAvatarIn,
    ProfileList,
    ProfilePatch,
    UsernameIn,
)


@get("/me", summary="The caller's own account")
async def get_me(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    return wire.user(await messenger.get_my_account(claims.user_id))


async def _apply_patch(
    data: ProfilePatch, messenger: Messenger, claims: AccessClaims, wire: Wire
) -> shapes.User:
    """A profile patch through ``UpdateProfile`` (``PATCH /me`` and ``PUT /me/profile``)."""
    if data.avatar_url is not UNSET:
        # For clients of before POST /users/me/avatar: the url of an image the caller
        # uploaded becomes the avatar as that upload would; the current avatar_url sent
        # back leaves it.
        await _change_avatar(messenger, wire, claims.user_id, data.avatar_url)
    user = await messenger.update_profile(
        claims.user_id,
        display_name=None if data.display_name is UNSET else data.display_name,
        bio=None if data.bio is UNSET else data.bio,
        username=None if data.username is UNSET else data.username,
        birthdate=model.UNSET if data.birthdate is UNSET else data.birthdate,
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


@patch(
    "/me",
    summary="Change display name, username, avatar URL, bio or birthdate",
    opt={"problems": (409, 413, 422, 429)},
)
async def update_me(
    data: JSONBody[ProfilePatch],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    """Fields left out stay as they are. ``avatar_url`` is the ``url`` of a file the
    caller uploaded (``POST /files``); ``null`` or ``""`` removes the avatar."""
    return await _apply_patch(data, messenger, claims, wire)


@put(
    "/me/profile",
    summary="Change the profile (the same as PATCH /users/me)",
    opt={"problems": (409, 413, 422, 429)},
)
async def put_profile(
    data: JSONBody[ProfilePatch],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    # Seed 002's clients write the profile with PUT; fields left out stay, as with PATCH.
    return await _apply_patch(data, messenger, claims, wire)


@put("/me/username", summary="Change the username", opt={"problems": (409,)})
async def put_username(
    data: JSONBody[UsernameIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    return wire.user(await messenger.update_profile(claims.user_id, username=data.username))


@put("/me/bio", summary="Change the bio")
async def put_bio(
    data: JSONBody[BioIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    return wire.user(await messenger.update_profile(claims.user_id, bio=data.bio))


@put("/me/birthdate", summary="Set the birthdate, or clear it with null")
async def put_birthdate(
    data: JSONBody[BirthdateIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    return wire.user(await messenger.update_profile(claims.user_id, birthdate=data.birthdate))


@put("/me/preset-avatar", summary="Show one of the server's preset avatars")
async def put_preset_avatar(
    data: JSONBody[PresetAvatarIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    """It replaces an uploaded avatar. An unknown id is a ``validation_error`` on
    ``preset``."""
    return wire.user(await messenger.choose_preset_avatar(claims.user_id, data.preset))


@put("/me/avatar-frame", summary="Draw one of the server's frames around the avatar")
async def put_avatar_frame(
    data: JSONBody[AvatarFrameIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.User:
    """``null`` takes the frame off. An unknown id is a ``validation_error`` on ``frame``."""
    return wire.user(await messenger.choose_avatar_frame(claims.user_id, data.frame))


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


@get(
    ["/", "/search"],
    summary="Search users by username or display name (a page, by username)",
)
async def search_users(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    q: Annotated[str, QueryParameter(max_length=100)] = "",
    limit: Annotated[int | None, QueryParameter(ge=1, le=50)] = None,
    cursor: PageCursor = None,
) -> ProfileList:
    page = await messenger.search_users(claims.user_id, q, limit, cursor=cursor)
    return ProfileList.of(page, [wire.user_profile(p) for p in page.items])


@get(["/{user_id:int}", "/{user_id:int}/profile"], summary="A user's profile as you may see it")
async def get_user(
    user_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.UserProfile:
    return wire.user_profile(await messenger.get_profile(claims.user_id, user_id))


def users_router() -> Router:
    return Router(
        path="/users",
        route_handlers=[
            get_me,
            update_me,
            delete_me,
            put_profile,
            put_username,
            put_bio,
            put_birthdate,
            put_preset_avatar,
            put_avatar_frame,
            search_users,
            get_user,
        ],
        security=BEARER,
        tags=["users"],
    )
