"""Signed access tokens (JWT, HS256)."""

from __future__ import annotations

from datetime import timedelta

import jwt

from messenger.domain.errors import InvalidToken
from messenger.domain.model import AccessClaims
from messenger.domain.ports import Clock

MIN_SECRET_BYTES = 32
_ALGORITHM = "HS256"
_ACCESS = "access"


class JwtTokenIssuer:
    """The ``TokenIssuer`` port: short-lived, self-contained access tokens."""

    def __init__(
        self, secret: str, clock: Clock, *, lifetime: int = 900, audience: str = "messenger"
    ) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"The token secret must be at least {MIN_SECRET_BYTES} bytes.")
        self._secret = secret
        self._clock = clock
        self._lifetime = lifetime
        self._audience = audience

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
        try:
            # The algorithm is pinned: a token cannot choose "none" or another key type.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "aud", "typ", "sid"]},
                leeway=5,
            )
        except jwt.PyJWTError:
            raise InvalidToken() from None
        sub, sid = claims.get("sub"), claims.get("sid")
        if claims.get("typ") != _ACCESS or not isinstance(sid, str) or not isinstance(sub, str):
            raise InvalidToken()
        if not (sub.isascii() and sub.isdigit()) or len(sub) > 19:
            raise InvalidToken()
        return AccessClaims(user_id=int(sub), session_id=sid)
