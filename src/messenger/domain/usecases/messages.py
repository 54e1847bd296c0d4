"""Messages: post, edit, delete, hide for me, history, clear for me, read and delivery
marks, typing."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from messenger.domain.errors import (
    Blocked,
    ChatNotFound,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Throttled,
    UserDeleted,
    ValidationError,
)
from messenger.domain.events import (
    ChatCleared,
    MessageDeleted,
    MessageEdited,
    MessageHidden,
    MessagePosted,
    MessagesDelivered,
    MessagesRead,
    Notification,
    UserTyping,
)
from messenger.domain.mentions import EVERYONE, mentioned_names, resolve_mentions
from messenger.domain.model import (
    Attachment,
    Chat,
    ChatKind,
    Membership,
    Message,
    MessageEdit,
    Page,
    ReplyPreview,
    StoredFile,
    check_client_id,
    clean_text,
)
from messenger.domain.paging import Listing, Order, page_size, paginate
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.base import (
    Ports,
    UseCase,
    load_membership,
    seen_by,
    visible_page,
)
from messenger.domain.usecases.chat_prefs import drop_sent_drafts, restate_archived
from messenger.domain.usecases.files import NewFile, UploadFile
from messenger.domain.usecases.pins import unpin_deleted
from messenger.domain.usecases.replies import fill_preview_for_all, with_previews_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PostResult:
    message: Message
    created: bool  # False when this was a resend of a message already stored


async def load_visible_message(uow: UnitOfWork, message_id: int, user_id: int) -> Message:
    """A message the user sees: in one of their chats, neither cleared nor hidden for them
    (each of which answers as a message that does not exist)."""
    message = await uow.messages.get(message_id)
    me = await uow.members.get(message.chat_id, user_id) if message is not None else None
    if (
        message is None
        or me is None
        or not me.sees(message.id)
        or await uow.messages.hidden_among(user_id, [message.id])
    ):
        raise NotFound("Message not found.")
    return message


async def _seeing(uow: UnitOfWork, message: Message) -> frozenset[int]:
    return (await seen_by(uow, [message]))[message.id]


async def _recipients(uow: UnitOfWork, chat_id: int) -> frozenset[int]:
    return await uow.members.member_ids(chat_id)


@dataclass(frozen=True)
class _Post:
    """A post as submitted, its client id and text already checked."""

    user_id: int
    chat_id: int
    client_id: str
    text: str
    reply_to_id: int | None
    attachment_ids: tuple[str, ...]
    forward_of: int | None = None


class PostMessage(UseCase):
    """Send a message to a chat.

    Idempotent on (sender, client id): a resend returns the first message and publishes
    nothing, so a client may retry blindly after a lost connection. Posts that arrive together
    may share a unit of work (``Ports.committer``); a post that breaks a rule fails alone.

    ``forward_of``: forward that message (one the sender sees) here, its text and files as
    they are (the files are shared, not copied); ``text`` must then be empty.
    """

    def __init__(self, ports: Ports) -> None:
        super().__init__(ports)
        self._submit = ports.committer.submitter(self._write, max_group=ports.limits.max_post_batch)

    async def __call__(
        self,
        user_id: int,
        chat_id: int,
        client_id: str,
        text: str,
        reply_to_id: int | None = None,
        attachment_ids: Sequence[str] = (),
        forward_of: int | None = None,
    ) -> PostResult:
        client_id = check_client_id(client_id)
        if forward_of is not None:
            _check_forward(text, attachment_ids)
        # Attachment ids that name no file of the sender are refused when the post is
        # staged, so an empty text never gets through on unknown ids alone.
        text = clean_text(
            text,
            self._limits.max_message_length,
            with_attachments=bool(attachment_ids) or forward_of is not None,
        )
        if len(attachment_ids) > self._limits.max_attachments:
            raise ValidationError("Too many attachments.", field="attachment_ids")
        limits = self._limits
        if limits.post_rate > 0:
            # One dict lookup and a little arithmetic per post, the same budget as a socket's
            # frames: REST posts cannot flood a chat faster than socket ones.
            wait = self._ports.rates.take(
                f"messages:{user_id}", limits.post_rate, limits.post_burst
            )
            if wait:
                return await self._resent(user_id, chat_id, client_id, wait)
        post = _Post(
            user_id, chat_id, client_id, text, reply_to_id, tuple(attachment_ids), forward_of
        )
        return await self._submit(post)

    async def _resent(self, user_id: int, chat_id: int, client_id: str, wait: float) -> PostResult:
        """Over budget: a resend of a stored message still gets it (a client retrying after a
        lost answer must not be told to slow down), anything else waits."""
        async with self._uow(read_only=True) as uow:
            stored = await uow.messages.by_client_id(user_id, client_id)
        if stored is None or stored.chat_id != chat_id:
            raise Throttled(retry_after=wait, message="Too many messages; slow down.")
        return PostResult(message=stored, created=False)

    async def _write(
        self, posts: Sequence[_Post], *, after_conflict: bool
    ) -> list[PostResult | DomainError]:
        """Store a group of posts in one unit of work; a storage failure fails them all."""
        async with self._uow() as uow:
            group = _Group(uow)
            if after_conflict or group.forwards(posts):
                # Resends are rare: the unique (sender, client id) key finds them, and only a
                # group that hit it looks them up first. So does a group with forwards: the
                # resend of a forward whose source went since must still get the message.
                await group.look_up(posts)
            await group.prepare(posts)
            for post in posts:
                if group.stage_resend(post):
                    continue
                try:
                    group.add(await self._stage(uow, post, group))
                except (ServiceUnavailable, Conflict):
                    raise  # storage trouble, or a race: the whole group fails or is retried
                except DomainError as exc:
                    group.fail(exc)
            outcomes = await group.store()
            notifications = await uow.commit()
        try:
            await self._publish(notifications)
        except Exception:  # the posts are stored: a failing notifier must not fail them
            logger.exception("publishing %d notifications failed", len(notifications))
        return outcomes

    async def _stage(self, uow: UnitOfWork, post: _Post, group: _Group) -> Message:
        """The rules of a new post; the message to store if it keeps them. Writes nothing,
        so a post that breaks a rule fails alone."""
        if post.user_id not in await group.members_of(post.chat_id):
            raise ChatNotFound()
        if post.chat_id in group.closed:
            raise UserDeleted()
        if await group.blocked_in_dialog(post.chat_id, post.user_id):
            raise Blocked("This user has blocked you; you cannot write to them.")
        reply_to = None
        if post.reply_to_id is not None:
            original = group.original(post.reply_to_id)
            if original is None or original.chat_id != post.chat_id:
                raise ValidationError(
                    "reply_to_id must be a message of the same chat.", field="reply_to_id"
                )
            reply_to = ReplyPreview.of(original, visible=group.quotable(original.id))
        if post.forward_of is not None:
            return await self._forward(uow, post, group, reply_to)
        attachments = await _attachments(uow, post.user_id, post.attachment_ids)
        return Message(
            id=0,
            chat_id=post.chat_id,
            sender_id=post.user_id,
            client_id=post.client_id,
            text=post.text,
            created_at=self._clock.now(),
            reply_to_id=post.reply_to_id,
            attachments=attachments,
            mentions=await group.mentions_in(post),
            reply_to=reply_to,
        )

    async def _forward(
        self, uow: UnitOfWork, post: _Post, group: _Group, reply_to: ReplyPreview | None
    ) -> Message:
        """The forward of a message the sender sees: its text and files (shared: both
        messages name the same files, which members of either chat may download)."""
        assert post.forward_of is not None
        source = await load_visible_message(uow, post.forward_of, post.user_id)
        if source.deleted:
            raise NotFound("Message not found.")
        first = source.forwarded_from
        origin = source.chat_id if first is None else first.chat_id
        # The first source's chat is named only to an audience who are all in it: to
        # anyone else a chat's existence and id are not theirs to learn.
        audience = await group.members_of(post.chat_id)
        shown = origin is not None and (
            origin == post.chat_id or audience <= await uow.members.member_ids(origin)
        )
        return Message(
            id=0,
            chat_id=post.chat_id,
            sender_id=post.user_id,
            client_id=post.client_id,
            text=source.text,
            created_at=self._clock.now(),
            reply_to_id=post.reply_to_id,
            attachments=source.attachments,
            forwarded_from=source.forwarded(shown),
            reply_to=reply_to,
        )


def _check_forward(text: str, attachment_ids: Sequence[str]) -> None:
    """A forward is the source's content alone: a comment is a message of its own."""
    if text.strip():
        raise ValidationError(
            "A forward carries its source's text; send a comment as a message of its own.",
            field="text",
        )
    if attachment_ids:
        raise ValidationError(
            "A forward carries its source's files; it cannot get others.", field="attachment_ids"
        )


class _Group:
    """The posts of one unit of work as they are staged (per post: its outcome, a new message,
    or the index of the earlier post of the group it resends), then stored all at once."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._stored: dict[tuple[int, str], Message] = {}
        self._chats: dict[int, Chat] = {}
        self._members: dict[int, frozenset[int]] = {}
        # Per chat, the members who keep a draft there (read with the members, for free).
        self._drafters: dict[int, frozenset[int]] = {}
        self._blocked: dict[tuple[int, int], bool] = {}
        self._new: dict[tuple[int, str], int] = {}
        self._staged: list[PostResult | DomainError | Message | int] = []
        # The messages the group's replies answer, and those of them some member of their
        # chat no longer sees (read only for a group with replies).
        self._originals: dict[int, Message] = {}
        self._withheld: set[int] = set()
        # Dialogs nobody may post to any more: the other side deleted their account.
        self.closed: set[int] = set()
        # Users of the group's dialogs who blocked one of its senders (usually nobody).
        self._blockers: set[int] = set()
        # The names the group's posts mention, with the ids of the users who have them.
        self._names: dict[str, frozenset[str]] = {}
        self._ids_by_name: dict[str, int] = {}

    async def look_up(self, posts: Sequence[_Post]) -> None:
        """Find the stored messages the posts may resend, in one query."""
        pairs = [(p.user_id, p.client_id) for p in posts]
        self._stored = await self._uow.messages.by_client_ids(pairs)

    async def prepare(self, posts: Sequence[_Post]) -> None:
        """Read the chats the posts go to with their members, and what may close a dialog
        (a deleted account, a block) for all of the group's dialogs at once: this runs while
        every other write waits, so it must not cost a query per chat."""
        replies = {p.reply_to_id for p in posts if p.reply_to_id is not None}
        if replies:
            # Only for a group with replies: the originals (the rule and the quote) and
            # whether a member no longer sees them (a frame must not quote those), at once.
            self._originals = await self._uow.messages.get_many(replies)
            self._withheld = await self._uow.messages.hidden_from_some(self._originals)
        for chat_id in dict.fromkeys(p.chat_id for p in posts):
            await self.members_of(chat_id)
        await self._look_up_mentions(posts)
        dialogs = {
            chat_id: self._members[chat_id]
            for chat_id, chat in self._chats.items()
            if chat.kind is ChatKind.DIRECT
        }
        if not dialogs:
            return
        people = frozenset().union(*dialogs.values())
        deleted = await self._uow.users.deleted_among(people)
        self.closed = {chat_id for chat_id, members in dialogs.items() if members & deleted}
        senders = {p.user_id for p in posts if p.chat_id in dialogs}
        # Blocks are rare: one query says whether anyone here blocked a sender at all, and
        # only then is each of those dialogs looked at.
        self._blockers = await self._uow.blocks.blocking_any(people, senders) if senders else set()

    @staticmethod
    def forwards(posts: Sequence[_Post]) -> bool:
        return any(p.forward_of is not None for p in posts)

    def original(self, message_id: int) -> Message | None:
        """The message a reply of the group answers (None: no such message)."""
        return self._originals.get(message_id)

    def quotable(self, message_id: int) -> bool:
        """Whether a frame to the whole chat may quote the original's text."""
        return message_id not in self._withheld

    async def _look_up_mentions(self, posts: Sequence[_Post]) -> None:
        """The users every post of the group names, in one query; none for a group whose
        texts have no ``@`` (most of them)."""
        self._names = {p.text: mentioned_names(p.text) for p in posts if "@" in p.text}
        wanted = {n for names in self._names.values() for n in names if n != EVERYONE}
        if wanted:
            self._ids_by_name = await self._uow.users.ids_by_username(wanted)

    async def mentions_in(self, post: _Post) -> tuple[int, ...]:
        """The members the post mentions (``prepare`` looked the names up)."""
        names = self._names.get(post.text)
        if not names:
            return ()
        chat = self._chats[post.chat_id]
        everyone = await _may_mention_everyone(self._uow, chat, post.user_id, names)
        members = await _mentionable(self._uow, self._members[post.chat_id], everyone=everyone)
        return resolve_mentions(names, self._ids_by_name, members, post.user_id, everyone=everyone)

    async def members_of(self, chat_id: int) -> frozenset[int]:
        """The chat's members (none for no chat), read once per group."""
        if chat_id not in self._members:
            chat = await self._uow.chats.get(chat_id)
            members, drafters = frozenset[int](), frozenset[int]()
            if chat is not None:
                members, drafters = await self._uow.members.member_ids_with_drafts(chat_id)
            self._members[chat_id] = members
            self._drafters[chat_id] = drafters
            if chat is not None:
                self._chats[chat_id] = chat
        return self._members[chat_id]

    async def blocked_in_dialog(self, chat_id: int, sender_id: int) -> bool:
        """Whether the chat is a dialog whose other member blocked the sender (read once per
        group). The blocker may still write to the one they blocked."""
        key = (chat_id, sender_id)
        if key not in self._blocked:
            chat = self._chats.get(chat_id)
            peers = self._members.get(chat_id, frozenset()) - {sender_id}
            self._blocked[key] = (
                chat is not None
                and chat.kind is ChatKind.DIRECT
                and bool(peers & self._blockers)
                and bool(await self._uow.blocks.blockers_of(sender_id, peers))
            )
        return self._blocked[key]

    def stage_resend(self, post: _Post) -> bool:
        """Whether the post resends a message (stored, or new in this group); if so, stage the
        first message, or a conflict when that is in another chat."""
        key = (post.user_id, post.client_id)
        first = self._new.get(key)
        earlier = self._staged[first] if first is not None else self._stored.get(key)
        if not isinstance(earlier, Message):
            return False
        if earlier.chat_id != post.chat_id:
            self._staged.append(Conflict("This client_id was already used for another chat."))
        elif first is not None:
            self._staged.append(first)
        else:
            # A copy, like a repository read: each caller owns the message it gets.
            self._staged.append(PostResult(message=dataclasses.replace(earlier), created=False))
        return True

    def add(self, message: Message) -> None:
        self._new[(message.sender_id, message.client_id)] = len(self._staged)
        self._staged.append(message)

    def fail(self, error: DomainError) -> None:
        self._staged.append(error)

    async def store(self) -> list[PostResult | DomainError]:
        """Insert the new messages in one statement (ids ascend in staging order), move their
        chats' last message and record the events; returns the outcome of every post."""
        uow = self._uow
        new = [item for item in self._staged if isinstance(item, Message)]
        stored = await uow.messages.add_many(new)
        # The group's texts reach the search index in the same transaction, in one write.
        await uow.search.add_many(stored)
        added = iter(stored)
        outcomes: list[PostResult | DomainError] = []
        changed: dict[int, Chat] = {}
        for item in self._staged:
            if isinstance(item, Message):
                message = next(added)
                chat = changed[message.chat_id] = self._chats[message.chat_id]
                chat.last_message_id = message.id
                chat.last_activity_at = message.created_at
                uow.record(MessagePosted(message=message), self._members[message.chat_id])
                outcomes.append(PostResult(message=message, created=True))
            elif isinstance(item, int):
                original = outcomes[item]
                assert isinstance(original, PostResult)
                # A copy, like a repository read: each caller owns the message it gets.
                resent = dataclasses.replace(original.message)
                outcomes.append(PostResult(message=resent, created=False))
            else:
                outcomes.append(item)
        await uow.chats.update_many([changed[chat_id] for chat_id in sorted(changed)])
        await drop_sent_drafts(uow, [(m.chat_id, m.sender_id) for m in new], self._drafters)
        return outcomes


async def _attachments(
    uow: UnitOfWork, user_id: int, attachment_ids: Sequence[str]
) -> tuple[Attachment, ...]:
    if not attachment_ids:
        return ()
    wanted = list(dict.fromkeys(attachment_ids))
    stored = {f.id: f for f in await uow.files.get_many(wanted)}
    result = []
    for file_id in wanted:
        file = stored.get(file_id)
        # Only your own uploads can be attached: otherwise attaching would be a way to
        # read someone else's file.
        if file is None or file.owner_id != user_id:
            raise ValidationError(f"Unknown attachment {file_id!r}.", field="attachment_ids")
        result.append(_attachment(file))
    return tuple(result)


def _attachment(file: StoredFile) -> Attachment:
    return file.as_attachment()


async def _may_mention_everyone(
    uow: UnitOfWork, chat: Chat, sender_id: int, names: frozenset[str]
) -> bool:
    """Whether ``@all`` among ``names`` counts: in a group, from an owner or an admin (the
    role is read only for a text that says it)."""
    if EVERYONE not in names or chat.kind is not ChatKind.GROUP:
        return False
    me = await uow.members.get(chat.id, sender_id)
    return me is not None and me.role.can_manage


async def _mentionable(
    uow: UnitOfWork, members: frozenset[int], *, everyone: bool
) -> frozenset[int]:
    """The members a mention may name: for ``@all``, not the deleted accounts that stay in
    the group (a name names nobody deleted: their username is gone)."""
    if not everyone:
        return members
    return members - await uow.users.deleted_among(members)


async def _mentions_of(uow: UnitOfWork, message: Message) -> tuple[int, ...]:
    """The members the message's (new) text mentions now."""
    names = mentioned_names(message.text)
    if not names:
        return ()
    chat = await uow.chats.get(message.chat_id)
    if chat is None:
        return ()
    ids = await uow.users.ids_by_username(names - {EVERYONE})
    everyone = await _may_mention_everyone(uow, chat, message.sender_id, names)
    members = await _mentionable(uow, await _recipients(uow, chat.id), everyone=everyone)
    return resolve_mentions(names, ids, members, message.sender_id, everyone=everyone)


class EditMessage(UseCase):
    """Change the text of your own message; earlier texts are kept as its edit history."""

    async def __call__(self, user_id: int, message_id: int, text: str) -> Message:
        async with self._uow() as uow:
            message = await load_visible_message(uow, message_id, user_id)
            # Whether the text may become empty depends on the message: its attachments.
            text = clean_text(
                text, self._limits.max_message_length, with_attachments=bool(message.attachments)
            )
            # An unchanged text is a no-op, but only for the author: anyone else must still
            # be refused, or an "edit" would be a way to probe authorship.
            if message.text == text and not message.deleted and message.sender_id == user_id:
                return message
            previous = message.edit(user_id, text, self._clock.now())
            # Mentions follow the text: one edited away is gone, a new one counts.
            message.mentions = await _mentions_of(uow, message)
            await uow.messages.add_edit(previous)
            await uow.messages.update(message)
            await fill_preview_for_all(uow, message)
            await uow.search.replace(message)
            uow.record(MessageEdited(message=message), await _seeing(uow, message))
            notifications = await uow.commit()
        await self._publish(notifications)
        return message


class AttachFilesToMessage(UseCase):
    """Attach files to your own message after sending it, up to ``Limits.max_attachments``
    in all; the members see the message updated. Each file is an upload (``UploadFile``:
    its budget and quota apply); if the attaching fails, the files just stored go again."""

    def __init__(self, ports: Ports) -> None:
        super().__init__(ports)
        self._upload = UploadFile(ports)

    async def __call__(
        self, user_id: int, message_id: int, files: AsyncIterable[NewFile]
    ) -> Message:
        limit = self._limits.max_attachments
        async with self._uow(read_only=True) as uow:
            message = await load_visible_message(uow, message_id, user_id)
        # Strangers, other members and full messages are refused before a byte is stored.
        room = message.room_for_attachments(user_id, limit)
        stored: list[StoredFile] = []
        try:
            await self._upload_all(user_id, files, room, stored)
            async with self._uow() as uow:
                # Read again under the write lock: an edit, a delete or another attach may
                # have come first.
                message = await load_visible_message(uow, message_id, user_id)
                message.attach(user_id, [_attachment(f) for f in stored], limit)
                await uow.messages.update(message)
                await fill_preview_for_all(uow, message)
                uow.record(MessageEdited(message=message), await _seeing(uow, message))
                notifications = await uow.commit()
        except BaseException:
            await self._discard(stored)
            raise
        await self._publish(notifications)
        return message

    async def _upload_all(
        self, user_id: int, files: AsyncIterable[NewFile], room: int, stored: list[StoredFile]
    ) -> None:
        """Store the files one by one into ``stored`` (so a failure knows what to discard)."""
        async for new in files:
            if len(stored) == room:
                limit = self._limits.max_attachments
                raise ValidationError(f"A message may carry at most {limit} files.", field="file")
            stored.append(await self._upload(user_id, new.name, new.content_type, new.chunks))
        if not stored:
            raise ValidationError("Send at least one file.", field="file")

    async def _discard(self, stored: Sequence[StoredFile]) -> None:
        """Delete uploads no message got; the sweep of abandoned uploads is the fallback."""
        if not stored:
            return
        try:
            async with self._uow() as uow:
                removed = set(await uow.files.remove_unattached([f.id for f in stored]))
                await uow.commit()
            for file in stored:
                if file.id in removed:
                    await self._ports.files.delete(file.storage_key)
        except Exception:
            logger.exception("discarding %d uploads failed; the sweep will", len(stored))


# Edits are only ever appended (deleting a message drops them all), so the count shown
# so far is a stable position; edits made at the same instant keep their order.
EDITS_OLDEST_FIRST: Order[tuple[int, MessageEdit]] = Order("edits", lambda e: (e[0],), (int,))


class GetEditHistory(UseCase):
    """A page of a message's earlier texts, oldest first."""

    async def __call__(
        self, user_id: int, message_id: int, *, limit: int | None = None, cursor: str | None = None
    ) -> Listing[MessageEdit]:
        size = page_size(limit, self._limits)
        async with self._uow(read_only=True) as uow:
            await load_visible_message(uow, message_id, user_id)
            edits = await uow.messages.edits_of(message_id)
        page = paginate(list(enumerate(edits)), EDITS_OLDEST_FIRST, size, cursor)
        return page.with_items([edit for _, edit in page.items])


class DeleteMessage(UseCase):
    """Delete a message (its author, or a group's owner/admin), leaving a tombstone."""

    async def __call__(self, user_id: int, message_id: int) -> Message:
        async with self._uow() as uow:
            message = await load_visible_message(uow, message_id, user_id)
            if message.deleted:
                return message
            if message.sender_id != user_id:
                chat, me = await load_membership(uow, message.chat_id, user_id)
                if chat.kind is not ChatKind.GROUP or not me.role.can_manage:
                    raise Forbidden("Only the author or a group admin can delete this message.")
            await delete_for_everyone(uow, message, user_id, self._clock.now())
            notifications = await uow.commit()
        await self._publish(notifications)
        return message


async def delete_for_everyone(
    uow: UnitOfWork, message: Message, by_user_id: int, now: datetime, *, by_admin: bool = False
) -> None:
    """Leave the tombstone of a live message in ``uow`` and tell whoever sees it: its
    reactions, edits, search terms and pin go with the content. ``by_admin``: a server
    administrator removed it (moderation), and the tombstone says so."""
    if message.reactions:
        await uow.reactions.remove_all(message.id)
    message.delete(now, by_admin=by_admin)
    await uow.messages.forget_edits(message.id)
    await uow.messages.update(message)
    await uow.search.remove([message.id])
    audience = await _seeing(uow, message)
    uow.record(MessageDeleted(message=message), audience)
    # No deleted message stays pinned.
    await unpin_deleted(uow, [message], {message.id: audience}, by_user_id=by_user_id)
    if by_admin:
        # What an administrator removed must not reach even a client syncing from before
        # it was posted (a sender's deletion leaves the feed as it is).
        await uow.feed.redact(message)


class HideMessage(UseCase):
    """Delete a message for me only: it disappears from my history, chat list, unread
    count and sync; the other members keep it."""

    async def __call__(self, user_id: int, message_id: int) -> None:
        async with self._uow() as uow:
            message = await load_visible_message(uow, message_id, user_id)
            await uow.messages.hide(user_id, message.id)
            me = await uow.members.get(message.chat_id, user_id)
            if me is not None and not me.has_hidden:
                me.has_hidden = True
                await uow.members.update(me)
            uow.record(
                MessageHidden(user_id=user_id, chat=message.chat_id, message_id=message.id),
                {user_id},
            )
            chat = await uow.chats.get(message.chat_id)
            if chat is not None:
                await restate_archived(uow, user_id, chat, self._clock.now())
            notifications = await uow.commit()
        await self._publish(notifications)


class ClearChat(UseCase):
    """Clear a chat for me: every message in it so far disappears for me only; newer
    ones show as usual. Clearing an empty or already cleared chat changes nothing."""

    async def __call__(self, user_id: int, chat_id: int) -> None:
        async with self._uow() as uow:
            chat, me = await load_membership(uow, chat_id, user_id)
            if not me.clear(chat.last_message_id or 0):
                return
            await uow.members.update(me)
            uow.record(
                ChatCleared(user_id=user_id, chat=chat_id, up_to_message_id=me.cleared_up_to),
                {user_id},
            )
            await restate_archived(uow, user_id, chat, self._clock.now())
            notifications = await uow.commit()
        await self._publish(notifications)


class ReadHistory(UseCase):
    """A page of a chat's messages in ascending id order.

    ``after``: the oldest messages newer than it (scrolling down / catching up);
    ``before``: the newest messages older than it (scrolling up); ``around``: the message
    with that id in the middle of its neighbours (opening a chat at a search result, a
    reply's original, a pin); none: the newest page. ``mentioning_me``: only the messages
    that mention the reader (jumping through them; not with ``around``).
    """

    async def __call__(
        self,
        user_id: int,
        chat_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
        limit: int | None = None,
        mentioning_me: bool = False,
    ) -> Page:
        cap = self._limits.max_page_size
        limit = self._limits.default_page_size if limit is None else limit
        if not 1 <= limit <= cap:
            raise ValidationError(f"limit must be 1-{cap}.", field="limit")
        for name, value in (("before", before), ("after", after), ("around", around)):
            if value is not None and value < 0:
                raise ValidationError(f"{name} must not be negative.", field=name)
        if around is not None and (before is not None or after is not None):
            raise ValidationError("around cannot be combined with before or after.", field="around")
        if around is not None and mentioning_me:
            raise ValidationError("around cannot be combined with mentions.", field="mentions")
        async with self._uow(read_only=True) as uow:
            # Membership alone decides (a member's chat exists); the chat row is not needed.
            me = await uow.members.get(chat_id, user_id)
            if me is None:
                raise ChatNotFound()
            if around is not None:
                page = await _around(uow, me, around, limit)
            else:
                items = await visible_page(
                    uow, me, before=before, after=after, limit=limit + 1, mentioning=mentioning_me
                )
                page = _paged(items, limit, before=before, after=after)
            quoted = await with_previews_for(uow, me, page.items)
            # Most pages have no reactions at all: then no query for the reader's own.
            reacted = [m.id for m in page.items if m.reactions]
            mine = await uow.reactions.mine(user_id, reacted) if reacted else {}
        return dataclasses.replace(page, items=tuple(quoted), mine=mine)


def _paged(items: list[Message], limit: int, *, before: int | None, after: int | None) -> Page:
    """The page from up to ``limit + 1`` messages read in the paging direction."""
    has_more = len(items) > limit
    if has_more:
        # One row beyond the page tells whether there is more in the paging direction.
        items = items[:limit] if after is not None else items[1:]
    if after is not None:
        return Page(items=tuple(items), has_more=has_more, has_newer=has_more)
    newest = before is None
    return Page(items=tuple(items), has_more=has_more, has_newer=False if newest else None)


async def _around(uow: UnitOfWork, me: Membership, message_id: int, limit: int) -> Page:
    """The page centred on ``message_id``: it and up to half the page older, the rest
    newer (all of it newer or older where one side runs out). Whether the id is a message
    the member sees does not matter: the page is where it would be."""
    half = limit // 2
    # Each side reads one row more than it may keep, to tell whether more lies beyond.
    older = await visible_page(uow, me, before=message_id + 1, after=None, limit=limit + 1)
    newer = await visible_page(uow, me, before=None, after=message_id, limit=limit + 1)
    keep_newer = min(len(newer), max(limit - half - 1, limit - len(older)))
    keep_older = min(len(older), limit - keep_newer)
    items = older[len(older) - keep_older :] + newer[:keep_newer]
    return Page(
        items=tuple(items),
        has_more=len(older) > keep_older,
        has_newer=len(newer) > keep_newer,
    )


@dataclass(frozen=True)
class ReadState:
    chat_id: int
    read_message_id: int
    unread_count: int
    unread_mentions: int = 0


class MarkRead(UseCase):
    """Mark a chat read up to a message; the watermark only moves forward.

    With read receipts off the mark is the reader's business alone: only their own devices
    hear of it. Otherwise the members who have read receipts on do (with them off, one does
    not see others' marks either).
    """

    async def __call__(self, user_id: int, chat_id: int, message_id: int) -> ReadState:
        async with self._uow() as uow:
            _, me = await load_membership(uow, chat_id, user_id)
            message = await uow.messages.get(message_id)
            if message is None or message.chat_id != chat_id:
                raise NotFound("Message not found.")
            notifications: list[Notification] = []
            delivered = me.delivered_message_id
            if me.mark_read(message_id):
                await uow.members.update(me)
                members = await _recipients(uow, chat_id)
                settings = await uow.privacy.get_many(members)
                private = not settings[user_id].read_receipts
                told = (
                    {user_id}
                    if private
                    else {uid for uid in members if settings[uid].read_receipts} | {user_id}
                )
                uow.record(MessagesRead(chat_id, user_id, message_id, private=private), told)
                if told != members and me.delivered_message_id > delivered:
                    # Reading implies delivery, which is no secret: those not told of the
                    # read mark still see the message delivered (the reader's own devices
                    # never hear of their own delivery mark: see AcknowledgeDelivery).
                    uow.record(
                        MessagesDelivered(chat_id, user_id, me.delivered_message_id),
                        members - {user_id},
                    )
                notifications = await uow.commit()
            floors = {chat_id: me.unread_floor}
            unread = await uow.messages.count_unread(floors, user_id)
            mentions = await uow.messages.count_unread_mentions(floors, user_id)
        await self._publish(notifications)
        return ReadState(
            chat_id, me.read_message_id, unread.get(chat_id, 0), mentions.get(chat_id, 0)
        )


class AcknowledgeDelivery(UseCase):
    """A client confirms it received the feed up to a cursor: move delivered watermarks.

    A delivery mark is told to the chat's other members only: ticks show on one's own
    messages, so nobody needs their own mark, and one ack of a user in thousands of chats
    would otherwise send their own sockets a frame per chat at once (more than a socket's
    queue holds: it was closed with 1013, reconnected and synced, and acked again).

    Still unbounded: a member who shares more than a socket's queue of chats with the acker,
    each with news since the acker's last ack (an administrator who made them all), gets
    that many frames from one ack and is cut off the same way.
    """

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
                    others = await _recipients(uow, chat_id) - {user_id}
                    if others:
                        uow.record(
                            MessagesDelivered(chat=chat_id, user_id=user_id, message_id=message_id),
                            others,
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
                # Whoever blocked the typist sees none of their typing.
                others -= await uow.blocks.blockers_of(user_id, others)
        if others:
            big = len(members) > self._limits.typing_joined_above
            event = UserTyping(chat=chat_id, user_id=user_id, only_where_open=big)
            await self._publish([Notification(event, frozenset(others))])


class OpenChat(UseCase):
    """The user opens a chat on a device (in big chats, typing then reaches it there):
    only its members may."""

    async def __call__(self, user_id: int, chat_id: int) -> None:
        async with self._uow(read_only=True) as uow:
            if user_id not in await uow.members.member_ids(chat_id):
                raise ChatNotFound()
