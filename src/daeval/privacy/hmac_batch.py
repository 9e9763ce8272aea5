"""HMAC-SHA256 of many messages at once, compiled, for pseudonymising millions of ids quickly.

HMAC (RFC 2104) is H((K ^ opad) || H((K ^ ipad) || m)). With one key for a whole run, the SHA-256
state after the block ``K ^ ipad`` and the state after ``K ^ opad`` are the same for every message;
they are computed once, so each message costs the blocks of ``m`` plus one block for the outer hash
(two SHA-256 blocks for an id in its namespace, against four for a plain HMAC).

The block function is OpenSSL's ``SHA256_Transform`` from the ``libcrypto`` Python's own ``hashlib``
uses, called from a loop compiled by Numba; OpenSSL uses the processor's SHA instructions where it
has them. When that library or Numba cannot be used, :func:`batch_hmac` is None and callers keep to
the SQL form of the same HMAC (``daeval.privacy.pseudonyms.pseudonym_sql``). Every result is the
same as :func:`hmac.new` gives; a self-check on a fixed set of messages guards the fast path.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from daeval.privacy.pseudonyms import DIGEST_BYTES, key_pads

_INITIAL = (
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
)  # fmt: skip
"""SHA-256's initial hash value (FIPS 180-4, section 5.3.3)."""
_LIBRARIES = ("libcrypto.so.3", "libcrypto.so", "libcrypto.3.dylib", "libcrypto.dylib")
_CHECK = [
    "",
    "a",
    "x" * 55,
    "y" * 56,
    "z" * 64,
    "w" * 130,
    "people:police\x1fP0000000001",
    "é" * 40,
]

Hasher = Callable[[pa.Array], pa.Array]


def _load_transform():  # type: ignore[no-untyped-def]
    """Numba's handle on OpenSSL's SHA256_Transform, or None."""
    import llvmlite.binding as llvm

    for name in _LIBRARIES:
        try:
            llvm.load_library_permanently(name)
        except RuntimeError:
            continue
        if llvm.address_of_symbol("SHA256_Transform"):
            return numba.types.ExternalFunction(
                "SHA256_Transform", numba.types.void(numba.types.voidptr, numba.types.voidptr)
            )
    return None


_transform = _load_transform()


@numba.njit(nogil=True, cache=True)
def _one_block(state, block):  # type: ignore[no-untyped-def]
    context = np.zeros(32, np.uint32)  # OpenSSL's SHA256_CTX (112 bytes) starts with h[8]
    for j in range(8):
        context[j] = state[j]
    _transform(context.ctypes.data, block.ctypes.data)
    return context[:8].copy()


@numba.njit(nogil=True, cache=True, inline="always")
def _same_as_previous(offsets, data, i, start, length):  # type: ignore[no-untyped-def]
    before = offsets[i - 1]
    if start - before != length:
        return False
    for j in range(length):
        if data[before + j] != data[start + j]:
            return False
    return True


@numba.njit(nogil=True, cache=True)
def _many(offsets, data, inner, outer, out):  # type: ignore[no-untyped-def]
    context = np.zeros(32, np.uint32)
    block = np.zeros(64, np.uint8)
    for i in range(offsets.shape[0] - 1):
        start = offsets[i]
        length = offsets[i + 1] - start
        if i and _same_as_previous(offsets, data, i, start, length):
            for j in range(
                DIGEST_BYTES
            ):  # ids often come in runs (a child's rows, an answer's items)
                out[i * DIGEST_BYTES + j] = out[(i - 1) * DIGEST_BYTES + j]
            continue
        for j in range(8):
            context[j] = inner[j]
        done = 0
        while length - done >= 64:
            for j in range(64):
                block[j] = data[start + done + j]
            _transform(context.ctypes.data, block.ctypes.data)
            done += 64
        rest = length - done
        for j in range(64):
            block[j] = 0
        for j in range(rest):
            block[j] = data[start + done + j]
        block[rest] = 0x80
        if rest >= 56:
            _transform(context.ctypes.data, block.ctypes.data)
            for j in range(64):
                block[j] = 0
        bits = (64 + length) * 8  # the key block counts towards the message length
        for j in range(8):
            block[63 - j] = (bits >> (8 * j)) & 0xFF
        _transform(context.ctypes.data, block.ctypes.data)
        for j in range(8):  # the inner digest, big-endian, then the outer hash's padding
            v = context[j]
            block[4 * j] = (v >> 24) & 0xFF
            block[4 * j + 1] = (v >> 16) & 0xFF
            block[4 * j + 2] = (v >> 8) & 0xFF
            block[4 * j + 3] = v & 0xFF
        for j in range(32, 64):
            block[j] = 0
        block[32] = 0x80
        block[62] = 0x03  # (64 + 32) * 8 = 768 bits
        for j in range(8):
            context[j] = outer[j]
        _transform(context.ctypes.data, block.ctypes.data)
        for j in range(4):  # the first 128 bits of the digest, big-endian
            v = context[j]
            out[i * 16 + 4 * j] = (v >> 24) & 0xFF
            out[i * 16 + 4 * j + 1] = (v >> 16) & 0xFF
            out[i * 16 + 4 * j + 2] = (v >> 8) & 0xFF
            out[i * 16 + 4 * j + 3] = v & 0xFF


def _digests(
    many: Callable[..., None], inner: np.ndarray, outer: np.ndarray, messages: pa.Array
) -> pa.Array:
    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks()
    width: np.dtype[Any] = np.dtype(np.int64)
    if pa.types.is_string(messages.type):
        width = np.dtype(np.int32)  # what DuckDB hands over: read in place
    elif not pa.types.is_large_string(messages.type):
        messages = messages.cast(pa.large_string())
    n = len(messages)
    validity, offsets_buffer, data_buffer = messages.buffers()
    offsets = np.frombuffer(offsets_buffer, width)[messages.offset : messages.offset + n + 1]
    data = (
        np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(1, np.uint8)
    )
    out = np.empty(n * DIGEST_BYTES, np.uint8)
    many(offsets, data, inner, outer, out)
    if messages.null_count and messages.offset == 0:
        digests = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(DIGEST_BYTES), n, [validity, pa.py_buffer(out)], messages.null_count
        )
    else:
        digests = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(DIGEST_BYTES), n, [None, pa.py_buffer(out)]
        )
        if messages.null_count:
            digests = pc.if_else(pc.is_valid(messages), digests, None)
    return pa.ExtensionArray.from_storage(pa.uuid(), digests)


def batch_hmac(key: bytes) -> Hasher | None:
    """A function giving the pseudonym (the first 128 bits of HMAC-SHA256 under ``key``, as an
    Arrow UUID) of each UTF-8 string of an Arrow array (null for null), or None when the compiled
    path is not available here."""
    if _transform is None:
        return None
    initial = np.array(_INITIAL, np.uint32)
    inner_pad, outer_pad = key_pads(key)
    inner = _one_block(initial, np.frombuffer(inner_pad, np.uint8).copy())
    outer = _one_block(initial, np.frombuffer(outer_pad, np.uint8).copy())

    def hasher(messages: pa.Array) -> pa.Array:
        return _digests(_many, inner, outer, messages)

    expected = [hmac.new(key, m.encode(), hashlib.sha256).digest()[:DIGEST_BYTES] for m in _CHECK]
    if (
        hasher(pa.array(_CHECK)).storage.to_pylist() != expected
    ):  # pragma: no cover - a broken library
        return None
    return hasher
