"""Ports: what the domain needs from the outside world, as ``typing.Protocol``s.

Repositories never commit; the unit of work does. A *write* unit of work is serialised
with every other write unit of work that touches the change feed (see ``UnitOfWork``), which
is what makes the feed gap-free.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar

from messenger.domain.administration import Invite, PasswordReset, UserFilter
from messenger.domain.audit import AuditAction, AuditEntry
from messenger.domain.chat_list import ListedChat
from messenger.domain.chat_prefs import ChatPrefs
from messenger.domain.errors import DomainError
from messenger.domain.events import Delivery, Event, FeedEntry, Notification
from messenger.domain.model import (
    AccessClaims,
    Block,
    Chat,
    Contact,
    EncodedImage,
    ImageInfo,
    MediaItem,
    Membership,
    Message,
    MessageEdit,
    MessageQuery,
    Pin,
    Reaction,
    RefreshToken,
    Session,
    StoredFile,
    User,
)
from messenger.domain.moderation import Report, ReportStatus
from messenger.domain.paging import Key
from messenger.domain.privacy import PrivacySettings
from messenger.domain.themes import Theme, UserSettings


class UserRepository(Protocol):
    async def add(self, user: User) -> User:
        """Store a new user and return it with its id. Raises UsernameTaken / EmailTaken."""

    async def get(self, user_id: int) -> User | None: ...

    async def get_many(self, user_ids: Iterable[int]) -> list[User]: ...

    async def deleted_among(self, user_ids: Iterable[int]) -> set[int]:
        """Which of the users deleted their account (a cheap check on the posting path)."""

    async def by_username(self, username: str) -> User | None: ...

    async def ids_by_username(self, usernames: Iterable[str]) -> dict[str, int]:
        """The ids of the users with these (lower-cased) usernames, keyed by username; names
        nobody has are left out (one query for all the mentions of a group of posts)."""

    async def by_email(self, email: str) -> User | None: ...

    async def update(self, user: User) -> None: ...

    async def search(self, query: str, limit: int, *, after: str | None = None) -> list[User]:
        """Live (not deleted) users whose username or display name contains ``query``
        (case-insensitive), by username; ``after``: only usernames that sort after it (the
        next page)."""

    async def erasing(self, limit: int) -> list[int]:
        """Ids of up to ``limit`` deleted users whose messages are still being erased."""

    async def any_user(self) -> bool:
        """Whether any account was ever registered (deleted ones count): the first one of a
        fresh server becomes its administrator."""

    async def count_accounts(self) -> tuple[int, int]:
        """(accounts not deleted, those of them that can log in: not deactivated either)."""

    async def for_admin(
        self, query: str, status: UserFilter | None, limit: int, *, after: str | None = None
    ) -> list[User]:
        """Every account (deleted ones too) whose username, display name or email contains
        ``query`` (lower-case; "" matches all) and that ``status`` takes in (None: all), by
        username; ``after``: only usernames that sort after it (the next page)."""


class ChatRepository(Protocol):
    async def add(self, chat: Chat) -> Chat:
        """Store a new chat and return it with its id.

        Raises ``Conflict`` when a dialog with the same ``direct_key`` exists.
        """

    async def get(self, chat_id: int) -> Chat | None: ...

    async def get_many(self, chat_ids: Iterable[int]) -> list[Chat]: ...

    async def by_direct_key(self, direct_key: str) -> Chat | None: ...

    async def update(self, chat: Chat) -> None: ...

    async def update_many(self, chats: Sequence[Chat]) -> None:
        """Store changes to existing chats (one statement for a group commit's chats)."""


class MembershipRepository(Protocol):
    async def add(self, membership: Membership) -> None: ...

    async def get(self, chat_id: int, user_id: int) -> Membership | None: ...

    async def update(self, membership: Membership) -> None: ...

    async def remove(self, chat_id: int, user_id: int) -> None: ...

    async def of_chat(self, chat_id: int) -> list[Membership]: ...

    async def member_ids(self, chat_id: int) -> frozenset[int]:
        """Ids of the chat's current members (a post's recipients), empty for no chat."""

    async def member_ids_with_drafts(self, chat_id: int) -> tuple[frozenset[int], frozenset[int]]:
        """The chat's member ids, and those of them who keep a draft in it: read together,
        as a post needs both (its sender's draft goes when the message is sent)."""

    async def of_user(self, user_id: int) -> list[Membership]: ...

    async def chat_list(
        self, user_id: int, *, archived: bool, after: Key | None, limit: int
    ) -> list[ListedChat]:
        """Up to ``limit`` of the user's chats as ``chat_list.chat_list_page`` picks them
        from all of them (the archived ones or the others, in the list's order, after the
        key ``after``), reading no more than the page needs."""

    async def of_chats(self, chat_ids: Iterable[int]) -> list[Membership]: ...

    async def contacts_of(self, user_id: int) -> set[int]:
        """Ids of the users who share at least one chat with ``user_id`` (not the user)."""


class MessageRepository(Protocol):
    async def add(self, message: Message) -> Message:
        """Store a new message and return it with its id.

        Ids ascend in commit order. Raises ``Conflict`` on a duplicate (sender, client id).
        """

    async def add_many(self, messages: Sequence[Message]) -> list[Message]:
        """Store new messages and return them with their ids, which ascend in the given order.

        Raises ``Conflict`` on a duplicate (sender, client id), also within ``messages``.
        """

    async def get(self, message_id: int) -> Message | None: ...

    async def get_many(self, message_ids: Iterable[int]) -> dict[int, Message]:
        """The messages with these ids, by id (ids of no message are left out)."""

    async def hidden_from_some(self, message_ids: Iterable[int]) -> set[int]:
        """Those of the messages that some current member of their chat cleared or hid
        for themself (whose text a frame to the whole chat must not quote)."""

    async def by_client_id(self, sender_id: int, client_id: str) -> Message | None: ...

    async def by_client_ids(
        self, pairs: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], Message]:
        """The stored messages with these (sender id, client id) pairs, keyed by the pair;
        pairs with no message are left out (one query for a whole batch of posts)."""

    async def update(self, message: Message) -> None: ...

    async def add_edit(self, edit: MessageEdit) -> None: ...

    async def edits_of(self, message_id: int) -> list[MessageEdit]: ...

    async def forget_edits(self, message_id: int) -> None: ...

    async def page(
        self, chat_id: int, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        """Up to ``limit`` messages in ascending id order.

        ``after``: the oldest messages above it; ``before``: the newest below it;
        neither: the newest page.
        """

    async def last_of_chats(self, chat_ids: Sequence[int]) -> dict[int, Message]: ...

    async def count_unread(self, watermarks: dict[int, int], reader_id: int) -> dict[int, int]:
        """Per chat: live messages from others with an id above the reader's watermark,
        but those the reader hid."""

    async def count_unread_mentions(
        self, watermarks: dict[int, int], reader_id: int
    ) -> dict[int, int]:
        """Per chat: live messages that mention the reader with an id above the reader's
        watermark, but those the reader hid."""

    async def mentioning(
        self, user_id: int, chat_id: int, *, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        """Up to ``limit`` of the chat's live messages that mention the user, in ascending
        id order, paged as ``page`` pages."""

    async def hide(self, user_id: int, message_id: int) -> None:
        """Hide a message from one user (idempotent)."""

    async def hidden_among(self, user_id: int, message_ids: Sequence[int]) -> set[int]:
        """Those of ``message_ids`` the user hid."""

    async def hiders(self, message_ids: Sequence[int]) -> dict[int, set[int]]:
        """Per message (of those given that anyone hid): the users who hid it."""

    async def live_of_sender(self, sender_id: int, limit: int) -> list[Message]:
        """Up to ``limit`` of the user's messages that are not deleted, oldest first."""

    async def update_reactions(self, message: Message) -> None:
        """Store the message's reaction counts (and nothing else of it)."""

    async def count_since(self, since: datetime) -> int:
        """How many messages were posted at or after ``since`` (deleted ones too)."""


class ReactionRepository(Protocol):
    """Who reacted to which message with which emoji (a message's counts live on it)."""

    async def add(self, reaction: Reaction) -> None:
        """Store a new reaction (the caller checked that there is none)."""

    async def remove(self, message_id: int, user_id: int, emoji: str) -> None: ...

    async def remove_all(self, message_id: int) -> None:
        """Forget every reaction to a message (it was deleted)."""

    async def mine(self, user_id: int, message_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        """Per message of ``message_ids`` the user reacted to: the emoji they reacted with
        (one query for a whole history page)."""

    async def users_of(
        self, message_id: int, emoji: str, *, after: int | None, limit: int
    ) -> list[int]:
        """Up to ``limit`` ids of the users who reacted to the message with ``emoji``,
        ascending, those above ``after``."""


class PinRepository(Protocol):
    """Pinned messages, per chat."""

    async def get(self, chat_id: int, message_id: int) -> Pin | None: ...

    async def add(self, pin: Pin) -> None:
        """Store a new pin (the caller checked there is none)."""

    async def remove(self, chat_id: int, message_id: int) -> None: ...

    async def of_chat(self, chat_id: int) -> list[Pin]:
        """The chat's pins, newest pin first (by pin time, then message id)."""

    async def among(self, message_ids: Iterable[int]) -> list[Pin]:
        """The pins of those of the messages that are pinned."""


class FeedRepository(Protocol):
    async def since(
        self, user_id: int, position: int, up_to: int, limit: int, *, others_reads: bool = True
    ) -> list[FeedEntry]:
        """Entries in (position, up_to] the user may see, ascending: events of chats the
        user is in from the position they joined at, and events about the user themself.
        Events of a message (posted, edited, deleted) the user cleared or hid are left
        out, and so are the user's own ``messages_delivered`` (told to the others only).
        ``others_reads`` False (the user has read receipts off): without the
        ``messages_read`` of other users."""

    async def head(self) -> int:
        """The position of the newest committed entry (0 when the feed is empty)."""

    async def oldest(self) -> int:
        """The oldest cursor that can still be continued from: every entry after it is
        held, those up to it were pruned (0 while nothing was; the head once all were)."""

    async def prune(self, older_than: datetime, limit: int) -> int:
        """Delete up to ``limit`` of the oldest entries committed before ``older_than``,
        stopping at the first one that is not (the feed stays a gap-free tail: entries go
        from its start only); how many went. Two at once are harmless: what one deleted
        the other finds gone.

        Upkeep, not a change of the unit: called in a read-only unit of work, it deletes in
        a short transaction of its own, committed at once and without the writers' lock
        (it touches no row a writer writes), so posting does not wait for it."""

    async def newest_posted(self, user_id: int, after: int, up_to: int) -> dict[int, int]:
        """Per chat of the user: the newest id of a message by someone else posted at a
        position in (after, up_to]."""

    async def redact(self, message: Message) -> None:
        """Rewrite the stored posts and edits of a deleted ``message`` to carry its
        tombstone, and those of replies in its chat to quote it as deleted: who syncs from
        a cursor before it never receives what was removed (moderation)."""


class ContactRepository(Protocol):
    """Users' contacts: each owner's own list, with the local names only they see."""

    async def get(self, owner_id: int, user_id: int) -> Contact | None: ...

    async def put(self, contact: Contact) -> None:
        """Store a new contact or the changed local name of one already there."""

    async def remove(self, owner_id: int, user_id: int) -> None: ...

    async def of_owner(self, owner_id: int, *, after: int | None, limit: int) -> list[Contact]:
        """Up to ``limit`` of the owner's contacts by user id, those above ``after``."""

    async def among(self, owner_id: int, user_ids: Iterable[int]) -> list[Contact]:
        """The owner's contacts among ``user_ids``."""

    async def owners_having(self, user_id: int, owner_ids: Iterable[int]) -> set[int]:
        """Which of ``owner_ids`` have ``user_id`` in their contacts."""


class BlockRepository(Protocol):
    """Who blocked whom."""

    async def get(self, blocker_id: int, blocked_id: int) -> Block | None: ...

    async def add(self, block: Block) -> None:
        """Store a new block (the caller checked that there is none)."""

    async def remove(self, blocker_id: int, blocked_id: int) -> None: ...

    async def of_blocker(self, blocker_id: int, *, after: int | None, limit: int) -> list[Block]:
        """Up to ``limit`` of the users the blocker blocked by user id, those above
        ``after``."""

    async def blockers_of(self, user_id: int, among: Iterable[int]) -> set[int]:
        """Which of ``among`` blocked ``user_id``."""

    async def blocked_by(self, blocker_id: int, among: Iterable[int]) -> set[int]:
        """Which of ``among`` the blocker blocked."""

    async def blocking_any(self, blocker_ids: Iterable[int], user_ids: Iterable[int]) -> set[int]:
        """Which of ``blocker_ids`` blocked at least one of ``user_ids``."""


class PrivacyRepository(Protocol):
    """Users' privacy settings; a user who never changed theirs has the defaults."""

    async def get(self, user_id: int) -> PrivacySettings: ...

    async def get_many(self, user_ids: Iterable[int]) -> dict[int, PrivacySettings]:
        """The settings of each of the users (the defaults for those never changed)."""

    async def online_visible_to(self, viewer_id: int, owner_ids: Iterable[int]) -> set[int]:
        """Those of the owners whose being online the viewer may see (``online_visible``
        of what each owner thinks of the viewer and their ``online`` setting), in one read
        whose size goes by how many it finds: a socket's ``ready`` asks it."""

    async def put(self, user_id: int, settings: PrivacySettings) -> None: ...


class SessionRepository(Protocol):
    async def add(self, session: Session) -> None: ...

    async def get(self, session_id: str) -> Session | None: ...

    async def update(self, session: Session) -> None: ...

    async def of_user(self, user_id: int) -> list[Session]: ...

    async def add_token(self, token: RefreshToken) -> None: ...

    async def token(self, token_hash: str) -> RefreshToken | None: ...

    async def update_token(self, token: RefreshToken) -> None: ...


class FileRepository(Protocol):
    async def add(self, file: StoredFile) -> None: ...

    async def get(self, file_id: str) -> StoredFile | None: ...

    async def get_many(self, file_ids: Sequence[str]) -> list[StoredFile]: ...

    async def attached_in_chats_of(self, file_id: str, user_id: int) -> bool:
        """Whether the file is attached to a message in a chat the user belongs to."""

    async def total_size_of(self, owner_id: int) -> int:
        """The bytes of every file the user has stored (0 for none)."""

    async def unattached_before(self, cutoff: datetime, limit: int) -> list[StoredFile]:
        """Up to ``limit`` files uploaded before ``cutoff`` that no message carries (any
        more), oldest first."""

    async def unattached_of(self, owner_id: int, limit: int) -> list[StoredFile]:
        """Up to ``limit`` of the user's files that no message carries (nor their avatar)."""

    async def remove_unattached(self, file_ids: Sequence[str]) -> list[str]:
        """Delete the rows of those of the files that no message carries; their ids.

        Neither counts a variant (``FileKind.is_variant``) as unattached while the file it
        was made from (whose ``thumbnail_id`` it is) exists: it goes with that file."""

    async def remove(self, file_ids: Sequence[str]) -> None:
        """Delete these rows whatever refers to them (the caller made sure nothing does)."""

    async def made_from(self, variant_id: str) -> StoredFile | None:
        """The file whose ``thumbnail_id`` is ``variant_id`` (None for no such file)."""

    async def media_of_chat(
        self,
        chat_id: int,
        *,
        images: bool,
        before: tuple[int, str] | None,
        limit: int,
        after_message_id: int = 0,
        reader_id: int | None = None,
    ) -> list[MediaItem]:
        """Up to ``limit`` files attached to live messages of the chat, newest first by
        (message id, file id): images (``width`` known) or the other files; ``before``: only
        those that sort below it; ``after_message_id``: only messages above it (the lower
        bound of what the reader may see of the chat); ``reader_id``: but messages that
        user hid for themself."""


class ThemeRepository(Protocol):
    async def add(self, theme: Theme) -> None: ...

    async def get(self, theme_id: str) -> Theme | None: ...

    async def update(self, theme: Theme) -> None: ...

    async def remove(self, theme_id: str) -> None: ...

    async def of_user(self, user_id: int) -> list[Theme]:
        """The user's themes, oldest first (by creation time, then id)."""


class SettingsRepository(Protocol):
    async def get(self, user_id: int) -> UserSettings:
        """The user's settings; the defaults for a user who never chose any."""

    async def save(self, settings: UserSettings) -> None: ...


class SearchIndex(Protocol):
    """The words of messages' texts, to find messages by any inflection of them.

    Written in the unit of work of the change it follows (a post, an edit, a delete), so
    the index never disagrees with the messages. How words are analysed (stems, prefixes)
    is the adapter's business; every adapter must match a query the same way.
    """

    async def add_many(self, messages: Sequence[Message]) -> None:
        """Index new messages (one statement for a group commit's; none for no text)."""

    async def replace(self, message: Message) -> None:
        """Index an edited message's text anew (a deleted one is removed)."""

    async def remove(self, message_ids: Sequence[int]) -> None:
        """Drop messages from the index (deleted, erased)."""

    async def find(self, query: MessageQuery, limit: int) -> list[Message]:
        """Up to ``limit`` messages that match ``query.text`` and ``query.admits``, and that
        ``query.reader_id`` did not hide, newest (highest id) first."""

    def highlights(self, query: str, text: str) -> tuple[str, ...]:
        """The words of ``text``, as written there, that match a word of ``query``."""


class ChatPrefsRepository(Protocol):
    """What users chose per chat (``ChatPrefs``); no row reads as the defaults."""

    async def get(self, chat_id: int, user_id: int) -> ChatPrefs | None: ...

    async def of_user(self, user_id: int) -> list[ChatPrefs]:
        """Every row of the user (also of chats they left: callers filter by membership)."""

    async def save(self, prefs: ChatPrefs) -> None:
        """Store the row (its defaults remove it)."""

    async def remove(self, chat_id: int, user_id: int) -> None:
        """Forget what the user chose for the chat (they left it)."""


class AuditLog(Protocol):
    """The audit log (``domain.audit``), newest entries first."""

    async def record(self, entry: AuditEntry) -> None:
        """Store the entry (its ``id`` is given by the storage)."""

    async def page(
        self,
        *,
        limit: int,
        before_id: int | None = None,
        actor_id: int | None = None,
        action: AuditAction | None = None,
    ) -> list[AuditEntry]:
        """Up to ``limit`` entries older than ``before_id`` (all: None), newest first,
        of that actor and action where given."""

    async def prune(self, older_than: datetime, limit: int) -> int:
        """Delete up to ``limit`` of the oldest entries made before ``older_than``; how
        many went."""


class ServerSettingsRepository(Protocol):
    """Settings an administrator changed at run time, by key (they win over the
    environment's)."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str) -> None: ...


class InviteRepository(Protocol):
    async def add(self, invite: Invite) -> None: ...

    async def get(self, invite_id: str) -> Invite | None: ...

    async def by_token(self, token_hash: str) -> Invite | None: ...

    async def update(self, invite: Invite) -> None: ...

    async def page(self, limit: int, *, before: tuple[datetime, str] | None = None) -> list[Invite]:
        """Up to ``limit`` invites, newest first (by ``created_at``, then ``id``);
        ``before``: only those that sort after that (created_at, id) (the next page)."""


class PasswordResetRepository(Protocol):
    async def add(self, reset: PasswordReset) -> None: ...

    async def by_token(self, token_hash: str) -> PasswordReset | None: ...

    async def unused_of(self, user_id: int) -> list[PasswordReset]:
        """The user's links not used yet (expired ones too)."""

    async def update(self, reset: PasswordReset) -> None: ...


class ReportRepository(Protocol):
    """Members' reports of messages (``domain.moderation``), newest first."""

    async def add(self, report: Report) -> Report:
        """Store a new report and return it with its id."""

    async def get(self, report_id: int) -> Report | None: ...

    async def open_of(self, reporter_id: int, message_id: int) -> Report | None:
        """The reporter's open report of the message, if any."""

    async def update(self, report: Report) -> None: ...

    async def page(
        self, *, limit: int, before_id: int | None = None, status: ReportStatus | None = None
    ) -> list[Report]:
        """Up to ``limit`` reports older than ``before_id`` (all: None), newest first, of
        that status where given."""


class UnitOfWork(Protocol):
    """One transaction over all repositories.

    A write unit of work (``read_only=False``) is serialised with every other one from its
    first statement to its commit, so feed positions (and message ids) become visible in the
    order they were handed out. ``record`` queues an event for the feed and for the
    notifier; ``commit`` gives every recorded feed event its position and returns the
    notifications to publish, which the caller publishes only after the commit succeeded.
    """

    @property
    def users(self) -> UserRepository: ...

    @property
    def chats(self) -> ChatRepository: ...

    @property
    def members(self) -> MembershipRepository: ...

    @property
    def messages(self) -> MessageRepository: ...

    @property
    def feed(self) -> FeedRepository: ...

    @property
    def reactions(self) -> ReactionRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def files(self) -> FileRepository: ...

    @property
    def contacts(self) -> ContactRepository: ...

    @property
    def blocks(self) -> BlockRepository: ...

    @property
    def privacy(self) -> PrivacyRepository: ...

    @property
    def themes(self) -> ThemeRepository: ...

    @property
    def settings(self) -> SettingsRepository: ...

    @property
    def pins(self) -> PinRepository: ...

    @property
    def search(self) -> SearchIndex: ...

    @property
    def chat_prefs(self) -> ChatPrefsRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def server_settings(self) -> ServerSettingsRepository: ...

    @property
    def invites(self) -> InviteRepository: ...

    @property
    def password_resets(self) -> PasswordResetRepository: ...

    @property
    def reports(self) -> ReportRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Rolls back whatever was not committed."""

    def record(self, event: Event, recipients: Iterable[int]) -> None: ...

    async def position(self) -> int:
        """The position the next recorded event will get (write units of work only)."""

    async def commit(self) -> list[Notification]: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


class PresenceRegistry(Protocol):
    """Which users have a socket open on any server process: a user is online while one
    process holds a socket of theirs. Each process tells it of its own first and last
    socket of a user; a process that stops without saying stops counting within a while
    (``orphans``)."""

    async def came(self, user_id: int) -> bool:
        """This process now holds a socket of the user (its first): True if no process
        held one before, i.e. the user came online."""

    async def left(self, user_id: int) -> bool:
        """This process closed its last socket of the user: True if no process holds one
        now, i.e. the user went offline."""

    async def online_among(self, user_ids: Iterable[int]) -> set[int]:
        """Those of the users with a socket on some live process."""

    async def orphans(self) -> set[int]:
        """Users whose sockets were on processes that stopped without saying (their
        heartbeat ran out) and who have none elsewhere: offline now. Each is handed to one
        process only, which reports them."""


class Notifier(Protocol):
    """Delivers events to the users who must see them. Called only after commit."""

    async def publish(self, notifications: Sequence[Notification]) -> None: ...


Listener = Callable[[Notification], None]
DeliveryListener = Callable[[Delivery], None]
# Encodes a notification's frame for its recipients (the contract's, supplied by the
# composition root): notifiers call it once per notification, when it is published.
DeliveryEncoder = Callable[[Notification], Delivery]


class EventStream(Protocol):
    """The receiving side of the notifier: how delivery (sockets) learns of events.

    With several server processes every process receives every notification, already
    encoded, and delivers it to the sockets it holds.
    """

    def subscribe(self, listener: DeliveryListener) -> Callable[[], None]:
        """Call ``listener`` for every published notification; returns an unsubscribe."""


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...

    async def dummy_verify(self, password: str) -> None:
        """Spend the time of a verification against no real hash, so that an unknown user
        and a wrong password cannot be told apart by timing."""


class CommonPasswords(Protocol):
    """The most common passwords, lowercased: the ones guessing tries first."""

    def __contains__(self, password: object, /) -> bool:
        """Whether ``password`` (already lowercased by the caller) is one of them."""


class EmojiSet(Protocol):
    """The Unicode emoji a reaction may be (the set is data, so it sits behind a port)."""

    def canonical(self, text: str) -> str | None:
        """``text`` as the one emoji it is, in its fully-qualified form (so that "❤" and
        "❤️" are one reaction); None unless it is exactly one emoji. A sequence with skin
        tones or joiners is one emoji; a skin tone alone is none."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class IdSource(Protocol):
    def new_id(self) -> str:
        """A random, unguessable identifier (sessions, files)."""

    def new_secret(self) -> str:
        """A random secret with at least 256 bits of entropy (refresh tokens)."""


class TokenIssuer(Protocol):
    def issue_access(self, user_id: int, session_id: str) -> tuple[str, int]:
        """An access token and its lifetime in seconds."""

    def verify_access(self, token: str) -> AccessClaims:
        """Raises ``InvalidToken`` for anything but a valid, unexpired access token."""


class FileStore(Protocol):
    async def save(self, storage_key: str, chunks: AsyncIterable[bytes], max_size: int) -> int:
        """Write the chunks and return the size; raises ``PayloadTooLarge`` (and keeps
        nothing) once more than ``max_size`` bytes arrive."""

    def open(self, storage_key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, storage_key: str) -> None: ...

    async def check(self) -> None:
        """Raise ``ServiceUnavailable`` while files cannot be stored (a full or read-only
        disk): readiness probes report it."""


class Images(Protocol):
    """Reading and re-encoding images: PNG, JPEG, WebP and GIF (its first frame), told apart
    by their bytes only. Decoding is CPU work: adapters do it off the event loop.

    Output keeps no metadata (EXIF, GPS, comments, colour profiles are dropped)."""

    async def probe(self, head: bytes, max_pixels: int) -> ImageInfo | None:
        """What the first bytes of a file say it is: one of the accepted formats with its
        size, or None (any other content, a header cut short, more than ``max_pixels``)."""

    async def avatar(
        self, data: bytes, sizes: Sequence[int], max_pixels: int
    ) -> list[EncodedImage]:
        """The image cropped to its centred square and scaled to each of ``sizes``.

        Raises ``UnsupportedImage`` for anything but an accepted image that decodes, and
        ``ImageTooLarge`` beyond ``max_pixels`` (before decoding a pixel)."""

    async def thumbnail(
        self, data: bytes, box: int, max_pixels: int
    ) -> tuple[ImageInfo, EncodedImage]:
        """The image's size and a copy that fits in ``box`` x ``box`` (never enlarged).

        Raises as ``avatar`` does."""


class LoginThrottle(Protocol):
    """Counts failed logins per account so guessing gets slower."""

    async def check(self, key: str) -> None:
        """Raises ``Throttled`` while ``key`` is locked out."""

    async def failed(self, key: str) -> None: ...

    async def succeeded(self, key: str) -> None: ...


class RateLimiter(Protocol):
    """Token buckets by key (an action and a user): a bucket holds up to ``burst`` tokens
    and refills at ``rate`` tokens a second; an action spends tokens or must wait.

    Process state, like ``SessionTrust``: with several server processes each keeps its own
    buckets, so a user's budget is per process. Synchronous: it sits on the posting path.
    """

    def take(self, key: str, rate: float, burst: float, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens of ``key``'s bucket: 0.0 when spent, else the seconds until
        they would be there (nothing is spent then). ``cost`` must not exceed ``burst``."""


class SessionTrust(Protocol):
    """Sessions this process recently found active, trusted for a while without reading
    storage: session id -> (user id, deadline).

    Process state, shared by the use cases of one process so that a revocation made here
    takes effect at once. Deadlines are ``time.monotonic``-style seconds chosen by the reader.
    """

    @property
    def epoch(self) -> int:
        """Bumped by every revocation; a reader passes the epoch it saw before loading a
        session to ``put``, so that what it read before a concurrent revocation is not kept."""

    def get(self, session_id: str) -> tuple[int, float] | None:
        """The trusted user id and deadline of a session, if any."""

    def put(
        self, session_id: str, user_id: int, deadline: float, *, epoch: int, max_size: int
    ) -> None:
        """Trust an active session read at ``epoch`` until ``deadline`` (nothing if a
        revocation came since); the oldest entry goes when ``max_size`` are trusted."""

    def expire(self, session_id: str) -> None:
        """Drop an entry whose deadline passed."""

    def revoke(self, session_id: str) -> None:
        """Stop trusting a session this process has just revoked."""


_S = TypeVar("_S")
_R = TypeVar("_R")
_S_contra = TypeVar("_S_contra", contravariant=True)
_R_co = TypeVar("_R_co", covariant=True)


class GroupWrite(Protocol[_S_contra, _R_co]):
    """A hot write, in the shape a ``Committer`` can batch: writes a group of submissions in
    one unit of work (opens it, stages every submission, commits, then publishes).

    Returns, per submission and in order, its result or the ``DomainError`` of a rule it
    broke (that submission fails alone). Raising fails the whole group. ``Conflict`` is raised
    for a race on a unique key with another writer: the committer writes the group again with
    ``after_conflict`` set, and then the write must look such keys up before writing.
    """

    async def __call__(
        self, submissions: Sequence[_S_contra], /, *, after_conflict: bool
    ) -> Sequence[_R_co | DomainError]: ...


class Committer(Protocol):
    """How the submissions of a hot write reach its ``GroupWrite``.

    A batching committer lets the submissions that arrive while a group is being written
    share the next group (group commit: one unit of work, one commit); a plain one writes
    each submission alone. Either way a submission is written even if its caller stops
    waiting, and a group that hits a ``Conflict`` is written again, finally submission by
    submission, so that only the racing one waits.
    """

    def submitter(
        self, write: GroupWrite[_S, _R], *, max_group: int
    ) -> Callable[[_S], Awaitable[_R]]:
        """A function that submits one submission to ``write`` (at most ``max_group`` to a
        call) and returns its result, or raises its rule's error or its group's failure."""
