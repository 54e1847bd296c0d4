"""Per-user budgets: posts, new chats, members added, uploads and storage; and the sweep of
uploads nobody attached."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import pytest

from messenger import settings as settings_module
from messenger.adapters.memory import InMemoryFileStore, InMemoryRateLimiter, TickingClock
from messenger.container import in_memory_container
from messenger.domain.errors import PayloadTooLarge, QuotaExceeded, Throttled, ValidationError
from messenger.domain.model import Limits
from messenger.domain.service import Messenger
from messenger.entrypoints.housekeeping import sweeping_uploads
from messenger.settings import Settings, SettingsError
from tests.unit.conftest import chunks, new_user, store_of


class FakeMonotonic:
    """The rate limiter's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


def limited(clock: TickingClock, monotonic: FakeMonotonic, **limits: float) -> Messenger:
    """A messenger with these limits, whose budgets refill only when ``monotonic`` moves."""
    container = in_memory_container(
        clock=clock, rates=InMemoryRateLimiter(monotonic), limits=Limits(**limits)
    )
    app: Messenger = container.messenger()
    return app


async def dialog(app: Messenger, user_id: int, peer_id: int) -> int:
    details, _ = await app.open_dialog(user_id, peer_id)
    return details.chat.id


# --- posting ------------------------------------------------------------------------------


async def test_posts_beyond_the_burst_wait_for_the_rate(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, post_rate=20, post_burst=60)
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    chat = await dialog(app, alice, bob)
    for i in range(60):
        await app.post_message(alice, chat, f"m-{i}", "hi")

    with pytest.raises(Throttled) as caught:
        await app.post_message(alice, chat, "m-60", "one too many")

    assert caught.value.code == "throttled"
    assert caught.value.retry_after == pytest.approx(1 / 20)
    assert len(store_of(app).messages) == 60
    # Others have budgets of their own.
    await app.post_message(bob, chat, "b-1", "me too")
    monotonic.now += 1 / 20
    assert (await app.post_message(alice, chat, "m-60", "now")).created


async def test_a_resend_of_a_stored_message_is_answered_over_budget(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, post_rate=1, post_burst=1)
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    chat = await dialog(app, alice, bob)
    first = await app.post_message(alice, chat, "m-1", "hello")

    again = await app.post_message(alice, chat, "m-1", "hello")

    assert not again.created
    assert again.message.id == first.message.id
    with pytest.raises(Throttled):
        await app.post_message(alice, chat, "m-2", "a new one")


async def test_a_post_rate_of_zero_means_no_limit(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, post_rate=0, post_burst=1)
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    chat = await dialog(app, alice, bob)

    for i in range(100):
        await app.post_message(alice, chat, f"m-{i}", "hi")

    assert len(store_of(app).messages) == 100


# --- chats and members --------------------------------------------------------------------


async def test_new_chats_per_hour_are_limited_but_reopening_a_dialog_is_free(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, chats_per_hour=2)
    alice, bob, carol = [await new_user(app, n) for n in ("alice", "bob", "carol")]
    await dialog(app, alice, bob)
    await app.create_group(alice, "Team", [])

    with pytest.raises(Throttled) as caught:
        await dialog(app, alice, carol)
    with pytest.raises(Throttled):
        await app.create_group(alice, "Another", [])

    assert caught.value.retry_after == pytest.approx(3600 / 2)
    assert len(store_of(app).chats) == 2
    await dialog(app, alice, bob)  # the dialog exists: opening it again creates nothing
    await dialog(app, carol, alice)  # carol's budget, not alice's
    monotonic.now += 3600 / 2
    await app.create_group(alice, "Later", [])


async def test_members_added_per_hour_count_those_of_a_new_group_and_those_added_later(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, member_adds_per_hour=3)
    alice, bob, carol, dave, erin = [
        await new_user(app, n) for n in ("alice", "bob", "carol", "dave", "erin")
    ]
    group = (await app.create_group(alice, "Team", [bob, carol])).chat.id
    await app.add_member(alice, group, dave)

    with pytest.raises(Throttled):
        await app.add_member(alice, group, erin)
    with pytest.raises(Throttled):
        await app.create_group(alice, "Another", [erin])

    assert {uid for (chat_id, uid) in store_of(app).members if chat_id == group} == {
        alice,
        bob,
        carol,
        dave,
    }
    monotonic.now += 3600 / 3
    await app.add_member(alice, group, erin)


async def test_a_group_bigger_than_an_hours_budget_is_refused_outright(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, member_adds_per_hour=2)
    alice, *others = [await new_user(app, n) for n in ("alice", "bob", "carol", "dave")]

    with pytest.raises(ValidationError) as caught:
        await app.create_group(alice, "Big", others)

    assert caught.value.field == "member_ids"
    assert not store_of(app).chats


# --- uploads ------------------------------------------------------------------------------


async def test_uploads_per_minute_are_limited(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, uploads_per_minute=2)
    alice = await new_user(app, "alice")
    await app.upload_file(alice, "a.txt", None, chunks([b"a"]))
    await app.upload_file(alice, "b.txt", None, chunks([b"b"]))

    with pytest.raises(Throttled) as caught:
        await app.upload_file(alice, "c.txt", None, chunks([b"c"]))

    assert caught.value.retry_after == pytest.approx(30)
    assert len(store_of(app).files) == 2
    monotonic.now += 30
    await app.upload_file(alice, "c.txt", None, chunks([b"c"]))


async def test_uploads_beyond_the_storage_quota_are_refused_and_nothing_is_kept(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, upload_quota_bytes=10, max_upload_bytes=8)
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    await app.upload_file(alice, "a.bin", None, chunks([b"123456"]))

    with pytest.raises(QuotaExceeded) as caught:
        await app.upload_file(alice, "b.bin", None, chunks([b"123", b"456"]))

    assert caught.value.code == "quota_exceeded"
    assert isinstance(caught.value, PayloadTooLarge)  # answered with 413 like it
    files = app.ports.files
    assert isinstance(files, InMemoryFileStore)
    assert len(files._blobs) == len(store_of(app).files) == 1
    # Over the size limit is still "too large", whatever room is left.
    with pytest.raises(PayloadTooLarge) as too_large:
        await app.upload_file(bob, "big.bin", None, chunks([b"123456789"]))
    assert too_large.value.code == "too_large"
    await app.upload_file(alice, "c.bin", None, chunks([b"1234"]))
    with pytest.raises(QuotaExceeded):
        await app.upload_file(alice, "d.bin", None, chunks([b"1"]))
    assert (await app.upload_file(bob, "e.bin", None, chunks([b"12345678"]))).size == 8


# --- abandoned uploads --------------------------------------------------------------------


async def test_uploads_attached_to_no_message_are_deleted_after_the_limit(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic, unattached_upload_hours=24)
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    chat = await dialog(app, alice, bob)
    abandoned = await app.upload_file(alice, "a.txt", None, chunks([b"a"]))
    attached = await app.upload_file(alice, "b.txt", None, chunks([b"b"]))
    await app.post_message(alice, chat, "m-1", "", attachment_ids=[attached.id])
    clock.advance(timedelta(hours=23))
    assert await app.delete_abandoned_uploads() == 0

    clock.advance(timedelta(hours=1))
    fresh = await app.upload_file(alice, "c.txt", None, chunks([b"c"]))
    deleted = await app.delete_abandoned_uploads()

    assert deleted == 1
    assert set(store_of(app).files) == {attached.id, fresh.id}
    assert abandoned.id not in store_of(app).files
    files = app.ports.files
    assert isinstance(files, InMemoryFileStore)
    assert set(files._blobs) == {attached.storage_key, fresh.storage_key}


async def test_the_files_of_a_deleted_message_are_swept_too(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic)
    alice, bob = await new_user(app, "alice"), await new_user(app, "bob")
    chat = await dialog(app, alice, bob)
    file = await app.upload_file(alice, "a.txt", None, chunks([b"a"]))
    posted = await app.post_message(alice, chat, "m-1", "", attachment_ids=[file.id])
    clock.advance(timedelta(hours=25))
    assert await app.delete_abandoned_uploads() == 0

    await app.delete_message(alice, posted.message.id)

    assert await app.delete_abandoned_uploads() == 1
    assert not store_of(app).files


async def test_the_sweep_deletes_in_batches_and_can_be_turned_off(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    off = limited(clock, monotonic, unattached_upload_hours=0)
    alice = await new_user(off, "alice")
    await off.upload_file(alice, "a.txt", None, chunks([b"a"]))
    clock.advance(timedelta(days=365))
    assert await off.delete_abandoned_uploads() == 0

    app = limited(clock, monotonic)
    alice = await new_user(app, "alice")
    for i in range(5):
        await app.upload_file(alice, f"{i}.txt", None, chunks([b"x"]))
    clock.advance(timedelta(hours=25))
    assert await app.delete_abandoned_uploads(batch=2) == 5
    assert not store_of(app).files


async def test_a_running_server_sweeps_abandoned_uploads_by_itself(
    clock: TickingClock, monotonic: FakeMonotonic
) -> None:
    app = limited(clock, monotonic)
    alice = await new_user(app, "alice")
    await app.upload_file(alice, "a.txt", None, chunks([b"a"]))
    clock.advance(timedelta(hours=25))

    async with sweeping_uploads(app, every=0.01, first_after=0):
        for _ in range(200):
            if not store_of(app).files:
                break
            await asyncio.sleep(0.01)

    assert not store_of(app).files


def test_the_rate_limiter_keeps_a_bounded_number_of_buckets(
    monkeypatch: pytest.MonkeyPatch, monotonic: FakeMonotonic
) -> None:
    from messenger.adapters.memory import rates

    monkeypatch.setattr(rates, "MAX_BUCKETS", 10)
    limiter = InMemoryRateLimiter(monotonic)
    assert limiter.take("busy", 1, 1) == 0

    for i in range(100):
        limiter.take(f"user-{i}", 1, 1)
        monotonic.now += 0.01

    assert len(limiter._buckets) <= 10
    monotonic.now += 1
    assert limiter.take("busy", 1, 1) == 0  # forgotten or refilled: full either way


# --- settings -----------------------------------------------------------------------------


def test_every_limit_is_a_setting_read_from_the_environment() -> None:
    env = {
        "MESSENGER_SECRET_KEY": "k" * 40,
        "MESSENGER_LIMIT_POST_RATE": "5",
        "MESSENGER_LIMIT_POST_BURST": "15",
        "MESSENGER_LIMIT_CHATS_PER_HOUR": "7",
        "MESSENGER_LIMIT_MEMBER_ADDS_PER_HOUR": "70",
        "MESSENGER_LIMIT_UPLOADS_PER_MINUTE": "3",
        "MESSENGER_LIMIT_UPLOAD_QUOTA_BYTES": "1000",
        "MESSENGER_LIMIT_UNATTACHED_UPLOAD_HOURS": "2",
        "MESSENGER_LIMIT_GROUP_MEMBERS": "5000",
    }
    settings = Settings.from_env(env)
    limits = in_memory_container(settings=settings).limits()

    assert (limits.post_rate, limits.post_burst) == (5, 15)
    assert (limits.chats_per_hour, limits.member_adds_per_hour) == (7, 70)
    assert (limits.uploads_per_minute, limits.upload_quota_bytes) == (3, 1000)
    assert limits.unattached_upload_hours == 2
    assert limits.max_group_members == 5000
    defaults = in_memory_container().limits()
    assert (defaults.post_rate, defaults.post_burst) == (20, 60)
    assert defaults.max_group_members == 1000


def test_a_group_limit_below_two_members_is_refused() -> None:
    with pytest.raises(SettingsError, match="MESSENGER_LIMIT_GROUP_MEMBERS"):
        Settings.from_env({"MESSENGER_SECRET_KEY": "k" * 40, "MESSENGER_LIMIT_GROUP_MEMBERS": "1"})


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(SettingsError, match="MESSENGER_LIMIT_CHATS_PER_HOUR"):
        Settings.from_env(
            {"MESSENGER_SECRET_KEY": "k" * 40, "MESSENGER_LIMIT_CHATS_PER_HOUR": "-1"}
        )


def test_every_limit_setting_is_documented_in_the_readme() -> None:
    source = Path(settings_module.__file__).read_text(encoding="utf-8")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    names = set(re.findall(r"MESSENGER_LIMIT_[A-Z_]+", source))

    assert len(names) == 8
    assert {name for name in names if f"| `{name}` |" not in readme} == set()
