"""``/contacts``, blocking (``/users/{id}/block``, ``/users/me/blocked``) and privacy
settings (``/users/me/privacy``): what a user decides about others."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, Router, delete, get, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter
from msgspec import UNSET

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.schemas import (
    MAX_ID,
    BlockedList,
    ContactIn,
    ContactList,
    LocalNameIn,
    PageCursor,
    PageLimit,
    PrivacyIn,
)

PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@get("/", summary="A page of the caller's contacts, by user id")
async def list_contacts(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> ContactList:
    page = await messenger.list_contacts(claims.user_id, limit=limit, cursor=cursor)
    return ContactList.of(page, [wire.user_profile(v) for v in page.items])


@put(
    "/{user_id:int}",
    status_code=201,
    summary="Add a user to your contacts (200 if they were; a given local_name is set)",
    responses={
        200: ResponseSpec(data_container=shapes.UserProfile, description="Already a contact")
    },
)
async def add_contact(
    user_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    data: JSONBody[ContactIn | None] = None,
) -> Response[shapes.UserProfile]:
    """Adding yourself is a ``validation_error``; ``local_name`` is seen by you alone."""
    name = None if data is None or data.local_name is UNSET else data.local_name or ""
    view, created = await messenger.add_contact(claims.user_id, user_id, name)
    return Response(wire.user_profile(view), status_code=201 if created else 200)


@delete("/{user_id:int}", status_code=204, summary="Remove a user from your contacts")
async def remove_contact(
    user_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.remove_contact(claims.user_id, user_id)


@put("/{contact_id:int}/local-name", summary="Name a contact for yourself")
async def set_local_name(
    contact_id: PathId,
    data: JSONBody[LocalNameIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.UserProfile:
    """404 if the user is not in your contacts; null or blank clears the name."""
    view = await messenger.rename_contact(claims.user_id, contact_id, data.local_name)
    return wire.user_profile(view)


@delete(
    "/{contact_id:int}/local-name",
    status_code=200,
    summary="Clear a contact's local name (they show by their own name again)",
)
async def clear_local_name(
    contact_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.UserProfile:
    return wire.user_profile(await messenger.rename_contact(claims.user_id, contact_id, None))


@put(
    "/{user_id:int}/block",
    status_code=204,
    summary="Block a user (again: nothing changes)",
)
async def block_user(
    user_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    """They can no longer open a dialog with you or write in it, add you to groups, or see
    your presence, last seen time, avatar, bio and birthdate; you see none of their typing.
    Groups you share stay shared, and you may still write to them."""
    await messenger.block_user(claims.user_id, user_id)


@delete("/{user_id:int}/block", status_code=204, summary="Unblock a user")
async def unblock_user(
    user_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.unblock_user(claims.user_id, user_id)


@get("/me/blocked", summary="A page of the users you blocked, by user id")
async def list_blocked(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> BlockedList:
    page = await messenger.list_blocked_users(claims.user_id, limit=limit, cursor=cursor)
    return BlockedList.of(page, [wire.user_profile(v) for v in page.items])


@get("/me/privacy", summary="Your privacy settings")
async def get_privacy(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Privacy:
    return wire.privacy(await messenger.get_privacy(claims.user_id))


@put("/me/privacy", summary="Change your privacy settings (all of them, or some)")
async def change_privacy(
    data: JSONBody[PrivacyIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Privacy:
    """Takes what ``GET`` returns, or any part of it; answers with every setting. Your
    other devices learn of it (``privacy_updated``)."""
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    return wire.privacy(await messenger.change_privacy(claims.user_id, **changes))


def contacts_router() -> Router:
    return Router(
        path="/contacts",
        route_handlers=[
            list_contacts,
            add_contact,
            remove_contact,
            set_local_name,
            clear_local_name,
        ],
        security=BEARER,
        tags=["contacts"],
    )


def relations_router() -> Router:
    """Blocking and privacy, under ``/users`` next to the profile routes."""
    return Router(
        path="/users",
        route_handlers=[block_user, unblock_user, list_blocked, get_privacy, change_privacy],
        security=BEARER,
        tags=["users"],
    )
