"""Bearer tokens. A replica's token is derived from the incident's data key
(`Ledger.derive(RELAY_TOKEN).hex()`); the relay keeps only its SHA-256, so its
files let no one act as a replica."""

from __future__ import annotations

import hashlib
import hmac

MAX_TOKEN_CHARS = 256


class AuthError(Exception):
    """A request the relay refuses for its token: `status` 401 (none) or 403 (wrong)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def token_sha256(token: str) -> str:
    """The hex SHA-256 the relay knows a token by (`warroom info --format json` prints
    it as relay_token_sha256, for `warroom relay allow`)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; AuthError 401 without one."""
    if not authorization:
        raise AuthError(401, "no token: send Authorization: Bearer <token>")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError(401, "no bearer token: send Authorization: Bearer <token>")
    if len(token) > MAX_TOKEN_CHARS or not token.isascii() or not token.isprintable():
        raise AuthError(403, "wrong token for this incident")
    return token


def check(token: str, expected_sha256: str) -> None:
    """AuthError 403 unless `token` hashes to `expected_sha256` (compared in constant time)."""
    if not hmac.compare_digest(token_sha256(token), expected_sha256):
        raise AuthError(403, "wrong token for this incident")


def is_sha256_hex(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
