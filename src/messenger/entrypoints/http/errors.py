"""The one place where errors become HTTP answers: RFC 9457 problem details with a
stable ``code``.

Domain errors, Litestar's own errors (routing, validation, body size, rate limit) and
anything unexpected all leave through ``problem_response``; an unexpected error is logged
and answered with a 500 that reveals nothing of the internals.
"""

from __future__ import annotations

import logging
import math
import time
from enum import Enum
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    SerializationException,
    ValidationException,
)
from litestar.types import ExceptionHandlersMap

from messenger.contract import ErrorCode
from messenger.domain import errors as de

logger = logging.getLogger("messenger.http")

PROBLEM_JSON = "application/problem+json"

# Most specific first: the first matching class decides the status.
_DOMAIN_STATUS: tuple[tuple[type[de.DomainError], int], ...] = (
    (de.ValidationError, 422),
    (de.NotFound, 404),
    (de.NotAMember, 404),
    (de.Forbidden, 403),
    (de.Conflict, 409),
    (de.InvalidCredentials, 401),
    (de.InvalidToken, 401),
    (de.Throttled, 429),
    (de.ResyncRequired, 410),
    (de.PayloadTooLarge, 413),
    (de.ServiceUnavailable, 503),
)

_HTTP_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    406: ErrorCode.NOT_ACCEPTABLE,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.THROTTLED,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def http_error_code(status: int) -> ErrorCode:
    """The code of a status Litestar answered with; any other status gets its class's
    code, so that every code a client sees is one of the published ``ErrorCode``s."""
    code = _HTTP_CODES.get(status)
    if code is not None:
        return code
    return ErrorCode.INTERNAL_ERROR if status >= 500 else ErrorCode.BAD_REQUEST


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    """An ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def domain_error_response(exc: de.DomainError) -> Response[dict[str, Any]]:
    """Map a domain error to its status code and problem details."""
    status = next((s for cls, s in _DOMAIN_STATUS if isinstance(exc, cls)), 400)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, de.Throttled | de.ServiceUnavailable):
        headers["Retry-After"] = _retry_after(exc.retry_after)
    if isinstance(exc, de.InvalidToken):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if isinstance(exc, de.ValidationError) and exc.field:
        extra["field"] = exc.field
    return problem_response(status, exc.code, exc.message, headers=headers or None, extra=extra)


def _handle_domain(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    assert isinstance(exc, de.DomainError)
    return domain_error_response(exc)


class DecodingRequest(Request[Any, Any, Any]):
    """A request whose JSON body either decodes or fails as a ``SerializationException``.

    msgspec raises ``DecodeError`` for most undecodable input, which Litestar turns into a
    400; but invalid UTF-8 inside a string raises ``UnicodeDecodeError`` and deep nesting
    ``RecursionError``, which would otherwise surface as a 500.
    """

    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise SerializationException("The body is not valid UTF-8.") from None
        except RecursionError:
            raise SerializationException("The body is nested too deeply.") from None


def _is_malformed_body(exc: HTTPException) -> bool:
    # Litestar answers a body that does not decode (whatever msgspec's reason: syntax,
    # truncation, a number out of range) with a ClientException raised from the
    # SerializationException; a body that decodes but does not match the schema is a
    # ValidationException with per-field errors.
    return isinstance(exc, ClientException) and isinstance(exc.__cause__, SerializationException)


def _handle_http(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    extra: dict[str, Any] = {}
    detail = exc.detail or HTTPStatus(status).phrase
    code = http_error_code(status)
    if _is_malformed_body(exc):
        code = ErrorCode.MALFORMED_REQUEST
    elif isinstance(exc, ValidationException):
        status, code = 422, ErrorCode.VALIDATION_ERROR
        extra["errors"] = _validation_errors(exc.extra)
        detail = "The request does not match the schema."
    elif isinstance(exc, NotAuthorizedException):
        headers.setdefault("WWW-Authenticate", "Bearer")
    elif status == 429:
        reset = headers.get("RateLimit-Reset")
        headers["Retry-After"] = _retry_after(float(reset) if reset and reset.isdigit() else 60.0)
        detail = "Too many requests from this address; try again later."
    elif status >= 500:
        # Litestar's own server errors (e.g. a client that went away mid-body) carry texts
        # that are not meant for clients.
        detail = HTTPStatus(status).phrase
    return problem_response(status, code, detail, headers=headers or None, extra=extra)


def _validation_errors(extra: Any) -> list[dict[str, Any]]:
    items = extra if isinstance(extra, list) else [extra] if extra else []
    keep = ("message", "key", "source")
    return [
        {k: _plain(v) for k, v in item.items() if k in keep}
        for item in items
        if isinstance(item, dict)
    ]


def _plain(value: Any) -> str:
    # Litestar's ``source`` is a ``ParamType`` (a str enum): its str() is the Python repr
    # "ParamType.QUERY", while clients are promised the wire value "query".
    return str(value.value if isinstance(value, Enum) else value)


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, ConnectionError | TimeoutError):
        logger.warning("storage unreachable on %r %r: %r", request.method, request.url.path, exc)
        return problem_response(
            503,
            "service_unavailable",
            "The service is temporarily unavailable.",
            headers={"Retry-After": "1"},
        )
    incident = f"{time.time_ns():x}"
    # The method and path come from the client: quoted, a newline in them (``%0a``)
    # cannot forge a log line.
    logger.error(
        "unhandled error %s on %r %r",
        incident,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return problem_response(
        500,
        "internal_error",
        "An unexpected error occurred.",
        extra={"incident": incident},
    )


def exception_handlers() -> ExceptionHandlersMap:
    """The app's exception handlers: domain, HTTP (Litestar) and everything else."""
    return {
        de.DomainError: _handle_domain,
        HTTPException: _handle_http,
        Exception: _handle_unexpected,
    }


__all__ = [
    "PROBLEM_JSON",
    "DecodingRequest",
    "domain_error_response",
    "exception_handlers",
    "problem_response",
]
