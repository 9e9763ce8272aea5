"""Reading ``study.yaml`` as a YAML mapping, with errors that name the file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from daeval.errors import StudyFileError


def yaml_reason(exc: yaml.YAMLError) -> str:
    """Why a YAML text cannot be parsed, in one line: where, and what the parser found."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return where + " ".join(str(getattr(exc, "problem", None) or exc).split())


def read_text(study_file: Path) -> str:
    """The study file's text, refused in one line when it is a folder, cannot be read or is not
    UTF-8 text."""
    try:
        return study_file.read_text(encoding="utf-8")
    except IsADirectoryError:
        reason = "a folder, not a file; remove the folder (`daeval init` writes a study.yaml)"
    except OSError as exc:
        reason = f"cannot be read ({exc.strerror}); give its owner read permission"
    except UnicodeDecodeError:
        reason = "not UTF-8 text; save it as UTF-8"
    raise StudyFileError(f"{study_file}: {reason}")


def read_document(study_file: Path) -> Mapping[str, Any]:
    """The study file's top-level mapping; empty when the file does not exist."""
    if not study_file.exists():
        return {}
    try:
        document = yaml.safe_load(read_text(study_file)) or {}
    except yaml.YAMLError as exc:
        raise StudyFileError(
            f"{study_file}: not valid YAML ({yaml_reason(exc)}); check indentation, colons and "
            "quotes on that line and the one before (`daeval study check` lists every problem)"
        ) from None
    if not isinstance(document, Mapping):
        raise StudyFileError(f"{study_file}: expected a mapping at the top level")
    return document
