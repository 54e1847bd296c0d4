"""Posts that arrive together are written together, and still fail alone."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from messenger.adapters.memory import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory, TickingClock
from messenger.domain.errors import ChatNotFound, Conflict, MessageTooLong, ServiceUnavailable
from messenger.domain.service import Messenger
from messenger.embedded import in_memory


class CountingFactory(InMemoryUnitOfWorkFactory):
    """Counts write units of work, and can make the next commit fail."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.fail_next_commit = False

    def __call__(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        uow = super().__call__(read_only=read_only)
        if not read_only:
            self.writes += 1
            if self.fail_next_commit:
                self.fail_next_commit = False

                async def broken_commit() -> list[object]:
                    raise ServiceUnavailable()

                uow.commit = broken_commit  # type: ignore[method-assign,assignment]
        return uow


async def _setup() -> tuple[Messenger, CountingFactory, int, list[int], int]:
    factory = CountingFactory()
    app = Messenger(replace(in_memory(clock=TickingClock()).ports, uow=factory))
    users = [(await app.register(f"user{i}", "password-123")).user.id for i in range(5)]
    stranger = (await app.register("stranger", "password-123")).user.id
    group = await app.create_group(users[0], "team", users[1:])
    return app, factory, group.chat.id, users, stranger


async def test_concurrent_posts_share_transactions_and_keep_commit_order() -> None:
    app, factory, chat, users, _ = await _setup()
    before = factory.writes
    results = await asyncio.gather(
        *(app.post_message(users[i % 5], chat, f"c{i}", f"text {i}") for i in range(40))
    )
    assert factory.writes - before < 40 / 4  # the first goes alone, the rest queue behind it
    ids = [r.message.id for r in results]
    assert ids == sorted(ids)
    changes = await app.get_changes_since(users[1], 0)
    posted = [e.event.message.id for e in changes.entries if e.event.type == "new_message"]  # type: ignore[attr-defined]
    assert posted == ids


async def test_a_post_that_breaks_a_rule_fails_alone() -> None:
    app, _, chat, users, stranger = await _setup()
    outcomes = await asyncio.gather(
        app.post_message(users[0], chat, "a", "fine"),
        app.post_message(stranger, chat, "b", "not a member"),
        app.post_message(users[1], chat, "c", "also fine"),
        app.post_message(users[1], chat, "c", "resend of c"),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], ChatNotFound)
    fine = [o for i, o in enumerate(outcomes) if i != 1]
    assert all(not isinstance(o, BaseException) for o in fine)
    assert fine[1].message.id == fine[2].message.id  # type: ignore[union-attr]
    assert not fine[2].created  # type: ignore[union-attr]
    with pytest.raises(MessageTooLong):
        await app.post_message(users[0], chat, "d", "x" * 10_000)


async def test_a_client_id_reused_for_another_chat_in_one_group_fails_alone() -> None:
    app, factory, chat, users, _ = await _setup()
    other = (await app.create_group(users[0], "other", [users[1]])).chat.id
    before = factory.writes
    outcomes = await asyncio.gather(
        app.post_message(users[0], chat, "warm-up", "goes alone"),
        app.post_message(users[1], chat, "k", "first"),
        app.post_message(users[1], other, "k", "same client id, other chat"),
        app.post_message(users[1], chat, "k", "resend"),
        return_exceptions=True,
    )
    first, reused, resent = outcomes[1:]
    assert isinstance(reused, Conflict)
    assert "another chat" in str(reused)
    assert not isinstance(first, BaseException)
    assert not isinstance(resent, BaseException)
    assert first.created
    assert not resent.created
    assert resent.message == first.message
    assert resent.message is not first.message
    # The resend was found within the group, not by failing on the unique key and
    # retrying every post alone.
    assert factory.writes - before <= 2


async def test_a_failed_commit_fails_every_post_of_the_group_and_keeps_nothing() -> None:
    app, factory, chat, users, _ = await _setup()
    seen: list[object] = []
    app.ports.notifier.subscribe(seen.append)  # type: ignore[attr-defined]
    factory.fail_next_commit = True
    outcomes = await asyncio.gather(
        *(app.post_message(users[0], chat, f"x{i}", "hello") for i in range(3)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], ServiceUnavailable)
    assert not seen
    page = await app.read_history(users[0], chat)
    # Only the posts of the failed group are lost; the ones queued behind it went through.
    assert len(page.items) == sum(not isinstance(o, BaseException) for o in outcomes)
