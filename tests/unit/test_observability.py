"""/metrics (per app, off by default, behind a token) and the log format and request ids."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from messenger.container import in_memory_container
from messenger.entrypoints.http import create_app
from messenger.entrypoints.logs import (
    JsonFormatter,
    QuietAlembicPlugins,
    ScrubSecrets,
    TextFormatter,
    request_id,
)
from messenger.metrics import Histogram
from messenger.settings import Settings, SettingsError

SECRET = "observability-test-secret-key-0123456789abcdef"


def _app(**settings: Any) -> Litestar:
    return create_app(
        in_memory_container(
            settings=Settings(secret_key=SECRET, database_url="memory://", **settings)
        )
    )


def _series(text: str) -> dict[str, float]:
    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.labels or s.name.startswith("messenger_cache")
    }


def test_a_histogram_counts_a_value_equal_to_a_bound_in_that_bucket() -> None:
    h = Histogram((1, 5))
    for value in (0.5, 1, 3, 5, 7):
        h.observe(value)
    assert h.counts == [2, 2, 1]
    assert h.count == 5
    assert h.sum == 16.5


def test_metrics_are_not_served_unless_turned_on() -> None:
    with TestClient(_app()) as http:
        assert http.get("/metrics").status_code == 404


def test_two_apps_in_one_process_count_apart() -> None:
    with TestClient(_app(metrics=True)) as one, TestClient(_app(metrics=True)) as other:
        one.post("/api/v1/auth/register", json={"username": "ann", "password": "p4ssw0rd!x"})
        first = one.get("/metrics")
        second = other.get("/metrics")
    assert first.status_code == second.status_code == 200
    assert 'path="/api/v1/auth/register"' in first.text
    assert 'path="/api/v1/auth/register"' not in second.text
    assert _series(first.text)["messenger_sockets_open"] == 0
    assert _series(first.text)["messenger_feed_head"] >= 0


def test_the_metrics_token_is_required_when_set() -> None:
    with TestClient(_app(metrics=True, metrics_token="s3cret-scraper")) as http:
        assert http.get("/metrics").status_code == 401
        wrong = http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "unauthorized"
        right = http.get("/metrics", headers={"Authorization": "Bearer s3cret-scraper"})
        assert right.status_code == 200
        assert "messenger_feed_head" in right.text


def test_a_sane_request_id_is_kept_and_any_other_replaced() -> None:
    with TestClient(_app()) as http:
        kept = http.get("/api/v1/health", headers={"X-Request-ID": "edge-7f3a.1"})
        replaced = http.get("/api/v1/health", headers={"X-Request-ID": "x" * 200})
        fresh = http.get("/api/v1/health")
        missing = http.get("/api/v1/no-such-thing")
    assert kept.headers["x-request-id"] == "edge-7f3a.1"
    assert replaced.headers["x-request-id"] != "x" * 200
    assert len(fresh.headers["x-request-id"]) == 16
    assert missing.status_code == 404
    assert missing.headers["x-request-id"]


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubSecrets())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("uvicorn.access.test-observability")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, stream, handler
    logger.removeHandler(handler)


def _access_record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


def test_access_lines_lose_their_query_string_and_carry_the_request_id() -> None:
    record = _access_record("/api/v1/files/7/download?token=eyJhbGciOi.secret")
    token = request_id.set("rid-1")
    try:
        ScrubSecrets().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/api/v1/files/7/download"
    assert line["request_id"] == "rid-1"
    assert "secret" not in json.dumps(line)
    text = TextFormatter().format(record)
    assert "[rid-1]" in text
    assert "secret" not in text


def test_token_and_password_values_are_blanked_in_any_message(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured
    logger.warning("retrying %s", "wss://host/api/v1/ws?Token=abc.def&x=1")
    logger.warning("form password=hunter2 refresh_token=r3fresh")
    out = stream.getvalue()
    assert "abc.def" not in out
    assert "hunter2" not in out
    assert "r3fresh" not in out
    assert all(json.loads(line) for line in out.splitlines())


def test_alembic_plugin_lines_go_to_debug() -> None:
    record = logging.LogRecord(
        "alembic.runtime.migration", logging.INFO, __file__, 1, "Context impl %s.", ("X",), None
    )
    QuietAlembicPlugins().filter(record)
    assert record.levelno == logging.DEBUG
    running = logging.LogRecord(
        "alembic.runtime.migration", logging.INFO, __file__, 1, "Running upgrade", None, None
    )
    QuietAlembicPlugins().filter(running)
    assert running.levelno == logging.INFO


def _fail() -> None:
    raise ValueError("boom")


def test_an_exception_is_one_json_line() -> None:
    try:
        _fail()
    except ValueError:
        record = logging.LogRecord(
            "messenger.http", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_settings_read_metrics_and_the_log_format() -> None:
    env = {
        "MESSENGER_SECRET_KEY": SECRET,
        "MESSENGER_METRICS": "1",
        "MESSENGER_METRICS_TOKEN": "t0ken",
        "MESSENGER_LOG_FORMAT": "JSON",
    }
    settings = Settings.from_env(env)
    assert settings.metrics
    assert (settings.metrics_token, settings.log_format) == ("t0ken", "json")
    defaults = Settings.from_env({"MESSENGER_SECRET_KEY": SECRET})
    assert (defaults.metrics, defaults.metrics_token, defaults.log_format) == (False, None, "text")
    with pytest.raises(SettingsError, match="MESSENGER_LOG_FORMAT"):
        Settings.from_env({**env, "MESSENGER_LOG_FORMAT": "xml"})
