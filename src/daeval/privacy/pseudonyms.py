"""Keyed pseudonyms: HMAC-SHA256 of an id within its namespace, under the project key.

The message is ``namespace``, a unit separator (0x1F), then the id, as UTF-8; the pseudonym is
the hex digest. The SQL form computes the same HMAC (RFC 2104) inside DuckDB, so millions of ids
are pseudonymised without a Python loop.
"""

from __future__ import annotations

import hashlib
import hmac

SEPARATOR = "\x1f"
_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104: B = 64)


def pseudonym(key: bytes, namespace: str, identifier: str) -> str:
    return hmac.new(key, f"{namespace}{SEPARATOR}{identifier}".encode(), hashlib.sha256).hexdigest()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _blob(data: bytes) -> str:
    return f"unhex('{data.hex()}')"


def pseudonym_sql(key: bytes, namespace_sql: str, identifier_sql: str) -> str:
    """DuckDB SQL for :func:`pseudonym` of two SQL text expressions (NULL id gives NULL)."""
    inner, outer = _pads(key)
    message = f"encode({namespace_sql} || chr(31) || {identifier_sql})"
    return (
        f"CASE WHEN {identifier_sql} IS NOT NULL THEN "
        f"sha256({_blob(outer)} || unhex(sha256({_blob(inner)} || {message}))) END"
    )
