"""Posts that arrive together are written together, and still fail alone.

Every guarantee of posting holds with either committer: the batching one (group commit) and
the plain one (a unit of work per post); only the sharing of transactions is batching's own.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import (
    DirectCommitter,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
    TickingClock,
)
from messenger.domain.errors import ChatNotFound, Conflict, MessageTooLong, ServiceUnavailable
from messenger.domain.events import Notification
from messenger.domain.ports import Committer
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


@pytest.fixture(params=["batching", "direct"])
def committer(request: pytest.FixtureRequest) -> Committer:
    return BatchingCommitter() if request.param == "batching" else DirectCommitter()


def batching(committer: Committer) -> bool:
    return isinstance(committer, BatchingCommitter)


async def _setup(
    committer: Committer,
) -> tuple[Messenger, CountingFactory, int, list[int], int]:
    factory = CountingFactory()
    ports = replace(in_memory(clock=TickingClock()).ports, uow=factory, committer=committer)
    app = Messenger(ports)
    users = [(await app.register(f"user{i}", "password-123")).user.id for i in range(5)]
    stranger = (await app.register("stranger", "password-123")).user.id
    group = await app.create_group(users[0], "team", users[1:])
    return app, factory, group.chat.id, users, stranger


async def test_concurrent_posts_share_transactions_and_keep_commit_order(
    committer: Committer,
) -> None:
    app, factory, chat, users, _ = await _setup(committer)
    before = factory.writes
    results = await asyncio.gather(
        *(app.post_message(users[i % 5], chat, f"c{i}", f"text {i}") for i in range(40))
    )
    if batching(committer):
        assert factory.writes - before < 40 / 4  # the first goes alone, the rest queue behind it
    else:
        assert factory.writes - before == 40
    ids = [r.message.id for r in results]
    assert ids == sorted(ids)
    changes = await app.get_changes_since(users[1], 0)
    posted = [e.event.message.id for e in changes.entries if e.event.type == "new_message"]  # type: ignore[attr-defined]
    assert posted == ids


async def test_a_group_takes_at_most_max_post_batch_posts() -> None:
    committer = BatchingCommitter()
    app, factory, chat, users, _ = await _setup(committer)
    limited = Messenger(replace(app.ports, limits=replace(app.ports.limits, max_post_batch=4)))
    before = factory.writes
    await asyncio.gather(*(limited.post_message(users[0], chat, f"c{i}", "x") for i in range(12)))
    assert factory.writes - before == 12 / 4


async def test_a_post_that_breaks_a_rule_fails_alone(committer: Committer) -> None:
    app, _, chat, users, stranger = await _setup(committer)
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


async def test_a_client_id_reused_for_another_chat_in_one_group_fails_alone(
    committer: Committer,
) -> None:
    app, factory, chat, users, _ = await _setup(committer)
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
    if batching(committer):
        # The resend was found within the group, not by failing on the unique key and
        # retrying every post alone.
        assert factory.writes - before <= 2


async def test_a_failed_commit_fails_every_post_of_the_group_and_keeps_nothing(
    committer: Committer,
) -> None:
    app, factory, chat, users, _ = await _setup(committer)
    seen: list[Notification] = []
    app.ports.notifier.subscribe(seen.append)  # type: ignore[attr-defined]
    factory.fail_next_commit = True
    outcomes = await asyncio.gather(
        *(app.post_message(users[0], chat, f"x{i}", "hello") for i in range(3)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], ServiceUnavailable)
    if batching(committer):
        assert all(isinstance(o, ServiceUnavailable) for o in outcomes)  # one group
    stored = [o.message for o in outcomes if not isinstance(o, BaseException)]
    # Only the posts of the failed group are lost; the ones queued behind it went through,
    # and only those were published.
    assert [n.event.message for n in seen] == stored  # type: ignore[attr-defined]
    page = await app.read_history(users[0], chat)
    assert list(page.items) == stored


async def test_a_failing_notifier_does_not_fail_the_stored_posts(committer: Committer) -> None:
    app, _, chat, users, _ = await _setup(committer)

    class BrokenNotifier:
        async def publish(self, notifications: object) -> None:
            raise ConnectionError("broker down")

    broken = Messenger(replace(app.ports, notifier=BrokenNotifier()))
    results = await asyncio.gather(
        *(broken.post_message(users[0], chat, f"n{i}", "hello") for i in range(3))
    )
    assert all(r.created for r in results)
    assert len((await app.read_history(users[0], chat)).items) == 3


async def test_a_cancelled_callers_message_is_still_stored(committer: Committer) -> None:
    app, _, chat, users, _ = await _setup(committer)
    posting = asyncio.ensure_future(app.post_message(users[0], chat, "gone", "hello"))
    await asyncio.sleep(0)  # submitted, not yet written
    posting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await posting
    # The caller stopped waiting; the post did not stop: a resend finds it.
    again = await app.post_message(users[0], chat, "gone", "hello")
    assert not again.created
    assert [m.client_id for m in (await app.read_history(users[0], chat)).items] == ["gone"]


def test_posting_from_a_new_event_loop_starts_afresh(committer: Committer) -> None:
    app = Messenger(replace(in_memory(clock=TickingClock()).ports, committer=committer))

    async def setup() -> tuple[int, int]:
        alice = (await app.register("alice", "password-123")).user.id
        bob = (await app.register("bob", "password-123")).user.id
        return alice, (await app.open_dialog(alice, bob))[0].chat.id

    alice, chat = asyncio.run(setup())
    first = asyncio.run(app.post_message(alice, chat, "c1", "one loop"))
    second = asyncio.run(app.post_message(alice, chat, "c2", "another loop"))
    assert first.created
    assert second.created
    assert second.message.id > first.message.id
