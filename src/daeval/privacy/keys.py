"""The project key: the secret under which every id is pseudonymised.

The key lives outside the workspace, so a workspace can be shared without it: in the environment
variable ``DAEVAL_KEY`` or in a key file that only its owner can read. Without the key the
pseudonyms cannot be recomputed from ids; with it, the same id always gets the same pseudonym.

A key must also be hard to guess: at least 128 bits of randomness, the security strength NIST
SP 800-57 Part 1 (section 5.6.2, security-strength time frames) requires beyond 2030 (112 bits
until then). The randomness of a secret someone typed cannot be known, only bounded from above
(:func:`strength_bits`): a key that is short, repetitive or made of few distinct characters is
refused. `daeval key new` writes 256 random bits as 64 hex characters.
"""

from __future__ import annotations

import itertools
import math
import os
import secrets
import stat
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from daeval.errors import KeyProblemError

KEY_ENV = "DAEVAL_KEY"
KEY_FILE_ENV = "DAEVAL_KEY_FILE"
MIN_KEY_BYTES = 32
MIN_KEY_BITS = 128


HOW_TO = (
    "create one with `daeval key new PATH` and set DAEVAL_KEY_FILE=PATH (or pass --key-file), "
    "or set DAEVAL_KEY to a random secret of at least 32 characters, such as the output of "
    "`openssl rand -hex 32`"
)

# Character classes and how many characters each holds (printable ASCII; any other byte counts
# as one of 256).
_CLASSES = (
    (frozenset(string.ascii_lowercase.encode()), 26),
    (frozenset(string.ascii_uppercase.encode()), 26),
    (frozenset(string.digits.encode()), 10),
    (frozenset(string.punctuation.encode()), 32),
)


def _period(secret: bytes) -> bytes:
    """The shortest unit the secret repeats (``b"abcabcab"`` -> ``b"abc"``); itself if none."""
    for size in range(1, len(secret) // 2 + 1):
        if all(secret[i] == secret[i % size] for i in range(size, len(secret))):
            return secret[:size]
    return secret


def _entropy(values: Sequence[int]) -> float:
    """The entropy in bits of ``values`` taken as draws from their own frequencies, times their
    number."""
    return -sum(n * math.log2(n / len(values)) for n in Counter(values).values())


def strength_bits(secret: bytes) -> float:
    """An upper bound of the secret's randomness in bits, the smallest of: its length times log2
    of the size of the character classes it uses; the entropy of its characters' frequencies
    (few distinct characters, or one used over and over, bring it down); and that of the steps
    from each character to the next, plus the first (``abcdef`` or ``0123`` bring it down). A
    secret that repeats a shorter unit counts as that unit."""
    unit = _period(secret)
    alphabet = sum(size for chars, size in _CLASSES if chars & set(unit))
    if any(b >= 0x80 for b in unit):
        alphabet = 256
    if alphabet <= 1 or len(unit) < 2:
        return 0.0
    by_class = len(unit) * math.log2(alphabet)
    steps = [b - a for a, b in itertools.pairwise(unit)]
    return min(by_class, _entropy(unit), math.log2(alphabet) + _entropy(steps))


def _checked(secret: bytes, where: str) -> bytes:
    if len(secret) < MIN_KEY_BYTES:
        raise KeyProblemError(
            f"the project key in {where} is {len(secret)} bytes; at least {MIN_KEY_BYTES} are "
            f"needed ({HOW_TO})"
        )
    if any(c.isspace() for c in secret.decode("utf-8", errors="replace")):
        raise KeyProblemError(
            f"the project key in {where} contains spaces, tabs or line breaks; a key is one word "
            f"of random characters ({HOW_TO})"
        )
    bits = strength_bits(secret)
    if bits < MIN_KEY_BITS:
        raise KeyProblemError(
            f"the project key in {where} is too easy to guess (at most {bits:.0f} bits of "
            f"randomness, {MIN_KEY_BITS} needed: it is short, repetitive or made of few distinct "
            f"characters); {HOW_TO}"
        )
    return secret


def read_key_file(path: Path) -> bytes:
    """The key held in ``path``, refused unless only its owner may read or write it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyProblemError(f"key file {path} does not exist ({HOW_TO})") from None
    except OSError as exc:
        raise KeyProblemError(f"key file {path} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise KeyProblemError(f"key file {path} is a folder or device, not a file ({HOW_TO})")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblemError(
            f"key file {path} can be read by others (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}`"
        )
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise KeyProblemError(f"key file {path} cannot be read ({exc.strerror})") from None
    # The line break that ends the file's one line is not part of the key.
    return _checked(content.removesuffix(b"\n").removesuffix(b"\r"), f"key file {path}")


def load_key(environ: Mapping[str, str], key_file: Path | None = None) -> bytes:
    """The project key: from ``key_file``, else ``DAEVAL_KEY_FILE``, else ``DAEVAL_KEY``."""
    if key_file is None and environ.get(KEY_FILE_ENV):
        key_file = Path(environ[KEY_FILE_ENV])
    if key_file is not None:
        return read_key_file(key_file)
    if environ.get(KEY_ENV):
        return _checked(environ[KEY_ENV].encode("utf-8"), KEY_ENV)
    raise KeyProblemError(f"no project key: {HOW_TO}")


def new_key_file(path: Path) -> Path:
    """Write a new random key (64 hex characters) to ``path``, readable only by its owner."""
    if path.exists():
        raise KeyProblemError(
            f"{path} already exists; a key is never overwritten: choose another path"
        )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise KeyProblemError(f"{path}: a key cannot be written there ({exc.strerror})") from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path


FINGERPRINT_CONTEXT = b"daeval key fingerprint v1"


def fingerprint(key: bytes) -> str:
    """A short public name for the key (16 hex digits of HMAC-SHA256 under the key of a fixed
    text), so an output can say which key made its pseudonyms without revealing the key."""
    import hashlib
    import hmac

    return hmac.new(key, FINGERPRINT_CONTEXT, hashlib.sha256).hexdigest()[:16]
