"""Password hashing (argon2id) and access tokens (JWT)."""

from messenger.adapters.security.passwords import Argon2Hasher
from messenger.adapters.security.tokens import JwtTokenIssuer

__all__ = ["Argon2Hasher", "JwtTokenIssuer"]
