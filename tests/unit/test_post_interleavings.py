"""Any interleaving of concurrent posts, resends and rule-breakers ends as if the posts had
been made one by one in the order they were submitted, with either committer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import DirectCommitter, TickingClock
from messenger.domain.errors import ChatNotFound, Conflict, DomainError, ValidationError
from messenger.domain.events import MessagePosted, Notification
from messenger.domain.ports import Committer
from messenger.domain.service import Messenger
from messenger.domain.usecases import PostResult
from messenger.embedded import in_memory

SENDERS = ("alice", "bob", "stranger")
CHATS = ("dialog", "group", "missing")


@dataclass(frozen=True)
class Attempt:
    sender: str
    chat: str
    client_id: str
    bad_reply: bool
    delay: int  # event-loop turns before submitting

    @property
    def breaks_a_rule(self) -> bool:
        return self.sender == "stranger" or self.chat == "missing" or self.bad_reply


attempts = st.builds(
    Attempt,
    sender=st.sampled_from(SENDERS),
    chat=st.sampled_from(CHATS),
    client_id=st.sampled_from(["k0", "k1", "k2", "k3"]),
    bad_reply=st.booleans(),
    delay=st.integers(0, 3),
)


def _committer(kind: str) -> Committer:
    return BatchingCommitter() if kind == "batching" else DirectCommitter()


async def _run(
    kind: str, max_group: int, script: list[Attempt]
) -> tuple[list[int], list[PostResult | DomainError], dict[str, int], list[Notification], int]:
    ports = in_memory(clock=TickingClock()).ports
    limits = replace(ports.limits, max_post_batch=max_group)
    app = Messenger(replace(ports, committer=_committer(kind), limits=limits))
    users = {name: (await app.register(name, "password-123")).user.id for name in SENDERS}
    chats = {
        "dialog": (await app.open_dialog(users["alice"], users["bob"]))[0].chat.id,
        "group": (await app.create_group(users["alice"], "team", [users["bob"]])).chat.id,
        "missing": 10_000,
    }
    # Already stored before the storm: resends of it must find it.
    stored_first = await app.post_message(users["alice"], chats["dialog"], "k0", "earlier")
    published: list[Notification] = []
    app.ports.notifier.subscribe(published.append)  # type: ignore[attr-defined]
    order: list[int] = []

    async def attempt(index: int, a: Attempt) -> PostResult | DomainError:
        for _ in range(a.delay):
            await asyncio.sleep(0)
        order.append(index)
        # Rule-breakers get client ids of their own: whether a rule or the key is checked
        # first is not what this test is about.
        client_id = f"bad-{index}" if a.breaks_a_rule else a.client_id
        try:
            return await app.post_message(
                users[a.sender],
                chats[a.chat],
                client_id,
                f"{a.sender} {index}",
                reply_to_id=10**6 if a.bad_reply else None,
            )
        except DomainError as exc:
            return exc

    outcomes = await asyncio.gather(*(attempt(i, a) for i, a in enumerate(script)))
    return order, list(outcomes), chats, published, stored_first.message.id


@pytest.mark.parametrize(("kind", "max_group"), [("batching", 64), ("batching", 2), ("direct", 1)])
@settings(max_examples=50, deadline=None)
@given(script=st.lists(attempts, min_size=1, max_size=24))
def test_each_post_ends_as_if_posted_alone_in_submission_order(
    kind: str, max_group: int, script: list[Attempt]
) -> None:
    order, outcomes, chats, published, earlier_id = asyncio.run(_run(kind, max_group, script))

    # The model: the posts one by one, in the order they were submitted.
    first: dict[tuple[str, str], tuple[str, int | None]] = {("alice", "k0"): ("dialog", earlier_id)}
    created_ids: list[int] = []
    for index in order:
        a, outcome = script[index], outcomes[index]
        key = (a.sender, a.client_id)
        if a.breaks_a_rule:
            expected = ChatNotFound if a.sender == "stranger" or a.chat == "missing" else None
            assert isinstance(outcome, expected or ValidationError), (index, outcome)
        elif key in first and first[key][0] != a.chat:
            assert isinstance(outcome, Conflict), (index, outcome)
            assert "another chat" in str(outcome)
        elif key in first:
            assert isinstance(outcome, PostResult), (index, outcome)
            assert not outcome.created
            assert outcome.message.id == first[key][1]
        else:
            assert isinstance(outcome, PostResult), (index, outcome)
            assert outcome.created
            assert outcome.message.chat_id == chats[a.chat]
            first[key] = (a.chat, outcome.message.id)
            created_ids.append(outcome.message.id)

    # Ids ascend in submission order, which is commit order; each new post was published
    # once, after its commit, in the order of its feed position.
    assert created_ids == sorted(created_ids)
    posted = [n for n in published if isinstance(n.event, MessagePosted)]
    assert [n.event.message.id for n in posted] == created_ids  # type: ignore[attr-defined]
    positions = [n.position for n in posted]
    assert positions == sorted(positions)
    assert None not in positions
