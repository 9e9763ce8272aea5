"""The instrument library: the definitions shipped with daeval, read and checked on load, with a
study's settings applied on top (``daeval.instruments.settings``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from daeval.errors import DaevalError
from daeval.instruments.definition import Instrument


class InstrumentDefinitionError(DaevalError):
    """An instrument definition (or a study's setting for one) that does not hold together."""


def _described(exc: ValidationError, origin: str) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        lines.append(f"{origin}: {where}: {error['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)


def parse_definition(data: Any, origin: str) -> Instrument:
    """An ``Instrument`` from a YAML document, or an error naming ``origin`` and each key at fault."""
    if not isinstance(data, Mapping):
        raise InstrumentDefinitionError(f"{origin}: expected a mapping of the instrument's facts")
    try:
        return Instrument.model_validate(data)
    except ValidationError as exc:
        raise InstrumentDefinitionError(_described(exc, origin)) from None


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, in C (libyaml) where it is built in: several times as fast."""


def read_definition(path: Path) -> Instrument:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise InstrumentDefinitionError(f"{path.name}: not valid YAML ({exc})") from None
    instrument = parse_definition(data, path.name)
    if path.stem != instrument.code:
        raise InstrumentDefinitionError(
            f"{path.name}: the file must be named {instrument.code}.yaml"
        )
    return instrument


class Library(Mapping[str, Instrument]):
    """Instruments by code."""

    def __init__(self, instruments: Mapping[str, Instrument]):
        self._by_code = dict(instruments)

    def __getitem__(self, code: str) -> Instrument:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)


def definitions_folder() -> Path:
    return Path(str(resources.files("daeval.instruments") / "definitions"))


@cache
def builtin_library() -> Library:
    """Every definition shipped with daeval, in code order."""
    files = sorted(definitions_folder().glob("*.yaml"))
    return Library({i.code: i for i in map(read_definition, files)})


def raw_definition(code: str) -> dict[str, Any]:
    """The shipped YAML document of one instrument, for settings to be laid over."""
    data = yaml.safe_load((definitions_folder() / f"{code}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
