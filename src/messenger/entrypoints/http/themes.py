"""``/users/me/themes`` and ``/users/me/settings``: the caller's colour themes, and the
theme and language they chose for all their devices."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from msgspec import UNSET

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.schemas import (
    PageCursor,
    PageLimit,
    SettingsPatch,
    ThemeIn,
    ThemeList,
)

ThemeId = Annotated[str, PathParameter(min_length=1, max_length=64)]


@get("/themes", summary="The caller's themes, oldest first")
async def list_themes(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> ThemeList:
    page = await messenger.list_themes(claims.user_id, limit, cursor=cursor)
    return ThemeList.of(page, [wire.theme(t) for t in page.items])


@post(
    "/themes",
    status_code=201,
    summary="Make a theme (409 `too_many_themes` beyond the cap)",
    opt={"problems": (409,)},
)
async def create_theme(
    data: JSONBody[ThemeIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Theme:
    theme = await messenger.create_theme(
        claims.user_id, data.name, data.colors, background=data.background
    )
    return wire.theme(theme)


@put("/themes/{theme_id:str}", summary="Replace a theme's name, colours and background")
async def edit_theme(
    theme_id: ThemeId,
    data: JSONBody[ThemeIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Theme:
    theme = await messenger.edit_theme(
        claims.user_id, theme_id, data.name, data.colors, background=data.background
    )
    return wire.theme(theme)


@delete(
    "/themes/{theme_id:str}",
    status_code=204,
    summary="Delete a theme (if it was the active one, the system theme is chosen)",
)
async def delete_theme(
    theme_id: ThemeId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.delete_theme(claims.user_id, theme_id)


@get("/settings", summary="The caller's chosen theme and language")
async def get_settings(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Settings:
    return wire.settings(await messenger.get_settings(claims.user_id))


@put("/settings", summary="Choose the theme or the language (fields left out stay)")
async def change_settings(
    data: JSONBody[SettingsPatch],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Settings:
    settings = await messenger.change_settings(
        claims.user_id,
        theme_id=None if data.theme_id is UNSET else data.theme_id,
        language=None if data.language is UNSET else data.language,
    )
    return wire.settings(settings)


def themes_router() -> Router:
    return Router(
        path="/users/me",
        route_handlers=[
            list_themes,
            create_theme,
            edit_theme,
            delete_theme,
            get_settings,
            change_settings,
        ],
        security=BEARER,
        tags=["settings"],
    )
