"""Who may see what of a user: the privacy rules, pure and in one place.

Every channel that lets a user learn about another (REST reads, pushed frames, ``sync``)
asks these functions; none of them decides on its own. The rules, as in Telegram:

- Each setting names an audience: ``everybody``, ``contacts`` (the *owner* has the viewer
  in their contacts) or ``nobody``. The owner always sees their own.
- A user the owner blocked is ``nobody`` to them for every setting, whatever it says.
- ``read_receipts`` off: others do not see my read marks, and I do not see theirs.

A frame is the same bytes for all its recipients, so what a frame may carry about a user is
what *every* recipient may see (``for_all``); per-viewer details come from REST reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from messenger.domain.errors import ValidationError
from messenger.domain.model import ChatMember, Membership, PublicProfile

P = TypeVar("P", bound=PublicProfile)


class Audience(StrEnum):
    """Who may see one thing of a user."""

    EVERYBODY = "everybody"
    CONTACTS = "contacts"
    NOBODY = "nobody"


class Relation(StrEnum):
    """What a viewer is to the owner of what is seen (the owner's view of the viewer)."""

    SELF = "self"
    CONTACT = "contact"  # the owner has the viewer in their contacts
    STRANGER = "stranger"
    BLOCKED = "blocked"  # the owner blocked the viewer


def relation(viewer_id: int, owner_id: int, *, contact: bool, blocked: bool) -> Relation:
    """The viewer's relation to the owner; a block outweighs a contact."""
    if viewer_id == owner_id:
        return Relation.SELF
    if blocked:
        return Relation.BLOCKED
    return Relation.CONTACT if contact else Relation.STRANGER


def visible(setting: Audience, rel: Relation) -> bool:
    """Whether a viewer of relation ``rel`` may see what ``setting`` guards."""
    if rel is Relation.SELF:
        return True
    if rel is Relation.BLOCKED:
        return False
    if setting is Audience.EVERYBODY:
        return True
    return setting is Audience.CONTACTS and rel is Relation.CONTACT


@dataclass(frozen=True)
class PrivacySettings:
    """A user's privacy settings; the defaults are Telegram's (all open but the email)."""

    last_seen: Audience = Audience.EVERYBODY
    online: Audience = Audience.EVERYBODY
    avatar: Audience = Audience.EVERYBODY
    bio: Audience = Audience.EVERYBODY
    birthdate: Audience = Audience.EVERYBODY
    email: Audience = Audience.NOBODY
    # Who may put me into a group: ``everybody`` or ``contacts`` (never ``nobody``: a group
    # one cannot be added to at all would have to be joined some other way, which there is
    # none of).
    groups_add: Audience = Audience.EVERYBODY
    read_receipts: bool = True

    def __post_init__(self) -> None:
        if self.groups_add is Audience.NOBODY:
            raise ValidationError("groups_add must be everybody or contacts.", field="groups_add")

    def changed(self, **changes: Audience | str | bool) -> PrivacySettings:
        """These settings with some of them changed (by name; audiences by value)."""
        values: dict[str, Audience | bool] = {}
        for name, value in changes.items():
            if name not in _SETTINGS:
                raise ValidationError(f"Unknown privacy setting {name!r}.", field=name)
            if name == "read_receipts":
                if not isinstance(value, bool):
                    raise ValidationError("read_receipts must be true or false.", field=name)
                values[name] = value
            elif isinstance(value, bool) or value not in _AUDIENCES:
                raise ValidationError(f"{name} must be one of {', '.join(_AUDIENCES)}.", field=name)
            else:
                values[name] = Audience(value)
        return dataclasses.replace(self, **values)  # type: ignore[arg-type]


DEFAULT = PrivacySettings()
_SETTINGS = frozenset(f.name for f in dataclasses.fields(PrivacySettings))
_AUDIENCES = tuple(a.value for a in Audience)

# What each setting hides in a profile, and the value a hidden field shows instead. Fields
# a profile does not have are skipped (``birthdate`` arrives with the profile fields).
_GUARDED: dict[str, dict[str, object]] = {
    "last_seen": {"last_seen_at": None},
    "avatar": {"avatar_file_id": None, "avatar_preset": None},
    "bio": {"bio": ""},
    "birthdate": {"birthdate": None},
}


def profile_for(rel: Relation, profile: P, settings: PrivacySettings) -> P:
    """``profile`` as a viewer of relation ``rel`` may see it: hidden fields are null (the
    bio empty)."""
    hidden: dict[str, object] = {}
    for setting, fields in _GUARDED.items():
        if not visible(getattr(settings, setting), rel):
            hidden.update((k, v) for k, v in fields.items() if hasattr(profile, k))
    return dataclasses.replace(profile, **hidden) if hidden else profile  # type: ignore[arg-type]


def online_visible(rel: Relation, settings: PrivacySettings) -> bool:
    """Whether the viewer may be told that the owner is online (``presence`` frames)."""
    return visible(settings.online, rel)


def may_add_to_groups(rel: Relation, settings: PrivacySettings) -> bool:
    """Whether the actor (``rel`` to the owner) may put the owner into a group."""
    return rel is not Relation.BLOCKED and visible(settings.groups_add, rel)


def read_marks_visible(viewer: PrivacySettings, owner: PrivacySettings) -> bool:
    """Whether a viewer sees the read marks of another user: both must have receipts on."""
    return viewer.read_receipts and owner.read_receipts


@dataclass(frozen=True)
class Relations:
    """What a set of owners think of one viewer: whose contact the viewer is, who blocked
    them, and every owner's settings (missing ones are the defaults)."""

    viewer_id: int
    contact_of: frozenset[int]
    blocked_by: frozenset[int]
    settings: Mapping[int, PrivacySettings]

    def of(self, owner_id: int) -> Relation:
        return relation(
            self.viewer_id,
            owner_id,
            contact=owner_id in self.contact_of,
            blocked=owner_id in self.blocked_by,
        )

    def settings_of(self, owner_id: int) -> PrivacySettings:
        return self.settings.get(owner_id, DEFAULT)

    def profile(self, profile: PublicProfile) -> PublicProfile:
        """The profile as the viewer may see it."""
        return profile_for(self.of(profile.id), profile, self.settings_of(profile.id))

    def membership(self, membership: Membership) -> Membership:
        """The membership as the viewer may see it: another's read mark only when both
        have read receipts on."""
        owner = membership.user_id
        if owner == self.viewer_id or read_marks_visible(
            self.settings_of(self.viewer_id), self.settings_of(owner)
        ):
            return membership
        return dataclasses.replace(membership, read_message_id=0)

    def member(self, member: ChatMember) -> ChatMember:
        return ChatMember(self.membership(member.membership), self.profile(member.profile))


def for_all(
    members: Iterable[ChatMember],
    settings: Mapping[int, PrivacySettings],
    blockers: Iterable[int],
) -> tuple[ChatMember, ...]:
    """Members as a frame to all of them may carry them: what every one of them may see.
    Profiles show what strangers may see, and nothing guarded of an owner who ``blockers``
    says blocked one of them; read marks show only when every member has read receipts on
    (anyone with them off may not see the others')."""
    members = tuple(members)
    blocking = frozenset(blockers)
    marks = all(settings.get(m.profile.id, DEFAULT).read_receipts for m in members)
    result = []
    for m in members:
        owner = m.profile.id
        rel = Relation.BLOCKED if owner in blocking else Relation.STRANGER
        membership = m.membership if marks else dataclasses.replace(m.membership, read_message_id=0)
        result.append(
            ChatMember(membership, profile_for(rel, m.profile, settings.get(owner, DEFAULT)))
        )
    return tuple(result)


__all__ = [
    "DEFAULT",
    "Audience",
    "PrivacySettings",
    "Relation",
    "Relations",
    "for_all",
    "may_add_to_groups",
    "online_visible",
    "profile_for",
    "read_marks_visible",
    "relation",
    "visible",
]
