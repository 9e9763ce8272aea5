"""The project key: the secret under which every id is pseudonymised.

The key lives outside the workspace, so a workspace can be shared without it: in the environment
variable ``DAEVAL_KEY`` or in a key file that only its owner can read. Without the key the
pseudonyms cannot be recomputed from ids; with it, the same id always gets the same pseudonym.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from daeval.errors import KeyProblemError

KEY_ENV = "DAEVAL_KEY"
KEY_FILE_ENV = "DAEVAL_KEY_FILE"
MIN_KEY_BYTES = 32


HOW_TO = (
    "create one with `daeval key new PATH` and set DAEVAL_KEY_FILE=PATH (or pass --key-file), "
    "or set DAEVAL_KEY to a secret of at least 32 characters"
)


def _checked(secret: bytes, where: str) -> bytes:
    if len(secret) < MIN_KEY_BYTES:
        raise KeyProblemError(
            f"the project key in {where} is {len(secret)} bytes; at least {MIN_KEY_BYTES} are "
            f"needed ({HOW_TO})"
        )
    return secret


def read_key_file(path: Path) -> bytes:
    """The key held in ``path``, refused unless only its owner may read or write it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyProblemError(f"key file {path} does not exist ({HOW_TO})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblemError(
            f"key file {path} can be read by others (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}`"
        )
    return _checked(path.read_bytes().strip(), f"key file {path}")


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
        raise KeyProblemError(f"{path} already exists; a key is never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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
