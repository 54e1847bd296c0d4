"""A hypothesis state machine over the whole domain, on the in-memory adapters.

After every step it checks the invariants the product promises: an ended session (log out,
revoked device, reused refresh token, new password, deleted or deactivated account, used
password-reset link) is refused at once and its sockets are told to close; one dialog per
pair; history pages ascend and never overlap; resends never duplicate; unread counts equal a
recount; watermarks never move back; nobody outside a chat is told about it; a profile
change goes to the user's feed and, pushed, to their chat-mates only, and the feed's last
word on a user's profile is the profile; what a user cleared or hid for themself never
reaches them again (history, last message, unread count, pushes, sync); and replaying the
change feed from any earlier cursor onto the state seen then gives exactly today's state
(Zulip's ``verify_action`` idea, applied to every user at once). The feed's time passes by
days and it is pruned at random: what is left is a gap-free tail, a cursor inside it still
replays to today's state, and one before it gets ``resync_required``, never a silent gap.
The pins a member reads equal a recount of the chat's pins they see, and no deleted message
stays pinned; a reply's quote never shows its original to anyone who does not see it,
pushed or read.

The first account is the server's administrator: a message it removes shows nobody its text
afterwards (history, chat list, pins, search, pushes, sync even from before it was posted,
quotes of it), and its tombstone says so in every channel; a report never shows a message
to anyone who does not see it.

With contacts, blocks and privacy settings changing at random in between, a user never
sees what a rule hides from them, in any channel: profiles read over REST, read marks of
chat members, what is pushed to them (checked against the rules when it is published) and
what ``sync`` gives them (only what was pushed to them, or read marks they may see now).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from messenger.adapters import text_search
from messenger.adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory, TickingClock
from messenger.domain.administration import OPERATOR
from messenger.domain.chat_prefs import MUTED_FOREVER
from messenger.domain.errors import (
    AccountDeactivated,
    Blocked,
    DomainError,
    InvalidCredentials,
    InvalidToken,
    PrivacyRestricted,
    ResyncRequired,
    Throttled,
)
from messenger.domain.events import (
    BlocksUpdated,
    ChatCleared,
    ChatCreated,
    ChatSettingsUpdated,
    ChatUpdated,
    ContactsUpdated,
    DraftUpdated,
    Event,
    MemberAdded,
    MemberRemoved,
    MemberUpdated,
    MessageDeleted,
    MessageEdited,
    MessageHidden,
    MessagePinned,
    MessagePosted,
    MessageReactionsChanged,
    MessagesDelivered,
    MessagesRead,
    MessageUnpinned,
    Notification,
    PresenceChanged,
    PrivacyUpdated,
    ProfileUpdated,
    SessionsEnded,
    UserTyping,
)
from messenger.domain.model import (
    AccessClaims,
    Chat,
    ChatKind,
    ChatMember,
    ChatSummary,
    Message,
    PublicProfile,
    Role,
)
from messenger.domain.privacy import DEFAULT, Audience, PrivacySettings, Relation, relation, visible
from messenger.domain.service import Messenger
from messenger.domain.usecases import PruneFeed
from messenger.embedded import in_memory

T = TypeVar("T")
USERS = 4
CLIENT_IDS = st.sampled_from(["a", "b", "c", "d", "e", "f"])
REACTIONS = st.sampled_from(["👍", "❤️", "👍🏽"])
TEXTS = st.sampled_from(["hi", "привет", "👋 ok", "  spaced  ", "x" * 40])
SEARCHES = ("hi", "приветы", "ok", "xxx", "spaced hi")
GUARDED = {"avatar": "avatar_file_id", "bio": "bio", "last_seen": "last_seen_at"}
SETTINGS = st.sampled_from(["last_seen", "online", "avatar", "bio"])
AUDIENCES = st.sampled_from(list(Audience))


@dataclass
class Device:
    """One logged-in device: its session and its latest tokens."""

    user_id: int
    session_id: str
    access_token: str
    refresh_token: str
    used_refresh_tokens: list[str] = field(default_factory=list)


@dataclass
class ChatView:
    """What a client knows of one chat."""

    kind: str
    title: str | None
    members: dict[int, str] = field(default_factory=dict)
    read: dict[int, int] = field(default_factory=dict)
    delivered: dict[int, int] = field(default_factory=dict)
    # id -> (text, deleted, removed by an administrator)
    messages: dict[int, tuple[str, bool, bool]] = field(default_factory=dict)
    pins: set[int] = field(default_factory=set)
    # Reaction counts of the messages that have any: [(emoji, count)] by first use.
    reactions: dict[int, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    # The user's own settings and draft (chat_settings_updated, draft_updated); ``pin``:
    # the chat's place among the pinned ones (compared by order only: ``_pin_order``).
    muted_until: datetime | None = None
    pin: int | None = None
    archived: bool = False
    draft: tuple[str, int | None] | None = None


ClientState = dict[int, ChatView]


def _pin_order(state: ClientState) -> None:
    """Pinned places as ranks among the chats present (a chat left since drops out)."""
    pinned = sorted((v.pin, cid) for cid, v in state.items() if v.pin is not None)
    for rank, (_, cid) in enumerate(pinned):
        state[cid].pin = rank


def _from_members(kind: str, title: str | None, members: tuple[ChatMember, ...]) -> ChatView:
    view = ChatView(kind=kind, title=title)
    for m in members:
        uid = m.membership.user_id
        view.members[uid] = m.membership.role.value
        view.read[uid] = m.membership.read_message_id
        view.delivered[uid] = m.membership.delivered_message_id
    return view


def apply_event(
    state: ClientState,
    event: Event,
    me: int,
    read_marks: Callable[[int], dict[int, int]] = lambda chat_id: {},
    pins: Callable[[int], set[int]] = lambda chat_id: set(),
) -> None:
    """How a client folds one feed event into its state (the rule clients implement).

    A frame carries read marks only when every recipient may see them: a client added to a
    chat reads them (``read_marks``, the REST read of the chat's members), and its pins
    (``pins``, ``GET /chats/{id}/pins``)."""
    match event:
        case ChatCreated(chat=chat, members=members):
            state[chat.id] = _from_members(chat.kind.value, chat.title, members)
        case MemberAdded(chat=chat, member=member, members=members):
            if member.membership.user_id == me:
                state[chat.id] = _from_members(chat.kind.value, chat.title, members)
                state[chat.id].read.update(read_marks(chat.id))
                state[chat.id].pins = pins(chat.id)
            else:
                view = state[chat.id]
                view.members[member.membership.user_id] = member.membership.role.value
                view.read[member.membership.user_id] = member.membership.read_message_id
                view.delivered[member.membership.user_id] = member.membership.delivered_message_id
        case MemberRemoved(chat=chat_id, user_id=uid):
            if uid == me:
                state.pop(chat_id, None)
            else:
                view = state[chat_id]
                for part in (view.members, view.read, view.delivered):
                    part.pop(uid, None)
        case MemberUpdated(chat=chat_id, membership=m):
            state[chat_id].members[m.user_id] = m.role.value
        case ChatUpdated(chat=chat):
            state[chat.id].title = chat.title
        case MessagePosted(message=msg):
            view = state[msg.chat_id]
            view.messages[msg.id] = (msg.text, msg.deleted, msg.removed_by_admin)
            # A new message un-archives a chat that is not muted (no frame says so).
            if view.archived and not (view.muted_until and view.muted_until > msg.created_at):
                view.archived = False
        case MessageEdited(message=msg) | MessageDeleted(message=msg):
            # Only update what the client has: messages from before it joined are not
            # part of its state (it would page them in through history).
            if msg.id in state[msg.chat_id].messages:
                state[msg.chat_id].messages[msg.id] = (msg.text, msg.deleted, msg.removed_by_admin)
                if msg.deleted:
                    state[msg.chat_id].reactions.pop(msg.id, None)
        case MessagesRead(chat=chat_id, user_id=uid, message_id=mid):
            view = state[chat_id]
            view.read[uid] = mid
            view.delivered[uid] = max(view.delivered.get(uid, 0), mid)
        case MessagesDelivered(chat=chat_id, user_id=uid, message_id=mid):
            state[chat_id].delivered[uid] = mid
        case ContactsUpdated() | BlocksUpdated() | PrivacyUpdated():
            pass  # the user's own lists and settings: no chat changes
        case ChatCleared(chat=chat_id, up_to_message_id=up_to):
            view = state.get(chat_id)
            if view is not None:
                view.messages = {i: m for i, m in view.messages.items() if i > up_to}
                view.pins = {i for i in view.pins if i > up_to}
                view.reactions = {i: r for i, r in view.reactions.items() if i > up_to}
        case MessageHidden(chat=chat_id, message_id=mid):
            view = state.get(chat_id)
            if view is not None:
                view.messages.pop(mid, None)
                view.pins.discard(mid)
                view.reactions.pop(mid, None)
        case MessagePinned(pin=pin):
            state[pin.chat_id].pins.add(pin.message_id)
        case MessageUnpinned(chat=chat_id, message_id=mid):
            state[chat_id].pins.discard(mid)
        case ProfileUpdated(profile=profile):
            # Only about the user themself; its own invariant checks it.
            assert profile.id == me
        case MessageReactionsChanged(chat=chat_id, message_id=mid, reactions=counts):
            view = state[chat_id]
            if mid in view.messages:
                view.reactions[mid] = tuple((c.emoji, c.count) for c in counts)
                if not counts:
                    del view.reactions[mid]
        case ChatSettingsUpdated(chat=chat_id, settings=settings, pinned_chat_ids=pinned):
            assert event.user_id == me
            if chat_id in state:
                state[chat_id].muted_until = settings.muted_until
                state[chat_id].archived = settings.archived
            for cid, view in state.items():
                view.pin = pinned.index(cid) if cid in pinned else None
        case DraftUpdated(chat=chat_id, draft=draft):
            assert event.user_id == me
            if chat_id in state:
                state[chat_id].draft = None if draft is None else (draft.text, draft.reply_to_id)
        case _:
            raise AssertionError(f"unexpected feed event {event!r}")


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


class _ShiftedClock:
    """Another clock's time, moved on by ``offset``."""

    def __init__(self, base: TickingClock) -> None:
        self.base = base
        self.offset = timedelta()

    def now(self) -> datetime:
        return self.base.now() + self.offset


class MessengerMachine(RuleBasedStateMachine):
    chats = Bundle("chats")
    messages = Bundle("messages")
    devices = Bundle("devices")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        clock = TickingClock()
        # The feed's own time, which ``time_passes_for_the_feed`` moves on by days without
        # expiring every session and token (the rest of the domain keeps ``clock``).
        self.feed_clock = _ShiftedClock(clock)
        # Where each message was posted in the feed, kept past the prunes that drop its entry.
        self.posted_positions: dict[int, int] = {}
        self.uow = InMemoryUnitOfWorkFactory(InMemoryStore(), clock=self.feed_clock)
        # Our own store, so that the test can look at positions and memberships directly.
        self.app = Messenger(replace(in_memory(clock=clock).ports, uow=self.uow))
        self.prune_feed = PruneFeed(replace(self.app.ports, clock=self.feed_clock))
        self.users: list[int] = []
        self.sent: dict[tuple[int, str], int] = {}  # (sender, client id) -> message id
        self.watermarks: dict[tuple[int, int], tuple[int, int]] = {}
        self.snapshots: dict[int, list[tuple[int, ClientState]]] = {}
        self.violations: list[str] = []
        self.online: set[int] = set()  # users with a socket (``come_and_go``)
        self.app.ports.notifier.subscribe(self._check_audience)  # type: ignore[attr-defined]
        self.passwords: dict[int, str] = {}
        self.all_devices: list[Device] = []
        self.ended: set[str] = set()  # sessions whose end was published (sockets close)
        self.app.ports.notifier.subscribe(self._note_ended)  # type: ignore[attr-defined]
        self.app.ports.notifier.subscribe(self._check_privacy)  # type: ignore[attr-defined]
        # Feed position -> who it was pushed to (checked against the rules then).
        self.pushed: dict[int, frozenset[int]] = {}
        # Read receipts were switched: others' marks may then show or hide without an event.
        self.receipts_switched = False
        # What each user chose per chat, kept the plain way (an archive goes with the first
        # message that comes while the chat is not muted); recomputed lists must match.
        self.pins: dict[int, list[int]] = {}
        self.archived: set[tuple[int, int]] = set()
        self.mutes: dict[tuple[int, int], datetime] = {}
        self.drafts: dict[tuple[int, int], tuple[str, int | None]] = {}
        self.app.ports.notifier.subscribe(self._follow_chats)  # type: ignore[attr-defined]

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.loop.close()

    # --- audience check, at publish time (right after commit) -----------------------------

    def _note_ended(self, note: Notification) -> None:
        event = note.event
        if isinstance(event, SessionsEnded):
            if note.recipients != {event.user_id}:
                self.violations.append(f"sessions_ended went to {sorted(note.recipients)}")
            owners = {
                s.user_id for s in self.uow.store.sessions.values() if s.id in event.session_ids
            }
            if owners - {event.user_id}:
                self.violations.append("sessions_ended named another user's session")
            self.ended.update(event.session_ids)

    def _check_audience(self, note: Notification) -> None:
        store = self.uow.store
        event = note.event
        if isinstance(event, ChatCleared | MessageHidden | ChatSettingsUpdated | DraftUpdated):
            if note.recipients != {event.user_id}:
                self.violations.append(f"{event.type} went to {sorted(note.recipients)}")
            return
        if isinstance(event, ProfileUpdated):
            uid = event.profile.id
            mates = {
                other
                for (cid, other) in store.members
                if other != uid and (cid, uid) in store.members
            }
            # The feed copy is the user's; chat-mates are pushed one without a position, each
            # as they may see the profile, and only those who see something change.
            if note.position is not None:
                wrong = note.recipients != {uid}
            else:
                wrong = not note.recipients or not note.recipients <= mates
            if wrong:
                self.violations.append(f"profile_updated: {sorted(note.recipients)}")
            return
        chat_id = event.chat_id
        if chat_id is None:
            return
        members = {uid for (cid, uid) in store.members if cid == chat_id}
        if isinstance(event, MemberRemoved):
            expected = members | {event.user_id}
        elif isinstance(event, UserTyping):
            expected = members - {event.user_id} - self._blockers_of(event.user_id)
        elif isinstance(event, MessagesRead):
            expected = {m for m in members if self._settings(m).read_receipts} | {event.user_id}
        elif isinstance(event, MessagesDelivered):
            # Delivery is no secret, but one's own mark is of use to nobody's own devices
            # (ticks show on one's own messages): the other members, all of them.
            expected = members - {event.user_id}
        elif isinstance(event, MessageEdited | MessageDeleted):
            # A change to a message reaches only those who still see it.
            expected = {uid for uid in members if self._sees(uid, event.message)}
        elif isinstance(event, MessagePinned | MessageUnpinned):
            # So does a pin of it.
            pinned = store.messages[event.message_id]
            expected = {uid for uid in members if self._sees(uid, pinned)}
        elif isinstance(event, MessageReactionsChanged):
            reacted = store.messages[event.message_id]
            expected = {uid for uid in members if self._sees(uid, reacted)}
        else:
            expected = members
        if note.recipients != expected:
            self.violations.append(f"{event.type}: {sorted(note.recipients)} != {sorted(expected)}")

    # --- privacy: what each rule hides, checked at publish time ---------------------------

    def _settings(self, uid: int) -> PrivacySettings:
        return self.uow.store.privacy.get(uid, DEFAULT)

    def _blockers_of(self, uid: int) -> set[int]:
        return {blocker for (blocker, blocked) in self.uow.store.blocks if blocked == uid}

    def _relation(self, viewer: int, owner: int) -> Relation:
        store = self.uow.store
        return relation(
            viewer,
            owner,
            contact=(owner, viewer) in store.contacts,
            blocked=(owner, viewer) in store.blocks,
        )

    def _may_see(self, viewer: int, owner: int, setting: str) -> bool:
        return visible(getattr(self._settings(owner), setting), self._relation(viewer, owner))

    def _profile_violations(
        self,
        viewer: int,
        profile: PublicProfile,
        where: str,
        *,
        for_all: frozenset[int] = frozenset(),
    ) -> list[str]:
        """What of ``profile`` shows that ``viewer`` may not see (with ``for_all``: that some
        of those recipients may not see)."""
        found = []
        for setting, name in GUARDED.items():
            if getattr(profile, name) in (None, ""):
                continue
            audience = for_all or frozenset({viewer})
            found += [
                f"{where}: user {who} was shown {name} of {profile.id}"
                for who in audience
                if who != profile.id and not self._may_see(who, profile.id, setting)
            ]
        return found

    def _dialog_of(self, a: int, b: int) -> bool:
        return Chat.direct_key_for(self._user(a), self._user(b)) in self.uow.store.direct_keys

    def _may_add(self, actor: int, user: int) -> bool:
        settings = self._settings(user)
        rel = self._relation(actor, user)
        return rel is not Relation.BLOCKED and visible(settings.groups_add, rel)

    def _blocked_in_dialog(self, chat: int, sender: int) -> bool:
        store = self.uow.store
        if store.chats[chat].kind is not ChatKind.DIRECT:
            return False
        peers = {uid for (cid, uid) in store.members if cid == chat} - {sender}
        return any((peer, sender) in store.blocks for peer in peers)

    def _check_privacy(self, note: Notification) -> None:
        event, told = note.event, note.recipients
        if note.position is not None:
            self.pushed[note.position] = told
        found: list[str] = []
        match event:
            case PresenceChanged(user_id=uid, online=online, last_seen_at=seen):
                for r in told:
                    # "Offline, no time" is how anyone whose presence one may not see looks:
                    # it reveals nothing, and ends a stale "online" after a block or a
                    # stricter setting.
                    if (online or seen is not None) and not self._may_see(r, uid, "online"):
                        found.append(f"presence of {uid} told to {r}")
                    if seen is not None and not self._may_see(r, uid, "last_seen"):
                        found.append(f"last seen of {uid} told to {r}")
            case UserTyping(user_id=uid):
                found += [f"typing of {uid} to blocker {r}" for r in told & self._blockers_of(uid)]
            case MessagesRead(user_id=uid, private=private):
                if private and told != {uid}:
                    found.append(f"a private read mark of {uid} went to {sorted(told)}")
                for r in told - {uid}:
                    if not (self._settings(r).read_receipts and self._settings(uid).read_receipts):
                        found.append(f"read mark of {uid} told to {r}")
            case ChatCreated(members=members) | MemberAdded(members=members):
                quiet = [r for r in told if not self._settings(r).read_receipts]
                for m in members:
                    found += self._profile_violations(0, m.profile, event.type, for_all=told)
                    if m.membership.read_message_id and quiet:
                        found.append(f"{event.type} showed {quiet} the read mark of {m.profile.id}")
            case ProfileUpdated(profile=profile):
                for r in told - {profile.id}:
                    found += self._profile_violations(r, profile, event.type)
            case ContactsUpdated() | BlocksUpdated() | PrivacyUpdated():
                if told != {event.subject_user_id}:
                    found.append(f"{event.type} of {event.subject_user_id} went to {sorted(told)}")
        self.violations += found

    # --- rules -----------------------------------------------------------------------------

    @initialize()
    def register_users(self) -> None:
        for i in range(USERS):
            result = self.run(self.app.register(f"user{i}", "password-123"))
            self.users.append(result.user.id)
            uid = result.user.id
            # Something for each privacy setting to hide: an avatar, a bio, a last seen time.
            picture = self.run(self.app.upload_file(uid, "me.png", "image/png", _one(b"png")))
            self.run(self.app.update_profile(uid, avatar_file_id=picture.id, bio=f"bio {i}"))
            self.run(self.app.report_presence(uid, online=False))
            self.passwords[result.user.id] = "password-123"
            self.all_devices.append(
                Device(
                    result.user.id,
                    result.session.id,
                    result.access_token,
                    result.refresh_token,
                )
            )

    def _user(self, index: int) -> int:
        return self.users[index]

    @rule(target=chats, a=st.integers(0, USERS - 1), b=st.integers(0, USERS - 1))
    def open_dialog(self, a: int, b: int) -> int:
        if a == b or self._deleted(self._user(a)) or self._deleted(self._user(b)):
            return self._expect_failure(self.app.open_dialog(self._user(a), self._user(b)))
        blocks = self.uow.store.blocks
        if (self._user(b), self._user(a)) in blocks:
            # b blocked a: a cannot start it, but b can (and a then finds it).
            if (self._user(a), self._user(b)) in blocks and not self._dialog_of(a, b):
                return self._expect_failure(self.app.open_dialog(self._user(a), self._user(b)))
            a, b = b, a
        details, _ = self.run(self.app.open_dialog(self._user(a), self._user(b)))
        again, created = self.run(self.app.open_dialog(self._user(b), self._user(a)))
        assert again.chat.id == details.chat.id
        assert not created
        return details.chat.id

    @rule(
        target=chats,
        owner=st.integers(0, USERS - 1),
        others=st.sets(st.integers(0, USERS - 1), max_size=USERS),
    )
    def create_group(self, owner: int, others: set[int]) -> int:
        actor = self._user(owner)
        members = [self._user(o) for o in others]
        coro = self.app.create_group(actor, "team", members)
        if any(self._deleted(self._user(i)) for i in {owner, *others}):
            return self._expect_failure(coro)
        try:
            details = self.run(coro)
        except (Blocked, PrivacyRestricted):
            assert any(not self._may_add(actor, m) for m in members if m != actor)
            return self.run(self.app.create_group(actor, "team", [])).chat.id
        return details.chat.id

    @rule(
        target=messages,
        chat=chats,
        sender=st.integers(0, USERS - 1),
        client_id=CLIENT_IDS,
        text=TEXTS,
    )
    def post(self, chat: int, sender: int, client_id: str, text: str) -> int:
        uid = self._user(sender)
        key = (uid, client_id)
        try:
            result = self.run(self.app.post_message(uid, chat, client_id, text))
        except Blocked:
            assert self._blocked_in_dialog(chat, uid)
            return -1
        except DomainError:
            assert key in self.sent or not self._is_member(chat, uid) or self._closed(chat)
            return -1
        if key in self.sent:
            assert result.message.id == self.sent[key]
            assert not result.created
        else:
            assert result.created
            self.sent[key] = result.message.id
        return result.message.id

    @rule(chat=chats, reader=st.integers(0, USERS - 1), message=messages)
    def mark_read(self, chat: int, reader: int, message: int) -> None:
        uid = self._user(reader)
        try:
            self.run(self.app.mark_read(uid, chat, message))
        except DomainError:
            msg = self.uow.store.messages.get(message)
            assert not self._is_member(chat, uid) or msg is None or msg.chat_id != chat

    @rule(message=messages, editor=st.integers(0, USERS - 1), text=TEXTS)
    def edit(self, message: int, editor: int, text: str) -> None:
        try:
            self.run(self.app.edit_message(self._user(editor), message, text + " (e)"))
        except DomainError:
            msg = self.uow.store.messages.get(message)
            assert (
                msg is None
                or msg.sender_id != self._user(editor)
                or msg.deleted
                or not (self._is_member(msg.chat_id, self._user(editor)))
                or not self._sees(self._user(editor), msg)
            )

    @rule(message=consumes(messages), actor=st.integers(0, USERS - 1))
    def delete(self, message: int, actor: int) -> None:
        self._expect_maybe(self.app.delete_message(self._user(actor), message))

    @rule(chat=chats, actor=st.integers(0, USERS - 1), other=st.integers(0, USERS - 1))
    def add_member(self, chat: int, actor: int, other: int) -> None:
        self._expect_maybe(self.app.add_member(self._user(actor), chat, self._user(other)))

    @rule(chat=chats, actor=st.integers(0, USERS - 1), other=st.integers(0, USERS - 1))
    def remove_member(self, chat: int, actor: int, other: int) -> None:
        self._expect_maybe(self.app.remove_member(self._user(actor), chat, self._user(other)))

    @rule(chat=chats, actor=st.integers(0, USERS - 1), other=st.integers(0, USERS - 1))
    def make_admin(self, chat: int, actor: int, other: int) -> None:
        self._expect_maybe(
            self.app.change_role(self._user(actor), chat, self._user(other), Role.ADMIN)
        )

    @rule(chat=chats, actor=st.integers(0, USERS - 1))
    def rename(self, chat: int, actor: int) -> None:
        self._expect_maybe(self.app.rename_group(self._user(actor), chat, f"renamed {chat}"))

    @rule(chat=chats, actor=st.integers(0, USERS - 1))
    def typing(self, chat: int, actor: int) -> None:
        self._expect_maybe(self.app.send_typing(self._user(actor), chat))

    @rule(chat=chats, user=st.integers(0, USERS - 1))
    def clear_chat(self, chat: int, user: int) -> None:
        uid = self._user(user)
        try:
            self.run(self.app.clear_chat(uid, chat))
        except DomainError:
            assert not self._is_member(chat, uid)
            return
        last = self.uow.store.chats[chat].last_message_id or 0
        assert self.uow.store.members[(chat, uid)].cleared_up_to == last

    @rule(message=messages, user=st.integers(0, USERS - 1))
    def hide_for_me(self, message: int, user: int) -> None:
        uid = self._user(user)
        try:
            self.run(self.app.hide_message(uid, message))
        except DomainError:
            msg = self.uow.store.messages.get(message)
            assert msg is None or not self._sees(uid, msg)
            return
        assert (uid, message) in self.uow.store.hidden

    @rule(user=st.integers(0, USERS - 1), erase=st.booleans())
    def delete_account(self, user: int, erase: bool) -> None:
        uid = self._user(user)
        if self._deleted(uid):
            return
        device = next(d for d in self.all_devices if d.user_id == uid)
        claims = AccessClaims(uid, device.session_id)
        with contextlib.suppress(DomainError):
            self.run(self.app.delete_account(claims, "wrong password!"))
            raise AssertionError("a wrong password deleted the account")
        self.run(self.app.delete_account(claims, self.passwords[uid], erase_messages=erase))
        store = self.uow.store
        assert all(not s.active for s in store.sessions.values() if s.user_id == uid)
        if erase:
            assert all(m.deleted for m in store.messages.values() if m.sender_id == uid)

    @rule(user=st.integers(0, USERS - 1))
    def register_the_freed_username_again(self, user: int) -> None:
        uid = self._user(user)
        if not self._deleted(uid):
            return
        result = self.run(self.app.register(f"user{user}", "password-123"))
        self.users[user] = result.user.id
        self.passwords[result.user.id] = "password-123"
        self.all_devices.append(
            Device(result.user.id, result.session.id, result.access_token, result.refresh_token)
        )

    @rule(
        user=st.integers(0, USERS - 1),
        bio=st.sampled_from(["", "hi", "привет"]),
        frame=st.sampled_from([None, "gold", "no-such-frame"]),
    )
    def change_profile(self, user: int, bio: str, frame: str | None) -> None:
        uid = self._user(user)
        if self._deleted(uid):
            # A deleted account has no profile left to change.
            self._expect_failure(self.app.update_profile(uid, bio=bio))
            return
        self.run(self.app.update_profile(uid, bio=bio))
        self._expect_maybe(self.app.choose_avatar_frame(uid, frame))

    @rule(user=st.integers(0, USERS - 1))
    def acknowledge(self, user: int) -> None:
        head = len(self.uow.store.feed)
        self.run(self.app.acknowledge_delivery(self._user(user), head))

    # --- contacts, blocks, privacy ---------------------------------------------------------

    @rule(owner=st.integers(0, USERS - 1), other=st.integers(0, USERS - 1), named=st.booleans())
    def add_contact(self, owner: int, other: int, named: bool) -> None:
        name = f"friend {other}" if named else None
        self._expect_maybe(self.app.add_contact(self._user(owner), self._user(other), name))

    @rule(owner=st.integers(0, USERS - 1), other=st.integers(0, USERS - 1))
    def remove_contact(self, owner: int, other: int) -> None:
        self._expect_maybe(self.app.remove_contact(self._user(owner), self._user(other)))

    @rule(blocker=st.integers(0, USERS - 1), other=st.integers(0, USERS - 1))
    def block(self, blocker: int, other: int) -> None:
        self._expect_maybe(self.app.block_user(self._user(blocker), self._user(other)))

    @rule(blocker=st.integers(0, USERS - 1), other=st.integers(0, USERS - 1))
    def unblock(self, blocker: int, other: int) -> None:
        self._expect_maybe(self.app.unblock_user(self._user(blocker), self._user(other)))

    @rule(user=st.integers(0, USERS - 1), setting=SETTINGS, audience=AUDIENCES)
    def change_privacy(self, user: int, setting: str, audience: Audience) -> None:
        self.run(self.app.change_privacy(self._user(user), **{setting: audience.value}))

    @rule(user=st.integers(0, USERS - 1), on=st.booleans())
    def switch_read_receipts(self, user: int, on: bool) -> None:
        uid = self._user(user)
        if self._settings(uid).read_receipts != on:
            self.receipts_switched = True
        self.run(self.app.change_privacy(uid, read_receipts=on))

    @rule(user=st.integers(0, USERS - 1), online=st.booleans())
    def come_and_go(self, user: int, online: bool) -> None:
        (self.online.add if online else self.online.discard)(self._user(user))
        self.run(self.app.report_presence(self._user(user), online))
        others = set(self.users) - {self._user(user)}
        self.run(self.app.announce_presence(self._user(user), others))

    async def _online_among(self, user_ids: set[int]) -> set[int]:
        return self.online & user_ids

    @rule()
    def open_sockets(self) -> None:
        """A new socket is told who is online: exactly the online chat-mates whose being
        online the user may see, whether asked with who is online or about every mate
        (every user at once: a block or a setting and who is online must meet here)."""
        members = self.uow.store.members
        for uid in self.users:
            mine = {cid for (cid, u) in members if u == uid}
            mates = {u for (cid, u) in members if cid in mine} - {uid}
            expected = {m for m in mates & self.online if self._may_see(uid, m, "online")}
            told = self.run(self.app.list_chat_mates(uid, self._online_among))
            every = self.run(self.app.list_chat_mates(uid))
            if told != expected or every & self.online != expected:
                self.violations.append(f"ready of {uid}: {sorted(told)}, not {sorted(expected)}")

    # --- chat settings and drafts: the user's alone ----------------------------------------

    def _follow_chats(self, note: Notification) -> None:
        """What other rules do to the model of settings: a message un-archives the chat for
        whoever has not muted it and drops its sender's draft; leaving forgets it all."""
        event = note.event
        if isinstance(event, MessagePosted):
            msg = event.message
            for uid in note.recipients:
                key = (msg.chat_id, uid)
                muted = self.mutes.get(key)
                if muted is None or muted <= msg.created_at:
                    self.archived.discard(key)
            self.drafts.pop((msg.chat_id, msg.sender_id), None)
        elif isinstance(event, MemberRemoved):
            key = (event.chat, event.user_id)
            self.archived.discard(key)
            self.mutes.pop(key, None)
            self.drafts.pop(key, None)
            self.pins[event.user_id] = [
                c for c in self.pins.get(event.user_id, []) if c != event.chat
            ]

    def _someone(self, chat: int, data: st.DataObject) -> int:
        """Mostly a member of the chat (whose settings matter), sometimes anyone."""
        members = sorted(uid for (cid, uid) in self.uow.store.members if cid == chat)
        if members and data.draw(st.integers(0, 3)):
            return data.draw(st.sampled_from(members))
        return self._user(data.draw(st.integers(0, USERS - 1)))

    def _change_settings(self, chat: int, uid: int, **change: Any) -> bool:
        try:
            self.run(self.app.change_chat_settings(uid, chat, **change))
        except DomainError:
            assert not self._is_member(chat, uid) or len(self.pins.get(uid, [])) >= 10
            return False
        return True

    @rule(chat=chats, data=st.data(), forever=st.booleans())
    def mute(self, chat: int, data: st.DataObject, forever: bool) -> None:
        uid = self._someone(chat, data)
        until = MUTED_FOREVER if forever else self.app.ports.clock.now() + timedelta(hours=1)
        if self._change_settings(chat, uid, muted_until=until):
            self.mutes[(chat, uid)] = until

    @rule(chat=chats, data=st.data())
    def unmute(self, chat: int, data: st.DataObject) -> None:
        uid = self._someone(chat, data)
        if self._change_settings(chat, uid, muted_until=None):
            self.mutes.pop((chat, uid), None)

    @rule(chat=chats, data=st.data(), on=st.booleans())
    def pin_chat(self, chat: int, data: st.DataObject, on: bool) -> None:
        uid = self._someone(chat, data)
        if self._change_settings(chat, uid, pinned=on):
            pins = self.pins.get(uid, [])
            if not on:
                pins = [c for c in pins if c != chat]
            elif chat not in pins:
                pins = [chat, *pins]  # the newest pin goes on top
                self.archived.discard((chat, uid))
            self.pins[uid] = pins

    @rule(chat=chats, data=st.data(), on=st.booleans())
    def archive(self, chat: int, data: st.DataObject, on: bool) -> None:
        uid = self._someone(chat, data)
        if self._change_settings(chat, uid, archived=on):
            if on:
                self.archived.add((chat, uid))
                self.pins[uid] = [c for c in self.pins.get(uid, []) if c != chat]
            else:
                self.archived.discard((chat, uid))

    @rule(user=st.integers(0, USERS - 1), data=st.data())
    def reorder_pins(self, user: int, data: st.DataObject) -> None:
        uid = self._user(user)
        order = data.draw(st.permutations(self.pins.get(uid, [])))
        self.run(self.app.reorder_pinned_chats(uid, order))
        self.pins[uid] = list(order)

    @rule(
        chat=chats,
        data=st.data(),
        text=st.sampled_from(["", "draft", "черновик"]),
        reply=st.one_of(st.none(), messages),
    )
    def save_draft(self, chat: int, data: st.DataObject, text: str, reply: int | None) -> None:
        uid = self._someone(chat, data)
        original = self.uow.store.messages.get(reply) if reply is not None else None
        try:
            self.run(self.app.save_draft(uid, chat, text, reply))
        except DomainError:
            assert not self._is_member(chat, uid) or (
                text and (original is None or original.chat_id != chat)
            )
            return
        if text:
            self.drafts[(chat, uid)] = (text, reply)
        else:
            self.drafts.pop((chat, uid), None)

    @precondition(lambda self: bool(self.drafts))
    @rule(data=st.data())
    def send_the_draft(self, data: st.DataObject) -> None:
        chat, uid = data.draw(st.sampled_from(sorted(self.drafts)))
        text, reply = self.drafts[(chat, uid)]
        client_id = f"draft-{len(self.sent)}"
        try:
            result = self.run(self.app.post_message(uid, chat, client_id, text, reply))
        except DomainError:
            assert self._blocked_in_dialog(chat, uid) or self._closed(chat)
            return
        self.sent[(uid, client_id)] = result.message.id
        assert (chat, uid) not in self.drafts, "the sent draft stayed"

    # --- sessions: what a rule ends must stop seeing at once ------------------------------

    @rule(target=devices, user=st.integers(0, USERS - 1))
    def log_in(self, user: int) -> Device | MultipleResults[Device]:
        uid = self._user(user)
        if self._deleted(uid):
            # Failed attempts count against the login throttle: tried often, it answers.
            with contextlib.suppress(InvalidCredentials, Throttled):
                self.run(self.app.authenticate(f"user{user}", self.passwords[uid]))
                raise AssertionError("a deleted account logged in")
            return multiple()
        if self.uow.store.users[uid].deactivated:
            with contextlib.suppress(AccountDeactivated, Throttled):
                self.run(self.app.authenticate(f"user{user}", self.passwords[uid]))
                raise AssertionError("a deactivated account logged in")
            return multiple()
        result = self.run(self.app.authenticate(f"user{user}", self.passwords[uid]))
        device = Device(uid, result.session.id, result.access_token, result.refresh_token)
        self.all_devices.append(device)
        return device

    @rule(device=devices)
    def refresh(self, device: Device) -> None:
        with contextlib.suppress(InvalidToken):  # the session may have ended meanwhile
            result = self.run(self.app.refresh_session(device.refresh_token))
            device.used_refresh_tokens.append(device.refresh_token)
            device.access_token, device.refresh_token = result.access_token, result.refresh_token

    @rule(device=devices)
    def reuse_an_old_refresh_token(self, device: Device) -> None:
        if device.used_refresh_tokens:
            with contextlib.suppress(InvalidToken):
                self.run(self.app.refresh_session(device.used_refresh_tokens[0]))

    @rule(device=devices)
    def log_out(self, device: Device) -> None:
        self._expect_maybe(self.app.log_out(AccessClaims(device.user_id, device.session_id)))

    @rule(actor=st.integers(0, USERS - 1), device=devices)
    def revoke_a_device(self, actor: int, device: Device) -> None:
        # Someone else's device is "not found", never revoked.
        self._expect_maybe(self.app.revoke_session(self._user(actor), device.session_id))

    @rule(device=devices, n=st.integers(0, 3))
    def change_password(self, device: Device, n: int) -> None:
        uid, new = device.user_id, f"violet kettle {n}"
        with contextlib.suppress(DomainError):
            claims = AccessClaims(uid, device.session_id)
            self.run(self.app.change_password(claims, self.passwords[uid], new))
            self.passwords[uid] = new

    # --- administrators: deactivation and reset links end every session -----------------

    @rule(user=st.integers(0, USERS - 1), off=st.booleans())
    def deactivate_or_reactivate(self, user: int, off: bool) -> None:
        uid = self._user(user)
        change = self.app.deactivate_user if off else self.app.reactivate_user
        if self._deleted(uid):
            self._expect_failure(change(OPERATOR, uid))
            return
        self.run(change(OPERATOR, uid))
        assert self.uow.store.users[uid].deactivated is off
        if off:
            store = self.uow.store
            assert all(not s.active for s in store.sessions.values() if s.user_id == uid)

    @rule(user=st.integers(0, USERS - 1), n=st.integers(0, 3))
    def reset_the_password_with_a_link(self, user: int, n: int) -> None:
        uid = self._user(user)
        if self._deleted(uid):
            self._expect_failure(self.app.issue_password_reset(OPERATOR, uid))
            return
        issued = self.run(self.app.issue_password_reset(OPERATOR, uid))
        new = f"amber lantern {n}"
        self.run(self.app.reset_password(issued.token, new))
        self.passwords[uid] = new
        store = self.uow.store
        assert all(not s.active for s in store.sessions.values() if s.user_id == uid)
        self._expect_failure(self.app.reset_password(issued.token, "another one entirely"))

    # --- reactions ------------------------------------------------------------------------

    @rule(message=messages, user=st.integers(0, USERS - 1), emoji=REACTIONS, add=st.booleans())
    def react_or_take_back(self, message: int, user: int, emoji: str, add: bool) -> None:
        uid = self._user(user)
        msg = self.uow.store.messages.get(message)
        before = {c.emoji: c.count for c in msg.reactions} if msg else {}
        mine_before = (message, emoji, uid) in self.uow.store.reactions
        act = self.app.react_to_message if add else self.app.remove_reaction
        try:
            reacted = self.run(act(uid, message, emoji))
        except Blocked:
            assert msg is not None
            assert add
            assert self._blocked_in_dialog(msg.chat_id, uid)
            return
        except Throttled:
            return
        except DomainError:
            assert msg is None or not self._sees(uid, msg) or (add and msg.deleted)
            return
        assert msg is not None
        assert self._sees(uid, msg)
        assert (emoji in reacted.mine) is (add and not msg.deleted)
        after = {c.emoji: c.count for c in reacted.message.reactions}
        if add == mine_before:
            assert after == before, "an idempotent repeat changed the counts"

    @invariant()
    def reaction_counts_equal_a_recount_from_the_store(self) -> None:
        store = self.uow.store
        recount: dict[int, dict[str, int]] = {}
        for message_id, emoji, _ in store.reactions:
            counts = recount.setdefault(message_id, {})
            counts[emoji] = counts.get(emoji, 0) + 1
        for message in store.messages.values():
            shown = {c.emoji: c.count for c in message.reactions}
            assert shown == recount.get(message.id, {}), f"counts of {message.id}"
            assert not (message.deleted and shown), "a deleted message kept reactions"

    @invariant()
    def history_shows_each_reader_their_own_reactions_only_where_they_see(self) -> None:
        store = self.uow.store
        for chat_id, uid in list(store.members):
            page = self.run(self.app.read_history(uid, chat_id, limit=100))
            for msg in page.items:
                mine = {e for (m, e, u) in store.reactions if m == msg.id and u == uid}
                assert page.mine.get(msg.id, frozenset()) == mine
                assert msg.reactions == store.messages[msg.id].reactions

    @rule(user=st.integers(0, USERS - 1))
    def take_snapshot(self, user: int) -> None:
        uid = self._user(user)
        cursor = self.run(self.app.get_changes_since(uid, None)).cursor
        self.snapshots.setdefault(uid, []).append((cursor, self._fresh_state(uid)))

    # --- replies, forwarding, pins ---------------------------------------------------------

    @initialize()
    def watch_quotes(self) -> None:
        self.app.ports.notifier.subscribe(self._check_quote)  # type: ignore[attr-defined]

    def _check_quote(self, note: Notification) -> None:
        """A frame quotes an original's text only if each of its recipients sees it."""
        event = note.event
        if not isinstance(event, MessagePosted | MessageEdited | MessageDeleted):
            return
        quote = event.message.reply_to
        if event.message.deleted and quote is not None:
            self.violations.append("a tombstone quoted its original")
        if quote is None or quote.deleted:
            return
        original = self.uow.store.messages[quote.id]
        blind = [uid for uid in note.recipients if not self._sees(uid, original)]
        if blind or original.deleted or quote.text != original.text[:200]:
            self.violations.append(f"quote of {quote.id} pushed to {blind} who do not see it")

    def _may_pin(self, chat: int, uid: int) -> bool:
        store = self.uow.store
        me = store.members.get((chat, uid))
        return me is not None and (store.chats[chat].kind is ChatKind.DIRECT or me.role.can_manage)

    def _post_outcome(self, key: tuple[int, str], call: Coroutine[Any, Any, Any]) -> Any:
        """Run a post; record a new message. None when it was refused."""
        try:
            result = self.run(call)
        except DomainError:
            return None
        if key in self.sent:
            assert result.message.id == self.sent[key]
            assert not result.created
        else:
            assert result.created
            self.sent[key] = result.message.id
        return result

    @rule(
        target=messages,
        original=messages,
        sender=st.integers(0, USERS - 1),
        client_id=CLIENT_IDS,
    )
    def reply(self, original: int, sender: int, client_id: str) -> int:
        uid = self._user(sender)
        quoted = self.uow.store.messages.get(original)
        if quoted is None:
            return -1
        chat = quoted.chat_id
        key = (uid, client_id)
        call = self.app.post_message(uid, chat, client_id, "re", reply_to_id=original)
        result = self._post_outcome(key, call)
        if result is None:
            assert (
                key in self.sent
                or not self._is_member(chat, uid)
                or self._closed(chat)
                or self._blocked_in_dialog(chat, uid)
            )
            return -1
        if result.created:
            preview = result.message.reply_to
            assert preview is not None
            assert preview.id == original
            members = {m for (c, m) in self.uow.store.members if c == chat}
            quotable = not quoted.deleted and all(self._sees(m, quoted) for m in members)
            assert preview.deleted is not quotable
        return int(result.message.id)

    @rule(
        target=messages,
        source=messages,
        chat=chats,
        sender=st.integers(0, USERS - 1),
        client_id=CLIENT_IDS,
    )
    def forward(self, source: int, chat: int, sender: int, client_id: str) -> int:
        uid = self._user(sender)
        store = self.uow.store
        original = store.messages.get(source)
        key = (uid, client_id)
        allowed = (
            original is not None
            and not original.deleted
            and self._sees(uid, original)
            and self._is_member(chat, uid)
            and not self._closed(chat)
            and not self._blocked_in_dialog(chat, uid)
        )
        call = self.app.post_message(uid, chat, client_id, "", forward_of=source)
        result = self._post_outcome(key, call)
        if result is None:
            assert key in self.sent or not allowed
            return -1
        if result.created:
            assert allowed
            assert original is not None
            forwarded = result.message.forwarded_from
            assert forwarded is not None
            first = original.forwarded_from
            assert forwarded.sender_id == (original.sender_id if first is None else first.sender_id)
            origin = original.chat_id if first is None else first.chat_id
            if forwarded.chat_id is not None:
                # Named only to an audience all of whom were in that chat.
                assert forwarded.chat_id == origin
                audience = {m for (c, m) in store.members if c == chat}
                assert all(self._is_member(origin, m) for m in audience)
            assert result.message.attachments == original.attachments
        return int(result.message.id)

    @rule(message=messages, actor=st.integers(0, USERS - 1))
    def pin(self, message: int, actor: int) -> None:
        uid = self._user(actor)
        msg = self.uow.store.messages.get(message)
        if msg is None:
            return
        try:
            self.run(self.app.pin_message(uid, msg.chat_id, message))
        except DomainError:
            pinned_already = (msg.chat_id, message) in self.uow.store.pins
            assert (
                not self._may_pin(msg.chat_id, uid)
                or msg.deleted
                or not self._sees(uid, msg)
                or (not pinned_already and len(self._pins_of(msg.chat_id)) >= 100)
            )
            return
        assert self._may_pin(msg.chat_id, uid)
        assert not msg.deleted
        assert (msg.chat_id, message) in self.uow.store.pins

    @rule(message=messages, actor=st.integers(0, USERS - 1))
    def unpin(self, message: int, actor: int) -> None:
        uid = self._user(actor)
        msg = self.uow.store.messages.get(message)
        if msg is None:
            return
        try:
            self.run(self.app.unpin_message(uid, msg.chat_id, message))
        except DomainError:
            assert not self._may_pin(msg.chat_id, uid)
            return
        assert (msg.chat_id, message) not in self.uow.store.pins

    def _pins_of(self, chat: int) -> list[int]:
        """The chat's pinned message ids as stored, oldest pin first."""
        pins = [p for (c, _), p in self.uow.store.pins.items() if c == chat]
        return [p.message_id for p in sorted(pins, key=lambda p: (p.pinned_at, p.message_id))]

    def _pins_read(self, uid: int, chat_id: int) -> set[int]:
        """The pins of a chat as ``uid`` reads them over REST now (every page)."""
        found: list[int] = []
        cursor: str | None = None
        while True:
            try:
                page = self.run(self.app.list_pins(uid, chat_id, limit=2, cursor=cursor))
            except DomainError:
                return set()  # left since: a later member_removed drops the chat anyway
            found += [p.pin.message_id for p in page.items]
            if not page.has_more:
                break
            cursor = page.next_cursor
        assert len(found) == len(set(found)), "a pin was listed twice"
        return set(found)

    @invariant()
    def pins_equal_a_recount_for_members_only_and_none_is_deleted(self) -> None:
        store = self.uow.store
        for pin in store.pins.values():
            assert not store.messages[pin.message_id].deleted, "a deleted message stayed pinned"
            assert store.messages[pin.message_id].chat_id == pin.chat_id
        for chat in store.chats:
            newest_first = list(reversed(self._pins_of(chat)))
            assert len(newest_first) <= 100
            for uid in self.users:
                if not self._is_member(chat, uid):
                    self._expect_failure(self.app.list_pins(uid, chat))
                    continue
                read = self.run(self.app.list_pins(uid, chat, limit=100)).items
                expected = [i for i in newest_first if self._sees(uid, store.messages[i])]
                assert [p.pin.message_id for p in read] == expected

    @invariant()
    def sync_gives_pins_only_of_messages_one_sees(self) -> None:
        for uid in self.users:
            for entry in self.run(self.app.get_changes_since(uid, self._oldest())).entries:
                event = entry.event
                if isinstance(event, MessagePinned | MessageUnpinned):
                    assert self._sees(uid, self.uow.store.messages[event.message_id])

    @invariant()
    def rest_reads_quote_nobody_what_they_do_not_see(self) -> None:
        store = self.uow.store
        for chat_id, uid in list(store.members):
            for m in self.run(self.app.read_history(uid, chat_id, limit=100)).items:
                if m.reply_to_id is None or m.deleted:
                    assert m.reply_to is None
                    continue
                original = store.messages[m.reply_to_id]
                quote = m.reply_to
                assert quote is not None
                visible = not original.deleted and self._sees(uid, original)
                assert quote.deleted is not visible
                assert quote.text == (original.text[:200] if visible else "")

    # --- moderation (issue 16): user0, the first account, is the server's administrator -----

    @initialize()
    def watch_removals(self) -> None:
        # message id -> its text when an administrator removed it (it may be empty).
        self.removed: dict[int, str] = {}
        # Reports made: (reporter, message id) -> report id.
        self.reports: dict[tuple[int, int], int] = {}
        self.app.ports.notifier.subscribe(self._check_removed)  # type: ignore[attr-defined]

    def _check_removed(self, note: Notification) -> None:
        """Once removed, a message is pushed to nobody but as its tombstone."""
        event = note.event
        if isinstance(event, MessagePosted | MessageEdited | MessageDeleted):
            msg = event.message
            if msg.id in self.removed and (msg.text or not msg.removed_by_admin):
                self.violations.append(f"removed message {msg.id} pushed with its text")
            quote = msg.reply_to
            if quote is not None and quote.id in self.removed and not quote.deleted:
                self.violations.append(f"removed message {quote.id} quoted in a push")

    def _acts_as_admin(self, uid: int) -> bool:
        # The first account is the administrator while it can log in: deleting or
        # deactivating it (``deactivate_or_reactivate``) takes the role's powers away.
        user = self.uow.store.users.get(uid)
        return user is not None and user.is_admin and user.can_log_in

    @rule(message=messages)
    def an_administrator_removes(self, message: int) -> None:
        admin = self._user(0)
        stored = self.uow.store.messages.get(message)
        if stored is None or not self._acts_as_admin(admin):
            self._expect_failure(self.app.remove_message(admin, message))
            return
        live = not stored.deleted
        removed = self.run(self.app.remove_message(admin, message))
        assert removed.deleted
        assert removed.removed_by_admin is (live or stored.removed_by_admin)
        if live:
            self.removed[message] = stored.text

    @rule(message=messages, user=st.integers(0, USERS - 1))
    def report(self, message: int, user: int) -> None:
        uid = self._user(user)
        stored = self.uow.store.messages.get(message)
        try:
            reported = self.run(self.app.report_message(uid, message, "spam"))
        except DomainError:
            assert stored is None or not self._sees(uid, stored) or stored.deleted
            return
        assert stored is not None
        assert self._sees(uid, stored)
        assert not stored.deleted
        assert reported.view.message.id == message
        assert reported.view.reporter.id == uid
        key = (uid, message)
        assert reported.created is (key not in self.reports)
        self.reports.setdefault(key, reported.view.report.id)
        assert reported.view.report.id == self.reports[key]

    @rule(user=st.integers(0, USERS - 1))
    def list_reports(self, user: int) -> None:
        uid = self._user(user)
        if not self._acts_as_admin(uid):
            self._expect_failure(self.app.list_reports(uid))
            return
        listed = self.run(self.app.list_reports(uid, limit=100)).items
        assert sorted(v.report.id for v in listed) == sorted(self.reports.values())
        for view in listed:
            assert view.message.text == self.uow.store.messages[view.message.id].text

    @invariant()
    def nobody_sees_the_text_an_administrator_removed(self) -> None:
        store = self.uow.store
        for message_id in self.removed:
            stored = store.messages[message_id]
            assert (stored.deleted, stored.removed_by_admin, stored.text) == (True, True, "")
            assert not any(p.message_id == message_id for p in store.pins.values())
            assert message_id not in store.search_terms
        if not self.removed:
            return
        for chat_id, uid in list(store.members):
            for m in self.run(self.app.read_history(uid, chat_id, limit=100)).items:
                if m.id in self.removed:
                    assert (m.text, m.removed_by_admin, m.attachments) == ("", True, ())
                if m.reply_to is not None and m.reply_to.id in self.removed:
                    assert m.reply_to.deleted
                    assert m.reply_to.text == ""
        for uid in self.users:
            for summary in self._all_chats(uid):
                last = summary.last_message
                if last is not None and last.id in self.removed:
                    assert (last.text, last.removed_by_admin) == ("", True)
            # Synced from the very start: its post and edits are tombstones, quotes deleted.
            for entry in self.run(self.app.get_changes_since(uid, self._oldest())).entries:
                event = entry.event
                if not isinstance(event, MessagePosted | MessageEdited | MessageDeleted):
                    continue
                msg = event.message
                if msg.id in self.removed:
                    assert (msg.text, msg.removed_by_admin) == ("", True), "sync kept its text"
                quote = msg.reply_to
                if quote is not None and quote.id in self.removed:
                    assert (quote.deleted, quote.text) == (True, ""), "sync kept a quote of it"

    # --- helpers ---------------------------------------------------------------------------

    def _is_member(self, chat: int, uid: int) -> bool:
        return (chat, uid) in self.uow.store.members

    def _deleted(self, uid: int) -> bool:
        return self.uow.store.users[uid].deleted

    def _closed(self, chat: int) -> bool:
        """A dialog with a deleted account: nobody posts to it any more."""
        store = self.uow.store
        return store.chats[chat].kind is ChatKind.DIRECT and any(
            self._deleted(uid) for (cid, uid) in store.members if cid == chat
        )

    def _sees(self, uid: int, message: Message) -> bool:
        """Whether the user is a member who neither cleared nor hid the message."""
        me = self.uow.store.members.get((message.chat_id, uid))
        return (
            me is not None
            and message.id > me.cleared_up_to
            and (uid, message.id) not in self.uow.store.hidden
        )

    def _visible(self, uid: int, chat_id: int) -> list[Message]:
        return sorted(
            (
                m
                for m in self.uow.store.messages.values()
                if m.chat_id == chat_id and self._sees(uid, m)
            ),
            key=lambda m: m.id,
        )

    def _expect_failure(self, coro: Coroutine[Any, Any, Any]) -> int:
        try:
            self.run(coro)
        except DomainError:
            return -1
        raise AssertionError("expected a domain error")

    def _expect_maybe(self, coro: Coroutine[Any, Any, Any]) -> None:
        # Many random actions are not allowed (a member renaming a group, a stranger
        # deleting); the domain must refuse them with a DomainError, never crash.
        with contextlib.suppress(DomainError):
            self.run(coro)

    def _posted_at(self) -> dict[int, int]:
        self.posted_positions.update(
            (s.entry.event.message.id, s.entry.position)
            for s in self.uow.store.feed
            if isinstance(s.entry.event, MessagePosted)
        )
        return self.posted_positions

    def _all_history(self, uid: int, chat_id: int, page: int) -> list[int]:
        ids: list[int] = []
        before: int | None = None
        while True:
            result = self.run(self.app.read_history(uid, chat_id, before=before, limit=page))
            page_ids = [m.id for m in result.items]
            assert page_ids == sorted(page_ids), "a page must ascend"
            assert len(set(page_ids)) == len(page_ids)
            if ids and page_ids:
                assert page_ids[-1] < ids[0], "pages must not overlap"
            ids = page_ids + ids
            if not result.has_more:
                return ids
            before = page_ids[0]

    def _all_chats(self, uid: int, page: int = 2) -> list[ChatSummary]:
        """The user's chat list, then their archived chats."""
        return self._listed(uid, page) + self._listed(uid, page, archived=True)

    def _listed(self, uid: int, page: int, *, archived: bool = False) -> list[ChatSummary]:
        summaries: list[ChatSummary] = []
        cursor: str | None = None
        while True:
            result = self.run(
                self.app.list_chats(uid, limit=page, cursor=cursor, archived=archived)
            )
            assert len(result.items) <= page
            summaries += result.items
            if not result.has_more:
                assert result.next_cursor is None
                return summaries
            assert result.next_cursor is not None
            cursor = result.next_cursor

    def _fresh_state(self, uid: int) -> ClientState:
        posted_at = self._posted_at()
        state: ClientState = {}
        for rank, summary in enumerate(self._all_chats(uid)):
            chat = summary.chat
            view = _from_members(chat.kind.value, chat.title, summary.members)
            if summary.settings is not None:
                view.muted_until = summary.settings.muted_until
                view.archived = summary.settings.archived
                view.pin = rank if summary.settings.pinned else None
            if summary.draft is not None:
                view.draft = (summary.draft.text, summary.draft.reply_to_id)
            me = self.uow.store.members[(chat.id, uid)]
            history = self.run(self.app.read_history(uid, chat.id, limit=100)).items
            for msg in history:
                if posted_at[msg.id] >= me.joined_position:
                    view.messages[msg.id] = (msg.text, msg.deleted, msg.removed_by_admin)
                    if msg.reactions:
                        view.reactions[msg.id] = tuple((c.emoji, c.count) for c in msg.reactions)
            view.pins = self._pins_read(uid, chat.id)
            state[chat.id] = view
        _pin_order(state)
        return state

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def audiences_are_exactly_the_members(self) -> None:
        assert not self.violations, self.violations

    @invariant()
    def an_ended_session_is_refused_at_once_and_its_sockets_are_told(self) -> None:
        for device in self.all_devices:
            session = self.uow.store.sessions[device.session_id]
            try:
                claims = self.run(self.app.authorize(device.access_token))
            except InvalidToken:
                assert not session.active, "a live session's token was refused"
                assert device.session_id in self.ended, "its sockets were not told to close"
            else:
                assert session.active, "an ended session's token still works"
                assert claims.user_id == device.user_id
                assert device.session_id not in self.ended

    @invariant()
    def one_dialog_per_pair(self) -> None:
        pairs = [
            frozenset(uid for (cid, uid) in self.uow.store.members if cid == chat.id)
            for chat in self.uow.store.chats.values()
            if chat.kind is ChatKind.DIRECT
        ]
        assert len(pairs) == len(set(pairs))
        assert all(len(p) == 2 for p in pairs)

    @invariant()
    def a_resend_never_creates_a_second_message(self) -> None:
        assert len(self.uow.store.messages) == len(self.sent)

    @invariant()
    def history_pages_ascend_cover_everything_seen_and_never_overlap(self) -> None:
        for chat_id, uid in list(self.uow.store.members):
            # Everything the member sees, nothing they cleared or hid.
            expected = [m.id for m in self._visible(uid, chat_id)]
            for page in (1, 3):
                assert self._all_history(uid, chat_id, page) == expected

    @invariant()
    def chat_list_pages_cover_every_chat_once_pinned_first_then_most_recent(self) -> None:
        for uid in self.users:
            mine = {cid for (cid, member) in self.uow.store.members if member == uid}
            for page in (1, 2, 100):
                chats = [s.chat for s in self._all_chats(uid, page)]
                assert len(chats) == len(mine), "a chat was listed twice"
                assert {c.id for c in chats} == mine
            main = [s.chat for s in self._listed(uid, 2)]
            archived = [s.chat for s in self._listed(uid, 2, archived=True)]
            pinned = [cid for cid in self.pins.get(uid, []) if cid in mine]
            rest = sorted(
                (c for c in main + archived if c.id not in pinned),
                key=lambda c: (c.last_activity_at, c.id),
                reverse=True,
            )
            expected = pinned + [c.id for c in rest if (c.id, uid) not in self.archived]
            assert [c.id for c in main] == expected
            assert [c.id for c in archived] == [c.id for c in rest if (c.id, uid) in self.archived]

    @invariant()
    def settings_and_drafts_in_the_list_equal_what_the_user_chose(self) -> None:
        for uid in self.users:
            for summary in self._all_chats(uid, 100):
                key = (summary.chat.id, uid)
                settings = summary.settings
                muted = None if settings is None else settings.muted_until
                assert muted == self.mutes.get(key)
                draft = summary.draft
                shown = None if draft is None else (draft.text, draft.reply_to_id)
                assert shown == self.drafts.get(key)

    @invariant()
    def unread_counts_equal_a_recount_and_watermarks_never_move_back(self) -> None:
        for uid in self.users:
            for summary in self._all_chats(uid):
                me = self.uow.store.members[(summary.chat.id, uid)]
                seen = self._visible(uid, summary.chat.id)
                recount = sum(
                    1
                    for m in seen
                    if m.id > me.read_message_id and m.sender_id != uid and not m.deleted
                )
                assert summary.unread_count == recount >= 0
                last = summary.last_message.id if summary.last_message is not None else None
                assert last == (seen[-1].id if seen else None), "the last message I see"
        for key, m in self.uow.store.members.items():
            previous = self.watermarks.get(key, (0, 0))
            current = (m.read_message_id, m.delivered_message_id)
            assert current[0] >= previous[0], "the read watermark moved back"
            assert current[1] >= previous[1], "the delivered watermark moved back"
            assert m.delivered_message_id >= m.read_message_id
            self.watermarks[key] = current
        # A member who leaves and comes back starts over; leaving and rejoining takes two
        # steps, so forgetting departed members here is enough.
        for key in list(self.watermarks):
            if key not in self.uow.store.members:
                del self.watermarks[key]

    @invariant()
    def non_members_see_no_events_of_a_chat_nor_of_what_they_cleared_or_hid(self) -> None:
        for uid in self.users:
            changes = self.run(self.app.get_changes_since(uid, self._oldest()))
            for entry in changes.entries:
                event = entry.event
                if isinstance(event, MessagePosted | MessageEdited | MessageDeleted):
                    assert self._sees(uid, event.message), "sync replayed a hidden message"
                if isinstance(event, MessageReactionsChanged):
                    reacted = self.uow.store.messages[event.message_id]
                    assert self._sees(uid, reacted), "sync replayed reactions to a hidden message"
                if event.subject_user_id == uid:
                    continue
                membership = self.uow.store.members.get((event.chat_id or 0, uid))
                assert membership is not None
                assert entry.position >= membership.joined_position

    @invariant()
    def nobody_is_pushed_what_a_rule_hides_from_them(self) -> None:
        assert not self.violations, self.violations

    @invariant()
    def rest_reads_show_nobody_what_a_rule_hides_from_them(self) -> None:
        for viewer in self.users:
            for owner in self.users:
                profile = self.run(self.app.get_profile(viewer, owner))
                assert not self._profile_violations(viewer, profile, "profile")
                store = self.uow.store
                contact = store.contacts.get((viewer, owner))
                assert profile.is_contact is (contact is not None)
                assert profile.local_name == (contact.local_name if contact else None)
                assert profile.blocked is ((viewer, owner) in store.blocks)
            for summary in self._all_chats(viewer):
                for m in summary.members:
                    owner = m.membership.user_id
                    assert not self._profile_violations(viewer, m.profile, "chat list")
                    real = self.uow.store.members[(summary.chat.id, owner)].read_message_id
                    shown = viewer == owner or (
                        self._settings(viewer).read_receipts and self._settings(owner).read_receipts
                    )
                    assert m.membership.read_message_id == (real if shown else 0)

    @invariant()
    def sync_gives_only_what_was_pushed_or_read_marks_one_may_see_now(self) -> None:
        for uid in self.users:
            for entry in self.run(self.app.get_changes_since(uid, self._oldest())).entries:
                event = entry.event
                if isinstance(event, MessagesRead) and event.user_id != uid:
                    assert not event.private
                    assert self._settings(uid).read_receipts, "a read mark after receipts off"
                    continue
                assert uid in self.pushed.get(entry.position, frozenset()), event

    def the_feeds_last_profile_of_a_user_is_their_profile(self) -> None:
        for uid in self.users:
            told = [
                e.event.profile
                for e in self.run(self.app.get_changes_since(uid, self._oldest())).entries
                if isinstance(e.event, ProfileUpdated)
            ]
            if told:
                # Presence moves last_seen_at without a profile change.
                now = replace(self.run(self.app.get_profile(uid, uid)).public(), last_seen_at=None)
                assert replace(told[-1], last_seen_at=None) == now

    # --- feed retention: pruned from its start, never a silent gap -------------------------

    def _oldest(self) -> int:
        """The oldest cursor the feed still continues from."""
        return self.uow.store.feed_base

    @rule(days=st.integers(1, 40))
    def time_passes_for_the_feed(self, days: int) -> None:
        self.feed_clock.offset += timedelta(days=days)

    @rule(days=st.sampled_from([0, 10, 20, 31]), batch=st.integers(1, 4))
    def prune_the_feed(self, days: int, batch: int) -> None:
        self.feed_clock.offset += timedelta(days=days)
        store = self.uow.store
        before, head = self._oldest(), self._oldest() + len(store.feed)
        self._posted_at()  # remembered before the entries go
        self.run(self.prune_feed(batch=batch))
        assert before <= self._oldest() <= head
        # What is left is a gap-free tail ending at the head, and older than the window
        # nothing.
        assert [s.entry.position for s in store.feed] == list(range(self._oldest() + 1, head + 1))
        horizon = self.feed_clock.now() - timedelta(days=self.app.ports.limits.feed_retention_days)
        assert not store.feed or store.feed[0].at >= horizon

    @invariant()
    def a_cursor_before_the_window_gets_410_one_inside_every_later_event(self) -> None:
        oldest = self._oldest()
        head = oldest + len(self.uow.store.feed)
        for uid in self.users:
            for stale in {0, oldest - 1} if oldest else ():
                with contextlib.suppress(ResyncRequired):
                    self.run(self.app.get_changes_since(uid, stale))
                    raise AssertionError(f"cursor {stale} before {oldest} was continued")
            held = [e.position for e in self.run(self.app.get_changes_since(uid, oldest)).entries]
            for cursor in {oldest, (oldest + head) // 2, head}:
                got = self.run(self.app.get_changes_since(uid, cursor)).entries
                assert [e.position for e in got] == [p for p in held if p > cursor]

    @invariant()
    def replaying_the_feed_from_any_old_cursor_gives_the_fresh_state(self) -> None:
        for uid, snapshots in self.snapshots.items():
            fresh = self._fresh_state(uid)
            # A client whose cursor fell out of the window is told to reload (and then holds
            # the fresh state by definition); the others replay.
            for cursor, _ in [s for s in snapshots if s[0] < self._oldest()]:
                with contextlib.suppress(ResyncRequired):
                    self.run(self.app.get_changes_since(uid, cursor, limit=2))
                    raise AssertionError(f"cursor {cursor} before the window was continued")
            snapshots[:] = [s for s in snapshots if s[0] >= self._oldest()]
            for cursor, old_state in snapshots[-3:]:
                state = copy.deepcopy(old_state)
                since = cursor
                seen: list[int] = []
                while True:
                    changes = self.run(self.app.get_changes_since(uid, since, limit=2))
                    for entry in changes.entries:
                        apply_event(
                            state,
                            entry.event,
                            uid,
                            partial(self._read_marks, uid),
                            partial(self._pins_read, uid),
                        )
                        seen.append(entry.position)
                    _pin_order(state)
                    since = changes.cursor
                    if not changes.has_more:
                        break
                assert seen == sorted(set(seen)), "each event once, in order"
                if self.receipts_switched:
                    # Others' marks show or hide with a switch of receipts, which no event
                    # of theirs tells (a client reloads them on its own privacy_updated).
                    _own_marks_only(state, uid)
                    _own_marks_only(fresh, uid)
                    _delivery_marks_reloaded(state, fresh, uid)
                # One's own delivery mark is told to nobody's own devices: a client does
                # not hold it (the REST reads show it, clients never use it).
                _no_own_delivery_mark(state, uid)
                _no_own_delivery_mark(fresh, uid)
                assert state == fresh

    # --- message search: whoever searches anything finds exactly what they may see -------

    @invariant()
    def search_finds_exactly_the_matching_messages_each_user_sees(self) -> None:
        for uid in self.users:
            for q in SEARCHES:
                words = text_search.parse(q)
                expected = sorted(
                    (
                        m.id
                        for m in self.uow.store.messages.values()
                        if not m.deleted
                        and self._sees(uid, m)
                        and text_search.matches(words, text_search.terms(m.text))
                    ),
                    reverse=True,
                )
                found: list[int] = []
                cursor = None
                while True:
                    page = self.run(self.app.search_messages(uid, q, limit=2, cursor=cursor))
                    found += [f.message.id for f in page.items]
                    if not page.has_more:
                        break
                    cursor = page.next_cursor
                assert found == expected, (uid, q)

    # --- mentions (issue 15) ------------------------------------------------------------

    def _mention_text(self, named: set[int], everyone: bool) -> str:
        names = [f"@{self.uow.store.users[self._user(i)].username}" for i in sorted(named)]
        return " ".join(["look", *names, *(["@all"] if everyone else [])])

    def _check_mentions(
        self, message: Message, sender: int, named: set[int], everyone: bool
    ) -> None:
        """Exactly the named members (or everyone, from a group's owner or admin), never the
        sender, a non-member or a deleted account."""
        store = self.uow.store
        members = {uid for (cid, uid) in store.members if cid == message.chat_id}
        me = store.members.get((message.chat_id, sender))
        chat = store.chats[message.chat_id]
        live = {uid for uid in members if not self._deleted(uid)}
        if everyone and chat.kind is ChatKind.GROUP and me is not None and me.role.can_manage:
            expected = live
        else:
            expected = {self._user(i) for i in named} & live
        assert set(message.mentions) == expected - {sender}
        assert list(message.mentions) == sorted(message.mentions)

    @rule(
        target=messages,
        chat=chats,
        sender=st.integers(0, USERS - 1),
        client_id=CLIENT_IDS,
        named=st.sets(st.integers(0, USERS - 1), max_size=USERS),
        everyone=st.booleans(),
    )
    def post_mentioning(
        self, chat: int, sender: int, client_id: str, named: set[int], everyone: bool
    ) -> int:
        uid = self._user(sender)
        text = self._mention_text(named, everyone)
        try:
            result = self.run(self.app.post_message(uid, chat, client_id, text))
        except DomainError:
            return -1
        if result.created:
            self.sent[(uid, client_id)] = result.message.id
            self._check_mentions(result.message, uid, named, everyone)
        return result.message.id

    @rule(
        message=messages,
        editor=st.integers(0, USERS - 1),
        named=st.sets(st.integers(0, USERS - 1), max_size=USERS),
        everyone=st.booleans(),
    )
    def edit_mentioning(self, message: int, editor: int, named: set[int], everyone: bool) -> None:
        uid = self._user(editor)
        try:
            edited = self.run(
                self.app.edit_message(uid, message, self._mention_text(named, everyone))
            )
        except DomainError:
            return
        self._check_mentions(edited, uid, named, everyone)

    @invariant()
    def unread_mentions_equal_a_recount_of_what_i_see(self) -> None:
        for uid in self.users:
            for summary in self._all_chats(uid):
                me = self.uow.store.members[(summary.chat.id, uid)]
                recount = sum(
                    1
                    for m in self._visible(uid, summary.chat.id)
                    if m.id > me.read_message_id and uid in m.mentions and not m.deleted
                )
                assert summary.unread_mentions == recount
        for m in self.uow.store.messages.values():
            assert not (m.deleted and m.mentions), "a deleted message mentions nobody"
            assert m.sender_id not in m.mentions

    def _read_marks(self, uid: int, chat_id: int) -> dict[int, int]:
        """The read marks of a chat's members as ``uid`` reads them over REST now."""
        try:
            chat = self.run(self.app.get_chat(uid, chat_id))
        except DomainError:
            return {}  # left since: a later member_removed drops the chat anyway
        return {m.membership.user_id: m.membership.read_message_id for m in chat.members}


def _own_marks_only(state: ClientState, me: int) -> None:
    for view in state.values():
        view.read = {uid: mark for uid, mark in view.read.items() if uid == me}


def _no_own_delivery_mark(state: ClientState, me: int) -> None:
    for view in state.values():
        view.delivered.pop(me, None)


def _delivery_marks_reloaded(state: ClientState, fresh: ClientState, me: int) -> None:
    """Others' delivery marks as the client reads them again on its own privacy_updated: a
    read mark it may no longer see (and so does not replay) had moved them too."""
    for chat_id, view in state.items():
        if chat_id in fresh:
            others = {uid: m for uid, m in fresh[chat_id].delivered.items() if uid != me}
            view.delivered = {uid: m for uid, m in view.delivered.items() if uid == me} | others


TestMessengerMachine = MessengerMachine.TestCase
