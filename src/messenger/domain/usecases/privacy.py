"""Privacy settings: read and change one's own (the rules are ``domain.privacy``)."""

from __future__ import annotations

from messenger.domain.errors import NotFound
from messenger.domain.events import PrivacyUpdated
from messenger.domain.privacy import Audience, PrivacySettings
from messenger.domain.usecases.base import UseCase
from messenger.domain.usecases.feed import revealed, shown_offline, who_sees_online


class GetPrivacy(UseCase):
    """The caller's privacy settings, every one of them."""

    async def __call__(self, user_id: int) -> PrivacySettings:
        async with self._uow(read_only=True) as uow:
            return await uow.privacy.get(user_id)


class ChangePrivacy(UseCase):
    """Change some of one's privacy settings (those given); the others stay. Every device
    of the user learns of it (``privacy_updated``)."""

    async def __call__(self, user_id: int, **changes: Audience | bool) -> PrivacySettings:
        async with self._uow() as uow:
            if await uow.users.get(user_id) is None:
                raise NotFound("User not found.")
            current = await uow.privacy.get(user_id)
            settings = current.changed(**changes)
            if settings == current:
                return current
            changed = settings.online is not current.online
            saw = await who_sees_online(uow, user_id) if changed else set()
            await uow.privacy.put(user_id, settings)
            uow.record(PrivacyUpdated(user_id, settings), {user_id})
            sees = await who_sees_online(uow, user_id) if changed else set()
            notifications = await uow.commit()
        await self._publish(
            [*notifications, *shown_offline(user_id, saw - sees), *revealed(user_id, sees - saw)]
        )
        return settings
