"""Signed access tokens (JWT, HS256)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt

from messenger.domain.errors import InvalidToken
from messenger.domain.model import AccessClaims
from messenger.domain.ports import Clock

MIN_SECRET_BYTES = 32
_ALGORITHM = "HS256"
_ACCESS = "access"
_LEEWAY_S = 5
# Tokens verified recently, remembered until they expire: a client sends the same token with
# every request for its lifetime, and PyJWT's decode was a fifth of a history request.
_VERIFIED_MAX = 50_000


class JwtTokenIssuer:
    """The ``TokenIssuer`` port: short-lived, self-contained access tokens."""

    def __init__(
        self,
        secret: str,
        clock: Clock,
        *,
        lifetime: int = 900,
        audience: str = "messenger",
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"The token secret must be at least {MIN_SECRET_BYTES} bytes.")
        self._secret = secret
        self._clock = clock
        self._lifetime = lifetime
        self._audience = audience
        # PyJWT checks expiry against the system time; so does the cache of verified tokens.
        self._wall_clock = wall_clock
        self._verified: dict[str, tuple[AccessClaims, float]] = {}

    def issue_access(self, user_id: int, session_id: str) -> tuple[str, int]:
        now = self._clock.now()
        claims = {
            "sub": str(user_id),
            "sid": session_id,
            # The type claim keeps any other token we might sign one day (e.g. for a download
            # link) from ever being accepted as an access token.
            "typ": _ACCESS,
            "aud": self._audience,
            "iat": now,
            "exp": now + timedelta(seconds=self._lifetime),
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM), self._lifetime

    def verify_access(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            claims, expires = known
            if self._wall_clock() < expires:
                return claims
            del self._verified[token]
            raise InvalidToken()
        verified = self._verify(token)
        if len(self._verified) >= _VERIFIED_MAX:
            # The oldest first (dicts keep insertion order); it is only a cache.
            del self._verified[next(iter(self._verified))]
        return verified

    def _verify(self, token: str) -> AccessClaims:
        try:
            # The algorithm is pinned: a token cannot choose "none" or another key type.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "aud", "typ", "sid"]},
                leeway=_LEEWAY_S,
            )
        except jwt.PyJWTError:
            raise InvalidToken() from None
        sub, sid = claims.get("sub"), claims.get("sid")
        if claims.get("typ") != _ACCESS or not isinstance(sid, str) or not isinstance(sub, str):
            raise InvalidToken()
        if not (sub.isascii() and sub.isdigit()) or len(sub) > 19:
            raise InvalidToken()
        exp = claims["exp"]
        if not isinstance(exp, int | float):
            raise InvalidToken()
        verified = AccessClaims(
            user_id=int(sub), session_id=sid, expires_at=datetime.fromtimestamp(exp, UTC)
        )
        self._verified[token] = (verified, float(exp) + _LEEWAY_S)
        return verified
