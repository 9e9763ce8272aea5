"""The mapping from a REDCap project's fields and events to instrument items and timepoints.

It comes from the workspace's study.yaml (a plain dict) and is checked when it is built, so a
mistake in it is reported before any file is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from daeval.errors import StudyFileError
from daeval.model.codes import INSTRUMENT, RESPONDENT, TIMEPOINT_PATTERN, CodeList


class RedcapMappingError(StudyFileError):
    """The REDCap mapping (in study.yaml) is not complete or names unknown codes."""


# --- The mapping -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentMapping:
    """Where one instrument's answers are in the REDCap project.

    ``fields`` maps a REDCap field (variable name) to the item it answers; ``date_field`` is the
    field holding the date the instrument was completed, if any; ``respondent`` overrides the
    mapping's default respondent for this instrument.
    """

    fields: Mapping[str, str]
    date_field: str | None = None
    respondent: str | None = None

    def __post_init__(self) -> None:
        fields = {_field_name(f): str(item).strip() for f, item in self.fields.items()}
        object.__setattr__(self, "fields", MappingProxyType(fields))
        if self.date_field is not None:
            object.__setattr__(self, "date_field", _field_name(self.date_field))
        if self.respondent is not None:
            object.__setattr__(self, "respondent", _respondent(self.respondent))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], code: str) -> InstrumentMapping:
        """From ``{fields: {field: item}}`` or ``{prefix: p, items: n}`` (fields p1 … pn giving
        items "1" … "n"), each with optional ``date_field`` and ``respondent``. ``code`` names
        the instrument in messages."""
        _refuse_unknown_keys(data, {"fields", "prefix", "items", "date_field", "respondent"})
        if "fields" in data and ("prefix" in data or "items" in data):
            raise RedcapMappingError(f"REDCap mapping: give {code} fields or prefix, not both")
        if "fields" in data:
            fields = _mapping(data["fields"], f"{code} fields")
        elif "prefix" in data and "items" in data:
            fields = _numbered_fields(data["prefix"], data["items"])
        else:
            raise RedcapMappingError(f"REDCap mapping: {code} needs fields, or prefix and items")
        return cls(
            fields=fields,
            date_field=_optional_text(data.get("date_field"), "date_field"),
            respondent=_optional_text(data.get("respondent"), "respondent"),
        )


@dataclass(frozen=True)
class RedcapMapping:
    """How a REDCap project's records become ``measure_responses`` rows.

    ``source`` is the people source the record ids belong to (for example ``service:fbs``);
    ``person_field`` the field holding the record id (by default the records' first column).
    ``events`` maps each REDCap unique event name to a timepoint; ``timepoint`` is the timepoint
    of every row of a project without events (ignored when the records have events).
    ``respondent`` is who answered, unless an instrument says otherwise. ``instruments`` maps an
    instrument code (``daeval.model.codes.INSTRUMENT``) to where its answers are.
    """

    source: str
    instruments: Mapping[str, InstrumentMapping]
    events: Mapping[str, str] = field(default_factory=dict)
    timepoint: str | None = None
    person_field: str | None = None
    respondent: str = "self"

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise RedcapMappingError("REDCap mapping: source is empty")
        object.__setattr__(self, "source", self.source.strip())
        instruments = _by_instrument(self.instruments, "instruments")
        if not instruments:
            raise RedcapMappingError("REDCap mapping: no instruments")
        for code, spec in instruments.items():
            _check_items(code, spec)
        _refuse_fields_mapped_twice(instruments)
        object.__setattr__(self, "instruments", MappingProxyType(instruments))
        events = {name.strip().lower(): _timepoint(t) for name, t in self.events.items()}
        object.__setattr__(self, "events", MappingProxyType(events))
        if self.timepoint is not None:
            object.__setattr__(self, "timepoint", _timepoint(self.timepoint))
        if self.person_field is not None:
            object.__setattr__(self, "person_field", _field_name(self.person_field))
        object.__setattr__(self, "respondent", _respondent(self.respondent))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RedcapMapping:
        """From the plain form written in study.yaml:

        ``source``, ``instruments`` (code → ``InstrumentMapping.from_dict`` form), and optional
        ``person_field``, ``events``, ``timepoint``, ``respondent`` and ``date_fields``
        (instrument code → date field, the same as each instrument's ``date_field``).
        """
        known = {"source", "instruments", "person_field", "events", "timepoint", "respondent"}
        _refuse_unknown_keys(data, known | {"date_fields"})
        if "source" not in data or "instruments" not in data:
            raise RedcapMappingError("REDCap mapping: source and instruments are required")
        instruments = {
            code: InstrumentMapping.from_dict(_mapping(spec, code), code)
            for code, spec in _by_instrument(
                _mapping(data["instruments"], "instruments"), "instruments"
            ).items()
        }
        date_fields = {
            code: _text(name, "date_fields")
            for code, name in _by_instrument(
                _mapping(data.get("date_fields", {}), "date_fields"), "date_fields"
            ).items()
        }
        return cls(
            source=_text(data["source"], "source"),
            instruments=_with_date_fields(instruments, date_fields),
            events={
                str(k): _text(v, "events")
                for k, v in _mapping(data.get("events", {}), "events").items()
            },
            timepoint=_optional_text(data.get("timepoint"), "timepoint"),
            person_field=_optional_text(data.get("person_field"), "person_field"),
            respondent=_text(data.get("respondent", "self"), "respondent"),
        )

    def respondent_for(self, instrument: str) -> str:
        """Who answered ``instrument``: its own respondent, or the mapping's default."""
        return self.instruments[instrument].respondent or self.respondent

    def answer_fields(self) -> list[str]:
        """Every field mapped to an item, in mapping order."""
        return [f for spec in self.instruments.values() for f in spec.fields]

    def date_fields(self) -> list[str]:
        """Every field mapped as an instrument's date, in mapping order, each once."""
        found = [spec.date_field for spec in self.instruments.values() if spec.date_field]
        return list(dict.fromkeys(found))


def _refuse_unknown_keys(data: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise RedcapMappingError(
            f"REDCap mapping: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )


def _mapping(value: Any, what: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise RedcapMappingError(f"REDCap mapping: {what} must be a mapping of names to values")
    return value


def _text(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RedcapMappingError(f"REDCap mapping: {what} must be text, not {value!r}")
    return str(value)


def _optional_text(value: Any, what: str) -> str | None:
    return None if value is None else _text(value, what)


def _numbered_fields(prefix: Any, items: Any) -> dict[str, str]:
    """Fields ``<prefix>1`` … ``<prefix><items>``, giving items "1" … "<items>"."""
    if isinstance(items, bool) or not isinstance(items, int) or items < 1:
        raise RedcapMappingError(
            f"REDCap mapping: items must be a whole number above 0, not {items!r}"
        )
    start = _text(prefix, "prefix")
    return {f"{start}{n}": str(n) for n in range(1, items + 1)}


def _with_date_fields(
    instruments: dict[str, InstrumentMapping], date_fields: dict[str, str]
) -> dict[str, InstrumentMapping]:
    """``instruments`` with the top-level ``date_fields`` given to each instrument they name."""
    for code, name in date_fields.items():
        if code not in instruments:
            raise RedcapMappingError(f"REDCap mapping: date_fields names {code}, not an instrument")
        spec = instruments[code]
        if spec.date_field is not None and spec.date_field != _field_name(name):
            raise RedcapMappingError(f"REDCap mapping: {code} is given two date fields")
        instruments[code] = InstrumentMapping(spec.fields, name, spec.respondent)
    return instruments


def _by_instrument(values: Mapping[Any, Any], what: str) -> dict[str, Any]:
    """``values`` keyed by canonical instrument code, refusing a code given twice."""
    out: dict[str, Any] = {}
    for code, value in values.items():
        canonical = _instrument(str(code))
        if canonical in out:
            raise RedcapMappingError(f"REDCap mapping: {canonical} is given twice in {what}")
        out[canonical] = value
    return out


def _field_name(name: str) -> str:
    """A REDCap variable name as it heads a records column (REDCap's are lower case)."""
    cleaned = str(name).strip().lower()
    if not cleaned:
        raise RedcapMappingError("REDCap mapping: a field name is empty")
    return cleaned


def _code(codes: CodeList, value: str, what: str) -> str:
    canonical = codes.canonical(value)
    if canonical is None:
        raise RedcapMappingError(
            f"REDCap mapping: {value!r} is not {what} (known: {', '.join(codes)})"
        )
    return canonical


def _instrument(code: str) -> str:
    return _code(INSTRUMENT, code, "an instrument code")


def _respondent(value: str) -> str:
    return _code(RESPONDENT, value, "a respondent")


def _timepoint(value: str) -> str:
    cleaned = value.strip().lower()
    if not re.match(TIMEPOINT_PATTERN, cleaned):
        raise RedcapMappingError(
            f"REDCap mapping: {value!r} is not a timepoint (baseline, mid, end or followup_<months>)"
        )
    return cleaned


def _check_items(code: str, spec: InstrumentMapping) -> None:
    """Refuse an instrument with no fields, an empty item, or an item given by two fields."""
    items = list(spec.fields.values())
    if not items:
        raise RedcapMappingError(f"REDCap mapping: {code} has no fields")
    if "" in items:
        raise RedcapMappingError(f"REDCap mapping: a field of {code} has an empty item")
    repeated = sorted({i for i in items if items.count(i) > 1})
    if repeated:
        raise RedcapMappingError(f"REDCap mapping: item {repeated[0]} of {code} has two fields")


def _refuse_fields_mapped_twice(instruments: Mapping[str, InstrumentMapping]) -> None:
    seen: dict[str, str] = {}
    for code, spec in instruments.items():
        for name in spec.fields:
            if name in seen:
                raise RedcapMappingError(
                    f"REDCap mapping: field {name} is mapped in both {seen[name]} and {code}"
                )
            seen[name] = code


# --- The data dictionary -----------------------------------------------------------------------
