"""Chats and membership: open a dialog, groups, members and roles, the chat list."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from messenger.domain.chat_list import chat_list_order
from messenger.domain.errors import (
    AlreadyAMember,
    Blocked,
    ChatNotFound,
    Conflict,
    Forbidden,
    NotAMember,
    NotFound,
    PrivacyRestricted,
    UserDeleted,
    ValidationError,
)
from messenger.domain.events import (
    ChatCreated,
    ChatUpdated,
    MemberAdded,
    MemberRemoved,
    MemberUpdated,
)
from messenger.domain.model import (
    Chat,
    ChatDetails,
    ChatKind,
    ChatMember,
    ChatSummary,
    Membership,
    Message,
    Role,
    clean_title,
)
from messenger.domain.paging import Listing, decode_cursor, finish_page, page_size
from messenger.domain.ports import UnitOfWork
from messenger.domain.privacy import may_add_to_groups
from messenger.domain.usecases.base import (
    UseCase,
    details_for,
    load_members,
    load_membership,
    members_for_all,
    relations_to,
    visible_page,
)
from messenger.domain.usecases.replies import with_previews_in


async def _details(uow: UnitOfWork, chat: Chat) -> ChatDetails:
    members = await load_members(uow, [chat.id])
    return ChatDetails(chat=chat, members=tuple(members[chat.id]))


def _member_ids(details: ChatDetails) -> set[int]:
    return {m.membership.user_id for m in details.members}


def _for_all(membership: Membership) -> Membership:
    """A membership in a ``member_updated`` frame: its role is the news, and its read mark,
    which some members may not see, is left out."""
    return dataclasses.replace(membership, read_message_id=0)


async def _check_may_add(uow: UnitOfWork, actor_id: int, user_ids: Sequence[int]) -> None:
    """Whether the actor may put these users into a group: none of them blocked the actor,
    and each one's ``groups_add`` setting lets the actor."""
    seen = await relations_to(uow, actor_id, user_ids)
    for user_id in user_ids:
        if user_id in seen.blocked_by:
            raise Blocked("This user has blocked you; you cannot add them to groups.")
        if not may_add_to_groups(seen.of(user_id), seen.settings_of(user_id)):
            raise PrivacyRestricted("This user's privacy settings do not let you add them.")


def _require_group(chat: Chat) -> None:
    if chat.kind is not ChatKind.GROUP:
        raise Forbidden("This can only be done in a group chat.")


class _ChatUseCase(UseCase):
    """A use case that may open chats or put people into them: both have hourly budgets,
    so that nobody can fill strangers' chat lists."""

    def _spend_new_chat(self, user_id: int) -> None:
        per_hour = self._limits.chats_per_hour
        self._spend("new chats", user_id, per_hour / 3600, per_hour)

    def _spend_member_adds(self, user_id: int, count: int) -> None:
        per_hour = self._limits.member_adds_per_hour
        self._spend("members added", user_id, per_hour / 3600, per_hour, count)


class OpenDialog(_ChatUseCase):
    """Open the direct dialog with another user, creating it on first use.

    Idempotent: both sides and concurrent calls get the same chat. Returns the chat and
    whether this call created it.
    """

    async def __call__(self, user_id: int, peer_id: int) -> tuple[ChatDetails, bool]:
        if peer_id == user_id:
            raise ValidationError("A dialog needs another user.", field="user_id")
        key = Chat.direct_key_for(user_id, peer_id)
        for _ in range(3):
            async with self._uow(read_only=True) as uow:
                existing = await uow.chats.by_direct_key(key)
                if existing is not None:
                    details = await _details(uow, existing)
                    if any(m.profile.deleted for m in details.members):
                        raise UserDeleted()
                    return await details_for(uow, user_id, details), False
                peer, me = await uow.users.get(peer_id), await uow.users.get(user_id)
                if peer is None or me is None:
                    raise NotFound("User not found.")
                if peer.deleted or me.deleted:
                    raise UserDeleted()
            try:
                return await self._create(user_id, peer_id, key), True
            except Conflict:
                continue  # someone else created it a moment ago: read theirs
        raise Conflict("The dialog could not be opened; try again.")

    async def _create(self, user_id: int, peer_id: int, key: str) -> ChatDetails:
        now = self._clock.now()
        async with self._uow() as uow:
            if await uow.chats.by_direct_key(key) is not None:
                raise Conflict()
            if await uow.blocks.get(peer_id, user_id) is not None:
                # The blocker may still open it (and write): only the blocked side is kept out.
                raise Blocked("This user has blocked you; you cannot start a dialog with them.")
            self._spend_new_chat(user_id)
            chat = await uow.chats.add(
                Chat(
                    id=0,
                    kind=ChatKind.DIRECT,
                    title=None,
                    created_by=user_id,
                    created_at=now,
                    last_activity_at=now,
                    direct_key=key,
                )
            )
            position = await uow.position()
            for uid in (user_id, peer_id):
                await uow.members.add(
                    Membership(
                        chat_id=chat.id,
                        user_id=uid,
                        role=Role.MEMBER,
                        joined_at=now,
                        joined_position=position,
                    )
                )
            details = await _details(uow, chat)
            shared = await members_for_all(uow, details.members)
            uow.record(ChatCreated(chat=chat, members=shared), _member_ids(details))
            mine = await details_for(uow, user_id, details)
            notifications = await uow.commit()
        await self._publish(notifications)
        return mine


class CreateGroup(_ChatUseCase):
    """Create a group chat; the creator becomes its owner."""

    async def __call__(self, user_id: int, title: str, member_ids: Sequence[int]) -> ChatDetails:
        title = clean_title(title)
        others = sorted(set(member_ids) - {user_id})
        if len(others) + 1 > self._limits.max_group_members:
            raise ValidationError("Too many members.", field="member_ids")
        per_hour = self._limits.member_adds_per_hour
        if 0 < per_hour < len(others):
            # More than a whole hour's budget: waiting would never help.
            raise ValidationError(
                f"At most {per_hour} members can be added in an hour.", field="member_ids"
            )
        now = self._clock.now()
        async with self._uow() as uow:
            found = await uow.users.get_many([user_id, *others])
            if len(found) != len(others) + 1:
                raise NotFound("User not found.")
            await _check_may_add(uow, user_id, others)
            if any(u.deleted for u in found):
                raise UserDeleted()
            self._spend_new_chat(user_id)
            if others:
                self._spend_member_adds(user_id, len(others))
            chat = await uow.chats.add(
                Chat(
                    id=0,
                    kind=ChatKind.GROUP,
                    title=title,
                    created_by=user_id,
                    created_at=now,
                    last_activity_at=now,
                )
            )
            position = await uow.position()
            for uid in [user_id, *others]:
                await uow.members.add(
                    Membership(
                        chat_id=chat.id,
                        user_id=uid,
                        role=Role.OWNER if uid == user_id else Role.MEMBER,
                        joined_at=now,
                        joined_position=position,
                    )
                )
            details = await _details(uow, chat)
            shared = await members_for_all(uow, details.members)
            uow.record(ChatCreated(chat=chat, members=shared), _member_ids(details))
            mine = await details_for(uow, user_id, details)
            notifications = await uow.commit()
        await self._publish(notifications)
        return mine


class GetChat(UseCase):
    """One chat the caller belongs to, with its members."""

    async def __call__(self, user_id: int, chat_id: int) -> ChatDetails:
        async with self._uow(read_only=True) as uow:
            chat, _ = await load_membership(uow, chat_id, user_id)
            return await details_for(uow, user_id, await _details(uow, chat))


class RenameGroup(UseCase):
    """Change a group's title (owner or admin)."""

    async def __call__(self, user_id: int, chat_id: int, title: str) -> ChatDetails:
        title = clean_title(title)
        async with self._uow() as uow:
            chat, me = await load_membership(uow, chat_id, user_id)
            _require_group(chat)
            if not me.role.can_manage:
                raise Forbidden("Only the owner or an admin can rename the group.")
            if chat.title == title:
                return await details_for(uow, user_id, await _details(uow, chat))
            chat.title = title
            await uow.chats.update(chat)
            details = await _details(uow, chat)
            uow.record(ChatUpdated(chat=chat), _member_ids(details))
            mine = await details_for(uow, user_id, details)
            notifications = await uow.commit()
        await self._publish(notifications)
        return mine


class AddMember(_ChatUseCase):
    """Add a user to a group. Admins add members; only the owner adds admins."""

    async def __call__(
        self, actor_id: int, chat_id: int, user_id: int, role: Role = Role.MEMBER
    ) -> ChatMember:
        if role is Role.OWNER:
            raise ValidationError(
                "A group has one owner; transfer ownership instead.", field="role"
            )
        now = self._clock.now()
        async with self._uow() as uow:
            chat, me = await load_membership(uow, chat_id, actor_id)
            _require_group(chat)
            if not me.role.can_manage:
                raise Forbidden("Only the owner or an admin can add members.")
            if role is Role.ADMIN and me.role is not Role.OWNER:
                raise Forbidden("Only the owner can add admins.")
            target = await uow.users.get(user_id)
            if target is None:
                raise NotFound("User not found.")
            if target.deleted:
                raise UserDeleted()
            if await uow.members.get(chat_id, user_id) is not None:
                raise AlreadyAMember()
            await _check_may_add(uow, actor_id, [user_id])
            current = await uow.members.of_chat(chat_id)
            if len(current) >= self._limits.max_group_members:
                raise ValidationError("The group is full.", field="user_id")
            self._spend_member_adds(actor_id, 1)
            await uow.members.add(
                Membership(
                    chat_id=chat_id,
                    user_id=user_id,
                    role=role,
                    joined_at=now,
                    joined_position=await uow.position(),
                )
            )
            details = await _details(uow, chat)
            shared = await members_for_all(uow, details.members)
            member = next(m for m in shared if m.membership.user_id == user_id)
            uow.record(
                MemberAdded(chat=chat, member=member, members=shared, by_user_id=actor_id),
                _member_ids(details),
            )
            seen = await relations_to(uow, actor_id, [user_id])
            added = next(m for m in details.members if m.membership.user_id == user_id)
            notifications = await uow.commit()
        await self._publish(notifications)
        return seen.member(added)


class RemoveMember(UseCase):
    """Remove someone from a group, or leave it yourself.

    Owners remove anyone, admins remove plain members. When the owner leaves, the longest
    serving admin (or else member) becomes the owner, so a group is never left unmanaged.
    """

    async def __call__(self, actor_id: int, chat_id: int, user_id: int) -> None:
        async with self._uow() as uow:
            chat, me = await load_membership(uow, chat_id, actor_id)
            _require_group(chat)
            members = await uow.members.of_chat(chat_id)
            target = next((m for m in members if m.user_id == user_id), None)
            if target is None:
                raise NotAMember()
            if actor_id != user_id and not (me.role.can_manage and me.role.rank > target.role.rank):
                raise Forbidden("You cannot remove this member.")
            recipients = {m.user_id for m in members}
            await uow.members.remove(chat_id, user_id)
            # Whoever comes back later starts afresh: not muted, pinned or archived, no draft.
            await uow.chat_prefs.remove(chat_id, user_id)
            uow.record(
                MemberRemoved(chat=chat_id, user_id=user_id, by_user_id=actor_id), recipients
            )
            remaining = [m for m in members if m.user_id != user_id]
            if target.role is Role.OWNER and remaining:
                heir = min(remaining, key=lambda m: (-m.role.rank, m.joined_at, m.user_id))
                heir.role = Role.OWNER
                await uow.members.update(heir)
                uow.record(
                    MemberUpdated(chat=chat_id, membership=_for_all(heir), by_user_id=actor_id),
                    {m.user_id for m in remaining},
                )
            notifications = await uow.commit()
        await self._publish(notifications)


class ChangeRole(UseCase):
    """The owner makes a member an admin or back; giving ``owner`` transfers ownership."""

    async def __call__(self, actor_id: int, chat_id: int, user_id: int, role: Role) -> Membership:
        async with self._uow() as uow:
            chat, me = await load_membership(uow, chat_id, actor_id)
            _require_group(chat)
            if me.role is not Role.OWNER:
                raise Forbidden("Only the owner can change roles.")
            if user_id == actor_id:
                raise Forbidden("Transfer ownership to someone else instead.")
            target = await uow.members.get(chat_id, user_id)
            if target is None:
                raise NotAMember()
            seen = await relations_to(uow, actor_id, [user_id])
            if target.role is role:
                return seen.membership(target)
            members = await uow.members.of_chat(chat_id)
            recipients = {m.user_id for m in members}
            target.role = role
            await uow.members.update(target)
            uow.record(
                MemberUpdated(chat=chat_id, membership=_for_all(target), by_user_id=actor_id),
                recipients,
            )
            if role is Role.OWNER:
                me.role = Role.ADMIN
                await uow.members.update(me)
                uow.record(
                    MemberUpdated(chat=chat_id, membership=_for_all(me), by_user_id=actor_id),
                    recipients,
                )
            notifications = await uow.commit()
        await self._publish(notifications)
        return seen.membership(target)


async def hand_over_groups(uow: UnitOfWork, user_id: int) -> None:
    """Before an account goes: each group it owns passes to the member next in line (an
    admin before a member, the longest in the group first), so that no group is left
    without someone who can manage it. The deleted account stays a plain member."""
    for mine in await uow.members.of_user(user_id):
        chat = await uow.chats.get(mine.chat_id) if mine.role is Role.OWNER else None
        if chat is None or chat.kind is not ChatKind.GROUP:
            continue
        members = [m for m in await uow.members.of_chat(mine.chat_id) if m.user_id != user_id]
        live = {u.id for u in await uow.users.get_many(m.user_id for m in members) if not u.deleted}
        heirs = sorted(
            (m for m in members if m.user_id in live),
            key=lambda m: (-m.role.rank, m.joined_at, m.user_id),
        )
        if not heirs:
            continue
        heir = heirs[0]
        recipients = {m.user_id for m in members} | {user_id}
        for membership, role in ((heir, Role.OWNER), (mine, Role.MEMBER)):
            membership.role = role
            await uow.members.update(membership)
            uow.record(
                MemberUpdated(
                    chat=mine.chat_id, membership=_for_all(membership), by_user_id=user_id
                ),
                recipients,
            )


class ListChats(UseCase):
    """A page of the caller's chats: the pinned ones first in the caller's order, then the
    others by last activity, each with its last message, unread count, the caller's
    settings and draft. Archived chats are left out, or (``archived``) are all the page
    holds."""

    async def __call__(
        self,
        user_id: int,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        archived: bool = False,
    ) -> Listing[ChatSummary]:
        size = page_size(limit, self._limits)
        order = chat_list_order(archived)
        after = decode_cursor(order, cursor)
        now = self._clock.now()
        async with self._uow(read_only=True) as uow:
            # The storage picks the page: the user's other chats are never read.
            fetched = await uow.members.chat_list(
                user_id, archived=archived, after=after, limit=size + 1
            )
            page = finish_page(fetched, order, size)
            if not page.items:
                return page.with_items([])
            # Only the page's chats cost the heavier reads (last message, unread, members).
            mine = {i.chat.id: i.membership for i in page.items}
            chat_ids = [i.chat.id for i in page.items]
            last = await _last_seen(uow, user_id, [mine[i] for i in chat_ids])
            # Quotes only when some last message is a reply (one read for the page).
            quoted = await with_previews_in(uow, user_id, mine, list(last.values()))
            last = {m.chat_id: m for m in quoted}
            floors = {i: mine[i].unread_floor for i in chat_ids}
            unread = await uow.messages.count_unread(floors, user_id)
            mentions = await uow.messages.count_unread_mentions(floors, user_id)
            members = await load_members(uow, chat_ids)
            seen = await relations_to(
                uow, user_id, {m.membership.user_id for ms in members.values() for m in ms}
            )
        return page.with_items(
            [
                ChatSummary(
                    chat=i.chat,
                    members=tuple(map(seen.member, members[i.chat.id])),
                    last_message=last.get(i.chat.id),
                    unread_count=unread.get(i.chat.id, 0),
                    settings=None if i.prefs is None else i.prefs.settings(i.chat, now),
                    draft=None if i.prefs is None else i.prefs.draft,
                    unread_mentions=mentions.get(i.chat.id, 0),
                )
                for i in page.items
            ]
        )


async def _last_seen(
    uow: UnitOfWork, user_id: int, memberships: list[Membership]
) -> dict[int, Message]:
    """Per chat of the user's ``memberships``: the newest message they see (none where
    they cleared it all)."""
    last = await uow.messages.last_of_chats([m.chat_id for m in memberships])
    # Only a chat where the user hid something can hide its newest message (most users
    # never hide one: no read then).
    hiding = {m.chat_id for m in memberships if m.has_hidden}
    maybe_hidden = [m.id for m in last.values() if m.chat_id in hiding]
    hidden = await uow.messages.hidden_among(user_id, maybe_hidden) if maybe_hidden else set()
    result: dict[int, Message] = {}
    for me in memberships:
        newest = last.get(me.chat_id)
        if newest is None or not me.sees(newest.id):
            continue
        if newest.id in hidden:
            # Rare: the newest was hidden, so look further back.
            older = await visible_page(uow, me, before=newest.id, after=None, limit=1)
            if not older:
                continue
            newest = older[0]
        result[me.chat_id] = newest
    return result


class FindDialog(UseCase):
    """The dialog between the caller and another user, if there is one (never created)."""

    async def __call__(self, user_id: int, peer_id: int) -> int:
        async with self._uow(read_only=True) as uow:
            chat = await uow.chats.by_direct_key(Chat.direct_key_for(user_id, peer_id))
            if chat is None or await uow.members.get(chat.id, user_id) is None:
                raise ChatNotFound()
            return chat.id
