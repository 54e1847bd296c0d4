"""Domain errors, each with a stable machine-readable ``code``.

Entrypoints map these to HTTP problem details and WebSocket error frames in one place;
nothing in the domain knows about status codes.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str | None = None, **details: object) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details

    default_message = "The request cannot be completed."


class ValidationError(DomainError):
    """Input breaks a domain rule (length, format, range)."""

    code = "validation_error"
    default_message = "The input is not valid."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.field = field


class MessageTooLong(ValidationError):
    code = "message_too_long"
    default_message = "The message text is too long."


class PasswordTooCommon(ValidationError):
    code = "password_too_common"
    default_message = (
        "This password is one of the most common ones, which are guessed first; "
        "choose another (a few unrelated words make a good one)."
    )


class UnsupportedImage(ValidationError):
    """The bytes are not a PNG, JPEG, WebP or GIF image the server can decode (whatever the
    file's name or declared type say)."""

    code = "unsupported_image"
    default_message = "The file is not a PNG, JPEG, WebP or GIF image."

    def __init__(self, message: str | None = None, *, field: str | None = "file") -> None:
        super().__init__(message, field=field)


class ImageTooLarge(UnsupportedImage):
    """The image has more pixels than the server decodes (a decompression bomb, or just a
    huge picture)."""

    code = "image_too_large"
    default_message = "The image has too many pixels."


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it exists."""

    code = "not_found"
    default_message = "Not found."


class ChatNotFound(NotFound):
    # A chat you are not in answers exactly like a chat that does not exist, so that
    # ids cannot be probed; hence one error for both.
    code = "not_found"
    default_message = "Chat not found."


class NotAMember(DomainError):
    """Used internally where membership, not existence, is the issue (e.g. a target user)."""

    code = "not_a_member"
    default_message = "The user is not a member of this chat."


class Forbidden(DomainError):
    code = "forbidden"
    default_message = "You are not allowed to do this."


class Blocked(Forbidden):
    """The other user blocked the caller: no new dialog, no posts in it, no groups."""

    code = "blocked"
    default_message = "This user has blocked you."


class PrivacyRestricted(Forbidden):
    """The other user's privacy settings do not allow this to the caller."""

    code = "privacy_restricted"
    default_message = "This user's privacy settings do not allow this."


class WrongPassword(Forbidden):
    """The current password given to confirm a change is wrong.

    The caller is logged in, so this is not a failed authentication: 403, since clients
    take a 401 for an expired access token and refresh it.
    """

    code = "invalid_credentials"
    default_message = "The current password is wrong."


class UserDeleted(Forbidden):
    """The other user deleted their account: no new dialog, message or group with them."""

    code = "user_deleted"
    default_message = "This account was deleted."


class RegistrationClosed(Forbidden):
    """The server takes no new accounts (its registration mode is ``closed``)."""

    code = "registration_closed"
    default_message = "This server does not take new accounts."


class InviteRequired(Forbidden):
    """The server takes new accounts by invite only, and no valid invite came with this one."""

    code = "invite_required"
    default_message = "This server takes new accounts by invite only."


class AccountDeactivated(Forbidden):
    """An administrator deactivated the account: it can no longer log in."""

    code = "account_deactivated"
    default_message = "This account was deactivated by an administrator."


class ResetLinkInvalid(DomainError):
    """A password-reset link that is unknown, expired or already used (400, not 404: the
    link itself is the bad input, and which of these it is stays unsaid)."""

    code = "reset_link_invalid"
    default_message = "This password-reset link is not valid (any more)."


class Conflict(DomainError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class UsernameTaken(Conflict):
    code = "username_taken"
    default_message = "This username is already taken."


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "This email is already registered."


class AlreadyAMember(Conflict):
    code = "already_a_member"
    default_message = "The user is already a member of this chat."


class TooManyThemes(Conflict):
    """The user has as many themes as they may keep (``Limits.max_themes``)."""

    code = "too_many_themes"
    default_message = "You have as many themes as you can keep; delete one first."


class TooManyPins(Conflict):
    """The chat has as many pinned messages as it may keep (``Limits.max_pins``)."""

    code = "too_many_pins"
    default_message = "This chat has as many pinned messages as it can keep; unpin one first."


class TooManyReactions(Conflict):
    """The message carries as many different reactions as it may (``Limits.max_reactions``);
    reacting with one of those is still possible."""

    code = "too_many_reactions"
    default_message = "This message has as many different reactions as it can carry."


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    default_message = "Wrong login or password."


class InvalidToken(DomainError):
    code = "invalid_token"
    default_message = "The token is invalid, expired or revoked."


class Throttled(DomainError):
    code = "throttled"
    default_message = "Too many attempts; try again later."

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class ResyncRequired(DomainError):
    """The cursor is unknown or older than what the feed keeps; reload state and start over."""

    code = "resync_required"
    default_message = "The cursor is too old or invalid; reload and resynchronise."


class PayloadTooLarge(DomainError):
    code = "too_large"
    default_message = "The payload is too large."


class QuotaExceeded(PayloadTooLarge):
    """The upload would take the user's stored files over their storage quota."""

    code = "quota_exceeded"
    default_message = "Your uploads would exceed your storage quota."


class ServiceUnavailable(DomainError):
    """The storage is unreachable; the caller may retry later."""

    code = "service_unavailable"
    default_message = "The service is temporarily unavailable."

    def __init__(self, message: str | None = None, *, retry_after: float = 1.0) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class TooManyPinnedChats(Conflict):
    """The user pinned as many chats as they may (``chat_prefs.MAX_PINNED_CHATS``)."""

    code = "too_many_pinned_chats"
    default_message = "You pinned as many chats as you can; unpin one first."


class PinnedOrderMismatch(ValidationError):
    """A new order of pinned chats that does not name exactly the user's pinned chats."""

    code = "pinned_order_mismatch"
    default_message = "The order must list each of your pinned chats exactly once."
