"""``/metrics`` and the JSON log format, on a real ``messenger serve`` after real traffic."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.integration.ws.conftest import (
    PASSWORD,
    ServerProcess,
    User,
    log_in,
    open_dialog,
    redis_url,
    register,
    server_env,
    settled,
    socket_of,
)

pytestmark = pytest.mark.integration

METRICS_TOKEN = "metrics-scraper-token-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def observed(
    mariadb_ws_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server with metrics (behind a token), JSON logs, the access log and a broker."""
    tmp = tmp_path_factory.mktemp("observed")
    env = server_env(mariadb_ws_url, redis_url()) | {
        "MESSENGER_UPLOAD_DIR": str(tmp / "uploads"),
        "MESSENGER_METRICS": "1",
        "MESSENGER_METRICS_TOKEN": METRICS_TOKEN,
        "MESSENGER_LOG_FORMAT": "json",
    }
    proc = ServerProcess(env, tmp / "server.log", args=("--access-log",))
    proc.start()
    yield proc
    proc.stop()


@dataclass
class Traffic:
    """What the traffic sent that must never be logged, and the request ids it got."""

    user: User | None = None
    secrets: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def traffic(observed: ServerProcess) -> Traffic:
    """A registration, a login, a message over REST and one over a socket."""
    return asyncio.run(_traffic(observed))


async def _traffic(observed: ServerProcess) -> Traffic:
    seen = Traffic(secrets=[PASSWORD])

    async def remember(response: httpx.Response) -> None:
        seen.request_ids.append(response.headers["x-request-id"])

    async with httpx.AsyncClient(
        base_url=observed.url, timeout=30, event_hooks={"response": [remember]}
    ) as http:
        alice = await register(http, "alice")
        bob = await register(http, "bob")
        seen.user = bob
        login = await log_in(http, alice)
        seen.secrets += [alice.token, bob.token, login.user.token, login.refresh_token]
        chat = await open_dialog(http, alice, bob)
        rest_text = f"rest text {secrets.token_hex(6)}"
        response = await http.post(
            f"/api/v1/chats/{chat}/messages",
            json={"client_id": "rest-1", "text": rest_text},
            headers=login.user.headers,
        )
        assert response.status_code == 201, response.text
        # A client that puts a token in a download URL (the query string).
        await http.get(f"/api/v1/chats/{chat}/messages?token={alice.token}&limit=5")
        socket_text = f"socket text {secrets.token_hex(6)}"
        seen.secrets += [rest_text, socket_text]
        async with socket_of(observed, bob) as b, socket_of(observed, alice) as a:
            await a.send(
                "send_message", {"chat_id": chat, "client_id": "ws-1", "text": socket_text}
            )
            await a.wait_type("message_sent")
            await b.until(
                lambda: any(
                    f["type"] == "new_message" and f["data"]["message"]["text"] == socket_text
                    for f in b.frames
                )
            )
            await settled(a, b)
    return seen


def _scrape(server: ServerProcess, token: str | None = METRICS_TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{server.url}/metrics", headers=headers, timeout=10)


def _samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert found, f"no series {name} {labels}"
    return sum(found)


async def test_metrics_show_the_traffic_with_sane_values(
    observed: ServerProcess, traffic: Traffic
) -> None:
    assert traffic.user is not None
    async with socket_of(observed, traffic.user) as socket:
        await settled(socket)
        response = _scrape(observed)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)

    login = _value(
        samples,
        "messenger_http_requests_total",
        path="/api/v1/auth/login",
        method="POST",
        status_code="200",
    )
    assert login >= 1
    posted = _value(
        samples,
        "messenger_http_request_duration_seconds_count",
        path="/api/v1/chats/{chat_id}/messages",
        method="POST",
        status_code="201",
    )
    assert posted >= 1
    assert _value(samples, "messenger_sockets_open") >= 1
    assert _value(samples, "messenger_socket_frames_received_total") >= 5  # auth x2, send, pings
    assert _value(samples, "messenger_socket_frames_sent_total") >= 6  # ready x2, sent, new...
    delivered = _value(samples, "messenger_delivery_latency_seconds_count")
    assert delivered >= 1
    assert 0 < _value(samples, "messenger_delivery_latency_seconds_sum") < delivered * 5
    head = _value(samples, "messenger_feed_head")
    assert head >= 2
    assert 0 <= _value(samples, "messenger_hub_lag") <= head
    assert _value(samples, "messenger_commit_group_size_count") >= 2
    assert _value(samples, "messenger_commit_group_size_bucket", le="+Inf") >= 2
    assert _value(samples, "messenger_password_hash_waiting") == 0
    assert _value(samples, "messenger_password_hash_slots") == 4
    assert (
        _value(samples, "messenger_cache_hits_total")
        + _value(samples, "messenger_cache_misses_total")
        >= 1
    )
    assert _value(samples, "messenger_broker_connected") == 1
    assert _value(samples, "messenger_broker_reconnects_total") == 0
    assert _value(samples, "messenger_broker_queue_length") >= 0


async def test_metrics_need_the_token(observed: ServerProcess) -> None:
    assert _scrape(observed, token=None).status_code == 401
    wrong = _scrape(observed, token="not-" + METRICS_TOKEN)
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "unauthorized"
    assert METRICS_TOKEN not in wrong.text


def test_metrics_are_not_served_unless_asked_for(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 404


def test_every_log_line_is_json_with_request_ids_and_no_secrets(
    observed: ServerProcess, traffic: Traffic
) -> None:
    given = "proxy-id-" + secrets.token_hex(6)
    response = httpx.get(
        f"{observed.url}/api/v1/health", headers={"X-Request-ID": given}, timeout=10
    )
    assert response.headers["x-request-id"] == given
    insane = httpx.get(
        f"{observed.url}/api/v1/health", headers={"X-Request-ID": "a b\tc"}, timeout=10
    )
    assert insane.headers["x-request-id"] != "a b\tc"

    lines = [line for line in observed.log().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
    assert {"time", "level", "logger", "message"} <= set(records[0])
    logged_ids = {r.get("request_id") for r in records}
    for rid in [*traffic.request_ids, given]:
        assert rid in logged_ids, f"no log line with request id {rid}"
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert access
    assert all(r.get("request_id") for r in access)
    assert all("?" not in r["path"] for r in access)
    assert any(r["logger"] == "uvicorn.error" for r in records)
    for secret in traffic.secrets:
        assert secret not in observed.log(), "a secret reached the log"


def test_migrate_logs_json_and_keeps_alembic_plugin_lines_at_debug(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MESSENGER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'm.db'}",
        "MESSENGER_SECRET_KEY": "x" * 40,
        "MESSENGER_LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from messenger.entrypoints.cli import main; main()", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # stdout is the command's own answer; every log line (stderr) is JSON.
    records = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert any(r["logger"].startswith("alembic") for r in records)
    assert not [r for r in records if r["message"].startswith(("Context impl", "Will assume"))]
