"""Every domain error has a stable, machine-readable code that clients may rely on."""

from __future__ import annotations

import inspect
import re

import pytest

from messenger.domain import errors
from messenger.domain.errors import DomainError
from messenger.entrypoints.http.errors import domain_error_response

# The wire contract: changing a code breaks clients, so it must show up as a failing test.
EXPECTED_CODES: dict[type[DomainError], str] = {
    errors.DomainError: "domain_error",
    errors.ValidationError: "validation_error",
    errors.MessageTooLong: "message_too_long",
    errors.NotFound: "not_found",
    errors.ChatNotFound: "not_found",
    errors.NotAMember: "not_a_member",
    errors.Forbidden: "forbidden",
    errors.Conflict: "conflict",
    errors.UsernameTaken: "username_taken",
    errors.EmailTaken: "email_taken",
    errors.AlreadyAMember: "already_a_member",
    errors.InvalidCredentials: "invalid_credentials",
    errors.InvalidToken: "invalid_token",
    errors.Throttled: "throttled",
    errors.ResyncRequired: "resync_required",
    errors.PayloadTooLarge: "too_large",
    errors.QuotaExceeded: "quota_exceeded",
    errors.ServiceUnavailable: "service_unavailable",
    errors.PasswordTooCommon: "password_too_common",
    errors.WrongPassword: "invalid_credentials",
    errors.Blocked: "blocked",
    errors.PrivacyRestricted: "privacy_restricted",
    errors.TooManyThemes: "too_many_themes",
    errors.TooManyPins: "too_many_pins",
    errors.TooManyReactions: "too_many_reactions",
    errors.UnsupportedImage: "unsupported_image",
    errors.ImageTooLarge: "image_too_large",
    errors.UserDeleted: "user_deleted",
    errors.TooManyPinnedChats: "too_many_pinned_chats",
    errors.PinnedOrderMismatch: "pinned_order_mismatch",
    errors.RegistrationClosed: "registration_closed",
    errors.InviteRequired: "invite_required",
    errors.AccountDeactivated: "account_deactivated",
    errors.ResetLinkInvalid: "reset_link_invalid",
}


def all_domain_errors() -> list[type[DomainError]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, DomainError) and cls.__module__ == errors.__name__
    ]


def test_every_domain_error_has_a_listed_code() -> None:
    assert set(all_domain_errors()) == set(EXPECTED_CODES)


@pytest.mark.parametrize(("cls", "code"), list(EXPECTED_CODES.items()))
def test_each_error_keeps_its_code(cls: type[DomainError], code: str) -> None:
    assert cls.code == code
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code)
    assert cls.default_message.strip()


def test_a_chat_you_are_not_in_is_indistinguishable_from_a_missing_one() -> None:
    assert issubclass(errors.ChatNotFound, errors.NotFound)
    assert errors.ChatNotFound.code == errors.NotFound.code


def test_subclasses_can_be_caught_by_their_family() -> None:
    assert issubclass(errors.MessageTooLong, errors.ValidationError)
    assert issubclass(errors.UsernameTaken, errors.Conflict)
    assert issubclass(errors.EmailTaken, errors.Conflict)
    assert issubclass(errors.AlreadyAMember, errors.Conflict)


def test_an_error_carries_its_message_and_details() -> None:
    plain = errors.Forbidden()
    custom = errors.ValidationError("Too short.", field="password")
    throttled = errors.Throttled(retry_after=2.5)
    unavailable = errors.ServiceUnavailable(retry_after=3.0)

    assert str(plain) == plain.message == errors.Forbidden.default_message
    assert (str(custom), custom.field, custom.details) == (
        "Too short.",
        "password",
        {"field": "password"},
    )
    assert throttled.retry_after == throttled.details["retry_after"] == 2.5
    assert unavailable.retry_after == 3.0
    assert errors.ServiceUnavailable().retry_after > 0


def test_the_administration_errors_answer_with_their_status() -> None:
    for cls, status in (
        (errors.RegistrationClosed, 403),
        (errors.InviteRequired, 403),
        (errors.AccountDeactivated, 403),
        (errors.ResetLinkInvalid, 400),
    ):
        assert domain_error_response(cls()).status_code == status, cls
