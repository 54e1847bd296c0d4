"""Domain validation rules, and the invariants they keep, checked over generated inputs."""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import messenger
from messenger.adapters.memory import TickingClock
from messenger.domain.errors import MessageTooLong, ValidationError
from messenger.domain.model import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_RE,
    Membership,
    Role,
    check_password,
    clean_text,
    clean_title,
    normalize_email,
    normalize_username,
    strip_unsafe,
)

valid_usernames = st.from_regex(r"[a-z0-9][a-z0-9_.]{1,30}[a-z0-9]", fullmatch=True)
whitespace = st.text(alphabet=" \t\n", max_size=3)


@given(username=valid_usernames, data=st.data(), before=whitespace, after=whitespace)
def test_any_casing_and_padding_of_a_valid_username_normalises_to_it(
    username: str, data: st.DataObject, before: str, after: str
) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(username), max_size=len(username)))
    mixed = "".join(c.upper() if flip else c for c, flip in zip(username, flips, strict=True))

    assert normalize_username(before + mixed + after) == username


@given(raw=st.text(max_size=40))
def test_a_normalised_username_is_valid_lower_case_and_stable(raw: str) -> None:
    try:
        username = normalize_username(raw)
    except ValidationError as error:
        rejected: ValidationError | None = error
    else:
        rejected = None
    if rejected is not None:
        assert rejected.field == "username"
        return

    assert 3 <= len(username) <= 32
    assert username == username.lower()
    assert USERNAME_RE.fullmatch(username)
    assert normalize_username(username) == username


@given(length=st.integers(0, 300))
def test_a_password_is_accepted_exactly_when_it_has_8_to_128_characters(length: int) -> None:
    password = "p" * length
    if PASSWORD_MIN <= length <= PASSWORD_MAX:
        check_password(password)
    else:
        with pytest.raises(ValidationError):
            check_password(password)


@given(local=st.from_regex(r"[a-z0-9._+-]{1,20}", fullmatch=True), data=st.data())
def test_emails_are_compared_lower_cased(local: str, data: st.DataObject) -> None:
    domain = data.draw(st.sampled_from(["Example.COM", "mail.example.org", "X.io"]))
    email = f"{local.upper()}@{domain}"

    assert normalize_email(f"  {email} ") == email.lower()
    assert normalize_email(normalize_email(email)) == email.lower()


@given(text=st.text(max_size=60), limit=st.integers(1, 50))
def test_a_message_text_is_trimmed_non_empty_and_within_the_limit(text: str, limit: int) -> None:
    try:
        cleaned = clean_text(text, limit)
    except MessageTooLong:
        assert len(text.strip()) > limit
        return
    except ValidationError:
        assert not text.strip()
        return

    assert cleaned == text.strip()
    assert 1 <= len(cleaned) <= limit


@given(title=st.text(max_size=120))
def test_a_group_title_is_trimmed_to_1_to_100_characters(title: str) -> None:
    # Control characters and bidi overrides go first (they are never shown as such).
    safe = strip_unsafe(title).strip()
    if 1 <= len(safe) <= 100:
        cleaned = clean_title(title)
        assert cleaned == safe
        assert not any(unicodedata.category(c) == "Cc" or c in "\u202e\u2066" for c in cleaned)
    else:
        with pytest.raises(ValidationError):
            clean_title(title)


@given(marks=st.lists(st.integers(0, 100), max_size=20))
def test_watermarks_only_move_forward_and_reading_implies_delivery(marks: list[int]) -> None:
    membership = Membership(chat_id=1, user_id=1, role=Role.MEMBER, joined_at=datetime.now(UTC))
    highest = 0
    for mark in marks:
        moved = membership.mark_read(mark)
        assert moved == (mark > highest)
        highest = max(highest, mark)
        assert membership.read_message_id == highest
        assert membership.delivered_message_id >= membership.read_message_id


async def _register_and_log_in(registered_as: str, logged_in_as: str) -> tuple[int, int]:
    app = messenger.in_memory(clock=TickingClock())
    registered = await app.register(registered_as, "password-123")
    logged_in = await app.authenticate(logged_in_as, "password-123")
    return registered.user.id, logged_in.user.id


@settings(max_examples=30, deadline=None)
@given(username=valid_usernames, data=st.data())
def test_whoever_registers_in_one_casing_logs_in_with_any_other(
    username: str, data: st.DataObject
) -> None:
    assume(username.upper() != username)
    registered_as = data.draw(st.sampled_from([username, username.upper(), username.title()]))
    logged_in_as = data.draw(st.sampled_from([username, username.upper(), f" {username.title()} "]))

    registered, logged_in = asyncio.run(_register_and_log_in(registered_as, logged_in_as))

    assert registered == logged_in
