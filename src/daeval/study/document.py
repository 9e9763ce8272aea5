"""Reading ``study.yaml`` as a YAML mapping, with errors that name the file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from daeval.errors import StudyFileError


def read_document(study_file: Path) -> Mapping[str, Any]:
    """The study file's top-level mapping; empty when the file does not exist."""
    if not study_file.exists():
        return {}
    try:
        document = yaml.safe_load(study_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise StudyFileError(f"{study_file}: not valid YAML ({exc})") from None
    if not isinstance(document, Mapping):
        raise StudyFileError(f"{study_file}: expected a mapping at the top level")
    return document
