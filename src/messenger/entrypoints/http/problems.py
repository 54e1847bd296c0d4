"""The error answers each operation documents: problem details, as the server sends them.

Every error of the API is an ``application/problem+json`` ``Problem`` (``errors.py``). The
statuses most operations share follow from what the operation takes, so they are derived
here once for every route, new ones included: a JSON body or an upload can be malformed
(400) or too large (413), and a JSON body invalid (422); path and query parameters can be
invalid (422) and a path can name nothing (404); a bearer-token operation (``security`` or
the ``claims`` dependency) can be refused (401) and a guarded one forbidden (403); anything
that touches storage can find it down (503). A handler lists only the domain's own answers,
``@patch(..., opt={"problems": (403, 409)})`` (403, 409, 410, 429, ...), and a router or
controller those of all its routes, ``Router(..., opt={"problems": (403,)})``: they add up.
A status the server sends but the document lacks fails the schemathesis suite
(``status_code_conformance``), and ``tests/unit/test_openapi_document.py`` checks that
every operation has the problems its inputs and guards imply.
"""

from __future__ import annotations

from http import HTTPStatus

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPI, Operation, Reference
from litestar.routes import HTTPRoute

from messenger.entrypoints.http.errors import PROBLEM_JSON
from messenger.entrypoints.http.operations import Upload
from messenger.entrypoints.http.schemas import Problem

_WHY: dict[int, str] = {
    400: "The body is not JSON (`malformed_request`) or not a request this operation takes",
    401: "No valid access token or credentials (`unauthorized`, `invalid_token`, "
    "`invalid_credentials`)",
    403: "Not allowed for the caller (`forbidden`), who was blocked by that user (`blocked`) "
    "or whom their privacy settings keep out (`privacy_restricted`)",
    404: "Nothing of that id the caller may see (`not_found`)",
    409: "Conflicts with what exists (`conflict`, `username_taken`, `email_taken`, "
    "`already_a_member`, `too_many_themes`, `too_many_pinned_chats`)",
    410: "The cursor cannot be continued from (`resync_required`): reload",
    413: "The body is too large (`too_large`)",
    422: "The input does not match the schema (`validation_error`, with `errors`) or breaks "
    "a rule (`validation_error` or the rule's own code, with `field`)",
    429: "Too many requests (`throttled`); see `Retry-After`",
    503: "Storage is unreachable or too many requests are waiting (`service_unavailable`); "
    "see `Retry-After`",
}

# Parameters that are the app's dependencies or the connection, not client input.
_NOT_INPUT = frozenset({"request", "socket", "state", "scope", "headers", "cookies"})
_STORAGE = frozenset({"messenger", "claims", "readiness"})


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem-details responses for ``statuses`` (for a handler's ``responses``)."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_WHY.get(status, HTTPStatus(status).phrase),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in statuses
    }


def _derived_statuses(handler: HTTPRouteHandler, path_params: bool) -> set[int]:
    parameters = set(handler.parsed_fn_signature.parameters)
    dependencies = set(handler.resolve_dependencies())
    inputs = parameters - dependencies - _NOT_INPUT
    statuses: set[int] = set()
    if "data" in inputs:
        statuses |= {400, 413, 422}
    if inputs - {"data"}:
        statuses.add(422)
    if path_params:
        statuses.add(404)
    if issubclass(handler.operation_class, Upload):
        statuses |= {400, 413}
    if "claims" in parameters or handler.resolve_security():
        statuses.add(401)
    if handler.resolve_guards():
        statuses.add(403)
    if parameters & _STORAGE:
        statuses.add(503)
    # Each layer's own: Litestar merges ``opt`` key by key, so a handler's "problems" would
    # hide its router's.
    for layer in handler.ownership_layers:
        statuses.update((layer.opt or {}).get("problems", ()))
    return statuses


def document_problems(app: Litestar) -> None:
    """Declare every operation's problem-details answers in ``app``'s OpenAPI document.

    Litestar documents a 400 of its own shape for any operation with parameters; the server
    never sends that (validation errors are 422 problem details), so every error response
    that is not problem details leaves the document.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            derived = problems(*_derived_statuses(handler, bool(route.path_parameters)))
            handler.responses = {**derived, **(handler.responses or {})}
    _drop_foreign_error_responses(app.openapi_schema)


def _operations(document: OpenAPI) -> list[Operation]:
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return [
        operation
        for item in (document.paths or {}).values()
        if not isinstance(item, Reference)
        for operation in (getattr(item, method) for method in methods)
        if operation is not None
    ]


def _drop_foreign_error_responses(document: OpenAPI) -> None:
    for operation in _operations(document):
        responses = operation.responses or {}
        for status in [s for s in responses if s[:1] in {"4", "5"}]:
            response = responses[status]
            if isinstance(response, Reference) or PROBLEM_JSON not in (response.content or {}):
                del responses[status]


__all__ = ["document_problems", "problems"]
