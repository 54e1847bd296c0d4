"""A chat's media gallery: the files its messages carry."""

from __future__ import annotations

from messenger.domain.errors import ValidationError
from messenger.domain.model import MediaItem, Membership
from messenger.domain.paging import Listing, Order, decode_cursor, finish_page, page_size
from messenger.domain.usecases.base import UseCase, load_membership

# Newest message first; the files of one message by id (there is no better order to keep).
MEDIA_NEWEST_FIRST: Order[MediaItem] = Order(
    "media", lambda m: (m.message_id, m.file.id), (int, str), descending=True
)


def visible_after(membership: Membership) -> int:
    """The id below which (inclusive) the member sees none of the chat's messages: where
    they cleared the chat for themself."""
    return membership.cleared_up_to


class ListChatMedia(UseCase):
    """The chat's images (``kind="image"``: attachments the server recognised as images) or
    its other files, newest first, paged; members only. Deleted messages carry none, and
    messages the member cleared or hid for themself show none."""

    async def __call__(
        self,
        user_id: int,
        chat_id: int,
        kind: str,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Listing[MediaItem]:
        if kind not in ("image", "file"):
            raise ValidationError("kind must be 'image' or 'file'.", field="kind")
        size = page_size(limit, self._limits)
        start = decode_cursor(MEDIA_NEWEST_FIRST, cursor)
        before = None if start is None else (int(start[0]), str(start[1]))
        async with self._uow(read_only=True) as uow:
            _, membership = await load_membership(uow, chat_id, user_id)
            items = await uow.files.media_of_chat(
                chat_id,
                images=kind == "image",
                before=before,
                limit=size + 1,
                after_message_id=visible_after(membership),
                reader_id=user_id,
            )
        return finish_page(items, MEDIA_NEWEST_FIRST, size)
