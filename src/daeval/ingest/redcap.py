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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow as pa

from daeval.errors import UnusableFileError
from daeval.ingest.redcap_mapping import InstrumentMapping, RedcapMapping, RedcapMappingError
from daeval.ingest.staged import LOCATOR_COLUMN, StagedTable
from daeval.model import TABLES

__all__ = [
    "DictionaryField",
    "InstrumentMapping",
    "RedcapMapping",
    "RedcapMappingError",
    "read_dictionary",
    "read_redcap",
]

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
    except csv.Error:
        # Python's message can quote a value ("field larger than field limit" does not, others
        # may): the line is said instead.
        raise UnusableFileError(
            f"{path.name}: cannot be read as CSV (line {_csv_line(path)} is not CSV that can "
            "be read; an unbalanced quote makes one value of many lines)"
        ) from None
    except OSError as exc:
        raise UnusableFileError(f"{path.name}: cannot be opened ({exc.strerror})") from None
    if not rows:
        raise UnusableFileError(f"{path.name}: is empty (no header row)")
    header = [name.strip().lower() for name in rows[0]]
    repeated = sorted({n for n in header if header.count(n) > 1})
    if repeated:
        raise UnusableFileError(f"{path.name}: column {repeated[0]!r} appears more than once")
    _refuse_runaway_quote(path, len(header), rows)
    return header, rows[1:]


def _refuse_runaway_quote(path: Path, width: int, rows: list[list[str]]) -> None:
    """Refuse a file in which a quoted value runs on over lines that look like rows of their
    own (as many commas as a row has): a quote without its closing quote, after which the csv
    module takes the following rows as part of the value."""
    commas = max(width - 1, 1)
    for number, row in enumerate(rows[1:], start=1):
        for value in row:
            if "\n" in value and any(line.count(",") >= commas for line in value.split("\n")[1:]):
                raise UnusableFileError(
                    f"{path.name}: row {number} opens a quoted value that runs on over lines "
                    'that look like rows of their own: a " without its closing " swallows the '
                    "rows after it; fix the quote and load the file again"
                )


def _csv_line(path: Path) -> int:
    """The line on which Python's csv module gives up on ``path``."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            for _ in reader:
                pass
        except csv.Error:
            pass
        return reader.line_num


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
        return None, ["the row's event is not mapped to a timepoint"]
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
    return [f"the value of {field.name} is not one of its choices ({listed})"]


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
