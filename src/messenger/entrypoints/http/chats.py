"""``/chats`` and ``/messages``: dialogs, groups, members, history, posting, read marks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar import HttpMethod, Response, Router, delete, get, patch, post, route
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter
from msgspec import UNSET

from messenger.contract import shapes
from messenger.contract.wire import Wire, parse_muted_until
from messenger.domain.errors import ValidationError
from messenger.domain.model import UNSET as UNSET_DOMAIN
from messenger.domain.model import AccessClaims, Role, Unset
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.reactions import REACTION_HANDLERS
from messenger.entrypoints.http.schemas import (
    MAX_ID,
    AddMemberIn,
    ChatList,
    ChatPatch,
    ChatSettingsIn,
    DirectChatIn,
    DraftIn,
    EditList,
    EditMessageIn,
    GroupChatIn,
    MessageEditOut,
    MessagePage,
    PageCursor,
    PageLimit,
    PinIn,
    PinList,
    PinnedOrderIn,
    PinnedOrderOut,
    PostMessageIn,
    ReadIn,
    ReadOut,
    RoleIn,
)

PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Cursor = Annotated[int | None, QueryParameter(ge=0, le=MAX_ID)]


@get(
    "/",
    summary="A page of the caller's chats: pinned ones first, then most recently active",
    description=(
        "The caller's pinned chats come first, in their order (`PUT /chats/pinned-order`), "
        "then the others, most recently active first. Archived chats are left out; with "
        "`archived=true` the page holds only them (by activity)."
    ),
)
async def list_chats(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
    archived: Annotated[bool, QueryParameter(required=False)] = False,
) -> ChatList:
    page = await messenger.list_chats(claims.user_id, limit=limit, cursor=cursor, archived=archived)
    return ChatList.of(page, [wire.chat_summary(s) for s in page.items])


@patch(
    "/{chat_id:int}/settings",
    summary="Mute, pin or archive a chat for yourself (fields left out stay)",
    description=(
        "Your devices get `chat_settings_updated`. Archiving unpins; pinning unarchives "
        "(both at once is 422). Pinning beyond the cap is 409 `too_many_pinned_chats`. A "
        "new message un-archives a chat unless it is muted."
    ),
    opt={"problems": (409,)},
)
async def change_chat_settings(
    chat_id: PathId,
    data: JSONBody[ChatSettingsIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.ChatSettings:
    muted_until: datetime | Unset | None = UNSET_DOMAIN
    if data.muted_until is not UNSET:
        try:
            muted_until = parse_muted_until(data.muted_until)
        except (ValueError, OverflowError):  # OverflowError: beyond year 1 or 9999 in UTC
            raise ValidationError(
                'muted_until must be an ISO timestamp with its offset, "forever" or null.',
                field="muted_until",
            ) from None
    settings, pinned = await messenger.change_chat_settings(
        claims.user_id,
        chat_id,
        muted_until=muted_until,
        pinned=UNSET_DOMAIN if data.pinned is UNSET else data.pinned,
        archived=UNSET_DOMAIN if data.archived is UNSET else data.archived,
    )
    return wire.chat_settings(chat_id, settings, pinned)


@route(
    "/pinned-order",
    http_method=[HttpMethod.PUT],
    summary="Put your pinned chats in a new order",
    description=(
        "`chat_ids` must name each of your pinned chats exactly once, else 422 "
        "`pinned_order_mismatch`. Your devices get `chat_settings_updated`."
    ),
)
async def reorder_pinned_chats(
    data: JSONBody[PinnedOrderIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> PinnedOrderOut:
    order = await messenger.reorder_pinned_chats(claims.user_id, data.chat_ids)
    return PinnedOrderOut(chat_ids=order)


@route(
    "/{chat_id:int}/draft",
    http_method=[HttpMethod.PUT],
    summary="Keep the text you started in a chat for your other devices (empty: clear it)",
    description=(
        "As long as a message may be (422 `message_too_long`). Your other devices get "
        "`draft_updated`; sending a message in the chat clears the draft."
    ),
)
async def save_draft(
    chat_id: PathId,
    data: JSONBody[DraftIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.DraftUpdatedData:
    draft = await messenger.save_draft(claims.user_id, chat_id, data.text, data.reply_to_id)
    return shapes.DraftUpdatedData(chat_id=chat_id, draft=wire.draft(draft))


@post(
    "/",
    summary="Open the dialog with a user (200 if it existed) or create a group",
    responses={200: ResponseSpec(data_container=shapes.Chat, description="The existing dialog")},
    opt={"problems": (403, 404, 429)},
)
async def create_chat(
    data: JSONBody[DirectChatIn | GroupChatIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> Response[shapes.Chat]:
    if isinstance(data, DirectChatIn):
        details, created = await messenger.open_dialog(claims.user_id, data.user_id)
    else:
        details = await messenger.create_group(claims.user_id, data.title, data.member_ids)
        created = True
    return Response(wire.chat_details(details), status_code=201 if created else 200)


@get("/{chat_id:int}", summary="A chat with its members")
async def get_chat(
    chat_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Chat:
    return wire.chat_details(await messenger.get_chat(claims.user_id, chat_id))


@patch("/{chat_id:int}", summary="Rename a group (owner or admin)", opt={"problems": (403,)})
async def update_chat(
    chat_id: PathId,
    data: JSONBody[ChatPatch],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Chat:
    if data.title is UNSET:
        return wire.chat_details(await messenger.get_chat(claims.user_id, chat_id))
    return wire.chat_details(await messenger.rename_group(claims.user_id, chat_id, data.title))


@post(
    "/{chat_id:int}/members",
    status_code=201,
    summary="Add a member to a group",
    opt={"problems": (403, 409, 429)},
)
async def add_member(
    chat_id: PathId,
    data: JSONBody[AddMemberIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Member:
    member = await messenger.add_member(claims.user_id, chat_id, data.user_id, Role(data.role))
    return wire.member(member)


@patch(
    "/{chat_id:int}/members/{user_id:int}",
    summary="Change a member's role (owner)",
    opt={"problems": (403,)},
)
async def change_role(
    chat_id: PathId,
    user_id: PathId,
    data: JSONBody[RoleIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Member:
    membership = await messenger.change_role(claims.user_id, chat_id, user_id, Role(data.role))
    return wire.membership(membership)


@delete(
    "/{chat_id:int}/members/{user_id:int}",
    status_code=204,
    summary="Remove a member (admins) or leave (yourself)",
    opt={"problems": (403,)},
)
async def remove_member(
    chat_id: PathId,
    user_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.remove_member(claims.user_id, chat_id, user_id)


HistoryLimit = Annotated[int | None, QueryParameter(ge=1, le=100)]


async def _history(
    messenger: Messenger,
    wire: Wire,
    user_id: int,
    chat_id: int,
    before: int | None,
    after: int | None,
    around: int | None,
    limit: int | None,
    mentions: Literal["me"] | None = None,
) -> MessagePage:
    page = await messenger.read_history(
        user_id,
        chat_id,
        before=before,
        after=after,
        around=around,
        limit=limit,
        mentioning_me=mentions == "me",
    )
    return MessagePage(items=wire.history(page), has_more=page.has_more, has_newer=page.has_newer)


MentionsFilter = Annotated[
    Literal["me"] | None,
    QueryParameter(
        description="`me`: only the messages that mention you, read or not (not with `around`)."
    ),
]

_HISTORY_DESCRIPTION = (
    "`before`: the newest messages older than it (scrolling up); `after`: the oldest newer "
    "than it (catching up); `around`: the message with that id amid its neighbours, about "
    "half the page older and the rest newer (opening a chat at a search result, a reply's "
    "original or a pin; it cannot be combined with `before`/`after`); none: the newest "
    "page. `has_more`: more in the paging direction (older; newer for `after`). "
    "`has_newer`: newer messages exist beyond the page (null for a `before` page)."
)


@get(
    "/{chat_id:int}/messages",
    summary="A page of history, ascending by id",
    description=_HISTORY_DESCRIPTION,
)
async def list_messages(
    chat_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    before: Cursor = None,
    after: Cursor = None,
    around: Cursor = None,
    limit: HistoryLimit = None,
    mentions: MentionsFilter = None,
) -> MessagePage:
    return await _history(
        messenger, wire, claims.user_id, chat_id, before, after, around, limit, mentions
    )


@get(
    "/direct/{user_id:int}/messages",
    summary="A page of the history of your dialog with a user (as /chats/{id}/messages)",
    description="404 `not_found` when there is no dialog with that user (none is created).",
)
async def list_direct_messages(
    user_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    before: Cursor = None,
    after: Cursor = None,
    around: Cursor = None,
    limit: HistoryLimit = None,
    mentions: MentionsFilter = None,
) -> MessagePage:
    chat_id = await messenger.find_dialog(claims.user_id, user_id)
    return await _history(
        messenger, wire, claims.user_id, chat_id, before, after, around, limit, mentions
    )


@delete(
    "/{chat_id:int}/messages",
    status_code=204,
    summary="Clear the chat for yourself",
    description=(
        "Every message so far disappears for you only (history, the chat list's last "
        "message, unread counts, sync); the other members keep them. Your devices get "
        "`chat_cleared`."
    ),
)
async def clear_chat(
    chat_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.clear_chat(claims.user_id, chat_id)


@post(
    "/{chat_id:int}/messages",
    status_code=201,
    summary="Send a message; resending the same client_id returns the first one",
    responses={200: ResponseSpec(data_container=shapes.Message, description="Already stored")},
    opt={"problems": (403, 429)},
)
async def post_message(
    chat_id: PathId,
    data: JSONBody[PostMessageIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> Response[shapes.Message]:
    result = await messenger.post_message(
        claims.user_id,
        chat_id,
        data.client_id,
        data.text,
        reply_to_id=data.reply_to_id,
        attachment_ids=data.attachment_ids,
        forward_of=data.forward_of,
    )
    return Response(wire.message(result.message), status_code=201 if result.created else 200)


@post(
    "/{chat_id:int}/pins",
    status_code=201,
    summary="Pin a message (group owners and admins, either user of a dialog)",
    description=(
        "Pinning a pinned message answers 200 and changes nothing. The members who see the "
        "message get `message_pinned`. 404 `not_found` for a message of another chat, deleted, "
        "or one you do not see; 409 `too_many_pins` beyond the chat's cap (100)."
    ),
    responses={200: ResponseSpec(data_container=shapes.Pin, description="Already pinned")},
    opt={"problems": (403, 409)},
)
async def pin_message(
    chat_id: PathId,
    data: JSONBody[PinIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> Response[shapes.Pin]:
    result = await messenger.pin_message(claims.user_id, chat_id, data.message_id)
    return Response(wire.pin(result.pinned), status_code=201 if result.created else 200)


@delete(
    "/{chat_id:int}/pins/{message_id:int}",
    status_code=204,
    summary="Unpin a message (whoever may pin); unpinning one not pinned changes nothing",
    opt={"problems": (403,)},
)
async def unpin_message(
    chat_id: PathId,
    message_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.unpin_message(claims.user_id, chat_id, message_id)


@get("/{chat_id:int}/pins", summary="A page of the chat's pinned messages, newest pin first")
async def list_pins(
    chat_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> PinList:
    page = await messenger.list_pins(claims.user_id, chat_id, limit=limit, cursor=cursor)
    return PinList.of(page, [wire.pin(p) for p in page.items])


async def _mark_read(messenger: Messenger, user_id: int, chat_id: int, message_id: int) -> ReadOut:
    state = await messenger.mark_read(user_id, chat_id, message_id)
    return ReadOut(
        chat_id=state.chat_id,
        read_message_id=state.read_message_id,
        unread_count=state.unread_count,
        unread_mentions=state.unread_mentions,
    )


@post("/{chat_id:int}/read", status_code=200, summary="Move the read watermark forward")
async def mark_read(
    chat_id: PathId,
    data: JSONBody[ReadIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> ReadOut:
    return await _mark_read(messenger, claims.user_id, chat_id, data.message_id)


@post(
    "/direct/{user_id:int}/read",
    status_code=200,
    summary="Move the read watermark of your dialog with a user (as /chats/{id}/read)",
    description="404 `not_found` when there is no dialog with that user (none is created).",
)
async def mark_direct_read(
    user_id: PathId,
    data: JSONBody[ReadIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> ReadOut:
    chat_id = await messenger.find_dialog(claims.user_id, user_id)
    return await _mark_read(messenger, claims.user_id, chat_id, data.message_id)


@route(
    "/{message_id:int}",
    http_method=[HttpMethod.PATCH, HttpMethod.PUT],
    summary="Edit your message (PUT is the same as PATCH)",
    opt={"problems": (403,)},
)
async def edit_message(
    message_id: PathId,
    data: JSONBody[EditMessageIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Message:
    # PUT too: clients written against PUT-edits APIs (seed 001) edit that way; the text is
    # the whole editable content, so replacing and patching it are the same.
    return wire.message(await messenger.edit_message(claims.user_id, message_id, data.text))


@delete(
    "/{message_id:int}",
    status_code=200,
    summary="Delete a message for everyone (a tombstone) or, with ?for=me, for yourself",
    description=(
        "Without `for` (or `for=everyone`): the author, or a group's owner or admin, "
        "deletes it for everyone; 200 with the tombstone. `for=me`: it disappears for you "
        "only (history, chat list, unread counts, sync); 204, and your devices get "
        "`message_hidden`. A message you do not see (also one you hid or cleared) is 404."
    ),
    responses={204: ResponseSpec(data_container=None, description="Hidden for you")},
    opt={"problems": (403,)},
)
async def delete_message(
    message_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    for_whom: Annotated[
        Literal["everyone", "me"], QueryParameter(name="for", required=False)
    ] = "everyone",
) -> Response[shapes.Message | None]:
    if for_whom == "me":
        await messenger.hide_message(claims.user_id, message_id)
        return Response(None, status_code=204)
    return Response(wire.message(await messenger.delete_message(claims.user_id, message_id)))


@get("/{message_id:int}/edits", summary="A page of a message's earlier texts, oldest first")
async def message_edits(
    message_id: PathId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> EditList:
    page = await messenger.get_edit_history(claims.user_id, message_id, limit=limit, cursor=cursor)
    edits = [MessageEditOut(text=e.text, edited_at=e.edited_at) for e in page.items]
    return EditList.of(page, edits)


def chats_router() -> Router:
    return Router(
        path="/chats",
        route_handlers=[
            list_chats,
            change_chat_settings,
            reorder_pinned_chats,
            save_draft,
            create_chat,
            get_chat,
            update_chat,
            add_member,
            change_role,
            remove_member,
            list_messages,
            list_direct_messages,
            clear_chat,
            post_message,
            pin_message,
            unpin_message,
            list_pins,
            mark_read,
            mark_direct_read,
        ],
        security=BEARER,
        tags=["chats"],
    )


def messages_router() -> Router:
    return Router(
        path="/messages",
        route_handlers=[edit_message, delete_message, message_edits, *REACTION_HANDLERS],
        security=BEARER,
        tags=["messages"],
    )
