"""The OpenAPI document says what the server does: the problem details every operation can
answer with, the multipart bodies of uploads and the real content types of downloads.

Routes are found from the app itself, so a new route is held to the same rules.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from pathlib import Path
from typing import Annotated, Any

from litestar import Litestar, Request, Router, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.enums import ParamType
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.params import JSONBody, PathParameter
from litestar.response import Stream
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from messenger.container import Container
from messenger.domain.model import AccessClaims
from messenger.entrypoints.http import create_app
from messenger.entrypoints.http.app import MAX_JSON_BODY
from messenger.entrypoints.http.deps import BEARER
from messenger.entrypoints.http.schemas import ValidationIssue
from messenger.settings import Settings

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
WITH_BODY = {"POST", "PUT", "PATCH"}


def _app(**kwargs: Any) -> Litestar:
    settings = Settings(
        secret_key="openapi-document-test-0123456789abcdef0123",
        database_url="memory://",
        upload_dir=Path("/nonexistent"),
    )
    return create_app(Container(settings=settings), **kwargs)


def _operations(app: Litestar) -> list[tuple[str, HTTPRouteHandler, dict[str, Any]]]:
    document = app.openapi_schema.to_schema()
    return [
        (f"{method} {route.path_format}", handler, item[method.lower()])
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for item in [document["paths"].get(route.path_format, {})]
        for handler in route.route_handlers
        for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"})
        if method.lower() in item
    ]


def _errors(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"] if status[0] in "45"}


def _is_upload(handler: HTTPRouteHandler, method: str) -> bool:
    # A handler that reads the body itself (``request`` without ``data``, and reading its
    # stream: many take ``request`` only for the client's address), or whose router lets
    # bodies beyond the JSON limit in, takes an upload.
    parameters = handler.parsed_fn_signature.parameters
    reads_body_itself = (
        "request" in parameters
        and "data" not in parameters
        and re.search(r"request\.(stream|body|form|json)\(", inspect.getsource(handler.fn))
        is not None
    )
    large = (handler.resolve_request_max_body_size() or 0) > MAX_JSON_BODY
    return method in WITH_BODY and (reads_body_itself or large)


def _is_download(handler: HTTPRouteHandler) -> bool:
    returns = handler.parsed_fn_signature.return_type
    return returns.is_subclass_of((Stream, bytes)) or bytes in typing.get_args(returns.annotation)


def test_every_error_an_operation_documents_is_problem_details() -> None:
    for label, _, operation in _operations(_app()):
        for status in _errors(operation):
            assert operation["responses"][str(status)]["content"] == PROBLEM, (label, status)


def test_every_operation_documents_the_problems_its_inputs_and_guards_can_cause() -> None:
    for label, handler, operation in _operations(_app()):
        errors = _errors(operation)
        if "requestBody" in operation:
            assert {400, 413} <= errors, label
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert 422 in errors, label
        if operation.get("parameters"):
            assert 422 in errors, label
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert 404 in errors, label
        if operation.get("security"):
            assert {401, 503} <= errors, label
        if handler.resolve_guards():
            assert 403 in errors, label


async def _admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    raise PermissionDeniedException()


@get("/things/{thing_id:int}")
async def _guarded_read(
    thing_id: Annotated[int, PathParameter()], claims: NamedDependency[AccessClaims]
) -> dict[str, int]:
    return {"id": thing_id}


@post("/things", opt={"problems": (409,)})
async def _guarded_create(
    data: JSONBody[dict[str, int]], claims: NamedDependency[AccessClaims]
) -> None:
    return None


@get("/widgets")
async def _admin_list(claims: NamedDependency[AccessClaims]) -> list[int]:
    return []


def test_a_routers_problems_add_up_with_its_handlers_own() -> None:
    admin = Router(
        "/admin",
        route_handlers=[_admin_list, _guarded_create],
        security=BEARER,
        opt={"problems": (403,)},
    )
    paths = _app(extra_route_handlers=[admin]).openapi_schema.to_schema()["paths"]

    assert _errors(paths["/api/v1/admin/widgets"]["get"]) == {401, 403, 503}
    assert _errors(paths["/api/v1/admin/things"]["post"]) == {400, 401, 403, 409, 413, 422, 503}


def test_a_new_guarded_route_gets_its_problems_with_no_more_than_its_own_codes() -> None:
    admin = Router(
        "/admin",
        route_handlers=[_guarded_read, _guarded_create],
        guards=[_admins_only],
        security=BEARER,
    )
    paths = _app(extra_route_handlers=[admin]).openapi_schema.to_schema()["paths"]

    read = paths["/api/v1/admin/things/{thing_id}"]["get"]
    create = paths["/api/v1/admin/things"]["post"]
    assert _errors(read) == {401, 403, 404, 422, 503}
    assert _errors(create) == {400, 401, 403, 409, 413, 422, 503}


def _uploads_and_what_they_lack(app: Litestar) -> dict[str, str | None]:
    uploads: dict[str, str | None] = {}
    for label, handler, operation in _operations(app):
        if not _is_upload(handler, label.split()[0]):
            continue
        body = operation.get("requestBody", {})
        form = body.get("content", {}).get("multipart/form-data", {}).get("schema", {})
        file = form.get("properties", {}).get("file", {})
        file = file.get("items", file)
        lacks = None
        if body.get("required") is not True or set(body.get("content", {})) != {
            "multipart/form-data"
        }:
            lacks = "a required multipart/form-data body"
        elif form.get("required") != ["file"]:
            lacks = "a required 'file' part"
        elif (file.get("type"), file.get("format")) != ("string", "binary"):
            lacks = "a binary 'file' part"
        uploads[label] = lacks
    return uploads


def test_every_upload_documents_its_multipart_body_with_a_binary_file_part() -> None:
    uploads = _uploads_and_what_they_lack(_app())

    assert uploads == {
        "POST /api/v1/files": None,
        "POST /api/v1/users/me/avatar": None,
        "POST /api/v1/messages/{message_id}/files": None,
    }


@post("/imports")
async def _undeclared_upload(request: Request[Any, Any, Any]) -> None:
    await request.body()


def test_an_upload_without_its_declaration_is_found_out() -> None:
    uploads = _uploads_and_what_they_lack(_app(extra_route_handlers=[_undeclared_upload]))

    assert uploads["POST /api/v1/imports"] == "a required multipart/form-data body"


def test_the_avatar_upload_says_which_images_it_takes() -> None:
    paths = _app().openapi_schema.to_schema()["paths"]
    form = paths["/api/v1/users/me/avatar"]["post"]["requestBody"]["content"]["multipart/form-data"]

    assert form["encoding"]["file"]["contentType"] == "image/png, image/jpeg, image/gif, image/webp"


def test_every_download_documents_the_content_types_and_headers_it_answers_with() -> None:
    downloads = [
        (label, operation)
        for label, handler, operation in _operations(_app())
        if _is_download(handler)
    ]

    assert len(downloads) >= 4
    for label, operation in downloads:
        answers = {s: r for s, r in operation["responses"].items() if s[0] == "2"}
        assert answers, label
        for response in answers.values():
            assert "application/json" not in response["content"], label
            for media in response["content"].values():
                assert media["schema"]["format"] == "binary", label
            assert "X-Content-Type-Options" in response["headers"], label
    paths = _app().openapi_schema.to_schema()["paths"]
    file = paths["/api/v1/files/{file_id}"]["get"]["responses"]["200"]
    assert {"image/*", "application/octet-stream", "*/*"} == set(file["content"])
    assert {"Content-Disposition", "Content-Length"} <= set(file["headers"])
    avatar = paths["/api/v1/users/{user_id}/avatar"]["get"]
    assert {"image/webp", "image/png", "application/octet-stream"} <= set(
        avatar["responses"]["200"]["content"]
    )
    assert "ETag" in avatar["responses"]["304"]["headers"]
    assert any(p["name"] == "If-None-Match" for p in avatar["parameters"])


def test_a_validation_error_names_where_the_input_was_as_the_wire_says_it() -> None:
    with TestClient(_app()) as http:
        answer = http.get("/api/v1/avatars/list", params={"limit": "many"})

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [issue["source"] for issue in answer.json()["errors"]] == ["query"]
    assert "ParamType" not in answer.text


def test_every_place_an_input_can_come_from_is_in_the_documented_sources() -> None:
    documented = set(typing.get_args(typing.get_type_hints(ValidationIssue)["source"].__args__[0]))

    assert documented == {p.value for p in ParamType} | {"body"}


def test_the_problem_component_documents_what_validation_errors_carry() -> None:
    components = _app().openapi_schema.to_schema()["components"]["schemas"]
    problem = components["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert {"field", "errors", "incident"} <= set(problem["properties"])
    issue = components["ValidationIssue"]
    assert issue["required"] == ["message"]
    assert '"query"' in json.dumps(issue["properties"]["source"])
