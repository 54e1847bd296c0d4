"""The error codes clients may see: in problem details (``code``) and ``error`` frames.

This enum is the published list (OpenAPI ``ErrorCode``, AsyncAPI ``ErrorCode``, and the
web client's generated ``client/renderer/lib/errorcodes.js``). Every domain error's
``code`` and every code the HTTP and socket edges make up must be a member; a test walks
them. Removing or renaming a member breaks clients: add new ones instead.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """A stable, machine-readable error code."""

    # Domain errors (messenger.domain.errors).
    DOMAIN_ERROR = "domain_error"
    VALIDATION_ERROR = "validation_error"
    MESSAGE_TOO_LONG = "message_too_long"
    NOT_FOUND = "not_found"
    NOT_A_MEMBER = "not_a_member"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    USERNAME_TAKEN = "username_taken"
    EMAIL_TAKEN = "email_taken"
    ALREADY_A_MEMBER = "already_a_member"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    THROTTLED = "throttled"
    RESYNC_REQUIRED = "resync_required"
    TOO_LARGE = "too_large"
    QUOTA_EXCEEDED = "quota_exceeded"
    SERVICE_UNAVAILABLE = "service_unavailable"
    PASSWORD_TOO_COMMON = "password_too_common"
    BLOCKED = "blocked"
    PRIVACY_RESTRICTED = "privacy_restricted"
    TOO_MANY_THEMES = "too_many_themes"
    UNSUPPORTED_IMAGE = "unsupported_image"
    IMAGE_TOO_LARGE = "image_too_large"
    USER_DELETED = "user_deleted"
    TOO_MANY_PINS = "too_many_pins"
    TOO_MANY_REACTIONS = "too_many_reactions"
    TOO_MANY_PINNED_CHATS = "too_many_pinned_chats"
    PINNED_ORDER_MISMATCH = "pinned_order_mismatch"
    REGISTRATION_CLOSED = "registration_closed"
    INVITE_REQUIRED = "invite_required"
    RESET_LINK_INVALID = "reset_link_invalid"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    # Requests the edges reject before the domain sees them.
    MALFORMED_REQUEST = "malformed_request"
    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INTERNAL_ERROR = "internal_error"
