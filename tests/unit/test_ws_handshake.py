"""What the socket endpoint reads from the handshake: the origin check; and tokens in URLs
kept out of the logs."""

from __future__ import annotations

import logging

from messenger.entrypoints.ws.realtime import RedactTokens, handshake_header, origin_allowed

ALLOWED = ("http://localhost:3000", "app://.")


def test_header_names_match_whatever_case_the_server_passes_them_in() -> None:
    headers = [(b"Host", b"chat.example:8000"), (b"origin", b"https://chat.example:8000")]
    assert handshake_header(headers, b"host") == "chat.example:8000"
    assert handshake_header(headers, b"origin") == "https://chat.example:8000"
    assert handshake_header(headers, b"cookie") is None


def test_a_browser_passes_from_an_allowed_origin_or_the_servers_own_and_nothing_else() -> None:
    assert origin_allowed("http://localhost:3000", "api.example", ALLOWED)
    assert origin_allowed("https://chat.example:8000", "CHAT.example:8000", ALLOWED)
    assert origin_allowed(None, "chat.example", ALLOWED)  # not a browser
    assert not origin_allowed("https://evil.example", "chat.example", ALLOWED)
    assert not origin_allowed("null", "chat.example", ALLOWED)


def test_a_token_in_a_logged_url_is_blanked_whatever_the_parameters_case() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" 403', None, None
    )
    record.args = ("127.0.0.1:5", "/api/v1/ws?v=2&TOKEN=abc.def&Token=ghi&token=jkl")
    assert RedactTokens().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5 - "WebSocket /api/v1/ws?v=2&TOKEN=***&Token=***&token=***" 403'
    )
    inline = logging.LogRecord(
        "uvicorn", logging.INFO, __file__, 1, "GET /ws?ToKeN=s3cret", None, None
    )
    RedactTokens().filter(inline)
    assert "s3cret" not in inline.getMessage()
