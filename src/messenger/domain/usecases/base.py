"""What every use case shares: the ports it is built with and a few loading helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from messenger.domain.administration import (
    OPERATOR,
    REGISTRATION_KEY,
    AdminActor,
    RegistrationMode,
)
from messenger.domain.audit import DETAIL_MAX, TARGET_ID_MAX, AuditAction, AuditEntry, AuditTarget
from messenger.domain.errors import ChatNotFound, Forbidden, Throttled
from messenger.domain.events import Notification, SessionsEnded
from messenger.domain.model import (
    AvatarCatalog,
    Chat,
    ChatDetails,
    ChatMember,
    Limits,
    Membership,
    Message,
    ProfileView,
    User,
)
from messenger.domain.ports import (
    Clock,
    Committer,
    CommonPasswords,
    EmojiSet,
    FileStore,
    IdSource,
    Images,
    LoginThrottle,
    Notifier,
    PasswordHasher,
    RateLimiter,
    SessionTrust,
    TokenIssuer,
    UnitOfWork,
    UnitOfWorkFactory,
)
from messenger.domain.privacy import Relations, for_all


@dataclass(frozen=True)
class Ports:
    """Everything a use case may talk to. Built once, in the composition root."""

    uow: UnitOfWorkFactory
    notifier: Notifier
    hasher: PasswordHasher
    # Passwords nobody may choose (the list is data, so it sits behind a port).
    common_passwords: CommonPasswords
    clock: Clock
    ids: IdSource
    tokens: TokenIssuer
    files: FileStore
    throttle: LoginThrottle
    # Process state: how hot writes are grouped into units of work, and which sessions
    # were recently found active.
    committer: Committer
    sessions: SessionTrust
    # Per-user budgets of actions that could flood others or the storage (Limits says how
    # much).
    rates: RateLimiter
    # Decoding and re-encoding images (avatars, thumbnails of image attachments).
    images: Images
    # The emoji reactions may be.
    emoji: EmojiSet
    limits: Limits = field(default_factory=Limits)
    # The preset avatars and frames the server ships (ids; the composition root reads them).
    avatars: AvatarCatalog = field(default_factory=AvatarCatalog)


class UseCase:
    """Base of the use cases: holds the ports; subclasses implement ``__call__``."""

    def __init__(self, ports: Ports) -> None:
        self._ports = ports
        self._clock = ports.clock
        self._limits = ports.limits

    def _uow(self, *, read_only: bool = False) -> UnitOfWork:
        return self._ports.uow(read_only=read_only)

    def _spend(
        self, action: str, user_id: int, per_second: float, burst: float, cost: float = 1.0
    ) -> None:
        """Spend ``cost`` of the user's budget for ``action`` (none when ``per_second`` is 0);
        ``Throttled`` when it is used up."""
        if per_second <= 0:
            return
        wait = self._ports.rates.take(f"{action}:{user_id}", per_second, burst, cost)
        if wait:
            raise Throttled(retry_after=wait, message=f"Too many {action}; try again later.")

    async def _publish(self, notifications: Sequence[Notification]) -> None:
        # Called only after a successful commit: a pushed event must never describe a
        # change that could still roll back.
        if notifications:
            await self._ports.notifier.publish(notifications)

    async def _audit(
        self,
        uow: UnitOfWork,
        action: AuditAction,
        actor_id: int | None,
        target: tuple[AuditTarget, object] | None = None,
        *,
        address: str | None = None,
        detail: str = "",
    ) -> None:
        """Write an audit entry in ``uow``'s transaction: it commits (or not) with the change
        it tells of."""
        target_type, target_id = (None, None) if target is None else target
        await uow.audit.record(
            AuditEntry(
                id=0,
                at=self._clock.now(),
                action=action,
                actor_id=actor_id,
                target_type=target_type,
                target_id=None if target_id is None else str(target_id)[:TARGET_ID_MAX],
                address=None if address is None else address[:64],
                detail=detail[:DETAIL_MAX],
            )
        )

    async def _end_sessions(self, user_id: int, session_ids: Sequence[str]) -> None:
        """After a commit that revoked these sessions: stop trusting them here at once, and
        have every process close their sockets (``SessionsEnded``)."""
        if not session_ids:
            return
        for session_id in session_ids:
            self._ports.sessions.revoke(session_id)
        event = SessionsEnded(user_id=user_id, session_ids=tuple(session_ids))
        await self._publish([Notification(event, frozenset({user_id}))])


async def require_admin(uow: UnitOfWork, user_id: int) -> User:
    """The caller, who must be a server administrator whose account is live: anyone else
    gets ``Forbidden`` (403 ``forbidden``), the same for every admin action."""
    user = await uow.users.get(user_id)
    if user is None or not user.is_admin or not user.can_log_in:
        raise Forbidden("Only a server administrator may do this.")
    return user


async def authorize_admin(uow: UnitOfWork, actor: AdminActor) -> int | None:
    """The one check of every administrator's action: the operator at the server's shell
    passes, anyone else must be a live administrator (``require_admin``). Returns the
    actor to write in the audit log (None: the operator)."""
    if actor is OPERATOR:
        return None
    assert isinstance(actor, int)  # AdminActor is int | Operator, and Operator has one value
    await require_admin(uow, actor)
    return actor


async def configured_registration(uow: UnitOfWork, default: RegistrationMode) -> RegistrationMode:
    """The registration mode an administrator stored, else the environment's ``default``."""
    stored = await uow.server_settings.get(REGISTRATION_KEY)
    try:
        return default if stored is None else RegistrationMode(stored)
    except ValueError:  # written by a newer server, or by hand: the operator's word stands
        return default


async def revoke_sessions(
    uow: UnitOfWork, user_id: int, now: datetime, *, keep: str | None = None
) -> list[str]:
    """End every active session of the user but ``keep``; the ids ended, for
    ``UseCase._end_sessions`` once the change is committed."""
    ended: list[str] = []
    for session in await uow.sessions.of_user(user_id):
        if session.active and session.id != keep:
            session.revoked_at = now
            await uow.sessions.update(session)
            ended.append(session.id)
    return ended


async def load_membership(uow: UnitOfWork, chat_id: int, user_id: int) -> tuple[Chat, Membership]:
    """The chat and the caller's membership; a stranger gets the same answer as for a chat
    that does not exist."""
    membership = await uow.members.get(chat_id, user_id)
    if membership is None:
        raise ChatNotFound()
    chat = await uow.chats.get(chat_id)
    if chat is None:
        raise ChatNotFound()
    return chat, membership


async def load_members(uow: UnitOfWork, chat_ids: Sequence[int]) -> dict[int, list[ChatMember]]:
    """Members of each chat with their public profiles, in joining order."""
    memberships = await uow.members.of_chats(chat_ids)
    users = {u.id: u for u in await uow.users.get_many({m.user_id for m in memberships})}
    result: dict[int, list[ChatMember]] = {chat_id: [] for chat_id in chat_ids}
    for m in sorted(memberships, key=lambda m: (m.joined_at, m.user_id)):
        user = users.get(m.user_id)
        if user is not None:
            result[m.chat_id].append(ChatMember(membership=m, profile=user.public()))
    return result


async def relations_to(uow: UnitOfWork, viewer_id: int, owner_ids: Iterable[int]) -> Relations:
    """What each owner thinks of the viewer (contact, blocked) and their settings, to apply
    the privacy rules to what the viewer is shown of them."""
    owners = set(owner_ids) - {viewer_id}
    settings = await uow.privacy.get_many(owners | {viewer_id})
    if not owners:
        return Relations(viewer_id, frozenset(), frozenset(), settings)
    return Relations(
        viewer_id,
        frozenset(await uow.contacts.owners_having(viewer_id, owners)),
        frozenset(await uow.blocks.blockers_of(viewer_id, owners)),
        settings,
    )


async def details_for(uow: UnitOfWork, viewer_id: int, details: ChatDetails) -> ChatDetails:
    """A chat with its members as the viewer may see them."""
    seen = await relations_to(uow, viewer_id, (m.membership.user_id for m in details.members))
    return ChatDetails(details.chat, tuple(map(seen.member, details.members)))


async def members_for_all(uow: UnitOfWork, members: Sequence[ChatMember]) -> tuple[ChatMember, ...]:
    """Members as a frame to the chat may carry them (``privacy.for_all``)."""
    ids = [m.membership.user_id for m in members]
    settings = await uow.privacy.get_many(ids)
    return for_all(members, settings, await uow.blocks.blocking_any(ids, ids))


async def views_of(uow: UnitOfWork, viewer_id: int, users: Sequence[User]) -> list[ProfileView]:
    """Profiles as the viewer sees them, with their contact and block marks."""
    ids = [u.id for u in users]
    seen = await relations_to(uow, viewer_id, ids)
    others = [i for i in ids if i != viewer_id]
    contacts = {c.user_id: c for c in await uow.contacts.among(viewer_id, others)} if others else {}
    blocked = await uow.blocks.blocked_by(viewer_id, others) if others else set()
    views = []
    for user in users:
        contact = contacts.get(user.id)
        views.append(
            ProfileView(
                **vars(seen.profile(user.public())),
                is_contact=contact is not None,
                local_name=contact.local_name if contact is not None else None,
                blocked=user.id in blocked,
                email=seen.email(user),
            )
        )
    return views


async def visible_page(
    uow: UnitOfWork,
    me: Membership,
    *,
    before: int | None,
    after: int | None,
    limit: int,
    mentioning: bool = False,
) -> list[Message]:
    """Up to ``limit`` messages of the member's chat that the member sees (neither cleared
    nor hidden for them), ascending: with ``after`` the oldest above it, else the newest
    below ``before`` (or the newest of all), as ``MessageRepository.page`` pages;
    ``mentioning``: only those that mention the member."""
    page: Callable[..., Awaitable[list[Message]]] = (
        partial(uow.messages.mentioning, me.user_id) if mentioning else uow.messages.page
    )
    found: list[Message] = []
    floor = me.cleared_up_to
    ascending = after is not None
    cursor = max(after, floor) if after is not None else before
    # Hidden messages are few and scattered: read on until the page is full, the chat has
    # no more, or (going back) the cleared part begins.
    while len(found) < limit:
        want = limit - len(found)
        if ascending:
            batch = await page(me.chat_id, before=before, after=cursor, limit=want)
        else:
            batch = await page(me.chat_id, before=cursor, after=None, limit=want)
        more = len(batch) == want
        seen = [m for m in batch if me.sees(m.id)]
        more = more and len(seen) == len(batch)
        hidden = (
            await uow.messages.hidden_among(me.user_id, [m.id for m in seen])
            if seen and me.has_hidden
            else ()
        )
        kept = [m for m in seen if m.id not in hidden]
        found = found + kept if ascending else kept + found
        if not more:
            break
        cursor = batch[-1].id if ascending else batch[0].id
    return found


async def seen_by(uow: UnitOfWork, messages: Sequence[Message]) -> dict[int, frozenset[int]]:
    """Per message: the members of its chat who see it (who did not clear or hide it), the
    only ones to be told when it changes."""
    if not messages:
        return {}
    memberships = await uow.members.of_chats({m.chat_id for m in messages})
    hiders = await uow.messages.hiders([m.id for m in messages])
    by_chat: dict[int, list[Membership]] = {}
    for membership in memberships:
        by_chat.setdefault(membership.chat_id, []).append(membership)
    return {
        m.id: frozenset(
            x.user_id
            for x in by_chat.get(m.chat_id, ())
            if x.sees(m.id) and x.user_id not in hiders.get(m.id, ())
        )
        for m in messages
    }
