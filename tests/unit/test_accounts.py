"""Accounts and sessions: register, log in, refresh, authorize, log out, profiles, search."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messenger.adapters.memory import (
    FastHasher,
    InMemoryLoginThrottle,
    TickingClock,
)
from messenger.container import in_memory_container
from messenger.domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    Throttled,
    UsernameTaken,
    ValidationError,
)
from messenger.domain.service import Messenger
from tests.unit.conftest import chunks, store_of

# Searching is done by someone; who does not matter here (nobody hides anything).
ANYONE = 1

# --- register -----------------------------------------------------------------------------


async def test_registering_stores_a_lower_cased_username_and_logs_in(app: Messenger) -> None:
    result = await app.register("  Alice.Smith ", "password-123", email=" Alice@Example.COM ")

    assert result.user.id > 0
    assert result.user.username == "alice.smith"
    assert result.user.email == "alice@example.com"
    assert result.user.display_name == "alice.smith"
    assert result.access_token
    assert result.refresh_token
    assert result.expires_in > 0
    claims = await app.authorize(result.access_token)
    assert (claims.user_id, claims.session_id) == (result.user.id, result.session.id)


async def test_the_password_is_stored_only_as_a_hash(app: Messenger) -> None:
    result = await app.register("alice", "password-123")

    stored = store_of(app).users[result.user.id]
    assert "password-123" not in stored.password_hash
    assert await app.ports.hasher.verify(stored.password_hash, "password-123")


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 33, "_alice", "alice_", "ali ce", "al!ce", "алиса", "", ".alice", "alice."],
)
async def test_registering_rejects_a_username_outside_the_pattern(
    app: Messenger, username: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.register(username, "password-123")

    assert caught.value.field == "username"
    assert caught.value.code == "validation_error"


@pytest.mark.parametrize("username", ["abc", "a" * 32, "a_b.c", "007"])
async def test_registering_accepts_usernames_of_3_to_32_allowed_characters(
    app: Messenger, username: str
) -> None:
    result = await app.register(username, "password-123")

    assert result.user.username == username


@pytest.mark.parametrize("password", ["", "1234567", "x" * 129])
async def test_registering_rejects_a_password_shorter_than_8_or_longer_than_128(
    app: Messenger, password: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.register("alice", password)

    assert caught.value.field == "password"


@pytest.mark.parametrize("password", ["90817263", "x" * 128, "пароль🔑🔑"])
async def test_registering_accepts_passwords_of_8_to_128_characters(
    app: Messenger, password: str
) -> None:
    result = await app.register("alice", password)

    assert await app.authenticate("alice", password)
    assert result.user.username == "alice"


@pytest.mark.parametrize(
    "email", ["alice", "alice@", "@example.com", "alice@example", "al ice@example.com", "a@b@c.de"]
)
async def test_registering_rejects_a_malformed_email(app: Messenger, email: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.register("alice", "password-123", email=email)

    assert caught.value.field == "email"


async def test_an_empty_email_means_no_email(app: Messenger) -> None:
    result = await app.register("alice", "password-123", email="  ")

    assert result.user.email is None


async def test_a_username_is_taken_regardless_of_case(app: Messenger) -> None:
    await app.register("alice", "password-123")

    with pytest.raises(UsernameTaken) as caught:
        await app.register("ALICE", "password-456")

    assert caught.value.code == "username_taken"


async def test_an_email_is_taken_regardless_of_case(app: Messenger) -> None:
    await app.register("alice", "password-123", email="alice@example.com")

    with pytest.raises(EmailTaken) as caught:
        await app.register("alice2", "password-456", email="ALICE@Example.com")

    assert caught.value.code == "email_taken"


async def test_a_failed_registration_keeps_nothing(app: Messenger) -> None:
    await app.register("alice", "password-123", email="alice@example.com")

    with pytest.raises(EmailTaken):
        await app.register("bob", "password-456", email="alice@example.com")

    assert (await app.search_users(ANYONE, "bob")).items == ()
    assert len(store_of(app).sessions) == 1


async def test_a_long_display_name_is_rejected(app: Messenger) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.register("alice", "password-123", display_name="x" * 101)

    assert caught.value.field == "display_name"


# --- authenticate -------------------------------------------------------------------------


async def test_logging_in_by_username_in_any_case_starts_a_new_session(app: Messenger) -> None:
    registered = await app.register("alice", "password-123")

    result = await app.authenticate(" ALICE ", "password-123", device_name="laptop")

    assert result.user.id == registered.user.id
    assert result.session.id != registered.session.id
    assert result.session.device_name == "laptop"


async def test_logging_in_by_email_works(app: Messenger) -> None:
    registered = await app.register("alice", "password-123", email="alice@example.com")

    result = await app.authenticate("Alice@Example.com", "password-123")

    assert result.user.id == registered.user.id


async def test_a_wrong_password_and_an_unknown_user_fail_identically(app: Messenger) -> None:
    await app.register("alice", "password-123")

    with pytest.raises(InvalidCredentials) as wrong_password:
        await app.authenticate("alice", "password-999")
    with pytest.raises(InvalidCredentials) as unknown_user:
        await app.authenticate("nobody", "password-123")
    with pytest.raises(InvalidCredentials) as unknown_email:
        await app.authenticate("nobody@example.com", "password-123")

    assert wrong_password.value.code == unknown_user.value.code == "invalid_credentials"
    assert str(wrong_password.value) == str(unknown_user.value) == str(unknown_email.value)


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def build(
    *, throttle: InMemoryLoginThrottle | None = None, hasher: FastHasher | None = None
) -> Messenger:
    container = in_memory_container(clock=TickingClock(), hasher=hasher, throttle=throttle)
    messenger: Messenger = container.messenger()
    return messenger


async def test_repeated_failures_throttle_the_account_even_for_the_right_password() -> None:
    monotonic = FakeMonotonic()
    app = build(
        throttle=InMemoryLoginThrottle(free_attempts=3, base_delay=2.0, monotonic=monotonic)
    )
    await app.register("alice", "password-123")
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await app.authenticate("alice", "wrong-password")

    with pytest.raises(Throttled) as caught:
        await app.authenticate("alice", "password-123")

    assert caught.value.code == "throttled"
    assert caught.value.retry_after == pytest.approx(2.0)
    monotonic.now += 2.5
    assert (await app.authenticate("alice", "password-123")).user.username == "alice"


async def test_alternating_username_and_email_shares_one_failure_count() -> None:
    monotonic = FakeMonotonic()
    app = build(throttle=InMemoryLoginThrottle(free_attempts=4, monotonic=monotonic))
    await app.register("alice", "password-123", email="alice@example.com")
    for login in ("alice", "alice@example.com", "ALICE", "Alice@Example.com"):
        with pytest.raises(InvalidCredentials):
            await app.authenticate(login, "wrong-password")

    for login in ("alice", "alice@example.com"):
        with pytest.raises(Throttled):
            await app.authenticate(login, "password-123")


async def test_a_stranger_guessing_from_elsewhere_cannot_lock_the_owner_out() -> None:
    monotonic = FakeMonotonic()
    app = build(throttle=InMemoryLoginThrottle(free_attempts=5, monotonic=monotonic))
    await app.register("alice", "password-123")
    for _ in range(6):
        with pytest.raises((InvalidCredentials, Throttled)):
            await app.authenticate("alice", "wrong-password", address="203.0.113.9")
    # The stranger stays slowed down...
    with pytest.raises(Throttled):
        await app.authenticate("alice", "password-123", address="203.0.113.9")
    # ...while the owner logs in from their own address, at once and with either name.
    assert (await app.authenticate("alice", "password-123", address="198.51.100.7")).user
    for _ in range(5):
        # One failure every five minutes, which kept the account locked for good before.
        monotonic.now += 299.0
        with pytest.raises((InvalidCredentials, Throttled)):
            await app.authenticate("alice", "wrong-password", address="203.0.113.9")
        assert (await app.authenticate("alice", "password-123", address="198.51.100.7")).user


async def test_the_throttle_delay_doubles_with_each_further_failure() -> None:
    monotonic = FakeMonotonic()
    app = build(
        throttle=InMemoryLoginThrottle(free_attempts=2, base_delay=1.0, monotonic=monotonic)
    )
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await app.authenticate("ghost", "whatever-1")
    monotonic.now += 1.1
    with pytest.raises(InvalidCredentials):
        await app.authenticate("ghost", "whatever-1")

    with pytest.raises(Throttled) as caught:
        await app.authenticate("GHOST", "whatever-1")

    assert caught.value.retry_after == pytest.approx(2.0)


async def test_a_successful_login_resets_the_failure_count() -> None:
    monotonic = FakeMonotonic()
    app = build(throttle=InMemoryLoginThrottle(free_attempts=2, monotonic=monotonic))
    await app.register("alice", "password-123")
    with pytest.raises(InvalidCredentials):
        await app.authenticate("alice", "wrong-password")
    await app.authenticate("alice", "password-123")

    with pytest.raises(InvalidCredentials):
        await app.authenticate("alice", "wrong-password")

    # One failure after the reset is still a free attempt.
    await app.authenticate("alice", "password-123")


class UpgradingHasher(FastHasher):
    """Treats hashes without the ``v2`` marker as outdated."""

    async def hash(self, password: str) -> str:
        return "v2" + await super().hash(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await super().verify(password_hash.removeprefix("v2"), password)

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith("v2")


async def test_logging_in_rehashes_a_password_whose_hash_is_outdated() -> None:
    hasher = UpgradingHasher()
    app = build(hasher=hasher)
    user = await app.register("alice", "password-123")
    store = store_of(app)
    store.users[user.user.id].password_hash = await FastHasher().hash("password-123")

    await app.authenticate("alice", "password-123")

    assert store.users[user.user.id].password_hash.startswith("v2")
    assert await app.authenticate("alice", "password-123")


async def test_logging_in_keeps_a_current_hash(app: Messenger) -> None:
    user = await app.register("alice", "password-123")
    before = store_of(app).users[user.user.id].password_hash

    await app.authenticate("alice", "password-123")

    assert store_of(app).users[user.user.id].password_hash == before


# --- refresh, authorize, log out, sessions -------------------------------------------------


async def test_refreshing_rotates_the_refresh_token(app: Messenger) -> None:
    first = await app.register("alice", "password-123")

    second = await app.refresh_session(first.refresh_token)

    assert second.session.id == first.session.id
    assert second.refresh_token != first.refresh_token
    assert (await app.authorize(second.access_token)).session_id == first.session.id
    third = await app.refresh_session(second.refresh_token)
    assert third.refresh_token not in {first.refresh_token, second.refresh_token}


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(app: Messenger) -> None:
    first = await app.register("alice", "password-123")
    second = await app.refresh_session(first.refresh_token)

    with pytest.raises(InvalidToken) as caught:
        await app.refresh_session(first.refresh_token)

    assert caught.value.code == "invalid_token"
    with pytest.raises(InvalidToken):
        await app.refresh_session(second.refresh_token)
    with pytest.raises(InvalidToken):
        await app.authorize(second.access_token)
    assert (await app.list_sessions(first.user.id)).items == ()


async def test_reuse_revokes_only_that_family(app: Messenger) -> None:
    phone = await app.register("alice", "password-123")
    laptop = await app.authenticate("alice", "password-123")
    await app.refresh_session(phone.refresh_token)

    with pytest.raises(InvalidToken):
        await app.refresh_session(phone.refresh_token)

    assert await app.authorize(laptop.access_token)
    assert await app.refresh_session(laptop.refresh_token)


async def test_an_unknown_refresh_token_is_invalid(app: Messenger) -> None:
    with pytest.raises(InvalidToken):
        await app.refresh_session("not-a-token")


async def test_an_unknown_or_expired_access_token_is_rejected(
    app: Messenger, clock: TickingClock
) -> None:
    result = await app.register("alice", "password-123")
    with pytest.raises(InvalidToken):
        await app.authorize("forged")

    clock.advance(timedelta(seconds=result.expires_in + 1))

    with pytest.raises(InvalidToken):
        await app.authorize(result.access_token)


async def test_logging_out_revokes_the_session_and_its_tokens(app: Messenger) -> None:
    result = await app.register("alice", "password-123")
    claims = await app.authorize(result.access_token)

    await app.log_out(claims)

    with pytest.raises(InvalidToken):
        await app.authorize(result.access_token)
    with pytest.raises(InvalidToken):
        await app.refresh_session(result.refresh_token)


async def test_sessions_are_listed_most_recently_used_first_without_revoked_ones(
    app: Messenger,
) -> None:
    first = await app.register("alice", "password-123", device_name="phone")
    second = await app.authenticate("alice", "password-123", device_name="laptop")
    third = await app.authenticate("alice", "password-123", device_name="tablet")
    await app.refresh_session(first.refresh_token)  # the phone was used last
    await app.revoke_session(first.user.id, third.session.id)

    sessions = (await app.list_sessions(first.user.id)).items

    assert [s.device_name for s in sessions] == ["phone", "laptop"]
    assert {s.id for s in sessions} == {first.session.id, second.session.id}


async def test_sessions_page_most_recently_used_first_each_once(app: Messenger) -> None:
    first = await app.register("alice", "password-123", device_name="d0")
    for i in range(1, 5):
        await app.authenticate("alice", "password-123", device_name=f"d{i}")

    page = await app.list_sessions(first.user.id, limit=3)
    rest = await app.list_sessions(first.user.id, limit=3, cursor=page.next_cursor)

    assert [s.device_name for s in page.items] == ["d4", "d3", "d2"]
    assert page.has_more
    assert [s.device_name for s in rest.items] == ["d1", "d0"]
    assert (rest.has_more, rest.next_cursor) == (False, None)


async def test_a_cursor_of_another_list_is_refused_by_the_sessions(app: Messenger) -> None:
    first = await app.register("alice", "password-123")
    await app.register("bob", "password-123")
    search = await app.search_users(ANYONE, "", limit=1)

    with pytest.raises(ValidationError) as caught:
        await app.list_sessions(first.user.id, cursor=search.next_cursor)

    assert caught.value.field == "cursor"


async def test_revoking_a_session_logs_that_device_out(app: Messenger) -> None:
    phone = await app.register("alice", "password-123")
    laptop = await app.authenticate("alice", "password-123")

    await app.revoke_session(phone.user.id, laptop.session.id)
    await app.revoke_session(phone.user.id, laptop.session.id)  # idempotent

    with pytest.raises(InvalidToken):
        await app.authorize(laptop.access_token)
    assert await app.authorize(phone.access_token)


async def test_nobody_can_revoke_someone_elses_session(app: Messenger) -> None:
    alice = await app.register("alice", "password-123")
    bob = await app.register("bob", "password-123")

    with pytest.raises(NotFound) as caught:
        await app.revoke_session(bob.user.id, alice.session.id)
    with pytest.raises(NotFound) as unknown:
        await app.revoke_session(bob.user.id, "no-such-session")

    assert str(caught.value) == str(unknown.value)
    assert await app.authorize(alice.access_token)


# --- profiles and search --------------------------------------------------------------------


async def test_updating_the_profile_changes_only_the_given_fields(app: Messenger) -> None:
    user = (await app.register("alice", "password-123", display_name="Alice")).user
    picture = await app.upload_file(user.id, "me.png", "image/png", chunks([b"png"]))

    await app.update_profile(user.id, bio="  Hello  ")
    updated = await app.update_profile(user.id, avatar_file_id=picture.id)

    assert updated.display_name == "Alice"
    assert updated.bio == "Hello"
    assert updated.avatar_file_id == picture.id
    profile = await app.get_profile(user.id, user.id)
    assert (profile.display_name, profile.bio, profile.avatar_file_id) == (
        "Alice",
        "Hello",
        picture.id,
    )


async def test_an_empty_avatar_removes_the_avatar(app: Messenger) -> None:
    user = (await app.register("alice", "password-123")).user
    picture = await app.upload_file(user.id, "me.png", "image/png", chunks([b"png"]))
    await app.update_profile(user.id, avatar_file_id=picture.id)

    updated = await app.update_profile(user.id, avatar_file_id="")

    assert updated.avatar_file_id is None


async def test_the_avatar_must_be_a_file_the_user_uploaded(app: Messenger) -> None:
    alice = (await app.register("alice", "password-123")).user
    bob = (await app.register("bob", "password-123")).user
    bobs = await app.upload_file(bob.id, "bob.png", "image/png", chunks([b"png"]))

    for file_id in (bobs.id, "no-such-file"):
        with pytest.raises(ValidationError) as caught:
            await app.update_profile(alice.id, avatar_file_id=file_id)
        assert caught.value.field == "avatar_url"
    assert (await app.get_my_account(alice.id)).avatar_file_id is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", "   "),
        ("display_name", "x" * 101),
        ("bio", "x" * 501),
        ("avatar_file_id", "https://example.com/a.png"),
    ],
)
async def test_an_invalid_profile_update_is_rejected_and_changes_nothing(
    app: Messenger, field: str, value: str
) -> None:
    user = (await app.register("alice", "password-123", display_name="Alice")).user

    with pytest.raises(ValidationError) as caught:
        await app.update_profile(user.id, **{field: value})

    assert caught.value.field == ("avatar_url" if field == "avatar_file_id" else field)
    assert (await app.get_my_account(user.id)) == user


async def test_a_public_profile_hides_email_and_password_hash(app: Messenger) -> None:
    user = (await app.register("alice", "password-123", email="alice@example.com")).user
    other = (await app.register("bob", "password-123")).user

    profile = await app.get_profile(other.id, user.id)

    # The email shows only where its privacy setting allows (nobody, by default).
    assert profile.email is None
    assert not hasattr(profile, "password_hash")
    assert not hasattr(profile.public(), "email")
    assert (await app.get_my_account(user.id)).email == "alice@example.com"


async def test_an_unknown_user_has_no_profile(app: Messenger) -> None:
    with pytest.raises(NotFound):
        await app.get_profile(1, 999)
    with pytest.raises(NotFound):
        await app.get_my_account(999)
    with pytest.raises(NotFound):
        await app.update_profile(999, bio="x")


async def test_searching_matches_username_or_display_name_case_insensitively(
    app: Messenger,
) -> None:
    await app.register("alice", "password-123", display_name="Alice Liddell")
    await app.register("bob", "password-123", display_name="Bob the Builder")
    await app.register("carol", "password-123", display_name="Carol")

    by_name = (await app.search_users(ANYONE, "LIDDELL")).items
    by_username = (await app.search_users(ANYONE, " Bo ")).items
    everyone = (await app.search_users(ANYONE, "")).items

    assert [p.username for p in by_name] == ["alice"]
    assert [p.username for p in by_username] == ["bob"]
    assert [p.username for p in everyone] == ["alice", "bob", "carol"]
    assert [p.username for p in (await app.search_users(ANYONE, "", limit=2)).items] == [
        "alice",
        "bob",
    ]


async def test_search_results_page_by_username(app: Messenger) -> None:
    for name in ["erin", "alice", "dave", "bob", "carol"]:
        await app.register(name, "password-123")
    await app.register("zed", "password-123", display_name="Zed")

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = await app.search_users(ANYONE, "", limit=2, cursor=cursor)
        pages.append([p.username for p in page.items])
        if not page.has_more:
            break
        cursor = page.next_cursor

    assert pages == [["alice", "bob"], ["carol", "dave"], ["erin", "zed"]]
    assert page.next_cursor is None


@pytest.mark.parametrize("limit", [0, -1, 51])
async def test_search_limit_must_be_within_bounds(app: Messenger, limit: int) -> None:
    with pytest.raises(ValidationError) as caught:
        await app.search_users(ANYONE, "a", limit=limit)

    assert caught.value.field == "limit"


async def test_names_and_bios_lose_control_characters_and_bidi_overrides() -> None:
    app = build()
    spoof = "alice\u202egnp.exe"
    user = (await app.register("alice", "password-123", display_name=spoof)).user
    assert user.display_name == "alicegnp.exe"
    updated = await app.update_profile(
        user.id, display_name="Bob\x00\x1b[31m\u2066", bio="line one\nline\u202d two\x07"
    )
    assert updated.display_name == "Bob[31m"
    assert updated.bio == "line one\nline two"
    # A name that was nothing but controls is no name: the username stands in.
    assert (
        await app.register("carol", "password-123", display_name="\u202e\x01")
    ).user.display_name == "carol"
