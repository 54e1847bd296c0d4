"""Messages: post, edit, delete, history, read and delivery marks, typing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from messenger.domain.errors import (
    ChatNotFound,
    Conflict,
    Forbidden,
    NotFound,
    ValidationError,
)
from messenger.domain.events import (
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    MessagesDelivered,
    MessagesRead,
    Notification,
    UserTyping,
)
from messenger.domain.model import (
    Attachment,
    ChatKind,
    Message,
    MessageEdit,
    Page,
    check_client_id,
    clean_text,
)
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.base import UseCase, load_membership


@dataclass(frozen=True)
class PostResult:
    message: Message
    created: bool  # False when this was a resend of a message already stored


class _ClientIdReused(Conflict):
    """A client id already used in another chat: permanent, so not worth a retry."""


async def _load_message(uow: UnitOfWork, message_id: int, user_id: int) -> Message:
    message = await uow.messages.get(message_id)
    if message is None or await uow.members.get(message.chat_id, user_id) is None:
        raise NotFound("Message not found.")
    return message


async def _recipients(uow: UnitOfWork, chat_id: int) -> set[int]:
    return {m.user_id for m in await uow.members.of_chat(chat_id)}


class PostMessage(UseCase):
    """Send a message to a chat.

    Idempotent on (sender, client id): a resend returns the first message and publishes
    nothing, so a client may retry blindly after a lost connection.
    """

    async def __call__(
        self,
        user_id: int,
        chat_id: int,
        client_id: str,
        text: str,
        reply_to_id: int | None = None,
        attachment_ids: Sequence[str] = (),
    ) -> PostResult:
        client_id = check_client_id(client_id)
        text = clean_text(text, self._limits.max_message_length)
        if len(attachment_ids) > self._limits.max_attachments:
            raise ValidationError("Too many attachments.", field="attachment_ids")
        for _ in range(3):
            try:
                return await self._post(
                    user_id, chat_id, client_id, text, reply_to_id, attachment_ids
                )
            except _ClientIdReused:
                raise
            except Conflict:
                # Lost a race with a concurrent send of the same client id: the next round
                # finds that message and returns it.
                continue
        raise Conflict("The message could not be stored; try again.")

    async def _post(
        self,
        user_id: int,
        chat_id: int,
        client_id: str,
        text: str,
        reply_to_id: int | None,
        attachment_ids: Sequence[str],
    ) -> PostResult:
        async with self._uow() as uow:
            existing = await uow.messages.by_client_id(user_id, client_id)
            if existing is not None:
                if existing.chat_id != chat_id:
                    raise _ClientIdReused("This client_id was already used for another chat.")
                return PostResult(message=existing, created=False)
            chat, _ = await load_membership(uow, chat_id, user_id)
            if reply_to_id is not None:
                original = await uow.messages.get(reply_to_id)
                if original is None or original.chat_id != chat_id:
                    raise ValidationError(
                        "reply_to_id must be a message of the same chat.", field="reply_to_id"
                    )
            attachments = await self._attachments(uow, user_id, attachment_ids)
            now = self._clock.now()
            message = await uow.messages.add(
                Message(
                    id=0,
                    chat_id=chat_id,
                    sender_id=user_id,
                    client_id=client_id,
                    text=text,
                    created_at=now,
                    reply_to_id=reply_to_id,
                    attachments=attachments,
                )
            )
            chat.last_message_id = message.id
            chat.last_activity_at = now
            await uow.chats.update(chat)
            uow.record(MessagePosted(message=message), await _recipients(uow, chat_id))
            notifications = await uow.commit()
        await self._publish(notifications)
        return PostResult(message=message, created=True)

    async def _attachments(
        self, uow: UnitOfWork, user_id: int, attachment_ids: Sequence[str]
    ) -> tuple[Attachment, ...]:
        if not attachment_ids:
            return ()
        wanted = list(dict.fromkeys(attachment_ids))
        files = {f.id: f for f in await uow.files.get_many(wanted)}
        result = []
        for file_id in wanted:
            file = files.get(file_id)
            # Only your own uploads can be attached: otherwise attaching would be a way to
            # read someone else's file.
            if file is None or file.owner_id != user_id:
                raise ValidationError(f"Unknown attachment {file_id!r}.", field="attachment_ids")
            result.append(
                Attachment(
                    id=file.id,
                    name=file.name,
                    content_type=file.content_type,
                    size=file.size,
                    url=self._ports.files.url_for(file.id),
                )
            )
        return tuple(result)


class EditMessage(UseCase):
    """Change the text of your own message; earlier texts are kept as its edit history."""

    async def __call__(self, user_id: int, message_id: int, text: str) -> Message:
        text = clean_text(text, self._limits.max_message_length)
        async with self._uow() as uow:
            message = await _load_message(uow, message_id, user_id)
            # An unchanged text is a no-op, but only for the author: anyone else must still
            # be refused, or an "edit" would be a way to probe authorship.
            if message.text == text and not message.deleted and message.sender_id == user_id:
                return message
            previous = message.edit(user_id, text, self._clock.now())
            await uow.messages.add_edit(previous)
            await uow.messages.update(message)
            uow.record(MessageEdited(message=message), await _recipients(uow, message.chat_id))
            notifications = await uow.commit()
        await self._publish(notifications)
        return message


class GetEditHistory(UseCase):
    """Earlier texts of a message, oldest first."""

    async def __call__(self, user_id: int, message_id: int) -> list[MessageEdit]:
        async with self._uow(read_only=True) as uow:
            await _load_message(uow, message_id, user_id)
            return await uow.messages.edits_of(message_id)


class DeleteMessage(UseCase):
    """Delete a message (its author, or a group's owner/admin), leaving a tombstone."""

    async def __call__(self, user_id: int, message_id: int) -> Message:
        async with self._uow() as uow:
            message = await _load_message(uow, message_id, user_id)
            if message.deleted:
                return message
            if message.sender_id != user_id:
                chat, me = await load_membership(uow, message.chat_id, user_id)
                if chat.kind is not ChatKind.GROUP or not me.role.can_manage:
                    raise Forbidden("Only the author or a group admin can delete this message.")
            message.delete(self._clock.now())
            await uow.messages.forget_edits(message.id)
            await uow.messages.update(message)
            uow.record(MessageDeleted(message=message), await _recipients(uow, message.chat_id))
            notifications = await uow.commit()
        await self._publish(notifications)
        return message


class ReadHistory(UseCase):
    """A page of a chat's messages in ascending id order.

    ``after``: the oldest messages newer than it (scrolling down / catching up);
    ``before``: the newest messages older than it (scrolling up); neither: the newest page.
    """

    async def __call__(
        self,
        user_id: int,
        chat_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> Page:
        cap = self._limits.max_page_size
        limit = self._limits.default_page_size if limit is None else limit
        if not 1 <= limit <= cap:
            raise ValidationError(f"limit must be 1-{cap}.", field="limit")
        for name, value in (("before", before), ("after", after)):
            if value is not None and value < 0:
                raise ValidationError(f"{name} must not be negative.", field=name)
        async with self._uow(read_only=True) as uow:
            await load_membership(uow, chat_id, user_id)
            items = await uow.messages.page(chat_id, before=before, after=after, limit=limit + 1)
        has_more = len(items) > limit
        if has_more:
            # One row beyond the page tells whether there is more in the paging direction.
            items = items[:limit] if after is not None else items[1:]
        return Page(items=tuple(items), has_more=has_more)


@dataclass(frozen=True)
class ReadState:
    chat_id: int
    read_message_id: int
    unread_count: int


class MarkRead(UseCase):
    """Mark a chat read up to a message; the watermark only moves forward."""

    async def __call__(self, user_id: int, chat_id: int, message_id: int) -> ReadState:
        async with self._uow() as uow:
            _, me = await load_membership(uow, chat_id, user_id)
            message = await uow.messages.get(message_id)
            if message is None or message.chat_id != chat_id:
                raise NotFound("Message not found.")
            notifications: list[Notification] = []
            if me.mark_read(message_id):
                await uow.members.update(me)
                uow.record(
                    MessagesRead(chat=chat_id, user_id=user_id, message_id=message_id),
                    await _recipients(uow, chat_id),
                )
                notifications = await uow.commit()
            unread = await uow.messages.count_unread({chat_id: me.read_message_id}, user_id)
        await self._publish(notifications)
        return ReadState(chat_id, me.read_message_id, unread.get(chat_id, 0))


class AcknowledgeDelivery(UseCase):
    """A client confirms it received the feed up to a cursor: move delivered watermarks."""

    async def __call__(self, user_id: int, cursor: int) -> None:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("User not found.")
            cursor = min(cursor, await uow.feed.head())
            if cursor <= user.delivered_cursor:
                return
            newest = await uow.feed.newest_posted(user_id, user.delivered_cursor, cursor)
            for chat_id, message_id in sorted(newest.items()):
                membership = await uow.members.get(chat_id, user_id)
                if membership is not None and membership.mark_delivered(message_id):
                    await uow.members.update(membership)
                    uow.record(
                        MessagesDelivered(chat=chat_id, user_id=user_id, message_id=message_id),
                        await _recipients(uow, chat_id),
                    )
            user.delivered_cursor = cursor
            await uow.users.update(user)
            notifications = await uow.commit()
        await self._publish(notifications)


class SendTyping(UseCase):
    """Tell the other members that the user is typing (ephemeral, never stored)."""

    async def __call__(self, user_id: int, chat_id: int) -> None:
        async with self._uow(read_only=True) as uow:
            membership = await uow.members.get(chat_id, user_id)
            if membership is None:
                raise ChatNotFound()
            others = await _recipients(uow, chat_id) - {user_id}
        if others:
            await self._publish(
                [Notification(UserTyping(chat=chat_id, user_id=user_id), frozenset(others))]
            )
