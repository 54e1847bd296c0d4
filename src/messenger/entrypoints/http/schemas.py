"""Request and response bodies of the REST API (msgspec Structs).

Limits here are generous outer bounds that keep absurd payloads out; the domain applies
the real rules and explains them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

import msgspec
from litestar.params import QueryParameter
from msgspec import UNSET, Meta, UnsetType

from messenger.contract import ErrorCode, shapes
from messenger.domain.paging import MAX_CURSOR_LENGTH, Listing

MAX_ID = 2**63 - 1
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
ShortText = Annotated[str, Meta(max_length=256)]
Password = Annotated[str, Meta(max_length=1024)]
Token = Annotated[str, Meta(max_length=512)]
# The domain's own limit is lower and configurable; this bound only rejects absurd bodies.
Text = Annotated[str, Meta(max_length=100_000)]
FileId = Annotated[str, Meta(min_length=1, max_length=64)]
T = TypeVar("T")


class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: ShortText
    password: Password
    email: ShortText | None = None
    display_name: ShortText | None = None
    device_name: ShortText | None = None
    # The token of an invite link (``?invite=``): needed when registration is by invite.
    invite_token: Token | None = None


class PasswordResetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: Token
    new_password: Password


class RegistrationOut(msgspec.Struct, kw_only=True):
    """Who may register now: ``open`` (anyone), ``invite`` (with an invite link) or
    ``closed`` (an administrator creates accounts)."""

    mode: Literal["open", "invite", "closed"]


class LoginIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    login: ShortText
    password: Password
    device_name: ShortText | None = None


class RefreshIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: Token


class ChangePasswordIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class DeleteAccountIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    password: Password


class AuthOut(msgspec.Struct, kw_only=True):
    user: shapes.User
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int
    session_id: str


Bio = Annotated[str, Meta(max_length=5000)]
# An ISO date, "YYYY-MM-DD": from 1900 on and not in the future (the domain's rule).
Birthdate = Annotated[date, Meta(description="An ISO date (YYYY-MM-DD), 1900 to today.")]


class ProfilePatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields left out stay as they are; ``avatar_url: null`` removes the avatar and
    ``birthdate: null`` the birthdate. ``username`` follows the rules of registration."""

    display_name: ShortText | UnsetType = UNSET
    avatar_url: Annotated[str, Meta(max_length=1000)] | UnsetType | None = UNSET
    bio: Bio | UnsetType = UNSET
    username: ShortText | UnsetType = UNSET
    birthdate: Birthdate | UnsetType | None = UNSET


class UsernameIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: ShortText


class BioIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    bio: Bio


class BirthdateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``null`` clears the birthdate."""

    birthdate: Birthdate | None


class PresetAvatarIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The id of a preset avatar (``GET /avatars/list``); it replaces an uploaded avatar."""

    preset: ShortText


class AvatarFrameIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The id of a frame (``GET /avatar-frames/list``); ``null`` takes the frame off."""

    frame: ShortText | None


class DirectChatIn(msgspec.Struct, kw_only=True, tag_field="kind", tag="direct"):
    user_id: Id


class GroupChatIn(msgspec.Struct, kw_only=True, tag_field="kind", tag="group"):
    title: ShortText
    member_ids: Annotated[list[Id], Meta(max_length=10_000)] = []


class ChatPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: ShortText | UnsetType = UNSET


class ChatSettingsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields left out stay as they are. ``muted_until``: an ISO timestamp with its offset,
    ``"forever"``, or null (unmute; a past moment unmutes too)."""

    muted_until: Annotated[str, Meta(max_length=64)] | UnsetType | None = UNSET
    pinned: bool | UnsetType = UNSET
    archived: bool | UnsetType = UNSET


class PinnedOrderIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Every one of the caller's pinned chats, each once, in the new order."""

    chat_ids: Annotated[list[Id], Meta(max_length=100)]


class PinnedOrderOut(msgspec.Struct, kw_only=True):
    chat_ids: list[int]


class DraftIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An empty (or blank) text clears the draft."""

    text: Text
    reply_to_id: Id | None = None


class AddMemberIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    user_id: Id
    role: Literal["member", "admin"] = "member"


class RoleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: Literal["owner", "admin", "member"]


class PostMessageIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``forward_of``: forward that message (one you see) here, its text and files as they
    are; ``text`` must then be empty (or left out) and ``attachment_ids`` too."""

    client_id: ShortText
    text: Text = ""
    reply_to_id: Id | None = None
    attachment_ids: Annotated[list[FileId], Meta(max_length=100)] = []
    forward_of: Id | None = None


class PinIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message_id: Id


class EditMessageIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Text


class ReadIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message_id: Id


class ReadOut(msgspec.Struct, kw_only=True):
    chat_id: int
    read_message_id: int
    unread_count: int
    unread_mentions: int


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a list. Pass ``next_cursor`` back as ``?cursor=`` for the next page;
    it is ``null`` (and ``has_more`` false) on the last one. Cursors are opaque."""

    items: list[T]
    has_more: bool
    next_cursor: str | None

    @classmethod
    def of(cls, listing: Listing[Any], items: list[T]) -> Self:
        """The page of ``listing``, its items encoded for the wire."""
        return cls(items=items, has_more=listing.has_more, next_cursor=listing.next_cursor)


# ``?limit=&cursor=`` of every paged list (message history has ``before``/``after``).
PageLimit = Annotated[
    int | None, QueryParameter(ge=1, le=100, description="Items per page (default 50).")
]
# Unbounded here on purpose: the domain checks the cursor (length included), so every bad
# cursor gets the same answer, a ``validation_error`` on ``field: "cursor"``.
PageCursor = Annotated[
    str | None,
    QueryParameter(
        description=(
            "The `next_cursor` of the previous page, as it came (opaque; at most "
            f"{MAX_CURSOR_LENGTH} characters). Without it: the first page."
        )
    ),
]


# Named pages, so that the OpenAPI document names their schemas plainly.
class ChatList(Page[shapes.ChatSummary]):
    """A page of chats, most recently active first."""


class ProfileList(Page[shapes.UserProfile]):
    """A page of search results, by username."""


class ContactList(Page[shapes.UserProfile]):
    """A page of the caller's contacts, by user id."""


class BlockedList(Page[shapes.UserProfile]):
    """A page of the users the caller blocked, by user id."""


LocalName = Annotated[str, Meta(max_length=1000)]


class ContactIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``local_name``: the name only the caller sees the contact by (left out: kept as it
    is; null or blank: none)."""

    local_name: LocalName | UnsetType | None = UNSET


class LocalNameIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    local_name: LocalName | None


AudienceIn = Literal["everybody", "contacts", "nobody"]


class PrivacyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The settings to change (the whole object ``GET`` returns, or any part of it)."""

    last_seen: AudienceIn | UnsetType = UNSET
    online: AudienceIn | UnsetType = UNSET
    avatar: AudienceIn | UnsetType = UNSET
    bio: AudienceIn | UnsetType = UNSET
    birthdate: AudienceIn | UnsetType = UNSET
    email: AudienceIn | UnsetType = UNSET
    groups_add: Literal["everybody", "contacts"] | UnsetType = UNSET
    read_receipts: bool | UnsetType = UNSET


class PresetList(Page[shapes.PresetImage]):
    """A page of the preset avatars or frames the server ships, by id."""


class SessionList(Page[shapes.Session]):
    """A page of active sessions, most recently used first."""


class MessagePage(msgspec.Struct, kw_only=True):
    items: list[shapes.Message]
    has_more: bool
    has_newer: bool | None = None


class MessageEditOut(msgspec.Struct, kw_only=True):
    text: str
    edited_at: datetime


class PinList(Page[shapes.Pin]):
    """A page of a chat's pinned messages, newest pin first."""


class EditList(Page[MessageEditOut]):
    """A page of a message's earlier texts, oldest first."""


# Outer bounds only: the domain knows the tokens, the colour format and the name's length.
ColorToken = Annotated[str, Meta(max_length=64)]
ColorValue = Annotated[str, Meta(max_length=64)]


class ThemeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A theme as made or replaced: ``colors`` maps colour tokens to ``#rrggbb`` (see
    ``Theme``); ``background`` is a ``#rrggbb`` colour, the ``id`` of an image the caller
    uploaded (``POST /files``), or null for none."""

    name: ShortText
    colors: Annotated[dict[ColorToken, ColorValue], Meta(max_length=64)] = {}
    background: Annotated[str, Meta(max_length=64)] | None = None


class SettingsPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields left out stay as they are. ``theme_id``: one of the caller's themes' ids or
    ``system``, ``light``, ``dark``; ``language``: ``system``, ``en`` or ``ru``."""

    theme_id: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    language: Annotated[str, Meta(max_length=16)] | UnsetType = UNSET


class ThemeList(Page[shapes.Theme]):
    """A page of the caller's themes, oldest first (at most ``max_themes``, 50 by
    default, so the first page of the default size holds them all)."""


class Health(msgspec.Struct, kw_only=True):
    status: Literal["ok"]


class ValidationIssue(msgspec.Struct, kw_only=True):
    """One schema violation of a ``validation_error``: what is wrong, with which input and
    where the input was (the body or a path, query, header or cookie parameter)."""

    message: str
    key: str | UnsetType = UNSET
    source: Literal["body", "path", "query", "header", "cookie", "dependency"] | UnsetType = UNSET


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details with the stable ``code`` (every error response's body).

    ``field`` names the offending input of a ``validation_error`` or domain rule;
    ``errors`` lists schema violations; ``incident`` identifies a logged server error.
    """

    type: str
    title: str
    status: int
    detail: str
    code: ErrorCode
    field: str | UnsetType = UNSET
    errors: list[ValidationIssue] | UnsetType = UNSET
    incident: str | UnsetType = UNSET
