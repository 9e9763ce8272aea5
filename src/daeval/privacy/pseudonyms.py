"""Keyed pseudonyms: HMAC-SHA256 of an id within its namespace, under the project key.

The message is ``namespace``, a unit separator (0x1F), then the id, as UTF-8; the pseudonym is
the first 128 bits of the digest (a truncation RFC 2104, section 5, and NIST SP 800-107 allow),
held as a UUID: 16 bytes of fixed width, which DuckDB stores, compares and joins far faster than
text. Two of a billion ids share a pseudonym with odds below 1 in 10^20.

Inside DuckDB the same HMAC (RFC 2104) is computed without a Python loop, in one of two ways
giving the same values: as SQL over DuckDB's ``sha256``, or, for many rows, as a function
registered on the connection that hashes whole batches with compiled code
(``daeval.privacy.hmac_batch``), several times faster.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa

SEPARATOR = "\x1f"
BLOCK = 64
"""SHA-256's block size in bytes (RFC 2104: B = 64)."""
FUNCTION = "daeval_pseudonym"
"""Name of the registered function (one message -> its pseudonym) on a connection."""
ROW_FUNCTION = "daeval_pseudonyms_{}"
"""Name of the registered function of n messages (2 to ``ROW_IDS``) -> the struct of their
pseudonyms: a row's ids in one call, which costs DuckDB one passage into Python instead of n."""
ROW_IDS = 4


DIGEST_BYTES = 16
"""Bytes of the HMAC kept as the pseudonym."""


def pseudonym(key: bytes, namespace: str, identifier: str) -> uuid.UUID:
    message = f"{namespace}{SEPARATOR}{identifier}".encode()
    return uuid.UUID(bytes=hmac.new(key, message, hashlib.sha256).digest()[:DIGEST_BYTES])


def key_pads(key: bytes) -> tuple[bytes, bytes]:
    """The key XOR ipad and XOR opad blocks of RFC 2104 (a key longer than a block is hashed)."""
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _blob(data: bytes) -> str:
    return f"unhex('{data.hex()}')"


def message_sql(namespace_sql: str, identifier_sql: str) -> str:
    """SQL of the message a pseudonym is made from (NULL when the id is NULL)."""
    return f"({namespace_sql} || chr(31) || {identifier_sql})"


def hmac_sql(key: bytes, message: str) -> str:
    """DuckDB SQL for the pseudonym (a UUID) of a SQL text expression (NULL gives NULL)."""
    inner, outer = key_pads(key)
    digest = f"sha256({_blob(outer)} || unhex(sha256({_blob(inner)} || encode({message}))))"
    return (
        f"CASE WHEN {message} IS NOT NULL THEN CAST(left({digest}, {2 * DIGEST_BYTES}) AS UUID) END"
    )


def pseudonym_sql(key: bytes, namespace_sql: str, identifier_sql: str) -> str:
    """DuckDB SQL for :func:`pseudonym` of two SQL text expressions (NULL id gives NULL)."""
    return hmac_sql(key, message_sql(namespace_sql, identifier_sql))


def register_pseudonyms(con: duckdb.DuckDBPyConnection, key: bytes) -> bool:
    """Register :data:`FUNCTION` (message -> pseudonym under ``key``) on ``con``.

    False, with nothing registered, when the compiled HMAC cannot run on this machine; callers
    then use :func:`hmac_sql`. A function registered before (under another key) is replaced.
    """
    from duckdb.func import FunctionNullHandling, PythonUDFType

    from daeval.privacy.hmac_batch import batch_hmac

    hasher = batch_hmac(key)
    if hasher is None:
        return False
    for name in [FUNCTION, *(ROW_FUNCTION.format(n) for n in range(2, ROW_IDS + 1))]:
        try:
            con.remove_function(name)
        except duckdb.InvalidInputException:
            pass
    con.create_function(FUNCTION, hasher, ["varchar"], "uuid", type=PythonUDFType.ARROW)
    for n in range(2, ROW_IDS + 1):
        fields = ", ".join(f"p{i} UUID" for i in range(1, n + 1))
        con.create_function(
            ROW_FUNCTION.format(n), _of_row(hasher, n), ["varchar"] * n, f"STRUCT({fields})",
            type=PythonUDFType.ARROW, null_handling=FunctionNullHandling.SPECIAL,
        )  # fmt: skip
    return True


def _of_row(hasher: Callable[[pa.Array], pa.Array], n: int) -> Callable[..., pa.Array]:
    """The function of ``n`` message columns giving the struct of their pseudonyms (p1 .. pn)."""
    import pyarrow as pa

    def pseudonyms(*messages: pa.Array) -> pa.Array:
        names = [f"p{i}" for i in range(1, n + 1)]
        return pa.StructArray.from_arrays([hasher(m) for m in messages], names=names)

    # DuckDB reads the number of arguments from the signature.
    parameters = [inspect.Parameter(f"m{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(n)]
    pseudonyms.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return pseudonyms


def row_pseudonyms_sql(messages: list[str]) -> str | None:
    """SQL of the struct (p1 .. pn) of the pseudonyms of a row's id messages in one call of the
    registered function, or None for fewer than two messages or more than it takes."""
    if not 2 <= len(messages) <= ROW_IDS:
        return None
    return f"{ROW_FUNCTION.format(len(messages))}({', '.join(messages)})"
