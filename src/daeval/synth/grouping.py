"""Runs of equal keys in sorted arrays (families, people), found without a Python loop."""

from __future__ import annotations

import numpy as np


def run_starts(*keys: np.ndarray) -> np.ndarray:
    """True where a new run of equal keys begins (keys sorted; any key changing starts a run)."""
    n = len(keys[0])
    out = np.zeros(n, bool)
    if n:
        out[0] = True
        for key in keys:
            out[1:] |= key[1:] != key[:-1]
    return out


def same_as_next(key: np.ndarray) -> np.ndarray:
    """True where the next element has the same key."""
    out = np.zeros(len(key), bool)
    out[:-1] = key[1:] == key[:-1]
    return out


def run_bounds(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first and of the last element of each run in a sorted ``key``."""
    starts = np.flatnonzero(run_starts(key))
    ends = np.append(starts[1:], len(key))[: len(starts)] - 1
    return starts, ends
