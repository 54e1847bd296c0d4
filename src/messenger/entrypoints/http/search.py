"""``/search/messages``: find messages by their words in the caller's chats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from msgspec import Meta

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.errors import ValidationError
from messenger.domain.model import AccessClaims
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.schemas import MAX_ID, Page, PageCursor

# No bounds here: the domain (and ``_moment``) check ``q``, ``has``, the dates and ``limit``,
# so each bad value is a ``validation_error`` naming its ``field``; the server's request
# line limit bounds their length.


class MessageHit(msgspec.Struct, kw_only=True):
    """One search result."""

    message: shapes.Message
    chat_id: int
    highlights: Annotated[
        list[str],
        Meta(
            description=(
                "The words of `message.text` that matched the query, each once, exactly as "
                "they are written in the text (case and all), in order of first appearance. "
                "A client marks every whole-word occurrence of each of them."
            )
        ),
    ]


class MessageHits(Page[MessageHit]):
    """A page of search results, newest message first."""


def _moment(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{field} must be an ISO 8601 date or time.", field=field) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@get(
    "/messages",
    summary="Search messages by their words, newest first",
    description=(
        "Words match across inflections (Russian and English stems: `сообщение` finds "
        "`сообщения`), and the last word also as the beginning of a word (search while "
        "typing). Only chats the caller is a member of, only messages they see in history "
        "(not deleted, not cleared or hidden for them). `chat_id` of a chat the caller is "
        "not in: 404 `not_found`. `has=file`: messages with attachments; `has=image`: with "
        "an image. `before`/`after`: ISO 8601 times (UTC when no offset), bounds excluded. "
        "Bad `q` (empty, over 200 characters), `has`, `before`, `after`, `limit` (1-50) "
        "or `cursor`: 422 `validation_error` with `field`."
    ),
    opt={"problems": (404, 422)},
)
async def search_messages(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    q: Annotated[str, QueryParameter(description="The words (1-200 characters).")] = "",
    chat_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
    from_user_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
    has: Annotated[str | None, QueryParameter(description="file or image")] = None,
    before: Annotated[str | None, QueryParameter(description="ISO 8601")] = None,
    after: Annotated[str | None, QueryParameter(description="ISO 8601")] = None,
    limit: Annotated[
        int | None, QueryParameter(description="Results per page (1-50, default 50).")
    ] = None,
    cursor: PageCursor = None,
) -> MessageHits:
    page = await messenger.search_messages(
        claims.user_id,
        q,
        chat_id=chat_id,
        from_user_id=from_user_id,
        has=has,
        before=_moment(before, "before"),
        after=_moment(after, "after"),
        limit=limit,
        cursor=cursor,
    )
    hits = [
        MessageHit(
            message=wire.message(f.message),
            chat_id=f.message.chat_id,
            highlights=list(f.highlights),
        )
        for f in page.items
    ]
    return MessageHits.of(page, hits)


def search_router() -> Router:
    return Router(
        path="/search", route_handlers=[search_messages], security=BEARER, tags=["messages"]
    )
