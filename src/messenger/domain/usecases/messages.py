"""Messages: post, edit, delete, history, read and delivery marks, typing."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from messenger.domain.errors import (
    ChatNotFound,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ServiceUnavailable,
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
    Chat,
    ChatKind,
    Message,
    MessageEdit,
    Page,
    check_client_id,
    clean_text,
)
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.base import Ports, UseCase, load_membership

logger = logging.getLogger(__name__)


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


async def _recipients(uow: UnitOfWork, chat_id: int) -> frozenset[int]:
    return await uow.members.member_ids(chat_id)


@dataclass
class _Draft:
    """A post waiting for the next group commit."""

    user_id: int
    chat_id: int
    client_id: str
    text: str
    reply_to_id: int | None
    attachment_ids: Sequence[str]
    future: asyncio.Future[PostResult]

    def settle(self, outcome: PostResult | BaseException) -> None:
        # The caller may have gone away (a cancelled request); its message is stored anyway,
        # and a resend with the same client id will find it.
        if self.future.done():
            return
        if isinstance(outcome, BaseException):
            self.future.set_exception(outcome)
        else:
            self.future.set_result(outcome)


class PostMessage(UseCase):
    """Send a message to a chat.

    Idempotent on (sender, client id): a resend returns the first message and publishes
    nothing, so a client may retry blindly after a lost connection.

    Posts are written with group commit: while one transaction is being written, posts that
    arrive queue up, and the next transaction takes all of them. Writes are serialised anyway
    (see the unit of work), so this shares the lock, the feed insert and the commit among many
    messages instead of paying them per message. A post that breaks a rule fails alone; a
    storage failure fails the whole group.
    """

    def __init__(self, ports: Ports) -> None:
        super().__init__(ports)
        self._queue: list[_Draft] = []
        self._writer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

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
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Used from a new event loop (tests, an embedder's asyncio.run): start afresh.
            self._loop, self._queue, self._writer = loop, [], None
        draft = _Draft(
            user_id, chat_id, client_id, text, reply_to_id, attachment_ids, loop.create_future()
        )
        self._queue.append(draft)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain())
        return await draft.future

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self._limits.max_post_batch]
            del self._queue[: len(batch)]
            await self._write(batch)

    async def _write(self, batch: list[_Draft]) -> None:
        try:
            try:
                # Resends are rare: let the store's unique (sender, client id) key find them
                # instead of a lookup per group commit.
                outcomes, notifications = await self._write_batch(batch, look_up=False)
            except Conflict:
                # Some post is a resend: once more, finding the stored messages first.
                outcomes, notifications = await self._write_batch(batch, look_up=True)
        except Conflict:
            # Lost a race on a unique key with another process: retry one by one, so only
            # the racing post waits and finds the message that won.
            for draft in batch:
                draft.settle(await self._write_alone(draft))
            return
        except Exception as exc:
            for draft in batch:
                draft.settle(exc)
            return
        try:
            await self._publish(notifications)
        except Exception:
            logger.exception("publishing %d notifications failed", len(notifications))
        for draft, outcome in zip(batch, outcomes, strict=True):
            draft.settle(outcome)

    async def _write_alone(self, draft: _Draft) -> PostResult | BaseException:
        for _ in range(3):
            try:
                [outcome], notifications = await self._write_batch([draft], look_up=True)
            except _ClientIdReused as exc:
                return exc
            except Conflict:
                continue
            except Exception as exc:
                return exc
            await self._publish(notifications)
            return outcome
        return Conflict("The message could not be stored; try again.")

    async def _write_batch(
        self, batch: list[_Draft], *, look_up: bool
    ) -> tuple[list[PostResult | DomainError], list[Notification]]:
        # Per post: a result, a rule it broke, a new Message to store (all of them at once,
        # below), or the index of the earlier post in this batch it resends.
        staged: list[PostResult | DomainError | Message | int] = []
        async with self._uow() as uow:
            chats: dict[int, Chat] = {}
            members: dict[int, frozenset[int]] = {}
            # One query for the whole batch's resends.
            pairs = [(d.user_id, d.client_id) for d in batch]
            stored = await uow.messages.by_client_ids(pairs) if look_up else {}
            first_of: dict[tuple[int, str], int] = {}
            for draft in batch:
                key = (draft.user_id, draft.client_id)
                first = first_of.get(key)
                if first is not None:
                    pending = staged[first]
                    assert isinstance(pending, Message)
                    staged.append(
                        first
                        if pending.chat_id == draft.chat_id
                        else _ClientIdReused("This client_id was already used for another chat.")
                    )
                    continue
                try:
                    outcome = await self._stage(uow, draft, chats, members, stored)
                except _ClientIdReused as exc:
                    staged.append(exc)
                    continue
                except (ServiceUnavailable, Conflict):
                    # Storage trouble, or a race with another process on a unique key: the
                    # whole group fails or is retried post by post.
                    raise
                except DomainError as exc:
                    staged.append(exc)
                    continue
                if isinstance(outcome, Message):
                    first_of[key] = len(staged)
                staged.append(outcome)
            # One multi-row insert; ids ascend in staging order, as if added one by one.
            added = iter(await uow.messages.add_many([s for s in staged if isinstance(s, Message)]))
            outcomes: list[PostResult | DomainError] = []
            for item in staged:
                if isinstance(item, Message):
                    message = next(added)
                    chat = chats[message.chat_id]
                    chat.last_message_id = message.id
                    chat.last_activity_at = message.created_at
                    uow.record(MessagePosted(message=message), members[message.chat_id])
                    outcomes.append(PostResult(message=message, created=True))
                elif isinstance(item, int):
                    # A copy, like a repository read: the caller owns the message it gets.
                    original = outcomes[item]
                    assert isinstance(original, PostResult)
                    outcomes.append(
                        PostResult(message=dataclasses.replace(original.message), created=False)
                    )
                else:
                    outcomes.append(item)
            changed = {
                o.message.chat_id for o in outcomes if isinstance(o, PostResult) and o.created
            }
            await uow.chats.update_many([chats[chat_id] for chat_id in sorted(changed)])
            notifications = await uow.commit()
        return outcomes, notifications

    async def _stage(
        self,
        uow: UnitOfWork,
        draft: _Draft,
        chats: dict[int, Chat],
        members: dict[int, frozenset[int]],
        stored: dict[tuple[int, str], Message],
    ) -> PostResult | Message:
        """Check one post: the stored message of a resend, else the new message to store
        (nothing is written here, so a post that breaks a rule fails alone)."""
        user_id, chat_id = draft.user_id, draft.chat_id
        existing = stored.get((user_id, draft.client_id))
        if existing is not None:
            if existing.chat_id != chat_id:
                raise _ClientIdReused("This client_id was already used for another chat.")
            return PostResult(message=dataclasses.replace(existing), created=False)
        if chat_id not in members:
            chat = await uow.chats.get(chat_id)
            members[chat_id] = await _recipients(uow, chat_id) if chat is not None else frozenset()
            if chat is not None:
                chats[chat_id] = chat
        if user_id not in members[chat_id]:
            raise ChatNotFound()
        if draft.reply_to_id is not None:
            original = await uow.messages.get(draft.reply_to_id)
            if original is None or original.chat_id != chat_id:
                raise ValidationError(
                    "reply_to_id must be a message of the same chat.", field="reply_to_id"
                )
        attachments = await self._attachments(uow, user_id, draft.attachment_ids)
        return Message(
            id=0,
            chat_id=chat_id,
            sender_id=user_id,
            client_id=draft.client_id,
            text=draft.text,
            created_at=self._clock.now(),
            reply_to_id=draft.reply_to_id,
            attachments=attachments,
        )

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
            # Membership alone decides (a member's chat exists); the chat row is not needed.
            if user_id not in await uow.members.member_ids(chat_id):
                raise ChatNotFound()
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
            members = await _recipients(uow, chat_id)
            if user_id not in members:
                raise ChatNotFound()
            others = members - {user_id}
        if others:
            await self._publish(
                [Notification(UserTyping(chat=chat_id, user_id=user_id), frozenset(others))]
            )
