"""The JWT access-token adapter, including its cache of verified tokens."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt
import pytest

from messenger.adapters.security.tokens import JwtTokenIssuer
from messenger.domain.errors import InvalidToken
from messenger.domain.model import AccessClaims

SECRET = "s" * 40


class Now:
    def now(self) -> datetime:
        return datetime.now(UTC)


def issuer(wall: list[float] | None = None, lifetime: int = 60) -> JwtTokenIssuer:
    clock = (lambda: wall[0]) if wall is not None else time.time
    return JwtTokenIssuer(SECRET, Now(), lifetime=lifetime, wall_clock=clock)


def test_a_token_verifies_again_and_again_to_the_same_claims() -> None:
    tokens = issuer(lifetime=60)
    before = datetime.now(UTC).replace(microsecond=0)
    token, _ = tokens.issue_access(7, "session-1")
    claims = tokens.verify_access(token)
    assert (claims.user_id, claims.session_id) == (7, "session-1")
    # The expiry is the token's own (whole seconds), for sockets to close at.
    assert claims.expires_at is not None
    assert 59 <= (claims.expires_at - before).total_seconds() <= 61
    assert tokens.verify_access(token) == claims == AccessClaims(7, "session-1", claims.expires_at)


def test_a_verified_token_still_expires() -> None:
    wall = [time.time()]
    tokens = issuer(wall, lifetime=60)
    token, _ = tokens.issue_access(7, "session-1")
    assert tokens.verify_access(token).user_id == 7
    wall[0] += 60 + 6  # past expiry and the leeway
    with pytest.raises(InvalidToken):
        tokens.verify_access(token)


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: jwt.encode({"sub": "7", "sid": "s", "typ": "access"}, SECRET, "HS256"),
        lambda t: jwt.encode(
            {"sub": "7", "sid": "s", "typ": "refresh", "aud": "messenger", "iat": 1, "exp": 2**40},
            SECRET,
            "HS256",
        ),
        lambda t: jwt.encode(
            {"sub": "7", "sid": "s", "typ": "access", "aud": "messenger", "iat": 1, "exp": 2**40},
            "another secret that is long enough......",
            "HS256",
        ),
    ],
)
def test_forged_or_foreign_tokens_are_rejected_every_time(forge: object) -> None:
    tokens = issuer()
    token, _ = tokens.issue_access(7, "session-1")
    tokens.verify_access(token)
    bad = forge(token)  # type: ignore[operator]
    for _ in range(2):
        with pytest.raises(InvalidToken):
            tokens.verify_access(bad)
