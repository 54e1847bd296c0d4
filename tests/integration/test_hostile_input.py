"""Hostile input against every route and the socket: no byte sequence makes a server error.

Hypothesis throws raw bytes and pathological JSON (deep nesting, huge and non-finite numbers,
invalid UTF-8, NUL, lone surrogates, giant strings, truncation) at every route of the app's
route table, as bodies, query strings and path segments, with a valid token, none and
garbage ones; and the same as socket frames before and after ``auth``. Every answer must be
a 4xx (or 2xx) problem-details response with a published ``code`` and a status the OpenAPI
document lists for the operation; a body that is not JSON must be ``malformed_request``. A
text frame that is not UTF-8 closes with 1007; any other socket frame gets ``error`` frames
or a close with 1008/1009, never 1011/4500, and the socket stays usable after ``auth``.

The routes come from the app itself (``create_app``'s route table and OpenAPI document), so
a new endpoint or frame type is covered without touching this file. The server is a real
``messenger serve`` process on MariaDB (httptools, the project's socket protocol).
``MESSENGER_HOSTILE_EXAMPLES`` sets the examples per route (default 8); the examples are
derandomized so CI sees the same ones every run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar.routes import HTTPRoute
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from messenger.container import Container, upgrade_database
from messenger.contract import ErrorCode, asyncapi_document
from messenger.entrypoints.http import create_app
from messenger.settings import Settings
from tests.contract_check import check_server_frame
from tests.integration.conftest import fresh_mariadb_database
from tests.integration.ws.conftest import ServerProcess, server_env

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("MESSENGER_HOSTILE_EXAMPLES", "8"))
PASSWORD = "correct horse battery"
CODES = {code.value for code in ErrorCode}


def hostile(scale: int = 1) -> settings:
    """``scale`` times ``MESSENGER_HOSTILE_EXAMPLES`` examples, the same ones every run."""
    return settings(
        max_examples=EXAMPLES * scale,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        # Shrinking replays hundreds of requests (logins hash passwords): report as generated.
        phases=[Phase.explicit, Phase.generate],
    )


# How a socket may end after hostile input: never 1011 (an unexpected server error), 4500
# (Litestar's) or without a close frame.
REFUSED = {1008, 1009}


# --- the app's own map of itself ------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One method of one route, with what its OpenAPI operation says it takes."""

    method: str
    path_format: str  # "/api/v1/chats/{chat_id}"
    path_params: tuple[str, ...]
    query: tuple[str, ...] = ()
    body_schema: dict[str, Any] | None = None  # the JSON body's schema, if it takes one
    # The statuses its OpenAPI operation documents (None: not in the document).
    documented: frozenset[int] | None = None
    label: str = ""


def _routes() -> tuple[list[Operation], dict[str, Any]]:
    settings_ = Settings(
        secret_key="route-table-only-0123456789abcdef0123456789",
        database_url="memory://",
        upload_dir=Path("/nonexistent"),
    )
    app = create_app(Container(settings=settings_))
    document = app.openapi_schema.to_schema()
    operations: list[Operation] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            spec = document["paths"].get(route.path_format, {}).get(method.lower(), {})
            body = spec.get("requestBody", {}).get("content", {}).get("application/json")
            operations.append(
                Operation(
                    method=method,
                    path_format=route.path_format,
                    path_params=tuple(route.path_parameters),
                    query=tuple(
                        p["name"] for p in spec.get("parameters", []) if p["in"] == "query"
                    ),
                    body_schema=body["schema"] if body else None,
                    documented=frozenset(map(int, spec["responses"])) if spec else None,
                    label=f"{method} {route.path_format}",
                )
            )
    return operations, document.get("components", {}).get("schemas", {})


OPERATIONS, SCHEMAS = _routes()


def _client_frames() -> dict[str, list[str]]:
    """Each client frame type of the AsyncAPI document with the fields of its ``data``."""
    document = asyncapi_document()
    messages = document["channels"]["socket"]["messages"]
    frames: dict[str, list[str]] = {}
    for ref in document["operations"]["receiveClientFrames"]["messages"]:
        message = messages[ref["$ref"].rsplit("/", 1)[1]]
        message = _deref(document, message)
        payload = _deref(document, message["payload"])
        name = _deref(document, payload["properties"]["type"]).get("const")
        data = _deref(document, payload["properties"].get("data", {}))
        frames[str(name)] = sorted(data.get("properties", {}))
    return frames


def _deref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


CLIENT_FRAMES = _client_frames()


# --- hostile material ---------------------------------------------------------------------

HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\n\rERROR - forged",
    "\u202eevil\u202c",
    "\ufeff",
    "\u2028\u2029",
    "\ud800",  # a lone surrogate: JSON-escaped it reaches the server as \ud800
    "\udfff\ud800",
    "😀" * 3,
    "%00",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u0661\u0662",  # Arabic-Indic digits: int() accepts them
    "x" * 5001,
    "x" * 70_000,  # over a socket frame's 64 KiB
    "x" * 1_100_000,  # over a JSON body's 1 MiB
]
HOSTILE_NUMBERS = ["0", "-1", "-0", "1.5", "1e400", "-1e400", "1e-400", str(2**63), str(10**400)]
HOSTILE_LITERALS = ["null", "true", "[]", "{}", "NaN", "Infinity", '"1"', "[1]", '{"a": 1}']
UNDECODABLE_FRAGMENTS = [
    b'"\xff\xfe"',  # invalid UTF-8 inside a string
    b'"\xed\xa0\x80"',  # a surrogate encoded as UTF-8
    b'"\xc0\xaf"',  # an overlong encoding
    b'"a\x00b"',  # a raw control character inside a string
    b'"\\ud800"',  # a lone surrogate escape
    b"1e400",
    b"NaN",
    b"[" * 5_000 + b"]" * 5_000,
    b"[" * 100_000,
    b'"unterminated',
    b"{",
    b"01",
    b"'single'",
]


def _encode_json(value: Any, ascii_only: bool) -> bytes:
    # Lone surrogates pass through as their (invalid) UTF-8 bytes when not escaped.
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def hostile_json_value(draw: st.DrawFn) -> bytes:
    """A JSON value (as bytes) that a careless or hostile client might send."""
    kind = draw(st.sampled_from(["string", "number", "literal", "nested", "list", "fragment"]))
    if kind == "string":
        return _encode_json(draw(st.sampled_from(HOSTILE_STRINGS)), draw(st.booleans()))
    if kind == "number":
        return draw(st.sampled_from(HOSTILE_NUMBERS)).encode()
    if kind == "literal":
        return draw(st.sampled_from(HOSTILE_LITERALS)).encode()
    if kind == "nested":
        depth = draw(st.sampled_from([100, 600, 1_100, 3_000]))
        return b"[" * depth + b"]" * depth
    if kind == "list":
        return b"[" + b",".join([b"1"] * draw(st.sampled_from([1000, 50_000]))) + b"]"
    return draw(st.sampled_from(UNDECODABLE_FRAGMENTS))


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def plausible(schema: dict[str, Any], ids: list[int], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``schema`` a real client would send (so hostile fields get past the rest)."""
    schema = _resolve(schema)
    options = schema.get("oneOf") or schema.get("anyOf")
    if options:
        return st.one_of([plausible(option, ids, depth) for option in options])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([plausible({**schema, "type": k}, ids, depth) for k in kind])
    if kind == "integer":
        return st.sampled_from(ids)
    if kind == "string":
        return st.sampled_from(["hello", "team", f"c-{secrets.token_hex(3)}", "ok ok ok ok"])
    if kind == "boolean":
        return st.booleans()
    if kind == "number":
        return st.just(1.0)
    if kind == "array" and depth < 2:
        return st.lists(plausible(schema.get("items", {}), ids, depth + 1), max_size=3)
    if kind == "object" and depth < 2:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: plausible(v, ids, depth + 1) for k, v in properties.items() if k in required},
            optional={
                k: plausible(v, ids, depth + 1) for k, v in properties.items() if k not in required
            },
        )
    return st.none()


@st.composite
def json_object_with_a_hostile_field(
    draw: st.DrawFn, schema: dict[str, Any] | None, ids: list[int]
) -> bytes:
    """A plausible body of ``schema`` with one field (known or not) replaced by hostility."""
    base = draw(plausible(schema or {"type": "object"}, ids))
    if not isinstance(base, dict):
        base = {}
    fields = sorted({*base, *_resolve(schema or {}).get("properties", {}), "__proto__"})
    target = draw(st.sampled_from(fields))
    marker = f"@@hostile-{secrets.token_hex(4)}@@"
    base[target] = marker
    raw = _encode_json(base, draw(st.booleans()))
    return raw.replace(f'"{marker}"'.encode(), draw(hostile_json_value()))


def is_json(body: bytes) -> bool:
    """Whether ``body`` is I-JSON (RFC 7493): UTF-8, no lone surrogates, finite numbers."""

    def no_constants(name: str) -> float:
        raise ValueError(name)

    def no_surrogates(value: Any) -> bool:
        if isinstance(value, str):
            return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
        if isinstance(value, float):
            return math.isfinite(value)
        if isinstance(value, list):
            return all(no_surrogates(v) for v in value)
        if isinstance(value, dict):
            return all(no_surrogates(k) and no_surrogates(v) for k, v in value.items())
        return True

    try:
        value = json.loads(body.decode("utf-8"), parse_constant=no_constants)
    except (ValueError, RecursionError):
        return False
    try:
        return no_surrogates(value)
    except RecursionError:
        return False


@st.composite
def hostile_json_body(draw: st.DrawFn, schema: dict[str, Any] | None, ids: list[int]) -> bytes:
    """Raw bytes, undecodable JSON, or a plausible body with a hostile field."""
    kind = draw(st.sampled_from(["bytes", "fragment", "value", "field", "field", "truncated"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "fragment":
        return draw(st.sampled_from(UNDECODABLE_FRAGMENTS))
    if kind == "value":
        return draw(hostile_json_value())
    body = draw(json_object_with_a_hostile_field(schema, ids))
    if kind == "truncated" and len(body) > 1:
        return body[: draw(st.integers(1, len(body) - 1))]
    return body


@st.composite
def hostile_multipart(draw: st.DrawFn) -> tuple[bytes, str]:
    """A multipart body with hostile part headers, file names and boundaries."""
    boundary = draw(st.sampled_from(["b0undary", "", "x" * 200, "a b", '"q"']))
    name = draw(st.sampled_from(["file", "other", "", "file\x00"]))
    filename = draw(
        st.sampled_from(["a.txt", "../../x", "a\x00.png", "\ud800.txt", "x" * 5000, '"', ""])
    )
    part_type = draw(st.sampled_from(["text/plain", "", "image/png\r\nX-Evil: 1", "\xff"]))
    content = draw(st.binary(max_size=32))
    header = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        f"\r\nContent-Type: {part_type}\r\n\r\n"
    ).encode("utf-8", "surrogatepass")
    ending = draw(st.sampled_from([f"\r\n--{boundary}--\r\n".encode(), b"", b"\r\n--"]))
    content_type = draw(
        st.sampled_from(
            [f"multipart/form-data; boundary={boundary}", "multipart/form-data", "multipart/x"]
        )
    )
    return header + content + ending, content_type


HOSTILE_SEGMENTS: list[bytes] = [
    b"\x00",
    b"\n",
    b"\xff",
    b"\xed\xa0\x80",
    b"..",
    b"../../etc/passwd",
    b"0",
    b"-1",
    b"9" * 30,
    b"1e400",
    b" 1",
    "\u0661".encode(),  # an Arabic-Indic digit one: int() accepts it
    b"x" * 3000,
    b"/",
    b"%",
    b"index.html\x00.js",
]


@st.composite
def hostile_segment(draw: st.DrawFn) -> str:
    raw = draw(st.one_of(st.sampled_from(HOSTILE_SEGMENTS), st.binary(min_size=1, max_size=24)))
    return quote(raw, safe="")


@st.composite
def hostile_query(draw: st.DrawFn, names: tuple[str, ...]) -> str:
    pairs: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.one_of(st.sampled_from([*names, "q", ""]), st.text(max_size=8)))
        value = draw(
            st.one_of(
                st.sampled_from([*HOSTILE_STRINGS[:16], *HOSTILE_NUMBERS, "", "1"]),
                st.binary(max_size=16),
            )
        )
        encoded_key = quote(key.encode("utf-8", "surrogatepass"), safe="")
        raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
        pairs.append(f"{encoded_key}={quote(raw, safe='')}")
    extra = draw(st.sampled_from(["", "&&", "&=", "&%", "&a=%ZZ", "&a=%00", "&" + "a" * 9000]))
    return "&".join(pairs) + extra


# --- the server and a small world in it ---------------------------------------------------


@dataclass
class World:
    """A live server with two users, a dialog, a group, a message and an upload."""

    server: ServerProcess
    username: str
    token: str
    ids: dict[str, list[str]] = field(default_factory=dict)
    numbers: list[int] = field(default_factory=list)

    def login(self, username: str) -> str:
        with httpx.Client(base_url=f"{self.server.url}/api/v1", timeout=30) as http:
            response = http.post("/auth/login", json={"login": username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            token: str = response.json()["access_token"]
            return token


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("hostile")
    with fresh_mariadb_database("messenger_hostile") as url:
        upgrade_database(url)
        env = server_env(url) | {"MESSENGER_UPLOAD_DIR": str(tmp / "uploads")}
        server = ServerProcess(env, tmp / "server.log")
        server.start()
        try:
            yield _populate(server)
        finally:
            server.stop()
        assert "Traceback" not in server.log(), server.log()[-5000:]


def _populate(server: ServerProcess) -> World:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
        accounts = []
        for prefix in ("alice", "bob"):
            username = f"{prefix}{secrets.token_hex(4)}"
            response = http.post(
                "/auth/register", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 201, response.text
            accounts.append((username, response.json()))
        (alice_name, alice), (_, bob) = accounts
        auth = {"Authorization": f"Bearer {alice['access_token']}"}
        dialog = http.post(
            "/chats", json={"kind": "direct", "user_id": bob["user"]["id"]}, headers=auth
        ).json()
        group = http.post(
            "/chats",
            json={"kind": "group", "title": "g", "member_ids": [bob["user"]["id"]]},
            headers=auth,
        ).json()
        upload = http.post("/files", files={"file": ("a.txt", b"hello")}, headers=auth).json()
        message = http.post(
            f"/chats/{dialog['id']}/messages",
            json={"client_id": "seed", "text": "seed", "attachment_ids": [upload["id"]]},
            headers=auth,
        ).json()
    world = World(server=server, username=alice_name, token=alice["access_token"])
    world.ids = {
        "chat_id": [str(dialog["id"]), str(group["id"])],
        "user_id": [str(alice["user"]["id"]), str(bob["user"]["id"])],
        "message_id": [str(message["id"])],
        "file_id": [upload["id"]],
        # Someone else's session: ending it must be refused, and ending our own would
        # log the rest of the suite out.
        "session_id": [bob["session_id"]],
    }
    world.numbers = [dialog["id"], group["id"], bob["user"]["id"], message["id"], 1]
    return world


# --- REST -----------------------------------------------------------------------------------


@dataclass
class HostileRequest:
    method: str
    url: str
    headers: dict[str, str | bytes]
    body: bytes | None
    # The path and query name things that exist, the caller may call it, and the body is
    # sent as JSON: a body that is not JSON must then be answered with malformed_request.
    expects_malformed: bool
    # The path is the operation's (a hostile segment may lead to another route, or none).
    on_route: bool


def _request(data: st.DataObject, operation: Operation, world: World) -> HostileRequest:
    pristine = on_route = True
    path = operation.path_format
    for name in operation.path_params:
        known = world.ids.get(name, ["1"])
        if data.draw(st.booleans(), label=f"valid {name}"):
            segment = data.draw(st.sampled_from(known), label=name)
        else:
            segment, pristine = data.draw(hostile_segment(), label=name), False
            on_route = False
        path = path.replace("{" + name + "}", segment)
    url = path
    if data.draw(st.integers(0, 2), label="with query") == 0:
        url, pristine = f"{path}?{data.draw(hostile_query(operation.query))}", False

    headers: dict[str, str | bytes] = {}
    who = data.draw(st.sampled_from(["valid", "valid", "none", "garbage"]), label="token")
    auth_route = operation.path_format.startswith("/api/v1/auth/")
    # Ending a session (logout, revocation) would log the suite out: a session of its own.
    token = world.login(world.username) if auth_route and who != "none" else world.token
    if who == "valid":
        headers["Authorization"] = f"Bearer {token}"
    elif who == "garbage":
        pristine = False
        headers["Authorization"] = data.draw(
            st.sampled_from(
                [
                    b"Bearer \xff\xfe",
                    b"Bearer " + b"A" * 9000,
                    f"Bearer {token}x".encode(),
                    f"bearer  {token}".encode(),
                    b"Bearer a.b.c",
                    b"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
                    b"Basic Zm9vOmJhcg==",
                ]
            ),
            label="authorization",
        )
    else:
        pristine = auth_route and pristine
    if data.draw(st.integers(0, 4), label="odd accept") == 0:
        headers["Accept"] = data.draw(st.sampled_from([b"text/html", b"*/*;q=x", b"\xff", b""]))

    body: bytes | None = None
    if operation.method in {"POST", "PATCH", "PUT", "DELETE"}:
        if data.draw(st.integers(0, 3), label="multipart") == 0:
            body, headers["Content-Type"] = data.draw(hostile_multipart(), label="multipart")
            pristine = False
        else:
            body = data.draw(hostile_json_body(operation.body_schema, world.numbers), label="body")
            content_type = data.draw(
                st.sampled_from(
                    [
                        "application/json",
                        "application/json",
                        "application/json; charset=utf-16",
                        "text/plain",
                        "",
                    ]
                ),
                label="content type",
            )
            if content_type:
                headers["Content-Type"] = content_type
            pristine = pristine and content_type == "application/json"
    expects_malformed = (
        pristine
        and operation.body_schema is not None
        and body is not None
        # An empty body is a missing one (422 validation_error, like a missing field).
        and 0 < len(body) < 1024 * 1024
        and not is_json(body)
    )
    return HostileRequest(operation.method, url, headers, body, expects_malformed, on_route)


def check_problem(response: httpx.Response, what: str) -> None:
    """Not a server error; an error is problem details with a published ``code``."""
    assert response.status_code < 500, f"{what} -> {response.status_code}: {response.text[:500]}"
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/problem+json"), f"{what} -> {content_type}"
    problem = response.json()
    assert problem["status"] == response.status_code, f"{what} -> {problem}"
    assert problem["code"] in CODES, f"{what} -> {problem}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.label for o in OPERATIONS])
def test_no_hostile_request_gets_a_server_error(world: World, operation: Operation) -> None:
    with httpx.Client(base_url=world.server.url, timeout=30) as http:

        @hostile()
        @given(data=st.data())
        def attack(data: st.DataObject) -> None:
            request = _request(data, operation, world)
            response = http.request(
                request.method, request.url, headers=request.headers, content=request.body
            )
            what = f"{request.method} {request.url[:200]} {request.body!r:.200}"
            check_problem(response, what)
            if operation.documented is not None and request.on_route:
                assert response.status_code in operation.documented, (
                    f"{what} -> {response.status_code}, not in the document: {response.text[:300]}"
                )
            if request.expects_malformed:
                assert response.status_code == 400, f"{what} -> {response.text[:300]}"
                assert response.json()["code"] == "malformed_request", what

        attack()


# --- the socket -----------------------------------------------------------------------------


@st.composite
def hostile_frame(draw: st.DrawFn, ids: list[int], token: str | None = None) -> str | bytes:
    """A socket frame: raw bytes, undecodable text, or a protocol frame with hostile data."""
    kind = draw(st.sampled_from(["bytes", "text", "fragment", "frame", "frame", "frame"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "text":
        return draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=64))
    if kind == "fragment":
        raw = draw(st.sampled_from([*UNDECODABLE_FRAGMENTS, b"x" * 70_000]))
        return raw if draw(st.booleans()) else raw.decode("utf-8", "replace")
    frame_type = draw(st.sampled_from([*CLIENT_FRAMES, "", "\x00", "error", "auth_ok"]))
    schema = {
        "type": "object",
        "properties": {
            f: {"type": ["integer", "string"]} for f in CLIENT_FRAMES.get(frame_type, [])
        },
    }
    data: dict[str, Any] = draw(plausible(schema, ids))
    if token is not None and frame_type == "auth":
        data["token"] = token
    marker = f"@@hostile-{secrets.token_hex(4)}@@"
    target = draw(st.sampled_from(["data", "type", *CLIENT_FRAMES.get(frame_type, []), "x"]))
    frame: dict[str, Any] = {"type": frame_type, "data": data}
    if target in {"data", "type"}:
        frame[target] = marker
    else:
        data[target] = marker
    raw = _encode_json(frame, draw(st.booleans()))
    return raw.replace(f'"{marker}"'.encode(), draw(hostile_json_value()))


@st.composite
def auth_frame(draw: st.DrawFn, token: str) -> bytes:
    """An ``auth`` frame with the right token, and maybe a hostile field besides."""
    data = {"token": token}
    if draw(st.booleans()):
        return _encode_json({"type": "auth", "data": data}, ascii_only=True)
    marker = f"@@hostile-{secrets.token_hex(4)}@@"
    data[draw(st.sampled_from(["x", "", "\x00", "token2"]))] = marker
    raw = _encode_json({"type": "auth", "data": data}, draw(st.booleans()))
    return raw.replace(f'"{marker}"'.encode(), draw(hostile_json_value()))


def _frames_until(ws: ClientConnection, stop: Callable[[dict[str, Any]], bool]) -> list[Any]:
    """Frames received until ``stop`` holds for one or the socket closes."""
    frames: list[Any] = []
    try:
        while True:
            frame = json.loads(ws.recv(timeout=10))
            check_server_frame(frame)
            frames.append(frame)
            if frame["type"] == "error":
                code = frame["data"]["code"]
                assert code in CODES, frame
                assert code != "internal_error", frame
            if stop(frame):
                return frames
    except ConnectionClosed:
        return frames


def _assert_refused_as_too_big(ws: ClientConnection, frame: str | bytes) -> None:
    """A frame over 64 KiB is refused from its header on (1009). The server closes while the
    rest is still on its way, so the client's send may fail on that close or on its reset
    (1006) before the close frame is read. Never 1011."""
    with contextlib.suppress(ConnectionClosed, OSError):
        ws.send(frame)
        _frames_until(ws, lambda f: False)
    assert ws.close_code in (1009, 1006), f"{frame!r:.100} -> {ws.close_code}"


def _as_bytes(frame: str | bytes) -> bytes:
    return frame.encode() if isinstance(frame, str) else frame


def _codes(frames: list[Any]) -> list[str]:
    return [f["data"]["code"] for f in frames if f["type"] == "error"]


def test_hostile_first_frames_are_refused_without_a_server_error(world: World) -> None:
    url = world.server.url.replace("http", "ws") + "/api/v1/ws"

    @hostile(scale=25)
    @given(
        frame=hostile_frame(world.numbers, token=None),
        query=st.one_of(st.just(""), hostile_query(("token", "access_token"))),
    )
    def attack(frame: str | bytes, query: str) -> None:
        try:
            ws = connect(f"{url}?{query}" if query else url, max_size=None)
        except InvalidStatus as exc:
            refused = exc.response.status_code
        else:
            refused = None
        if refused is not None:
            # The handshake may be refused (a query it cannot parse), never fail.
            assert refused < 500, f"?{query} -> {refused}"
            return
        with ws:
            raw = _as_bytes(frame)
            if len(raw) > 64 * 1024:
                _assert_refused_as_too_big(ws, frame)
                return
            ws.send(frame)
            frames = _frames_until(ws, lambda f: f["type"] == "ready")
            if frames and frames[-1]["type"] == "ready":
                pytest.fail(f"{frame!r:.200} authenticated without a token")
            code = ws.close_code
            assert code in REFUSED, f"{frame!r:.200} -> close {code}, {frames}"
            if len(raw) <= 64 * 1024 and not is_json(raw):
                assert _codes(frames) == ["malformed_request"], f"{frame!r:.200} -> {frames}"

    attack()


def test_hostile_frames_after_auth_get_error_frames_and_the_socket_stays_usable(
    world: World,
) -> None:
    url = world.server.url.replace("http", "ws") + "/api/v1/ws"

    @hostile(scale=40)
    @given(
        auth=auth_frame(world.token),
        frame=hostile_frame(world.numbers),
    )
    def attack(auth: str | bytes, frame: str | bytes) -> None:
        with connect(url, max_size=None) as ws:
            ws.send(auth)
            first = _frames_until(ws, lambda f: f["type"] == "ready")
            if not first or first[-1]["type"] != "ready":
                # The hostile ``auth`` frame was refused: that is the case above.
                assert ws.close_code in REFUSED, f"{auth!r:.200} -> {ws.close_code}"
                return
            raw = _as_bytes(frame)
            if len(raw) > 64 * 1024:
                _assert_refused_as_too_big(ws, frame)
                return
            ws.send(frame)
            ws.send('{"type": "ping", "data": {}}')
            frames = _frames_until(ws, lambda f: f["type"] == "pong")
            assert frames, f"{frame!r:.200} -> closed {ws.close_code}"
            assert frames[-1]["type"] == "pong", f"{frame!r:.200} -> {frames}"
            if not is_json(raw):
                assert _codes(frames) == ["malformed_request"], f"{frame!r:.200} -> {frames}"

    attack()


def test_text_frames_that_are_not_utf8_close_the_socket_with_1007(world: World) -> None:
    url = world.server.url.replace("http", "ws") + "/api/v1/ws"

    def invalid_utf8(raw: bytes) -> bool:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    @hostile(scale=3)
    @given(
        payload=st.one_of(
            st.sampled_from([b'{"type": "ping", "data": {"x": "\xff"}}', b"\xed\xa0\x80"]),
            st.binary(min_size=1, max_size=32).filter(invalid_utf8),
        ),
        authenticated=st.booleans(),
    )
    def attack(payload: bytes, authenticated: bool) -> None:
        with connect(url, max_size=None) as ws:
            if authenticated:
                ws.send(json.dumps({"type": "auth", "data": {"token": world.token}}))
                ready = _frames_until(ws, lambda f: f["type"] == "ready")
                assert ready[-1]["type"] == "ready", ready
            # A text frame must be UTF-8 (RFC 6455 section 8.1): the protocol layer refuses it.
            ws.send(payload, text=True)
            frames = _frames_until(ws, lambda f: False)
            assert ws.close_code == 1007, f"{payload!r} -> {ws.close_code}, {frames}"

    attack()
