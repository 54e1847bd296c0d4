"""``/admin``: a server administrator manages accounts, invites and the registration mode.

Every route answers 401 without a token and 403 ``forbidden`` to anyone but a live
administrator (the use cases check it, in the transaction of the change). Links handed out
(invites, password resets) point at the web client: ``MESSENGER_PUBLIC_URL`` when set,
else the origin the request came to followed by ``MESSENGER_ROOT_PATH``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from msgspec import UNSET, UnsetType

from messenger.domain.administration import (
    Invite,
    RegistrationMode,
    ServerSettings,
    UserFilter,
    UserStatus,
)
from messenger.domain.model import AccessClaims, User
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER, client_address
from messenger.entrypoints.http.schemas import MAX_ID, Page, PageCursor, PageLimit, ShortText

InviteId = Annotated[str, PathParameter(max_length=64)]
UserId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


class AdminUser(msgspec.Struct, kw_only=True):
    """An account as an administrator sees it."""

    id: int
    username: str
    display_name: str
    email: str | None
    is_admin: bool
    status: Literal["active", "deactivated", "deleted"]
    created_at: datetime
    last_seen_at: datetime | None
    deactivated_at: datetime | None


class AdminUserList(Page[AdminUser]):
    """A page of accounts, by username."""


class AdminUserPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    is_admin: bool


class InviteOut(msgspec.Struct, kw_only=True):
    """An invite. ``created_by`` is null for one made at the server's shell; ``uses`` null:
    any number; ``active``: neither revoked, expired nor used up."""

    id: str
    email: str | None
    created_at: datetime
    created_by: int | None
    expires_at: datetime
    uses: int | None
    used: int
    revoked: bool
    active: bool


class NewInvite(InviteOut, kw_only=True):
    """A new invite with its token and link: the only time either is shown."""

    token: str
    url: str


class InviteList(Page[InviteOut]):
    """A page of invites, newest first."""


class InviteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``expires_in``: seconds (default 7 days, at most 90 days); ``uses``: how many
    registrations it admits (default 1; null: any number)."""

    email: ShortText | None = None
    expires_in: int | None = None
    uses: int | UnsetType | None = UNSET


class PasswordResetOut(msgspec.Struct, kw_only=True):
    """A one-time link for the user to set a new password (shown only here)."""

    token: str
    url: str
    expires_at: datetime


class SettingsOut(msgspec.Struct, kw_only=True):
    registration: Literal["open", "invite", "closed"]


class SettingsPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields left out stay as they are."""

    registration: Literal["open", "invite", "closed"] | UnsetType = UNSET


def user_status(user: User) -> UserStatus:
    if user.deleted:
        return UserStatus.DELETED
    return UserStatus.DEACTIVATED if user.deactivated else UserStatus.ACTIVE


def admin_user(user: User) -> AdminUser:
    return AdminUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        is_admin=user.is_admin,
        status=user_status(user).value,
        created_at=user.created_at,
        last_seen_at=user.last_seen_at,
        deactivated_at=user.deactivated_at,
    )


def invite_out(invite: Invite, now: datetime) -> InviteOut:
    return InviteOut(
        id=invite.id,
        email=invite.email,
        created_at=invite.created_at,
        created_by=invite.created_by,
        expires_at=invite.expires_at,
        uses=invite.uses,
        used=invite.used,
        revoked=invite.revoked,
        active=invite.active_at(now),
    )


def settings_out(settings: ServerSettings) -> SettingsOut:
    return SettingsOut(registration=settings.registration.value)


def client_link(base_url: str, param: str, token: str) -> str:
    """The web client's address with ``?param=token``: what an invitee or a user who
    forgot their password opens."""
    return f"{base_url}/?{param}={quote(token, safe='')}"


class Links:
    """Where links handed out point: the configured public address, else the origin the
    request came to (uvicorn applies a trusted proxy's headers) and the root path."""

    def __init__(self, root_path: str, public_url: str | None) -> None:
        self._root_path = root_path
        self._public_url = public_url

    def base(self, request: Request[Any, Any, Any]) -> str:
        if self._public_url is not None:
            return self._public_url
        url = request.url
        return f"{url.scheme}://{url.netloc}{self._root_path}"


def administration_router(root_path: str = "", public_url: str | None = None) -> Router:
    """The ``/admin`` routes of accounts, invites and server settings."""
    links = Links(root_path, public_url)

    @get("/users", summary="A page of every account, by username", opt={"problems": (403,)})
    async def list_users(
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
        q: Annotated[str, QueryParameter(max_length=100, required=False)] = "",
        status: Annotated[UserFilter | None, QueryParameter(required=False)] = None,
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> AdminUserList:
        """``q``: part of the username, display name or email; ``status``: active,
        deactivated, deleted, or admin (live administrators)."""
        page = await messenger.list_users(claims.user_id, q, status, limit=limit, cursor=cursor)
        return AdminUserList.of(page, [admin_user(u) for u in page.items])

    @patch(
        "/users/{user_id:int}",
        summary="Grant or remove the administrator role",
        opt={"problems": (403, 409)},
    )
    async def change_admin_role(
        request: Request[Any, Any, Any],
        user_id: UserId,
        data: JSONBody[AdminUserPatch],
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> AdminUser:
        """Nobody removes their own role (409 `conflict`), so one administrator is left."""
        change = messenger.promote_user if data.is_admin else messenger.demote_user
        user = await change(claims.user_id, user_id, address=client_address(request))
        return admin_user(user)

    @post(
        "/users/{user_id:int}/deactivate",
        status_code=200,
        summary="Deactivate an account: sessions end, sockets close, login is refused",
        opt={"problems": (403, 409)},
    )
    async def deactivate_user(
        request: Request[Any, Any, Any],
        user_id: UserId,
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> AdminUser:
        """Everything the account wrote stays. Not one's own account (409 `conflict`)."""
        user = await messenger.deactivate_user(
            claims.user_id, user_id, address=client_address(request)
        )
        return admin_user(user)

    @post(
        "/users/{user_id:int}/reactivate",
        status_code=200,
        summary="Let a deactivated account log in again",
        opt={"problems": (403,)},
    )
    async def reactivate_user(
        request: Request[Any, Any, Any],
        user_id: UserId,
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> AdminUser:
        user = await messenger.reactivate_user(
            claims.user_id, user_id, address=client_address(request)
        )
        return admin_user(user)

    @post(
        "/users/{user_id:int}/password-reset",
        status_code=201,
        summary="Issue a one-time link for the user to set a new password",
        opt={"problems": (403,)},
    )
    async def issue_password_reset(
        request: Request[Any, Any, Any],
        user_id: UserId,
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> PasswordResetOut:
        """The link (`url`, `<client>/?reset=<token>`) works once, until `expires_at`
        (`MESSENGER_PASSWORD_RESET_HOURS`); the user sets the password at `POST
        /auth/password-reset`. A deactivated account stays deactivated."""
        issued = await messenger.issue_password_reset(
            claims.user_id, user_id, address=client_address(request)
        )
        return PasswordResetOut(
            token=issued.token,
            url=client_link(links.base(request), "reset", issued.token),
            expires_at=issued.expires_at,
        )

    @get("/settings", summary="The server's run-time settings", opt={"problems": (403,)})
    async def get_settings(
        messenger: NamedDependency[Messenger], claims: NamedDependency[AccessClaims]
    ) -> SettingsOut:
        return settings_out(await messenger.get_server_settings(claims.user_id))

    @patch("/settings", summary="Change the server's run-time settings", opt={"problems": (403,)})
    async def change_settings(
        request: Request[Any, Any, Any],
        data: JSONBody[SettingsPatch],
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> SettingsOut:
        """`registration` set here wins over `MESSENGER_REGISTRATION` from then on."""
        mode = None if data.registration is UNSET else RegistrationMode(data.registration)
        changed = await messenger.change_server_settings(
            claims.user_id, registration=mode, address=client_address(request)
        )
        return settings_out(changed)

    @post(
        "/invites",
        status_code=201,
        summary="Invite someone to register",
        opt={"problems": (403,)},
    )
    async def create_invite(
        request: Request[Any, Any, Any],
        data: JSONBody[InviteIn],
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> NewInvite:
        """With `email`, only a registration with that email may use it. The `token` and
        `url` (`<client>/?invite=<token>`) are shown only here."""
        issued = await messenger.create_invite(
            claims.user_id,
            email=data.email,
            expires_in=data.expires_in,
            uses=1 if data.uses is UNSET else data.uses,
            address=client_address(request),
        )
        shown = invite_out(issued.invite, issued.invite.created_at)
        return NewInvite(
            **msgspec.structs.asdict(shown),
            token=issued.token,
            url=client_link(links.base(request), "invite", issued.token),
        )

    @get("/invites", summary="A page of invites, newest first", opt={"problems": (403,)})
    async def list_invites(
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> InviteList:
        page = await messenger.list_invites(claims.user_id, limit=limit, cursor=cursor)
        now = messenger.ports.clock.now()
        return InviteList.of(page, [invite_out(i, now) for i in page.items])

    @get("/invites/{invite_id:str}", summary="One invite", opt={"problems": (403,)})
    async def get_invite(
        invite_id: InviteId,
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> InviteOut:
        invite = await messenger.get_invite(claims.user_id, invite_id)
        return invite_out(invite, messenger.ports.clock.now())

    @delete(
        "/invites/{invite_id:str}",
        status_code=204,
        summary="Revoke an invite",
        opt={"problems": (403,)},
    )
    async def revoke_invite(
        request: Request[Any, Any, Any],
        invite_id: InviteId,
        messenger: NamedDependency[Messenger],
        claims: NamedDependency[AccessClaims],
    ) -> None:
        await messenger.revoke_invite(claims.user_id, invite_id, address=client_address(request))

    return Router(
        path="/admin",
        route_handlers=[
            list_users,
            change_admin_role,
            deactivate_user,
            reactivate_user,
            issue_password_reset,
            get_settings,
            change_settings,
            create_invite,
            list_invites,
            get_invite,
            revoke_invite,
        ],
        security=BEARER,
        tags=["admin"],
    )
