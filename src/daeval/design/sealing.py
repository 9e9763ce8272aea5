"""Sealed files: JSON encrypted under a key derived from the project key, so that what they hold
(a trial's allocation sequence) cannot be read from the workspace without the key.

A sealed file is a small JSON document: a clear header (the format, its version, the trial's name
and the cipher), authenticated as associated data, a fresh random 96-bit nonce and the AES-256-GCM
ciphertext of the payload. The key is HKDF-SHA256 of the project key with an ``info`` naming the
purpose and the trial (RFC 5869), so each trial's key differs and none is the project key.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from daeval.errors import DaevalError, KeyProblemError

FORMAT = "daeval-randomisation"
FORMAT_VERSION = 1


def trial_key(project_key: bytes, trial: str) -> bytes:
    """The trial's 256-bit AES key: HKDF-SHA256 of the project key, no salt, with an ``info``
    naming the purpose and the trial, so each trial's key differs and none is the project key."""
    info = f"daeval randomisation: sealed allocation of trial {trial}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(project_key)


def _header(trial: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "trial": trial,
        "cipher": "AES-256-GCM; key HKDF-SHA256 of the project key",
    }


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal(payload: Mapping[str, Any], project_key: bytes, trial: str) -> bytes:
    """The sealed file's bytes: the clear header, a fresh 96-bit nonce and the ciphertext of
    ``payload`` (AES-256-GCM, the header as associated data)."""
    header = _header(trial)
    nonce = os.urandom(12)
    ciphertext = AESGCM(trial_key(project_key, trial)).encrypt(
        nonce, _canonical(payload), _canonical(header)
    )
    document = header | {
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    return (json.dumps(document, indent=1) + "\n").encode()


def unseal(content: bytes, project_key: bytes, trial: str, where: Path) -> dict[str, Any]:
    """The payload of a sealed file; a wrong key or an altered file is refused in plain words."""
    try:
        document = json.loads(content)
        header = {k: document[k] for k in _header(trial)}
        nonce = base64.b64decode(document["nonce"])
        ciphertext = base64.b64decode(document["ciphertext"])
    except (ValueError, KeyError, TypeError):
        raise DaevalError(
            f"{where} is not a sealed randomisation file; restore it from a backup (it holds "
            "the trial's settings, seed and allocations)"
        ) from None
    if header["format"] != FORMAT or header["version"] != FORMAT_VERSION:
        raise DaevalError(f"{where}: format {header['format']} {header['version']} is not known")
    try:
        clear = AESGCM(trial_key(project_key, header["trial"])).decrypt(
            nonce, ciphertext, _canonical(header)
        )
    except InvalidTag:
        raise KeyProblemError(
            f"{where} cannot be opened with this project key: the trial was set up under "
            "another key, or the file has been altered; give the key the trial was set up with"
        ) from None
    if header["trial"] != trial:
        raise DaevalError(f"{where} belongs to trial {header['trial']}, not {trial}")
    payload: dict[str, Any] = json.loads(clear)
    return payload


def write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` in one step: a crash leaves the old file or the new."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
