"""The socket protocol and the connection hub, driven through fake sockets (no server)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import pytest

import messenger
from messenger.adapters.memory import (
    InMemoryTokens,
    InProcessNotifier,
    InProcessPresence,
    SystemClock,
)
from messenger.container import in_memory_container
from messenger.contract import Wire
from messenger.domain.errors import InvalidToken, ServiceUnavailable
from messenger.domain.events import Delivery, Notification
from messenger.domain.model import Limits
from messenger.domain.service import Messenger
from messenger.entrypoints.ws import ConnectionHub, HubConfig, Session, SessionConfig
from messenger.entrypoints.ws.hub import MAX_JOINED_CHATS, Connection
from tests.contract_check import check_server_frame

Frame = dict[str, Any]


class FakeSocket:
    """A client socket as the session sees it: frames in, frames out, a close code."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.sent: list[Frame] = []
        self.close_code: int | None = None
        self.stalled: asyncio.Event | None = None  # while set and not released, sends hang
        # Frames sent that the published AsyncAPI document does not describe.
        self.violations: list[str] = []
        self._arrived = asyncio.Condition()

    async def receive(self) -> str | bytes | None:
        return await self.incoming.get()

    async def send(self, data: bytes) -> None:
        if self.stalled is not None:
            await self.stalled.wait()
        frame = json.loads(data)
        try:
            check_server_frame(frame)
        except AssertionError as exc:
            # The writer would take it for a dead socket: keep it for the test to fail on.
            self.violations.append(str(exc))
        async with self._arrived:
            self.sent.append(frame)
            self._arrived.notify_all()

    async def close(self, code: int, reason: str = "") -> None:
        self.close_code = code
        self.incoming.put_nowait(None)
        async with self._arrived:
            self._arrived.notify_all()

    def send_frame(self, type_: str, data: Frame | None = None) -> None:
        self.incoming.put_nowait(json.dumps({"type": type_, "data": data or {}}))

    def of_type(self, type_: str) -> list[Frame]:
        return [f for f in self.sent if f["type"] == type_]

    async def wait_for(self, check: Callable[[FakeSocket], bool], within: float = 2.0) -> None:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: bool(self.violations) or check(self))
        assert not self.violations, self.violations[0]

    async def frame(self, type_: str, count: int = 1) -> Frame:
        await self.wait_for(lambda s: len(s.of_type(type_)) >= count)
        return s_last(self.of_type(type_))


def s_last(frames: list[Frame]) -> Frame:
    return frames[-1]


class Harness:
    def __init__(self, app: Messenger, hub: ConnectionHub, config: SessionConfig) -> None:
        self.app = app
        self.hub = hub
        self.config = config
        self.tasks: list[asyncio.Task[None]] = []
        self.tokens: dict[int, str] = {}
        self.sockets: list[FakeSocket] = []

    async def user(self, name: str) -> int:
        result = await self.app.register(name, "password-123")
        self.tokens[result.user.id] = result.access_token
        return result.user.id

    async def users(self, *names: str) -> list[int]:
        return [await self.user(name) for name in names]

    def open(self, token: str | None = None) -> FakeSocket:
        sock = FakeSocket()
        self.sockets.append(sock)
        if token is not None:
            sock.send_frame("auth", {"token": token})
        self.tasks.append(asyncio.create_task(Session(self.hub, sock, self.config).run()))
        return sock

    async def connect(self, user_id: int) -> FakeSocket:
        return await self.connect_with(self.tokens[user_id])

    async def connect_with(self, token: str) -> FakeSocket:
        sock = self.open(token)
        await sock.frame("ready")
        return sock


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    app = messenger.in_memory()
    assert app.events is not None
    hub = ConnectionHub(
        app,
        app.events,
        Wire(),
        HubConfig(queue_size=50, gap_timeout=0.2, head_poll_interval=0.2),
    )
    await hub.start()
    h = Harness(app, hub, SessionConfig(auth_timeout=0.3, rate=1000, burst=1000))
    yield h
    await hub.stop(grace=1.0)
    for task in h.tasks:
        task.cancel()
    await asyncio.gather(*h.tasks, return_exceptions=True)
    assert not [v for sock in h.sockets for v in sock.violations]


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_ready_carries_the_user_and_the_current_cursor(harness: Harness) -> None:
    alice = await harness.user("alice")
    sock = await harness.connect(alice)
    ready = sock.of_type("ready")[0]["data"]
    assert ready["user"]["id"] == alice
    assert "password_hash" not in ready["user"]
    assert ready["cursor"] == await harness.hub.head()


class GatedHeadHub(ConnectionHub):
    """Counts the feed head reads; while ``gate`` is closed a read, done, waits to return."""

    reads = 0
    gate: asyncio.Event | None = None

    async def head(self) -> int:
        self.reads += 1
        head = await super().head()
        if self.gate is not None:
            await self.gate.wait()
        return head


async def test_sockets_getting_ready_at_once_share_a_head_read_begun_after_they_registered() -> (
    None
):
    app = messenger.in_memory()
    assert app.events is not None
    hub = GatedHeadHub(app, app.events, Wire(), HubConfig(head_poll_interval=60))
    await hub.start()
    try:
        alice = (await app.register("alice", "password-123")).user.id
        bob = (await app.register("bob", "password-123")).user.id
        dialog, _ = await app.open_dialog(alice, bob)
        hub.reads, hub.gate = 0, asyncio.Event()
        early = [hub.connect(bob, FakeSocket()) for _ in range(10)]
        readies = [asyncio.create_task(hub.make_ready(c)) for c in early]
        await settle()
        assert hub.reads == 1  # one read for the ten, under way
        # Committed and pushed while that read waits: a socket registered now must not get
        # the older head as its cursor (the message would be in neither its push nor sync).
        await app.post_message(alice, dialog.chat.id, "c-1", "while reading")
        await settle()
        late = hub.connect(bob, FakeSocket())
        late_ready = asyncio.create_task(hub.make_ready(late))
        await settle()
        hub.gate.set()
        cursors = await asyncio.gather(*readies)
        late_cursor = await late_ready
        assert hub.reads == 2
        assert set(cursors) == {late_cursor - 1}
        assert late_cursor == await hub.head()
        for connection in early:  # the message went to the early ones as a push
            assert connection.cursor == late_cursor
    finally:
        await hub.stop(grace=1.0)


class StalledRegistry(InProcessPresence):
    """A presence registry (Redis) that stopped answering: every question hangs."""

    async def online_among(self, user_ids: Iterable[int]) -> set[int]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_stalled_presence_registry_holds_up_no_ready_and_no_push() -> None:
    app = messenger.in_memory()
    assert app.events is not None
    config = HubConfig(gap_timeout=0.2, head_poll_interval=0.2, registry_timeout=0.1)
    hub = ConnectionHub(app, app.events, Wire(), config, presence=StalledRegistry())
    await hub.start()
    h = Harness(app, hub, SessionConfig(auth_timeout=1.0, rate=1000, burst=1000))
    try:
        alice, bob = await h.users("alice", "bob")
        dialog, _ = await app.open_dialog(alice, bob)
        # Alice is online elsewhere as far as this process knows, so bob's ready asks the
        # registry about her; it never answers.
        bob_sock = await h.connect(bob)
        await app.post_message(alice, dialog.chat.id, "c-1", "hi")
        frame = await bob_sock.frame("new_message")
        assert frame["data"]["message"]["text"] == "hi"
    finally:
        await hub.stop(grace=1.0)
        for task in h.tasks:
            task.cancel()
        await asyncio.gather(*h.tasks, return_exceptions=True)


async def test_a_message_reaches_every_socket_of_every_member_and_no_one_else(
    harness: Harness,
) -> None:
    alice, bob, eve = await harness.users("alice", "bob", "eve")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    alice_phone, alice_laptop = await harness.connect(alice), await harness.connect(alice)
    bob_sock, eve_sock = await harness.connect(bob), await harness.connect(eve)

    alice_phone.send_frame(
        "send_message", {"chat_id": dialog.chat.id, "client_id": "c-1", "text": "hi"}
    )

    for sock in (alice_phone, alice_laptop, bob_sock):
        frame = await sock.frame("new_message")
        assert frame["data"]["message"]["text"] == "hi"
        assert frame["cursor"] > 0
    await settle()
    assert eve_sock.of_type("new_message") == []


async def test_a_resend_is_acknowledged_with_the_same_message_and_notifies_nobody_again(
    harness: Harness,
) -> None:
    alice, bob = await harness.user("alice"), await harness.user("bob")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    a, b = await harness.connect(alice), await harness.connect(bob)
    send = {"chat_id": dialog.chat.id, "client_id": "c-7", "text": "once"}

    a.send_frame("send_message", send)
    first = await a.frame("message_sent")
    a.send_frame("send_message", send)
    second = await a.frame("message_sent", count=2)

    assert first["data"]["client_id"] == "c-7"
    assert first["data"]["message"]["id"] == second["data"]["message"]["id"]
    a.send_frame("ping")
    await a.frame("pong")
    await b.frame("new_message")
    await settle()
    assert len(b.of_type("new_message")) == 1
    assert len(a.of_type("new_message")) == 1


async def test_domain_errors_come_back_as_error_frames_with_the_http_codes(
    harness: Harness,
) -> None:
    alice, bob, eve = await harness.users("alice", "bob", "eve")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    e = await harness.connect(eve)

    e.send_frame("send_message", {"chat_id": dialog.chat.id, "client_id": "x", "text": "spam"})
    error = (await e.frame("error"))["data"]
    assert error["code"] == "not_found"
    assert error["client_id"] == "x"

    e.send_frame("typing", {"chat_id": dialog.chat.id})
    assert (await e.frame("error", count=2))["data"]["code"] == "not_found"


async def test_garbage_frames_get_error_frames_and_the_socket_stays_open(
    harness: Harness,
) -> None:
    alice = await harness.user("alice")
    sock = await harness.connect(alice)
    sock.incoming.put_nowait("{not json")
    sock.incoming.put_nowait(json.dumps({"type": "fly", "data": {}}))
    sock.incoming.put_nowait(json.dumps({"type": "mark_read", "data": {"chat_id": "x"}}))
    sock.incoming.put_nowait(json.dumps([1, 2]))
    sock.send_frame("ping")

    await sock.frame("pong")
    codes = [f["data"]["code"] for f in sock.of_type("error")]
    assert codes == ["malformed_request", "bad_request", "validation_error", "bad_request"]
    assert sock.close_code is None


async def test_undecodable_frames_get_malformed_request_and_the_socket_stays_open(
    harness: Harness,
) -> None:
    alice = await harness.user("alice")
    sock = await harness.connect(alice)
    sock.incoming.put_nowait(b'{"type": "auth", "data": {"token": "\xff\xfe"}}')
    sock.incoming.put_nowait('{"type": "ping", "data": ' + "[" * 3000 + "]" * 3000 + "}")
    sock.incoming.put_nowait('{"type": "typing", "data": {"chat_id": 1e400}}')
    sock.incoming.put_nowait('{"type": 1e400}')
    sock.incoming.put_nowait('{"type": "ping"')
    sock.send_frame("ping")

    await sock.frame("pong")
    codes = [f["data"]["code"] for f in sock.of_type("error")]
    assert codes == ["malformed_request"] * 5
    assert sock.close_code is None


async def test_an_unknown_frame_type_with_undecodable_data_is_malformed_request(
    harness: Harness,
) -> None:
    # Found by the hostile-input suite: the code must not depend on whether the type is known.
    alice = await harness.user("alice")
    sock = await harness.connect(alice)
    sock.incoming.put_nowait(b'{"type": "fly", "data": {"x": "\xed\xa0\x80"}}')
    sock.incoming.put_nowait('{"type": "error", "data": {"x": -1e400}}')
    sock.incoming.put_nowait('{"type": "fly", "data": {"x": 1}}')
    sock.send_frame("ping")

    await sock.frame("pong")
    codes = [f["data"]["code"] for f in sock.of_type("error")]
    assert codes == ["malformed_request", "malformed_request", "bad_request"]


async def test_an_undecodable_auth_frame_is_answered_with_malformed_request_then_1008(
    harness: Harness,
) -> None:
    for raw in (b'{"type": "auth", "data": {"token": "\xff"}}', "[" * 3000):
        sock = harness.open()
        sock.incoming.put_nowait(raw)
        await sock.wait_for(lambda s: s.close_code is not None)
        assert sock.close_code == 1008
        assert [f["data"]["code"] for f in sock.of_type("error")] == ["malformed_request"]


async def test_no_auth_frame_within_the_timeout_closes_with_1008(harness: Harness) -> None:
    sock = harness.open()
    await sock.wait_for(lambda s: s.close_code is not None)
    assert sock.close_code == 1008


async def test_a_first_frame_that_is_not_auth_closes_with_1008(harness: Harness) -> None:
    sock = harness.open()
    sock.send_frame("ping")
    await sock.wait_for(lambda s: s.close_code is not None)
    assert sock.close_code == 1008


async def test_an_invalid_token_closes_with_1008(harness: Harness) -> None:
    sock = harness.open("forged")
    await sock.wait_for(lambda s: s.close_code is not None)
    assert sock.close_code == 1008
    assert sock.of_type("error")[0]["data"]["code"] == "invalid_token"


async def test_a_frame_over_64_kib_closes_with_1009(harness: Harness) -> None:
    alice = await harness.user("alice")
    sock = await harness.connect(alice)
    sock.send_frame("ping", {"pad": "x" * 70_000})
    await sock.wait_for(lambda s: s.close_code is not None)
    assert sock.close_code == 1009


async def test_too_many_frames_are_answered_with_throttled_errors(harness: Harness) -> None:
    harness.config = SessionConfig(rate=1, burst=3)
    alice = await harness.user("alice")
    sock = await harness.connect(alice)
    for _ in range(6):
        sock.send_frame("ping")
    await sock.frame("error", count=3)
    assert len(sock.of_type("pong")) == 3
    assert {f["data"]["code"] for f in sock.of_type("error")} == {"throttled"}
    assert sock.close_code is None


async def test_a_throttled_send_says_which_message_and_when_to_retry(harness: Harness) -> None:
    harness.config = SessionConfig(rate=1, burst=2)
    alice, bob = await harness.user("alice"), await harness.user("bob")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    sock = await harness.connect(alice)
    for n in range(4):
        sock.send_frame(
            "send_message", {"chat_id": dialog.chat.id, "client_id": f"c-{n}", "text": "x"}
        )
    await sock.frame("error", count=2)
    refused = [f["data"] for f in sock.of_type("error")]
    assert [e["client_id"] for e in refused] == ["c-2", "c-3"]
    assert all(e["code"] == "throttled" and e["chat_id"] == dialog.chat.id for e in refused)
    assert all(0 < e["retry_after"] <= 1 for e in refused)


async def test_a_stuck_client_is_closed_with_1013_and_does_not_slow_the_others(
    harness: Harness,
) -> None:
    alice, bob = await harness.user("alice"), await harness.user("bob")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    stuck, b = await harness.connect(alice), await harness.connect(bob)
    stuck.stalled = asyncio.Event()

    for i in range(60):  # the queue holds 50
        await harness.app.post_message(bob, dialog.chat.id, f"c-{i}", f"message {i}")
        await settle()  # a healthy reader keeps up with a sender at this pace

    await stuck.wait_for(lambda s: s.close_code is not None)
    assert stuck.close_code == 1013
    await b.frame("new_message", count=60)
    assert harness.hub.connections_of(alice) == frozenset()


async def test_typing_goes_only_to_the_other_members(harness: Harness) -> None:
    alice, bob, eve = await harness.users("alice", "bob", "eve")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    a, b, e = [await harness.connect(u) for u in (alice, bob, eve)]

    a.send_frame("typing", {"chat_id": dialog.chat.id})
    frame = await b.frame("typing")
    assert frame["data"] == {"chat_id": dialog.chat.id, "user_id": alice}
    assert "cursor" not in frame
    a.send_frame("ping")
    await a.frame("pong")
    await settle()
    assert a.of_type("typing") == []
    assert e.of_type("typing") == []


async def test_typing_in_a_big_group_reaches_only_the_sockets_that_joined_it() -> None:
    app = messenger.in_memory(limits=Limits(typing_joined_above=2))
    assert app.events is not None
    hub = ConnectionHub(app, app.events, Wire(), HubConfig(gap_timeout=0.2))
    await hub.start()
    h = Harness(app, hub, SessionConfig(auth_timeout=0.3, rate=1000, burst=1000))
    try:
        alice, bob, carol = await h.users("alice", "bob", "carol")
        group = (await app.create_group(alice, "Big", [bob, carol])).chat.id
        a, bob_open, bob_other, c = [await h.connect(u) for u in (alice, bob, bob, carol)]

        bob_open.send_frame("join_chat", {"chat_id": group})
        bob_open.send_frame("join_chat", {"chat_id": 999})  # handled after the first
        assert (await bob_open.frame("error"))["data"]["code"] == "not_found"
        a.send_frame("typing", {"chat_id": group})
        await bob_open.frame("typing")
        await app.post_message(alice, group, "c-1", "after typing")
        for sock in (bob_other, c):
            await sock.frame("new_message")
            assert sock.of_type("typing") == []

        bob_open.send_frame("leave_chat", {"chat_id": group})
        bob_open.send_frame("join_chat", {"chat_id": 999})
        await bob_open.frame("error", count=2)
        assert all(x.joined is None for x in hub.connections_of(bob))
    finally:
        await hub.stop(grace=1.0)
        for task in h.tasks:
            task.cancel()
        await asyncio.gather(*h.tasks, return_exceptions=True)


def test_a_socket_keeps_only_the_chats_it_opened_last() -> None:
    connection = Connection(1, FakeSocket(), queue_size=10)
    assert connection.joined is None  # most sockets open nothing: no dict at all
    for chat_id in range(MAX_JOINED_CHATS + 5):
        connection.join(chat_id)
    connection.join(10)  # opened again: now the newest
    assert connection.joined is not None
    assert len(connection.joined) == MAX_JOINED_CHATS
    assert list(connection.joined)[-1] == 10
    assert 0 not in connection.joined
    for chat_id in list(connection.joined):
        connection.leave(chat_id)
    assert connection.joined is None


class ImmediateSocket(FakeSocket):
    """A socket whose server can write a frame synchronously (``send_now``) while
    ``takes``; the frames it took that way are also kept in ``now``."""

    def __init__(self) -> None:
        super().__init__()
        self.takes = True
        self.now: list[int] = []

    async def send(self, data: bytes) -> None:
        self.sent.append(json.loads(data))  # frames of no contract shape: not checked

    def send_now(self, data: bytes) -> bool:
        if not self.takes:
            return False
        frame = json.loads(data)
        self.sent.append(frame)
        self.now.append(frame["cursor"])
        return True


def feed_frame(position: int) -> bytes:
    return json.dumps({"type": "x", "data": {}, "cursor": position}).encode()


async def test_frames_go_out_at_once_where_the_socket_takes_them_and_in_order_when_not() -> None:
    sock = ImmediateSocket()
    connection = Connection(1, sock, queue_size=10)
    connection.push(feed_frame(1), 1)  # not ready yet: queued, not written
    assert sock.now == []
    connection.mark_ready(1)
    connection.start_writer()
    await connection.flushed()
    assert [f["cursor"] for f in sock.sent] == []  # at or below the ready cursor: stale

    connection.push(feed_frame(2), 2)
    assert sock.now == [2]  # written synchronously, no writer task
    assert connection.backlog == 0

    sock.takes = False
    connection.push(feed_frame(3), 3)  # the socket does not take it now: queued
    sock.takes = True
    connection.push(feed_frame(4), 4)  # behind a queued frame: queued too, never ahead
    connection.push(feed_frame(4), 4)  # a duplicate position: dropped
    assert sock.now == [2]
    await connection.flushed()
    assert [f["cursor"] for f in sock.sent] == [2, 3, 4]

    connection.push(feed_frame(5), 5)  # the queue is empty again: at once
    assert sock.now == [2, 5]


async def test_presence_follows_the_first_and_the_last_socket_and_only_contacts_see_it(
    harness: Harness,
) -> None:
    alice, bob, eve = await harness.users("alice", "bob", "eve")
    await harness.app.open_dialog(alice, bob)
    b, e = await harness.connect(bob), await harness.connect(eve)

    first, second = await harness.connect(alice), await harness.connect(alice)
    online = await b.frame("presence")
    assert online["data"]["user_id"] == alice
    assert online["data"]["online"] is True

    first.incoming.put_nowait(None)  # one device goes away: still online
    await settle()
    await asyncio.sleep(0.05)
    assert len(b.of_type("presence")) == 1
    second.incoming.put_nowait(None)
    offline = await b.frame("presence", count=2)
    assert offline["data"]["online"] is False
    assert offline["data"]["last_seen_at"] is not None
    await settle()
    assert [f["data"]["user_id"] for f in e.of_type("presence")] == []


async def test_mark_read_and_ack_reach_the_other_member(harness: Harness) -> None:
    alice, bob = await harness.user("alice"), await harness.user("bob")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    a, b = await harness.connect(alice), await harness.connect(bob)
    sent = await harness.app.post_message(alice, dialog.chat.id, "c-1", "read me")
    pushed = await b.frame("new_message")

    b.send_frame("ack", {"cursor": pushed["cursor"]})
    delivered = await a.frame("messages_delivered")
    b.send_frame("mark_read", {"chat_id": dialog.chat.id, "message_id": sent.message.id})
    read = await a.frame("messages_read")

    assert delivered["data"]["message_id"] == sent.message.id
    assert read["data"] == {
        "chat_id": dialog.chat.id,
        "user_id": bob,
        "message_id": sent.message.id,
    }


class DeafSocket(FakeSocket):
    """A client that never answers a close: its receive keeps waiting after the close."""

    async def close(self, code: int, reason: str = "") -> None:
        self.close_code = code
        async with self._arrived:
            self._arrived.notify_all()


async def test_a_connection_closed_by_the_server_ends_its_session_while_the_client_is_silent(
    harness: Harness,
) -> None:
    alice = await harness.user("alice")
    sock = DeafSocket()
    sock.send_frame("auth", {"token": harness.tokens[alice]})
    session = asyncio.create_task(Session(harness.hub, sock, harness.config).run())
    await sock.frame("ready")
    [connection] = harness.hub.connections_of(alice)

    connection.close(1013, "too slow")

    async with asyncio.timeout(1):
        await session
    assert sock.close_code == 1013
    assert harness.hub.connections_of(alice) == frozenset()


async def test_a_socket_silent_for_the_idle_timeout_is_closed_with_1001(
    harness: Harness,
) -> None:
    harness.config = SessionConfig(idle_timeout=0.2)
    alice = await harness.user("alice")
    sock = await harness.connect(alice)
    for _ in range(3):  # frames keep it open past the timeout
        await asyncio.sleep(0.1)
        sock.send_frame("ping")
    assert sock.close_code is None
    await sock.wait_for(lambda s: s.close_code is not None)
    assert sock.close_code == 1001


async def test_an_idle_socket_runs_no_task_besides_its_session(harness: Harness) -> None:
    alice, bob = await harness.users("alice", "bob")
    await harness.app.open_dialog(alice, bob)
    await harness.connect(bob)
    await asyncio.sleep(0.05)
    before = asyncio.all_tasks()

    a = await harness.connect(alice)
    await a.frame("presence")  # bob is online: pushed through the writer task
    await asyncio.sleep(0.05)

    # Each task and coroutine stays in memory for as long as the socket is open.
    assert asyncio.all_tasks() - before == {harness.tasks[-1]}


async def test_stopping_the_hub_closes_every_socket_with_1012(harness: Harness) -> None:
    alice = await harness.user("alice")
    sock = await harness.connect(alice)
    await harness.hub.stop(grace=1.0)
    assert sock.close_code == 1012
    late = harness.open(harness.tokens[alice])
    await late.wait_for(lambda s: s.close_code is not None)
    assert late.close_code == 1012


# --- ordering and holes --------------------------------------------------------------------


@pytest.fixture
async def relayed() -> AsyncIterator[tuple[Messenger, list[Notification], ConnectionHub]]:
    """A hub whose event stream the test controls: what the app publishes is captured, and
    the test decides what reaches the hub and in which order."""
    app = messenger.in_memory()
    captured: list[Notification] = []
    app.ports.notifier.subscribe(captured.append)  # type: ignore[attr-defined]
    relay = InProcessNotifier(Wire().delivery)
    hub = ConnectionHub(
        app, relay.deliveries, Wire(), HubConfig(gap_timeout=0.2, head_poll_interval=0.1)
    )
    hub.relay = relay  # type: ignore[attr-defined]
    await hub.start()
    yield app, captured, hub
    await hub.stop(grace=1.0)


async def _ready_socket(app: Messenger, hub: ConnectionHub, name: str) -> tuple[int, FakeSocket]:
    result = await app.register(name, "password-123")
    sock = FakeSocket()
    sock.send_frame("auth", {"token": result.access_token})
    asyncio.create_task(Session(hub, sock).run())  # noqa: RUF006 (ends when the hub stops)
    await sock.frame("ready")
    return result.user.id, sock


async def test_notifications_arriving_out_of_order_are_pushed_in_cursor_order(
    relayed: tuple[Messenger, list[Notification], ConnectionHub],
) -> None:
    app, captured, hub = relayed
    relay: InProcessNotifier = hub.relay  # type: ignore[attr-defined]
    alice, a = await _ready_socket(app, hub, "alice")
    bob, _ = await _ready_socket(app, hub, "bob")
    dialog, _ = await app.open_dialog(alice, bob)
    for i in range(3):
        await app.post_message(bob, dialog.chat.id, f"c-{i}", f"m{i}")
    feed = [n for n in captured if n.position is not None]

    for n in reversed(feed):
        await relay.publish([n])

    await a.frame("new_message", count=3)
    cursors = [f["cursor"] for f in a.sent if "cursor" in f]
    assert cursors == sorted(n.position for n in feed)  # type: ignore[type-var]


async def test_a_notification_that_never_arrives_is_filled_in_from_the_feed(
    relayed: tuple[Messenger, list[Notification], ConnectionHub],
) -> None:
    app, captured, hub = relayed
    relay: InProcessNotifier = hub.relay  # type: ignore[attr-defined]
    alice, a = await _ready_socket(app, hub, "alice")
    bob, _ = await _ready_socket(app, hub, "bob")
    dialog, _ = await app.open_dialog(alice, bob)
    for i in range(3):
        await app.post_message(bob, dialog.chat.id, f"c-{i}", f"m{i}")
    feed = [n for n in captured if n.position is not None]
    lost = feed[1]

    await relay.publish([n for n in feed if n is not lost])

    await a.frame("new_message", count=3)
    cursors = [f["cursor"] for f in a.sent if "cursor" in f]
    assert cursors == sorted(n.position for n in feed)  # type: ignore[type-var]
    assert hub.refills >= 1
    # The lost one turning up late is not pushed twice.
    await relay.publish([lost])
    await asyncio.sleep(0.1)
    assert [f["cursor"] for f in a.sent if "cursor" in f] == cursors


async def test_events_committed_without_any_announcement_are_still_pushed(
    relayed: tuple[Messenger, list[Notification], ConnectionHub],
) -> None:
    app, _, hub = relayed
    alice, a = await _ready_socket(app, hub, "alice")
    bob, _ = await _ready_socket(app, hub, "bob")
    dialog, _ = await app.open_dialog(alice, bob)  # nothing reaches the relay

    await app.post_message(bob, dialog.chat.id, "c-1", "silent")

    frame = await a.frame("new_message")
    assert frame["data"]["message"]["text"] == "silent"
    assert [f["type"] for f in a.sent if "cursor" in f] == ["chat_created", "new_message"]


# --- sessions that end, tokens that expire -------------------------------------------------


async def test_logging_out_closes_that_sessions_sockets_with_4001_and_no_others(
    harness: Harness,
) -> None:
    first = await harness.app.register("alice", "password-123")
    second = await harness.app.authenticate("alice", "password-123")
    bob = await harness.user("bob")
    phone, laptop = (
        await harness.connect_with(first.access_token),
        await harness.connect_with(second.access_token),
    )
    other = await harness.connect(bob)

    await harness.app.log_out(await harness.app.authorize(first.access_token))

    await phone.wait_for(lambda s: s.close_code is not None)
    assert phone.close_code == 4001
    laptop.send_frame("ping")
    await laptop.frame("pong")
    other.send_frame("ping")
    await other.frame("pong")
    assert laptop.close_code is None
    assert other.close_code is None


@pytest.mark.parametrize("how", ["revoke_session", "refresh_reuse"])
async def test_revoking_a_device_or_reusing_its_refresh_token_closes_its_sockets(
    harness: Harness, how: str
) -> None:
    first = await harness.app.register("alice", "password-123")
    sock = await harness.connect_with(first.access_token)

    if how == "revoke_session":
        await harness.app.revoke_session(first.user.id, first.session.id)
    else:
        await harness.app.refresh_session(first.refresh_token)
        with pytest.raises(InvalidToken):
            await harness.app.refresh_session(first.refresh_token)

    await sock.wait_for(lambda s: s.close_code is not None)
    assert sock.close_code == 4001


async def test_a_socket_authenticating_just_as_its_session_ends_is_closed_too(
    harness: Harness,
) -> None:
    first = await harness.app.register("alice", "password-123")
    # The news of the revocation arrives before the socket is registered with the hub (as
    # when another process still trusted the session for a few seconds).
    await harness.app.revoke_session(first.user.id, first.session.id)
    await settle()
    sock = FakeSocket()
    connection = harness.hub.connect(first.user.id, sock, first.session.id)
    await connection.wait_closed()
    assert sock.close_code == 4001


async def test_a_socket_closes_with_4002_when_its_token_expires() -> None:
    async with short_lived_tokens(lifetime=1) as h:
        alice = await h.app.register("alice", "password-123")
        sock = await h.connect_with(alice.access_token)
        await sock.wait_for(lambda s: s.close_code is not None, within=3.0)
        assert sock.close_code == 4002


async def test_a_fresh_auth_on_the_open_socket_keeps_it_open_past_the_first_expiry() -> None:
    async with short_lived_tokens(lifetime=1) as h:
        alice = await h.app.register("alice", "password-123")
        bob = await h.app.register("bob", "password-123")
        dialog, _ = await h.app.open_dialog(alice.user.id, bob.user.id)
        sock = await h.connect_with(alice.access_token)

        fresh = await h.app.refresh_session(alice.refresh_token)
        sock.send_frame("auth", {"token": fresh.access_token})
        ok = (await sock.frame("auth_ok"))["data"]
        assert ok["expires_at"] is not None

        await asyncio.sleep(0.6)
        again = await h.app.refresh_session(fresh.refresh_token)
        sock.send_frame("auth", {"token": again.access_token})
        await sock.frame("auth_ok", count=2)
        await asyncio.sleep(0.6)  # past the first token's expiry
        assert sock.close_code is None
        await h.app.post_message(bob.user.id, dialog.chat.id, "c-1", "still here?")
        assert (await sock.frame("new_message"))["data"]["message"]["text"] == "still here?"


async def test_a_bad_or_foreign_token_on_the_open_socket_is_refused_and_changes_nothing(
    harness: Harness,
) -> None:
    alice = await harness.app.register("alice", "password-123")
    bob = await harness.app.register("bob", "password-123")
    sock = await harness.connect_with(alice.access_token)

    sock.send_frame("auth", {"token": "not-a-token"})
    assert (await sock.frame("error"))["data"]["code"] == "invalid_token"
    sock.send_frame("auth", {"token": bob.access_token})
    assert (await sock.frame("error", count=2))["data"]["code"] == "forbidden"
    # Still alice's socket, of alice's session.
    await harness.app.log_out(await harness.app.authorize(bob.access_token))
    sock.send_frame("ping")
    await sock.frame("pong")
    assert sock.close_code is None
    await harness.app.log_out(await harness.app.authorize(alice.access_token))
    await sock.wait_for(lambda s: s.close_code is not None)
    assert sock.close_code == 4001


@contextlib.asynccontextmanager
async def short_lived_tokens(lifetime: int) -> AsyncIterator[Harness]:
    clock = SystemClock()
    app = in_memory_container(
        clock=clock, tokens=InMemoryTokens(clock, lifetime=lifetime)
    ).messenger()
    assert app.events is not None
    hub = ConnectionHub(app, app.events, Wire(), HubConfig(gap_timeout=0.2))
    await hub.start()
    h = Harness(app, hub, SessionConfig(auth_timeout=0.5, rate=1000, burst=1000))
    try:
        yield h
    finally:
        await hub.stop(grace=1.0)
        for task in h.tasks:
            task.cancel()
        await asyncio.gather(*h.tasks, return_exceptions=True)
    assert not [v for sock in h.sockets for v in sock.violations]


# --- presence of new chat-mates -------------------------------------------------------------


def online_of(sock: FakeSocket) -> set[int]:
    return {f["data"]["user_id"] for f in sock.of_type("presence") if f["data"]["online"]}


async def test_a_new_socket_is_told_of_the_online_chat_mates_it_may_see_and_no_others(
    harness: Harness,
) -> None:
    alice, bob, carol, dave, eve = await harness.users("alice", "bob", "carol", "dave", "eve")
    await harness.app.create_group(alice, "team", [bob, carol, dave])
    await harness.app.change_privacy(carol, online="nobody")
    await harness.connect(bob), await harness.connect(carol), await harness.connect(eve)
    await settle()  # dave stays offline; eve is online but shares no chat

    a = await harness.connect(alice)

    await a.wait_for(lambda s: bob in online_of(s))
    await settle()
    assert online_of(a) == {bob}


async def test_two_online_users_opening_a_dialog_see_each_other_online_at_once(
    harness: Harness,
) -> None:
    alice, bob, eve = await harness.users("alice", "bob", "eve")
    a, b, e = await harness.connect(alice), await harness.connect(bob), await harness.connect(eve)
    assert online_of(a) == online_of(b) == set()

    await harness.app.open_dialog(alice, bob)

    await a.wait_for(lambda s: bob in online_of(s))
    await b.wait_for(lambda s: alice in online_of(s))
    await settle()
    assert online_of(e) == set()
    assert alice not in online_of(a)


async def test_a_member_added_to_a_group_and_its_online_members_learn_of_each_other(
    harness: Harness,
) -> None:
    alice, bob, carol, dave = await harness.users("alice", "bob", "carol", "dave")
    group = await harness.app.create_group(alice, "team", [bob])
    a, c = await harness.connect(alice), await harness.connect(carol)  # bob and dave offline
    d = await harness.connect(dave)

    await harness.app.add_member(alice, group.chat.id, carol)

    await c.wait_for(lambda s: alice in online_of(s))
    await a.wait_for(lambda s: carol in online_of(s))
    await settle()
    assert bob not in online_of(c)
    assert online_of(d) == set()


async def test_the_dispatcher_survives_a_failure_and_catches_up_from_the_feed(
    harness: Harness,
) -> None:
    alice, bob = await harness.users("alice", "bob")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    b = await harness.connect(bob)
    # Something the dispatcher cannot handle (here: a delivery with no recipient set).
    harness.hub._inbox.put_nowait((Delivery(b"{}", None, None), 0.0))  # type: ignore[arg-type]
    await harness.app.post_message(alice, dialog.chat.id, "c-1", "after the failure")

    frame = await b.frame("new_message")
    assert frame["data"]["message"]["text"] == "after the failure"
    assert harness.hub.dispatcher_failures == 1
    await harness.app.post_message(alice, dialog.chat.id, "c-2", "and on")
    assert (await b.frame("new_message", count=2))["data"]["message"]["text"] == "and on"


async def test_new_chat_mates_are_introduced_also_when_the_chat_came_from_the_feed(
    relayed: tuple[Messenger, list[Notification], ConnectionHub],
) -> None:
    app, captured, hub = relayed
    relay: InProcessNotifier = hub.relay  # type: ignore[attr-defined]
    alice, a = await _ready_socket(app, hub, "alice")
    bob, b = await _ready_socket(app, hub, "bob")

    await app.open_dialog(alice, bob)  # its announcement never reaches the hub
    await a.frame("chat_created")  # refilled from the feed
    await b.frame("chat_created")

    async with asyncio.timeout(2):
        while len([n for n in captured if n.event.type == "presence"]) < 2:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await relay.publish([n for n in captured if n.event.type == "presence"])
    await a.wait_for(lambda s: bob in online_of(s))
    await b.wait_for(lambda s: alice in online_of(s))
    assert hub.refills >= 1


async def test_the_socket_keeps_reading_while_a_send_waits_for_storage(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = await harness.users("alice", "bob")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    sock = await harness.connect(alice)
    stalled = asyncio.Event()
    post = harness.app.post_message

    async def slow_post(*args: Any, **kwargs: Any) -> Any:
        await stalled.wait()  # the database stalls until the test lets it go
        return await post(*args, **kwargs)

    monkeypatch.setattr(harness.app, "post_message", slow_post)
    for n in (1, 2):
        sock.send_frame(
            "send_message", {"chat_id": dialog.chat.id, "client_id": f"c-{n}", "text": "x"}
        )
    sock.send_frame("ping")

    await sock.frame("pong")  # before: only once the sends were done
    assert sock.of_type("message_sent") == []
    stalled.set()
    await sock.frame("message_sent", count=2)
    assert [f["data"]["client_id"] for f in sock.of_type("message_sent")] == ["c-1", "c-2"]


async def test_requests_beyond_what_may_wait_are_throttled_with_their_client_id(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.config = SessionConfig(rate=1000, burst=1000, max_waiting=3)
    alice, bob = await harness.users("alice", "bob")
    dialog, _ = await harness.app.open_dialog(alice, bob)
    sock = await harness.connect(alice)
    stalled = asyncio.Event()
    post = harness.app.post_message

    async def slow_post(*args: Any, **kwargs: Any) -> Any:
        await stalled.wait()
        return await post(*args, **kwargs)

    monkeypatch.setattr(harness.app, "post_message", slow_post)
    for n in range(5):
        sock.send_frame(
            "send_message", {"chat_id": dialog.chat.id, "client_id": f"c-{n}", "text": "x"}
        )
    await sock.frame("error", count=2)
    assert [e["data"]["client_id"] for e in sock.of_type("error")] == ["c-3", "c-4"]
    stalled.set()
    await sock.frame("message_sent", count=3)


async def test_presence_reports_failing_while_storage_is_down_are_logged_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    users = await harness.users("alice", "bob", "carol")

    async def storage_down(user_id: int, online: bool) -> None:
        raise ServiceUnavailable("The database is unavailable.")

    monkeypatch.setattr(harness.app, "report_presence", storage_down)
    with caplog.at_level(logging.WARNING, logger="messenger.entrypoints.ws.hub"):
        for uid in users:
            await harness.connect(uid)
        await settle()
    lines = [r for r in caplog.records if "Presence" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].exc_info is None  # one line, no traceback
