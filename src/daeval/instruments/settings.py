"""A study's own settings for its instruments: ``instruments:`` in ``study.yaml`` (or a file given
to ``daeval score --settings``).

.. code-block:: yaml

    instruments:
      PHQ9:
        change_rule: talking_therapies      # or jacobson_truax (the default)
        missing: {method: prorate, max_missing: 2, choice: "the trial protocol allows two"}
      CORE10:
        clinical_criterion: cutoff          # auto (default), a, b, c or cutoff
      SDQ:
        cutoff: {value: 17, meaning: abnormal range, choice: "the licensed scoring guide"}

Any key of an instrument's definition may be given; it replaces the shipped value (a mapping is
merged key by key) and the result is checked like a shipped definition, so a changed figure must
carry its ``source`` or ``choice`` too. ``change_rule`` picks how change is judged: Jacobson &
Truax's reliable change, or an alternative rule the definition names (NHS Talking Therapies' for
PHQ-9 and GAD-7). ``clinical_criterion`` picks the clinical-significance cut-off (see
``daeval.instruments.change``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from daeval.instruments.library import (
    InstrumentDefinitionError,
    Library,
    builtin_library,
    parse_definition,
    raw_definition,
)

JACOBSON_TRUAX = "jacobson_truax"
CRITERIA = ("auto", "a", "b", "c", "cutoff")


@dataclass(frozen=True)
class ChangeSettings:
    rule: str = JACOBSON_TRUAX
    criterion: str = "auto"


@dataclass(frozen=True)
class InstrumentSettings:
    library: Library
    change: Mapping[str, ChangeSettings] = field(default_factory=dict)

    def change_for(self, code: str) -> ChangeSettings:
        return self.change.get(code, ChangeSettings())


def default_settings() -> InstrumentSettings:
    return InstrumentSettings(builtin_library())


def _merged(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merged(dict(out[key]), value)
        else:
            out[key] = value
    return out


def settings_from(section: Any, origin: str) -> InstrumentSettings:
    """The library with ``section`` (the ``instruments:`` mapping) applied; ``origin`` names
    where the section came from in messages."""
    library = builtin_library()
    if section is None:
        return InstrumentSettings(library)
    if not isinstance(section, Mapping):
        raise InstrumentDefinitionError(f"{origin}: expected a mapping of instrument codes")
    instruments = dict(library)
    change: dict[str, ChangeSettings] = {}
    for code, given in section.items():
        where = f"{origin}.{code}"
        if code not in library:
            raise InstrumentDefinitionError(
                f"{where}: not an instrument of the library (choose from {', '.join(library)})"
            )
        if not isinstance(given, Mapping):
            raise InstrumentDefinitionError(f"{where}: expected a mapping of settings")
        given = dict(given)
        rule = given.pop("change_rule", JACOBSON_TRUAX)
        criterion = given.pop("clinical_criterion", "auto")
        names = [r.name for r in library[code].alternative_rules]
        if rule != JACOBSON_TRUAX and rule not in names:
            raise InstrumentDefinitionError(
                f"{where}.change_rule: {rule!r} is not a rule for {code} "
                f"(choose from {', '.join([JACOBSON_TRUAX, *names])})"
            )
        if criterion not in CRITERIA:
            raise InstrumentDefinitionError(
                f"{where}.clinical_criterion: {criterion!r} (choose from {', '.join(CRITERIA)})"
            )
        change[code] = ChangeSettings(rule, criterion)
        if given:
            instruments[code] = parse_definition(_merged(raw_definition(code), given), where)
    return InstrumentSettings(Library(instruments), change)


def read_settings_file(path: Path) -> InstrumentSettings:
    """Settings from a YAML file whose top level is ``instruments:`` (a study file will do)."""
    from daeval.study.document import yaml_reason

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InstrumentDefinitionError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InstrumentDefinitionError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise InstrumentDefinitionError(
            f"{path}: not valid YAML ({yaml_reason(exc)}); check indentation, colons and quotes"
        ) from None
    if not isinstance(document, Mapping):
        raise InstrumentDefinitionError(
            f"{path}: expected a mapping with instruments:; give a YAML file whose top level "
            "has an instruments: section (a study.yaml will do)"
        )
    return settings_from(document.get("instruments"), f"{path.name} instruments")
