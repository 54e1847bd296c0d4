"""Contacts and blocking: a user's own lists of people, told to their own devices only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from messenger.domain.errors import NotFound, ValidationError
from messenger.domain.events import BlocksUpdated, ContactsUpdated
from messenger.domain.model import Block, Contact, ProfileView, User, clean_local_name
from messenger.domain.paging import Listing, Order, decode_cursor, finish_page, page_size
from messenger.domain.ports import UnitOfWork
from messenger.domain.usecases.base import UseCase, views_of
from messenger.domain.usecases.feed import revealed, shown_offline, who_sees_online

# Both lists go by user id: stable under renames, and the storage pages them by index.
CONTACTS_BY_ID: Order[ProfileView] = Order("contacts", lambda v: (v.id,), (int,))
BLOCKED_BY_ID: Order[ProfileView] = Order("blocked", lambda v: (v.id,), (int,))


async def _other_user(uow: UnitOfWork, user_id: int, other_id: int, field: str) -> User:
    """The other user of a contact or a block: not oneself, and existing."""
    if other_id == user_id:
        raise ValidationError("That is you.", field=field)
    other = await uow.users.get(other_id)
    if other is None:
        raise NotFound("User not found.")
    return other


async def _view(uow: UnitOfWork, viewer_id: int, user: User) -> ProfileView:
    [view] = await views_of(uow, viewer_id, [user])
    return view


async def _people_page(
    use_case: UseCase,
    viewer_id: int,
    order: Order[ProfileView],
    ids: Callable[[UnitOfWork, int | None, int], Awaitable[list[int]]],
    limit: int | None,
    cursor: str | None,
) -> Listing[ProfileView]:
    """A page of people by user id, as the viewer may see them: ``ids`` reads the ids of
    the list (contacts, blocked users) above a user id."""
    size = page_size(limit, use_case._limits)
    start = decode_cursor(order, cursor)
    async with use_case._uow(read_only=True) as uow:
        found = await ids(uow, None if start is None else int(start[0]), size + 1)
        views = await views_of(uow, viewer_id, await uow.users.get_many(found))
    return finish_page(views, order, size)


class ListContacts(UseCase):
    """A page of the caller's contacts (profiles as the caller may see them)."""

    async def __call__(
        self, user_id: int, *, limit: int | None = None, cursor: str | None = None
    ) -> Listing[ProfileView]:
        async def ids(uow: UnitOfWork, after: int | None, limit: int) -> list[int]:
            return [
                c.user_id for c in await uow.contacts.of_owner(user_id, after=after, limit=limit)
            ]

        return await _people_page(self, user_id, CONTACTS_BY_ID, ids, limit, cursor)


class AddContact(UseCase):
    """Add a user to one's contacts, optionally under a local name; adding again changes
    nothing but a given local name. Returns the contact and whether it is new."""

    async def __call__(
        self, user_id: int, contact_id: int, local_name: str | None = None
    ) -> tuple[ProfileView, bool]:
        name = clean_local_name(local_name) if local_name is not None else None
        async with self._uow() as uow:
            other = await _other_user(uow, user_id, contact_id, "user_id")
            contact = await uow.contacts.get(user_id, contact_id)
            created = contact is None
            if contact is None:
                contact = Contact(user_id, contact_id, name, self._clock.now())
            elif local_name is None or contact.local_name == name:
                return await _view(uow, user_id, other), False
            else:
                contact.local_name = name
            saw = await who_sees_online(uow, user_id) if created else set()
            await uow.contacts.put(contact)
            uow.record(ContactsUpdated(user_id, contact_id, contact), {user_id})
            gained = await who_sees_online(uow, user_id) - saw if created else set()
            view = await _view(uow, user_id, other)
            notifications = await uow.commit()
        await self._publish([*notifications, *revealed(user_id, gained)])
        return view, created


class RenameContact(UseCase):
    """Give a contact a local name (only the caller sees it); None or blank clears it."""

    async def __call__(self, user_id: int, contact_id: int, local_name: str | None) -> ProfileView:
        name = clean_local_name(local_name)
        async with self._uow() as uow:
            other = await _other_user(uow, user_id, contact_id, "contact_id")
            contact = await uow.contacts.get(user_id, contact_id)
            if contact is None:
                raise NotFound("This user is not in your contacts.")
            if contact.local_name == name:
                return await _view(uow, user_id, other)
            contact.local_name = name
            await uow.contacts.put(contact)
            uow.record(ContactsUpdated(user_id, contact_id, contact), {user_id})
            view = await _view(uow, user_id, other)
            notifications = await uow.commit()
        await self._publish(notifications)
        return view


class RemoveContact(UseCase):
    """Remove a user from one's contacts (nothing happens if they are not there)."""

    async def __call__(self, user_id: int, contact_id: int) -> None:
        async with self._uow() as uow:
            await _other_user(uow, user_id, contact_id, "user_id")
            if await uow.contacts.get(user_id, contact_id) is None:
                return
            saw = await who_sees_online(uow, user_id)
            await uow.contacts.remove(user_id, contact_id)
            uow.record(ContactsUpdated(user_id, contact_id, None), {user_id})
            lost = saw - await who_sees_online(uow, user_id)
            notifications = await uow.commit()
        await self._publish([*notifications, *shown_offline(user_id, lost)])


class BlockUser(UseCase):
    """Block a user: they can no longer open a dialog with the caller, write to them, put
    them into groups, or see their presence, last seen, avatar, bio and birthdate; the
    caller sees no typing of theirs. Shared groups stay shared. Blocking again is a no-op.
    """

    async def __call__(self, user_id: int, blocked_id: int) -> None:
        async with self._uow() as uow:
            await _other_user(uow, user_id, blocked_id, "user_id")
            if await uow.blocks.get(user_id, blocked_id) is not None:
                return
            saw = await who_sees_online(uow, user_id)
            await uow.blocks.add(Block(user_id, blocked_id, self._clock.now()))
            uow.record(BlocksUpdated(user_id, blocked_id, blocked=True), {user_id})
            lost = saw - await who_sees_online(uow, user_id)
            notifications = await uow.commit()
        await self._publish([*notifications, *shown_offline(user_id, lost)])


class UnblockUser(UseCase):
    """Lift a block (nothing happens if there is none)."""

    async def __call__(self, user_id: int, blocked_id: int) -> None:
        async with self._uow() as uow:
            await _other_user(uow, user_id, blocked_id, "user_id")
            if await uow.blocks.get(user_id, blocked_id) is None:
                return
            saw = await who_sees_online(uow, user_id)
            await uow.blocks.remove(user_id, blocked_id)
            uow.record(BlocksUpdated(user_id, blocked_id, blocked=False), {user_id})
            gained = await who_sees_online(uow, user_id) - saw
            notifications = await uow.commit()
        await self._publish([*notifications, *revealed(user_id, gained)])


class ListBlockedUsers(UseCase):
    """A page of the users the caller blocked."""

    async def __call__(
        self, user_id: int, *, limit: int | None = None, cursor: str | None = None
    ) -> Listing[ProfileView]:
        async def ids(uow: UnitOfWork, after: int | None, limit: int) -> list[int]:
            return [
                b.blocked_id for b in await uow.blocks.of_blocker(user_id, after=after, limit=limit)
            ]

        return await _people_page(self, user_id, BLOCKED_BY_ID, ids, limit, cursor)
