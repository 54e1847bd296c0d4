"""What the socket endpoint reads from the handshake: the origin check and the query token."""

from __future__ import annotations

from messenger.entrypoints.ws.realtime import handshake_header, origin_allowed, query_token

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


def test_the_token_is_read_from_the_query_string_when_there_is_one() -> None:
    assert query_token(b"") is None
    assert query_token(b"v=2") is None
    assert query_token(b"v=2&token=abc.def-ghi_") == "abc.def-ghi_"
    assert query_token(b"mytoken=x&token=y") == "y"
