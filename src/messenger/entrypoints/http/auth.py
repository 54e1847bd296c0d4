"""``/auth``: register, log in, refresh, log out, sessions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter

from messenger.contract.wire import Wire
from messenger.domain.model import AccessClaims, AuthResult
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER, client_address
from messenger.entrypoints.http.schemas import (
    AuthOut,
    ChangePasswordIn,
    LoginIn,
    PageCursor,
    PageLimit,
    PasswordResetIn,
    Problem,
    RefreshIn,
    RegisterIn,
    RegistrationOut,
    SessionList,
)

_THROTTLED_PATHS = ("/register", "/login", "/refresh", "/password", "/password-reset")


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type="application/problem+json",
        generate_examples=False,
    )


def _auth_out(result: AuthResult, wire: Wire) -> AuthOut:
    return AuthOut(
        user=wire.user(result.user),
        access_token=result.access_token,
        refresh_token=result.refresh_token,
        token_type="bearer",
        expires_in=result.expires_in,
        session_id=result.session.id,
    )


@post(
    "/register",
    status_code=201,
    summary="Create an account and log in",
    description=(
        "As the registration mode allows (`GET /auth/registration`): a closed server answers "
        "403 `registration_closed`; one by invite needs a valid `invite_token` (missing, "
        "unknown, expired, used up, revoked or made for another email: 403 "
        "`invite_required`). A valid invite is counted as used in every mode. The first "
        "account of a fresh server registers whatever the mode, and becomes its administrator."
    ),
    opt={"problems": (403, 409, 429)},
)
async def register(
    request: Request[Any, Any, Any],
    data: JSONBody[RegisterIn],
    messenger: NamedDependency[Messenger],
    wire: NamedDependency[Wire],
) -> AuthOut:
    result = await messenger.register(
        data.username,
        data.password,
        email=data.email,
        display_name=data.display_name,
        device_name=data.device_name,
        invite_token=data.invite_token,
        address=client_address(request),
    )
    return _auth_out(result, wire)


@get("/registration", summary="Who may register: open, invite or closed (no token needed)")
async def registration(messenger: NamedDependency[Messenger]) -> RegistrationOut:
    mode = await messenger.get_registration_mode()
    return RegistrationOut(mode=mode.value)


@post(
    "/password-reset",
    status_code=204,
    summary="Set a new password with a reset link an administrator issued",
    description=(
        "`token` is the link's `?reset=`. `new_password` follows the registration's rules "
        "(422 `password_too_common`, `validation_error`, `field: new_password`). Every "
        "session of the account ends (sockets close with 4001) and the link works no more. "
        "An unknown, expired or used link: 422 `reset_link_invalid`. A deactivated account "
        "stays deactivated."
    ),
    responses={
        422: _problem("A bad link (reset_link_invalid) or password (password_too_common)"),
        429: _problem("Too many attempts from this address (throttled)"),
    },
)
async def reset_password(
    request: Request[Any, Any, Any],
    data: JSONBody[PasswordResetIn],
    messenger: NamedDependency[Messenger],
) -> None:
    await messenger.reset_password(data.token, data.new_password, address=client_address(request))


@post(
    "/login",
    status_code=200,
    summary="Log in with username or email",
    opt={"problems": (401, 429)},
)
async def login(
    request: Request[Any, Any, Any],
    data: JSONBody[LoginIn],
    messenger: NamedDependency[Messenger],
    wire: NamedDependency[Wire],
) -> AuthOut:
    return _auth_out(
        await messenger.authenticate(
            data.login, data.password, data.device_name, address=client_address(request)
        ),
        wire,
    )


@post(
    "/refresh",
    status_code=200,
    summary="Trade a refresh token for a new pair",
    opt={"problems": (401, 429)},
)
async def refresh(
    request: Request[Any, Any, Any],
    data: JSONBody[RefreshIn],
    messenger: NamedDependency[Messenger],
    wire: NamedDependency[Wire],
) -> AuthOut:
    return _auth_out(
        await messenger.refresh_session(data.refresh_token, address=client_address(request)),
        wire,
    )


@post("/logout", status_code=204, security=BEARER, summary="End the current session")
async def logout(
    request: Request[Any, Any, Any],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.log_out(claims, address=client_address(request))


@post(
    "/password",
    status_code=204,
    security=BEARER,
    summary="Change the password; every other session ends",
    description=(
        "Confirms with `current_password` (wrong: 403 `invalid_credentials`; wrong ones "
        "count against the account's login throttle, then 429 `throttled`). "
        "`new_password` must be 8-128 characters and not one of the 20,000 most common "
        "passwords (422 `password_too_common`, `field: new_password`); long passphrases are "
        "welcome. Every other session of the account is revoked and its sockets close with "
        "4001; the caller's session and tokens stay valid."
    ),
    responses={
        403: _problem("Wrong current password (code invalid_credentials)"),
        422: _problem("The new password breaks a rule (password_too_common, validation_error)"),
        429: _problem("Too many wrong passwords for this account from here (throttled)"),
    },
)
async def change_password(
    request: Request[Any, Any, Any],
    data: JSONBody[ChangePasswordIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.change_password(
        claims, data.current_password, data.new_password, address=client_address(request)
    )


@get("/sessions", security=BEARER, summary="A page of the caller's active sessions")
async def list_sessions(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> SessionList:
    page = await messenger.list_sessions(claims.user_id, limit=limit, cursor=cursor)
    return SessionList.of(page, [wire.session(s, claims.session_id) for s in page.items])


@delete("/sessions/{session_id:str}", status_code=204, security=BEARER, summary="Log a device out")
async def revoke_session(
    request: Request[Any, Any, Any],
    session_id: Annotated[str, PathParameter(max_length=64)],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.revoke_session(claims.user_id, session_id, address=client_address(request))


def _is_throttled(request: Request[Any, Any, Any]) -> bool:
    return request.method == "POST" and request.url.path.endswith(_THROTTLED_PATHS)


def auth_router(requests_per_minute: int) -> Router:
    """The ``/auth`` routes with a per-address limit on the credential-taking ones."""
    limit = RateLimitConfig(
        rate_limit=("minute", requests_per_minute),
        check_throttle_handler=_is_throttled,
        store="auth_rate_limit",
    )
    return Router(
        path="/auth",
        route_handlers=[
            register,
            registration,
            reset_password,
            login,
            refresh,
            logout,
            change_password,
            list_sessions,
            revoke_session,
        ],
        middleware=[limit.middleware],
        tags=["auth"],
    )
