"""Pinned messages: pin, unpin, list; and the unpinning of a message that is deleted."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from messenger.domain.errors import ChatNotFound, Forbidden, NotFound, TooManyPins
from messenger.domain.events import MessagePinned, MessageUnpinned
from messenger.domain.model import Chat, ChatKind, Membership, Message, Pin, PinnedMessage
from messenger.domain.paging import Listing, Order, micros, page_size, paginate
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.base import UseCase, load_membership, seen_by
from messenger.domain.usecases.replies import with_previews_for

# Pins are few (``Limits.max_pins``) and their order never changes once made.
PINS_NEWEST_FIRST: Order[PinnedMessage] = Order(
    "pins",
    lambda p: (micros(p.pin.pinned_at), p.pin.message_id),
    (int, int),
    descending=True,
)


async def _may_pin(uow: UnitOfWork, chat_id: int, user_id: int) -> tuple[Chat, Membership]:
    """The chat and the member, if they may pin and unpin there: the owner and admins of a
    group, either user of a dialog."""
    chat, me = await load_membership(uow, chat_id, user_id)
    if chat.kind is ChatKind.GROUP and not me.role.can_manage:
        raise Forbidden("Only the group's owner and admins can pin and unpin messages.")
    return chat, me


async def _audience(uow: UnitOfWork, message: Message | None) -> frozenset[int]:
    return frozenset() if message is None else (await seen_by(uow, [message]))[message.id]


@dataclass(frozen=True)
class PinResult:
    pinned: PinnedMessage
    created: bool  # False when it was pinned already


class PinMessage(UseCase):
    """Pin a message of the chat for all its members; pinning it again changes nothing."""

    async def __call__(self, user_id: int, chat_id: int, message_id: int) -> PinResult:
        async with self._uow() as uow:
            _, me = await _may_pin(uow, chat_id, user_id)
            message = await uow.messages.get(message_id)
            if (
                message is None
                or message.chat_id != chat_id
                or message.deleted
                or not me.sees(message_id)
                or await uow.messages.hidden_among(user_id, [message_id])
            ):
                raise NotFound("Message not found.")
            [mine] = await with_previews_for(uow, me, [message])
            pinned = await uow.pins.get(chat_id, message_id)
            if pinned is not None:
                return PinResult(PinnedMessage(pinned, mine), created=False)
            if len(await uow.pins.of_chat(chat_id)) >= self._limits.max_pins:
                raise TooManyPins()
            pin = Pin(chat_id, message_id, user_id, self._clock.now())
            await uow.pins.add(pin)
            # Without its quote: that has an audience of its own (domain/usecases/replies.py).
            shown = dataclasses.replace(message, reply_to=None)
            uow.record(MessagePinned(pin=pin, message=shown), await _audience(uow, message))
            notifications = await uow.commit()
        await self._publish(notifications)
        return PinResult(PinnedMessage(pin, mine), created=True)


class UnpinMessage(UseCase):
    """Unpin a message; unpinning one that is not pinned changes nothing."""

    async def __call__(self, user_id: int, chat_id: int, message_id: int) -> None:
        async with self._uow() as uow:
            await _may_pin(uow, chat_id, user_id)
            pin = await uow.pins.get(chat_id, message_id)
            if pin is None:
                return
            await uow.pins.remove(chat_id, message_id)
            audience = await _audience(uow, await uow.messages.get(message_id))
            uow.record(MessageUnpinned(chat_id, message_id, pin.pinned_by, user_id), audience)
            notifications = await uow.commit()
        await self._publish(notifications)


class ListPins(UseCase):
    """A page of the chat's pinned messages that I see, newest pin first."""

    async def __call__(
        self, user_id: int, chat_id: int, *, limit: int | None = None, cursor: str | None = None
    ) -> Listing[PinnedMessage]:
        size = page_size(limit, self._limits)
        async with self._uow(read_only=True) as uow:
            me = await uow.members.get(chat_id, user_id)
            if me is None:
                raise ChatNotFound()
            pins = [p for p in await uow.pins.of_chat(chat_id) if me.sees(p.message_id)]
            messages = await uow.messages.get_many(p.message_id for p in pins) if pins else {}
            hidden = (
                await uow.messages.hidden_among(user_id, list(messages))
                if me.has_hidden and messages
                else set()
            )
            visible = [
                PinnedMessage(p, messages[p.message_id])
                for p in pins
                if p.message_id in messages and p.message_id not in hidden
            ]
            page = paginate(visible, PINS_NEWEST_FIRST, size, cursor)
            shown = await with_previews_for(uow, me, [p.message for p in page.items])
        return page.with_items(
            [PinnedMessage(p.pin, m) for p, m in zip(page.items, shown, strict=True)]
        )


async def unpin_deleted(
    uow: UnitOfWork,
    deleted: Sequence[Message],
    audiences: Mapping[int, frozenset[int]],
    *,
    by_user_id: int | None = None,
) -> None:
    """Unpin the messages just deleted that were pinned, telling each one's audience (one
    read for all of them). ``by_user_id``: who deleted them (None: each one's author)."""
    if not deleted:
        return
    senders = {m.id: m.sender_id for m in deleted}
    for pin in await uow.pins.among(list(senders)):
        await uow.pins.remove(pin.chat_id, pin.message_id)
        by = senders[pin.message_id] if by_user_id is None else by_user_id
        event = MessageUnpinned(pin.chat_id, pin.message_id, pin.pinned_by, by)
        uow.record(event, audiences.get(pin.message_id, frozenset()))
