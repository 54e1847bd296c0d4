"""``/messages/{id}/reactions/{emoji}``: react to a message, take the reaction back, see who
reacted. ``emoji`` is one Unicode emoji, percent-encoded in the path."""

from __future__ import annotations

from typing import Annotated

from litestar import delete, get, put
from litestar.di import NamedDependency
from litestar.params import PathParameter

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.schemas import MAX_ID, Page, PageCursor, PageLimit

MessageId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
# Far above any emoji (the domain decides what is one); longer segments are not looked at.
Emoji = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=64,
        description="One Unicode emoji, percent-encoded (`%F0%9F%91%8D` for 👍); skin-tone "
        "and joiner sequences are one emoji.",
    ),
]

_REACT_DESCRIPTION = (
    "Idempotent: reacting again with the same emoji, or taking back a reaction that is not "
    "there, changes nothing and pushes nothing. Otherwise the members who see the message "
    "get `message_reactions`. Answers the message with its `reactions` (each with `me`). "
    "A message you do not see is 404; a deleted one takes no reaction (403 `forbidden`), "
    "nor a dialog whose other member blocked you (403 `blocked`); a 21st different emoji is "
    "409 `too_many_reactions`; anything but one emoji is 422 `validation_error` on `emoji`; "
    "changes beyond the reaction budget are 429 `throttled`."
)


class ReactorList(Page[shapes.UserProfile]):
    """A page of the users who reacted with an emoji, by user id."""


@put(
    "/{message_id:int}/reactions/{emoji:str}",
    status_code=200,
    summary="React to a message with an emoji",
    description=_REACT_DESCRIPTION,
    opt={"problems": (403, 409, 429)},
)
async def react_to_message(
    message_id: MessageId,
    emoji: Emoji,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Message:
    return wire.reacted(await messenger.react_to_message(claims.user_id, message_id, emoji))


@delete(
    "/{message_id:int}/reactions/{emoji:str}",
    status_code=200,
    summary="Take back your reaction with an emoji",
    description=_REACT_DESCRIPTION,
    opt={"problems": (429,)},
)
async def remove_reaction(
    message_id: MessageId,
    emoji: Emoji,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Message:
    return wire.reacted(await messenger.remove_reaction(claims.user_id, message_id, emoji))


@get(
    "/{message_id:int}/reactions/{emoji:str}/users",
    summary="A page of who reacted to a message with an emoji (by user id)",
)
async def list_reactors(
    message_id: MessageId,
    emoji: Emoji,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> ReactorList:
    page = await messenger.list_reactors(
        claims.user_id, message_id, emoji, limit=limit, cursor=cursor
    )
    return ReactorList.of(page, [wire.user_profile(p) for p in page.items])


REACTION_HANDLERS = (react_to_message, remove_reaction, list_reactors)
