"""Password hashing (argon2id), the common-password list and access tokens (JWT)."""

from messenger.adapters.security.common_passwords import BundledCommonPasswords
from messenger.adapters.security.passwords import Argon2Hasher
from messenger.adapters.security.tokens import JwtTokenIssuer

__all__ = ["Argon2Hasher", "BundledCommonPasswords", "JwtTokenIssuer"]
