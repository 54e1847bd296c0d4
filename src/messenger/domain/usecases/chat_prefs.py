"""A user's own arrangement of their chats: mute, pin, archive, reorder the pinned ones,
and keep a draft. Each is the user's alone: only their devices hear of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from messenger.domain.chat_prefs import (
    MAX_PINNED_CHATS,
    ChatPrefs,
    ChatSettings,
    Draft,
    clean_draft,
    pinned_order,
)
from messenger.domain.errors import (
    PinnedOrderMismatch,
    TooManyPinnedChats,
    ValidationError,
)
from messenger.domain.events import ChatSettingsUpdated, DraftUpdated
from messenger.domain.model import UNSET, Chat, Unset
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.base import UseCase, load_membership


async def _mine(uow: UnitOfWork, user_id: int) -> dict[int, ChatPrefs]:
    """The user's rows of the chats they are in now (rows of chats they left stay behind,
    harmless, and count for nothing)."""
    chat_ids = {m.chat_id for m in await uow.members.of_user(user_id)}
    return {p.chat_id: p for p in await uow.chat_prefs.of_user(user_id) if p.chat_id in chat_ids}


def _record_settings(
    uow: UnitOfWork, prefs: ChatPrefs, chat: Chat, now: datetime, pinned: list[int]
) -> ChatSettings:
    settings = prefs.settings(chat, now)
    uow.record(
        ChatSettingsUpdated(prefs.user_id, prefs.chat_id, settings, tuple(pinned)),
        {prefs.user_id},
    )
    return settings


async def restate_archived(uow: UnitOfWork, user_id: int, chat: Chat, now: datetime) -> None:
    """Tell the user's devices their settings of ``chat`` again, if it was ever archived.

    Whether an archived chat is still archived follows from the messages posted since
    (``ChatPrefs.archived``), and a device syncing from an older cursor works it out from
    their ``message_posted`` events. Hiding or clearing messages leaves those events out of
    its sync, and with them the news that the chat came back from the archive: this says
    it instead. Only chats the user archived at some time cost the extra event.
    """
    prefs = await uow.chat_prefs.get(chat.id, user_id)
    if prefs is None or prefs.archived_up_to is None:
        return
    _record_settings(
        uow, prefs, chat, now, pinned_order(list((await _mine(uow, user_id)).values()))
    )


class ChangeChatSettings(UseCase):
    """Mute a chat (until a moment, or for ever) or unmute it, pin or unpin it, archive or
    unarchive it. Fields left ``UNSET`` stay as they are. Archiving unpins; pinning
    unarchives (both at once is refused)."""

    async def __call__(
        self,
        user_id: int,
        chat_id: int,
        *,
        muted_until: datetime | Unset | None = UNSET,
        pinned: bool | Unset = UNSET,
        archived: bool | Unset = UNSET,
    ) -> tuple[ChatSettings, list[int]]:
        """The chat's settings as they now are, and the user's pinned chats in order."""
        if pinned is True and archived is True:
            raise ValidationError("A chat cannot be pinned and archived at once.", field="pinned")
        now = self._clock.now()
        async with self._uow() as uow:
            chat, _ = await load_membership(uow, chat_id, user_id)
            mine = await _mine(uow, user_id)
            prefs = mine.get(chat_id) or ChatPrefs(chat_id=chat_id, user_id=user_id)
            prefs.settle(chat, now)
            settled = prefs.copy()
            if muted_until is not UNSET:
                prefs.mute(muted_until, now)
            if archived is True:
                prefs.archive(chat)
            elif archived is False:
                prefs.unarchive()
            if pinned is True and not prefs.pinned:
                others = [p.pin_position for p in mine.values() if p.pin_position is not None]
                if len(others) >= MAX_PINNED_CHATS:
                    raise TooManyPinnedChats()
                # A chat pinned last goes on top, as in the messengers people know.
                prefs.pin(min(others, default=1) - 1)
            elif pinned is False:
                prefs.unpin()
            mine[chat_id] = prefs
            order = pinned_order(list(mine.values()))
            if prefs == settled:
                # Nothing asked for differs (what settling found stays derived).
                return prefs.settings(chat, now), order
            await uow.chat_prefs.save(prefs)
            after = _record_settings(uow, prefs, chat, now, order)
            notifications = await uow.commit()
        await self._publish(notifications)
        return after, order


class ReorderPinnedChats(UseCase):
    """Put the pinned chats in a new order: ``chat_ids`` must list exactly the user's
    pinned chats, each once."""

    async def __call__(self, user_id: int, chat_ids: Sequence[int]) -> list[int]:
        now = self._clock.now()
        async with self._uow() as uow:
            mine = await _mine(uow, user_id)
            current = pinned_order(list(mine.values()))
            wanted = list(chat_ids)
            if len(set(wanted)) != len(wanted) or set(wanted) != set(current):
                raise PinnedOrderMismatch(field="chat_ids")
            if wanted == current:
                return current
            chats = {c.id: c for c in await uow.chats.get_many(wanted)}
            for position, chat_id in enumerate(wanted):
                prefs = mine[chat_id]
                prefs.pin(position)
                await uow.chat_prefs.save(prefs)
            for chat_id in wanted:
                _record_settings(uow, mine[chat_id], chats[chat_id], now, wanted)
            notifications = await uow.commit()
        await self._publish(notifications)
        return wanted


class SaveDraft(UseCase):
    """Keep the text I started in a chat (and the message it replies to) for my other
    devices; an empty text clears it. Sending a message in the chat clears it too."""

    async def __call__(
        self, user_id: int, chat_id: int, text: str, reply_to_id: int | None = None
    ) -> Draft | None:
        text = clean_draft(text, self._limits.max_message_length)
        now = self._clock.now()
        async with self._uow() as uow:
            await load_membership(uow, chat_id, user_id)
            prefs = await uow.chat_prefs.get(chat_id, user_id)
            prefs = prefs or ChatPrefs(chat_id=chat_id, user_id=user_id)
            if not text:
                if not prefs.drop_draft():
                    return None
            else:
                if reply_to_id is not None:
                    original = await uow.messages.get(reply_to_id)
                    if original is None or original.chat_id != chat_id:
                        raise ValidationError(
                            "reply_to_id must be a message of the same chat.", field="reply_to_id"
                        )
                draft = prefs.draft
                if draft is not None and (draft.text, draft.reply_to_id) == (text, reply_to_id):
                    return draft
                prefs.keep_draft(text, reply_to_id, now)
            await uow.chat_prefs.save(prefs)
            uow.record(DraftUpdated(user_id, chat_id, prefs.draft), {user_id})
            notifications = await uow.commit()
        await self._publish(notifications)
        return prefs.draft


async def drop_sent_drafts(
    uow: UnitOfWork, sent: Sequence[tuple[int, int]], drafters: dict[int, frozenset[int]]
) -> None:
    """After messages were sent (``(chat id, sender id)``): the senders' drafts in those
    chats go, and their devices hear of it. ``drafters`` (per chat, who keeps a draft
    there) comes with the chat's members, so a sender without a draft costs nothing."""
    for chat_id, sender_id in dict.fromkeys(sent):
        if sender_id not in drafters.get(chat_id, frozenset()):
            continue
        prefs = await uow.chat_prefs.get(chat_id, sender_id)
        if prefs is None or not prefs.drop_draft():
            continue
        await uow.chat_prefs.save(prefs)
        uow.record(DraftUpdated(sender_id, chat_id, None), {sender_id})


__all__ = [
    "ChangeChatSettings",
    "ReorderPinnedChats",
    "SaveDraft",
    "drop_sent_drafts",
]
