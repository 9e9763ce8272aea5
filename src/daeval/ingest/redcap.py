"""Reading questionnaire answers from a REDCap project's export as ``measure_responses`` rows.

A REDCap project gives two CSV files:

- the records export, "CSV (raw data)": one row per record per event (and per repeat instance),
  with the record id first, then ``redcap_event_name`` in a longitudinal project,
  ``redcap_repeat_instrument`` and ``redcap_repeat_instance`` when something repeats, then one
  column per field, named by the field's variable name and holding its raw (coded) value;
- the data dictionary: one row per field, with its form, type and, for a radio or dropdown
  field, its choices as ``0, Not at all | 1, Several days | ...``.

A ``RedcapMapping`` (from the workspace's study.yaml) says which fields hold which item of
which instrument, which event is which timepoint, and whose records these are. Every answered
item becomes one ``measure_responses`` row; an empty answer gives no row.

A row with a problem that does not spoil the whole file is kept, with the reason in the extra
column ``_problem`` (null for a clean row), for the caller to quarantine: an answer that is not
one of its field's choices, an event not mapped to a timepoint, a records row with more or fewer
cells than the header.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow as pa

from daeval.errors import DaevalError, UnusableFileError
from daeval.ingest.staged import LOCATOR_COLUMN, StagedTable
from daeval.model import TABLES
from daeval.model.codes import INSTRUMENT, RESPONDENT, TIMEPOINT_PATTERN

TABLE = "measure_responses"
PROBLEM_COLUMN = "_problem"
"""Extra staged column: why a row cannot be trusted as read, or null when it can."""

EVENT_COLUMN = "redcap_event_name"
INSTANCE_COLUMN = "redcap_repeat_instance"

CODED_FIELD_TYPES: Mapping[str, tuple[str, ...] | None] = MappingProxyType(
    {"radio": None, "dropdown": None, "yesno": ("0", "1"), "truefalse": ("0", "1")}
)
"""Field types whose raw values are codes: listed in the dictionary (None) or fixed by REDCap."""

# The data dictionary's columns, as downloaded from the Data Dictionary page and as returned by
# the API's metadata export.
DICTIONARY_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "name": ("variable / field name", "field_name"),
        "type": ("field type", "field_type"),
        "choices": ("choices, calculations, or slider labels", "select_choices_or_calculations"),
        "validation": (
            "text validation type or show slider number",
            "text_validation_type_or_show_slider_number",
        ),
    }
)
REQUIRED_DICTIONARY_COLUMNS = ("name", "type", "choices")


class RedcapMappingError(DaevalError):
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


def _instrument(code: str) -> str:
    canonical = INSTRUMENT.canonical(code)
    if canonical is None:
        raise RedcapMappingError(
            f"REDCap mapping: {code!r} is not an instrument code (known: {', '.join(INSTRUMENT)})"
        )
    return canonical


def _respondent(value: str) -> str:
    canonical = RESPONDENT.canonical(value)
    if canonical is None:
        raise RedcapMappingError(
            f"REDCap mapping: {value!r} is not a respondent (known: {', '.join(RESPONDENT)})"
        )
    return canonical


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


@dataclass(frozen=True)
class DictionaryField:
    """One field of the data dictionary: its type, the codes it may hold, its validation."""

    name: str
    field_type: str
    choices: frozenset[str] | None  # None: any value (not a coded field)
    validation: str


def read_dictionary(path: Path) -> dict[str, DictionaryField]:
    """The fields of a REDCap data dictionary CSV, by variable name."""
    header, rows = _read_csv(path)
    where = _dictionary_columns(path, header)
    fields: dict[str, DictionaryField] = {}
    for cells in rows:
        values = {key: _cell(cells, index) for key, index in where.items()}
        name = values["name"].lower()
        if name:
            field_type = values["type"].lower()
            fields[name] = DictionaryField(
                name, field_type, _choice_codes(field_type, values["choices"]), values["validation"]
            )
    return fields


def _dictionary_columns(path: Path, header: list[str]) -> dict[str, int]:
    """The position of each dictionary column used here (-1 for an absent optional one)."""
    where: dict[str, int] = {}
    for key, spellings in DICTIONARY_COLUMNS.items():
        index = next((header.index(s) for s in spellings if s in header), -1)
        if index < 0 and key in REQUIRED_DICTIONARY_COLUMNS:
            raise UnusableFileError(
                f"{path.name}: is not a REDCap data dictionary (no {spellings[0]!r} column)"
            )
        where[key] = index
    return where


def _choice_codes(field_type: str, choices: str) -> frozenset[str] | None:
    """The codes a field may hold: from ``"0, Not at all | 1, Several days"`` for radio and
    dropdown fields, fixed for yes/no and true/false fields, None for other fields."""
    if field_type not in CODED_FIELD_TYPES:
        return None
    fixed = CODED_FIELD_TYPES[field_type]
    if fixed is not None:
        return frozenset(fixed)
    codes = (choice.partition(",")[0].strip() for choice in choices.split("|"))
    return frozenset(code for code in codes if code)


# --- The records -------------------------------------------------------------------------------


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """A UTF-8 CSV file (with or without a byte-order mark): its header, lower case, and rows."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise UnusableFileError(f"{path.name}: is not UTF-8 text") from None
    except csv.Error as exc:
        raise UnusableFileError(f"{path.name}: cannot be read as CSV ({exc})") from None
    except OSError as exc:
        raise UnusableFileError(f"{path.name}: cannot be opened ({exc.strerror})") from None
    if not rows:
        raise UnusableFileError(f"{path.name}: is empty (no header row)")
    header = [name.strip().lower() for name in rows[0]]
    repeated = sorted({n for n in header if header.count(n) > 1})
    if repeated:
        raise UnusableFileError(f"{path.name}: column {repeated[0]!r} appears more than once")
    return header, rows[1:]


def _cell(cells: list[str], index: int) -> str:
    """The stripped text at ``index`` ('' when the row is short or the column absent)."""
    return cells[index].strip() if 0 <= index < len(cells) else ""


@dataclass(frozen=True)
class _Layout:
    """Where things are in the records: the header, and the positions of the columns used."""

    width: int  # the number of columns in the header
    positions: Mapping[str, int]
    person: int
    event: int  # -1 when the project has no events
    instance: int  # -1 when nothing repeats

    def at(self, name: str) -> int:
        """The position of column ``name`` (which the mapping check has made sure is there)."""
        return self.positions[name]


def read_redcap(records: Path, dictionary: Path, mapping: RedcapMapping) -> StagedTable:
    """The answers in a REDCap records export, as ``measure_responses`` rows.

    ``_line`` is the records row (1 = the first row after the header). ``response_id`` is
    ``<record>/<event>/<instrument>/<item>``, with ``/<repeat instance>`` before the item when
    the row is a repeat, and without the event in a project without events ("/" and "%" in a
    part are written %2F and %25). ``value`` is the raw coded answer as text. Raises
    ``UnusableFileError`` when a file cannot be read, or the mapping names a field the
    dictionary or the records do not have, or the records have no events and the mapping no
    timepoint.
    """
    fields = read_dictionary(dictionary)
    header, rows = _read_csv(records)
    _check_fields(records, dictionary, header, fields, mapping)
    layout = _layout(records, header, mapping)
    out: dict[str, list[Any]] = {name: [] for name in _output_columns()}
    for line, cells in enumerate(rows, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        for response in _row_responses(line, cells, layout, fields, mapping):
            for name, value in response.items():
                out[name].append(value)
    data = pa.table(
        {
            name: pa.array(values, type=pa.int64() if name == LOCATOR_COLUMN else pa.string())
            for name, values in out.items()
        }
    )
    return StagedTable(table=TABLE, origin=records.name, data=data, locator="row")


def _output_columns() -> tuple[str, ...]:
    return (*TABLES[TABLE].column_names, LOCATOR_COLUMN, PROBLEM_COLUMN)


def _check_fields(
    records: Path,
    dictionary: Path,
    header: list[str],
    fields: Mapping[str, DictionaryField],
    mapping: RedcapMapping,
) -> None:
    """Refuse the files when the mapping names fields missing from the dictionary or records."""
    wanted = list(dict.fromkeys([*mapping.answer_fields(), *mapping.date_fields()]))
    not_defined = [f for f in wanted if f not in fields]
    not_exported = [f for f in wanted if f not in header]
    if mapping.person_field is not None and mapping.person_field not in header:
        not_exported.insert(0, mapping.person_field)
    reasons = []
    if not_defined:
        reasons.append(f"not in the data dictionary {dictionary.name}: {', '.join(not_defined)}")
    if not_exported:
        reasons.append(
            f"not in the records header of {records.name}: {', '.join(not_exported)} "
            "(export the records as CSV raw data)"
        )
    if reasons:
        raise UnusableFileError(
            f"{records.name}: the REDCap mapping names fields that are {'; '.join(reasons)}"
        )


def _layout(records: Path, header: list[str], mapping: RedcapMapping) -> _Layout:
    person = header.index(mapping.person_field) if mapping.person_field else 0
    event = header.index(EVENT_COLUMN) if EVENT_COLUMN in header else -1
    if event < 0 and mapping.timepoint is None:
        raise UnusableFileError(
            f"{records.name}: the records have no {EVENT_COLUMN} column, so the REDCap mapping "
            "needs a timepoint"
        )
    instance = header.index(INSTANCE_COLUMN) if INSTANCE_COLUMN in header else -1
    positions = {name: index for index, name in enumerate(header)}
    return _Layout(len(header), positions, person, event, instance)


def _row_responses(
    line: int,
    cells: list[str],
    layout: _Layout,
    fields: Mapping[str, DictionaryField],
    mapping: RedcapMapping,
) -> Iterator[dict[str, Any]]:
    """One output row per answered item of every mapped instrument in a records row."""
    record = _cell(cells, layout.person)
    event = _cell(cells, layout.event) if layout.event >= 0 else None
    instance = _cell(cells, layout.instance)
    timepoint, row_problems = _timepoint_of(event, mapping)
    if len(cells) != layout.width:
        row_problems.append(f"the row has {len(cells)} cells, the header {layout.width}")
    for instrument, spec in mapping.instruments.items():
        date = _date_of(cells, layout, fields, spec.date_field)
        for name, item in spec.fields.items():
            value = _cell(cells, layout.at(name))
            if not value:
                continue
            problems = [*row_problems, *_choice_problem(fields[name], value)]
            yield {
                "response_id": _response_id(record, event, instrument, instance, item),
                "source": mapping.source,
                "person_id": record or None,
                "instrument": instrument,
                "timepoint": timepoint,
                "administered_date": date,
                "respondent": mapping.respondent_for(instrument),
                "item": item,
                "value": value,
                LOCATOR_COLUMN: line,
                PROBLEM_COLUMN: "; ".join(problems) or None,
            }


def _timepoint_of(event: str | None, mapping: RedcapMapping) -> tuple[str | None, list[str]]:
    """The timepoint of a row's event (the mapping's timepoint without events), and any problem."""
    if event is None:
        return mapping.timepoint, []
    if not event:
        return None, ["the row has no event name"]
    timepoint = mapping.events.get(event.lower())
    if timepoint is None:
        return None, [f"event {event} is not mapped to a timepoint"]
    return timepoint, []


def _date_of(
    cells: list[str],
    layout: _Layout,
    fields: Mapping[str, DictionaryField],
    date_field: str | None,
) -> str | None:
    """The administered date from the instrument's date field; the date part of a date-time."""
    if date_field is None:
        return None
    value = _cell(cells, layout.at(date_field))
    if fields[date_field].validation.lower().startswith("datetime"):
        value = value.split(" ")[0]
    return value or None


def _choice_problem(field: DictionaryField, value: str) -> list[str]:
    if field.choices is None or value in field.choices:
        return []
    listed = ", ".join(sorted(field.choices, key=_code_order))
    return [f"value {value} of {field.name} is not one of its choices ({listed})"]


def _code_order(code: str) -> tuple[int, float, str]:
    """Numeric codes first, in numeric order, then the rest alphabetically."""
    try:
        return (0, float(code), "")
    except ValueError:
        return (1, 0.0, code)


def _response_id(record: str, event: str | None, instrument: str, instance: str, item: str) -> str:
    parts = [record, event, instrument, instance or None, item]
    return "/".join(_id_part(p) for p in parts if p is not None)


def _id_part(text: str) -> str:
    return text.replace("%", "%25").replace("/", "%2F")
