"""Turning integer arrays into the Arrow columns that are written: dates, ids and coded text.

Codes and names are written as dictionary arrays (small integer indices into a fixed vocabulary),
identifiers as fixed-width strings built straight into an Arrow buffer, so no Python object is made
per row. A False in ``valid`` writes an empty cell (missing).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
import pyarrow as pa

from daeval.model.codes import CodeList
from daeval.synth.timeline import START_EPOCH_DAY

ID_MODULUS = 2_147_483_647  # a prime: multiplying by a constant below it permutes 0..M-1


def _mask(valid: np.ndarray | None) -> np.ndarray | None:
    return None if valid is None else ~np.asarray(valid, bool)


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """date32 column from day numbers (0 = PERIOD_START)."""
    values = days.astype(np.int32) + np.int32(START_EPOCH_DAY)
    return pa.array(values, pa.date32(), mask=_mask(valid))


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, np.int32), pa.int32(), mask=_mask(valid))


def decimals(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, np.float64), pa.float64(), mask=_mask(valid))


def coded(
    indices: np.ndarray, vocabulary: pa.Array, valid: np.ndarray | None = None
) -> pa.DictionaryArray:
    """Text column whose values are ``vocabulary[indices]``."""
    idx = pa.array(np.asarray(indices, np.int32), pa.int32(), mask=_mask(valid))
    return pa.DictionaryArray.from_arrays(idx, vocabulary)


def constant(value: str, n: int) -> pa.DictionaryArray:
    return coded(np.zeros(n, np.int32), pa.array([value], pa.string()))


def vocabulary_of(code_list: CodeList) -> pa.Array:
    """The codes of a model code list, in declaration order, as an Arrow dictionary."""
    return _vocabulary(tuple(code_list))


@cache
def _vocabulary(values: tuple[str, ...]) -> pa.Array:
    return pa.array(values, pa.string())


def code_index(code_list: CodeList, values: Iterable[str]) -> np.ndarray:
    """Positions of ``values`` in ``vocabulary_of(code_list)``."""
    order = list(code_list)
    return np.array([order.index(v) for v in values], np.int32)


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.StringArray:
    """Identifiers ``prefix`` + ``numbers`` zero-padded to ``width`` digits."""
    n = len(numbers)
    head = prefix.encode("ascii")
    p = len(head)
    row = p + width
    buf = np.empty((n, row), np.uint8)
    if p:
        buf[:, :p] = np.frombuffer(head, np.uint8)
    q = np.asarray(numbers).astype(np.uint64)
    if n and int(q.max()) >= 10**width:
        raise ValueError(f"id number too large for {width} digits (prefix {prefix!r})")
    for k in range(row - 1, p - 1, -2):
        q, r = np.divmod(q, np.uint64(100))
        buf[:, k] = (r % 10).astype(np.uint8) + 48
        if k - 1 >= p:
            buf[:, k - 1] = (r // 10).astype(np.uint8) + 48
    offsets = np.arange(0, (n + 1) * row, row, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


def scramble(numbers: np.ndarray, salt: int) -> np.ndarray:
    """A fixed permutation of 0..ID_MODULUS-1, so record ids do not reveal true identities.

    Different salts give unrelated-looking ids for the same person in different systems.
    """
    multiplier = np.int64(48_271 + 2 * salt)
    offset = np.int64(104_729 * (salt + 1))
    return (np.asarray(numbers, np.int64) % ID_MODULUS * multiplier + offset) % ID_MODULUS
