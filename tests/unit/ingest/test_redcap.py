"""The REDCap reader, on a small hand-made project: a data dictionary and a raw records export.

The project has two instruments (PHQ9 given by field, GAD7 by prefix), two mapped events and an
unmapped one, a repeating GAD7, a missing answer, an answer outside its field's choices, and
both files start with a byte-order mark, as REDCap writes them.
"""

from pathlib import Path

import pyarrow as pa
import pytest

from daeval.errors import UnusableFileError
from daeval.ingest.redcap import (
    InstrumentMapping,
    RedcapMapping,
    RedcapMappingError,
    read_dictionary,
    read_redcap,
)

BOM = "\ufeff"

DICTIONARY = """\
"Variable / Field Name","Form Name","Section Header","Field Type","Field Label","Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max",Identifier?,"Branching Logic (Show field only if...)","Required Field?","Custom Alignment","Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"
record_id,enrolment,,text,"Record ID",,,,,,,,,,,,,
phq_date,phq9,,text,"Date completed",,,date_ymd,,,,,,,,,,
phq9_1,phq9,"Over the last 2 weeks, how often have you been bothered by:",radio,"Little interest or pleasure in doing things","0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day",,,,,,,,,,phq,,
phq9_2,phq9,,radio,"Feeling down, depressed, or hopeless","0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day",,,,,,,,,,phq,,
gad_date,gad7,,text,"Date and time completed",,,datetime_ymd,,,,,,,,,,
gad7_1,gad7,,dropdown,"Feeling nervous, anxious or on edge","0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day",,,,,,,,,,,,
gad7_2,gad7,,dropdown,"Not being able to stop or control worrying","0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day",,,,,,,,,,,,
gad7_help,gad7,,yesno,"Would you like help?",,,,,,,,,,,,,
phq9_9,phq9,,radio,"Thoughts that you would be better off dead","0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day",,,,,,,,,,phq,,
"""

RECORDS = """\
record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,phq_date,phq9_1,phq9_2,phq9_complete,gad_date,gad7_1,gad7_2,gad7_help,gad7_complete
101,baseline_arm_1,,,2024-01-10,2,,2,2024-01-11 09:30,1,3,1,2
101,end_arm_1,,,2024-04-02,1,0,2,,,,,0
101,end_arm_1,gad7,2,,,,,2024-04-20 10:00,0,7,,2
102,screening_arm_1,,,2024-01-05,3,3,2,,,,,0
102,baseline_arm_1,,,,,,0,,,,,0
"""

MAPPING = {
    "source": "service:fbs",
    "person_field": "record_id",
    "events": {"baseline_arm_1": "baseline", "end_arm_1": "end"},
    "respondent": "self",
    "date_fields": {"PHQ9": "phq_date"},
    "instruments": {
        "phq9": {"fields": {"phq9_1": 1, "phq9_2": "2"}},
        "GAD7": {"prefix": "gad7_", "items": 2, "date_field": "gad_date", "respondent": "parent"},
    },
}


def _row(
    response_id,
    instrument,
    timepoint,
    date,
    respondent,
    item,
    value,
    line,
    problem=None,
    person="101",
):
    return {
        "response_id": response_id,
        "source": "service:fbs",
        "person_id": person,
        "instrument": instrument,
        "timepoint": timepoint,
        "administered_date": date,
        "respondent": respondent,
        "item": item,
        "value": value,
        "_line": line,
        "_problem": problem,
    }


EXPECTED = [
    _row("101/baseline_arm_1/PHQ9/1", "PHQ9", "baseline", "2024-01-10", "self", "1", "2", 1),
    _row("101/baseline_arm_1/GAD7/1", "GAD7", "baseline", "2024-01-11", "parent", "1", "1", 1),
    _row("101/baseline_arm_1/GAD7/2", "GAD7", "baseline", "2024-01-11", "parent", "2", "3", 1),
    _row("101/end_arm_1/PHQ9/1", "PHQ9", "end", "2024-04-02", "self", "1", "1", 2),
    _row("101/end_arm_1/PHQ9/2", "PHQ9", "end", "2024-04-02", "self", "2", "0", 2),
    _row("101/end_arm_1/GAD7/2/1", "GAD7", "end", "2024-04-20", "parent", "1", "0", 3),
    _row(
        "101/end_arm_1/GAD7/2/2",
        "GAD7",
        "end",
        "2024-04-20",
        "parent",
        "2",
        "7",
        3,
        "the value of gad7_2 is not one of its choices (0, 1, 2, 3)",
    ),
    _row(
        "102/screening_arm_1/PHQ9/1",
        "PHQ9",
        None,
        "2024-01-05",
        "self",
        "1",
        "3",
        4,
        "the row's event is not mapped to a timepoint",
        person="102",
    ),
    _row(
        "102/screening_arm_1/PHQ9/2",
        "PHQ9",
        None,
        "2024-01-05",
        "self",
        "2",
        "3",
        4,
        "the row's event is not mapped to a timepoint",
        person="102",
    ),
]


def _write(path: Path, text: str, bom: bool = True) -> Path:
    path.write_bytes(((BOM if bom else "") + text).encode("utf-8"))
    return path


@pytest.fixture
def project(tmp_path):
    records = _write(tmp_path / "records.csv", RECORDS)
    dictionary = _write(tmp_path / "dictionary.csv", DICTIONARY)
    return records, dictionary


def test_every_answered_item_becomes_one_row(project):
    records, dictionary = project
    staged = read_redcap(records, dictionary, RedcapMapping.from_dict(MAPPING))
    assert staged.table == "measure_responses"
    assert staged.origin == "records.csv"
    assert staged.locator == "row"
    assert staged.data.to_pylist() == EXPECTED


def test_the_columns_are_the_tables_as_text_with_line_and_problem(project):
    staged = read_redcap(*project, RedcapMapping.from_dict(MAPPING))
    assert staged.data.column_names == [
        "response_id",
        "source",
        "person_id",
        "instrument",
        "timepoint",
        "administered_date",
        "respondent",
        "item",
        "value",
        "_line",
        "_problem",
    ]
    assert staged.data.schema.field("_line").type == pa.int64()
    assert staged.data.schema.field("value").type == pa.string()


def test_the_mapping_built_directly_reads_the_same(project):
    mapping = RedcapMapping(
        source="service:fbs",
        person_field="record_id",
        events={"baseline_arm_1": "baseline", "end_arm_1": "end"},
        instruments={
            "PHQ9": InstrumentMapping({"phq9_1": "1", "phq9_2": "2"}, date_field="phq_date"),
            "GAD7": InstrumentMapping(
                {"gad7_1": "1", "gad7_2": "2"}, date_field="gad_date", respondent="parent"
            ),
        },
    )
    assert mapping == RedcapMapping.from_dict(MAPPING)
    assert read_redcap(*project, mapping).data.to_pylist() == EXPECTED


def test_files_without_a_byte_order_mark_read_the_same(tmp_path):
    records = _write(tmp_path / "records.csv", RECORDS, bom=False)
    dictionary = _write(tmp_path / "dictionary.csv", DICTIONARY, bom=False)
    staged = read_redcap(records, dictionary, RedcapMapping.from_dict(MAPPING))
    assert staged.data.to_pylist() == EXPECTED


def test_the_mapping_from_a_dict_is_normalised():
    mapping = RedcapMapping.from_dict(MAPPING)
    assert list(mapping.instruments) == ["PHQ9", "GAD7"]
    assert dict(mapping.instruments["PHQ9"].fields) == {"phq9_1": "1", "phq9_2": "2"}
    assert dict(mapping.instruments["GAD7"].fields) == {"gad7_1": "1", "gad7_2": "2"}
    assert mapping.instruments["PHQ9"].date_field == "phq_date"
    assert mapping.respondent_for("PHQ9") == "self"
    assert mapping.respondent_for("GAD7") == "parent"
    assert mapping.answer_fields() == ["phq9_1", "phq9_2", "gad7_1", "gad7_2"]
    assert mapping.date_fields() == ["phq_date", "gad_date"]


def test_a_project_without_events_uses_the_mappings_timepoint(tmp_path):
    records = _write(
        tmp_path / "records.csv",
        "record_id,phq_date,phq9_1,phq9_2,phq9_complete\na/1,2024-02-01,0,,2\n\na/2,,1,9,1\n",
    )
    dictionary = _write(tmp_path / "dictionary.csv", DICTIONARY)
    mapping = RedcapMapping.from_dict(
        {
            "source": "service:fbs",
            "timepoint": "followup_6",
            "instruments": {"PHQ9": {"prefix": "phq9_", "items": 2}},
            "date_fields": {"PHQ9": "phq_date"},
        }
    )
    rows = read_redcap(records, dictionary, mapping).data.to_pylist()
    assert [(r["response_id"], r["person_id"], r["timepoint"], r["_line"]) for r in rows] == [
        ("a%2F1/PHQ9/1", "a/1", "followup_6", 1),
        ("a%2F2/PHQ9/1", "a/2", "followup_6", 3),
        ("a%2F2/PHQ9/2", "a/2", "followup_6", 3),
    ]
    assert [r["administered_date"] for r in rows] == ["2024-02-01", None, None]
    assert [r["_problem"] for r in rows] == [
        None,
        None,
        "the value of phq9_2 is not one of its choices (0, 1, 2, 3)",
    ]


def test_a_project_without_events_needs_a_timepoint(tmp_path):
    records = _write(tmp_path / "records.csv", "record_id,phq9_1,phq9_2\n1,0,0\n")
    dictionary = _write(tmp_path / "dictionary.csv", DICTIONARY)
    mapping = RedcapMapping.from_dict(
        {"source": "s", "instruments": {"PHQ9": {"prefix": "phq9_", "items": 2}}}
    )
    with pytest.raises(
        UnusableFileError, match="records.csv: the records have no redcap_event_name"
    ):
        read_redcap(records, dictionary, mapping)


def test_a_row_with_the_wrong_number_of_cells_is_reported(tmp_path):
    records = _write(tmp_path / "records.csv", "record_id,phq9_1,phq9_2\n1,0,1,extra\n")
    dictionary = _write(tmp_path / "dictionary.csv", DICTIONARY)
    mapping = RedcapMapping.from_dict(
        {
            "source": "s",
            "timepoint": "mid",
            "instruments": {"PHQ9": {"prefix": "phq9_", "items": 2}},
        }
    )
    rows = read_redcap(records, dictionary, mapping).data.to_pylist()
    assert [r["_problem"] for r in rows] == ["the row has 4 cells, the header 3"] * 2


def test_mapped_fields_missing_from_the_dictionary_or_records_are_refused(project):
    mapping = dict(MAPPING)
    # phq9_9 is defined but was not exported; phq9_complete is REDCap's form status column,
    # exported but not a field of the dictionary.
    mapping["instruments"] = {
        "PHQ9": {"fields": {"phq9_1": "1", "phq9_3": "3", "phq9_9": "9", "phq9_complete": "c"}},
        "GAD7": {"prefix": "gad7_", "items": 3},
    }
    with pytest.raises(UnusableFileError) as refused:
        read_redcap(*project, RedcapMapping.from_dict(mapping))
    assert str(refused.value) == (
        "records.csv: the REDCap mapping names fields that are not in the data dictionary "
        "dictionary.csv: phq9_3, phq9_complete, gad7_3; not in the records header of "
        "records.csv: phq9_3, phq9_9, gad7_3 (export the records as CSV raw data)"
    )


def test_a_person_field_missing_from_the_records_is_refused(project):
    mapping = RedcapMapping.from_dict({**MAPPING, "person_field": "study_id"})
    with pytest.raises(
        UnusableFileError, match="not in the records header of records.csv: study_id"
    ):
        read_redcap(*project, mapping)


def test_a_file_that_is_not_a_dictionary_is_refused(project, tmp_path):
    records, _ = project
    not_dictionary = _write(tmp_path / "other.csv", "name,type\nx,y\n")
    with pytest.raises(
        UnusableFileError,
        match="other.csv: is not a REDCap data dictionary \\(no 'variable / field name' column\\)",
    ):
        read_redcap(records, not_dictionary, RedcapMapping.from_dict(MAPPING))


def test_records_that_are_not_utf8_are_refused(project, tmp_path):
    _, dictionary = project
    records = tmp_path / "records.csv"
    records.write_bytes("record_id,phq9_1\nJosé,1\n".encode("latin-1"))
    with pytest.raises(UnusableFileError, match="records.csv: is not UTF-8 text"):
        read_redcap(records, dictionary, RedcapMapping.from_dict(MAPPING))


def test_an_empty_records_file_is_refused(project, tmp_path):
    _, dictionary = project
    records = _write(tmp_path / "records.csv", "")
    with pytest.raises(UnusableFileError, match="records.csv: is empty"):
        read_redcap(records, dictionary, RedcapMapping.from_dict(MAPPING))


def test_the_dictionary_gives_choices_for_coded_fields_only(project):
    _, dictionary = project
    fields = read_dictionary(dictionary)
    assert fields["phq9_1"].choices == frozenset({"0", "1", "2", "3"})
    assert fields["gad7_2"].choices == frozenset({"0", "1", "2", "3"})
    assert fields["gad7_help"].choices == frozenset({"0", "1"})
    assert fields["phq_date"].choices is None
    assert fields["gad_date"].validation == "datetime_ymd"


def test_the_dictionary_as_the_api_exports_it_is_read(tmp_path):
    dictionary = _write(
        tmp_path / "metadata.csv",
        "field_name,form_name,field_type,select_choices_or_calculations\n"
        'q1,f,radio,"1, Yes, often | 2, No | 99, Not known"\n',
        bom=False,
    )
    assert read_dictionary(dictionary)["q1"].choices == frozenset({"1", "2", "99"})


@pytest.mark.parametrize(
    "change, message",
    [
        ({"instruments": {"PHQ-9": {"prefix": "p", "items": 2}}}, "'PHQ-9' is not an instrument"),
        ({"events": {"baseline_arm_1": "start"}}, "'start' is not a timepoint"),
        ({"timepoint": "followup"}, "'followup' is not a timepoint"),
        ({"respondent": "carer"}, "'carer' is not a respondent"),
        ({"colour": "blue"}, "unknown key\\(s\\) colour"),
        ({"date_fields": {"CORE10": "d"}}, "date_fields names CORE10, not an instrument"),
        ({"source": " "}, "source is empty"),
        (
            {"instruments": {"PHQ9": {"fields": {"a": "1"}}, "phq9": {"fields": {"b": "1"}}}},
            "PHQ9 is given twice in instruments",
        ),
        ({"instruments": {}, "date_fields": {}}, "no instruments"),
        (
            {"instruments": {"PHQ9": {"fields": {"a": "1"}, "prefix": "p"}}},
            "give PHQ9 fields or prefix, not both",
        ),
        ({"instruments": {"PHQ9": {"prefix": "p"}}}, "PHQ9 needs fields, or prefix and items"),
        ({"instruments": {"PHQ9": {"prefix": "p", "items": 0}}}, "items must be a whole number"),
        ({"instruments": {"PHQ9": {"fields": {}}}}, "PHQ9 has no fields"),
        (
            {"instruments": {"PHQ9": {"fields": {"a": "1", "b": 1}}}},
            "item 1 of PHQ9 has two fields",
        ),
        (
            {"instruments": {"PHQ9": {"fields": {"a": "1"}}, "GAD7": {"fields": {"A": "1"}}}},
            "field a is mapped in both PHQ9 and GAD7",
        ),
        (
            {"instruments": {"PHQ9": {"fields": {"a": "1"}, "date_field": "d"}}},
            "PHQ9 is given two date fields",
        ),
        ({"instruments": {"PHQ9": {"fields": {"a": "1"}, "respondent": "x"}}}, "'x' is not a"),
    ],
)
def test_a_bad_mapping_is_refused(change, message):
    with pytest.raises(RedcapMappingError, match=message):
        RedcapMapping.from_dict({**MAPPING, **change})


def test_a_mapping_needs_a_source_and_instruments():
    with pytest.raises(RedcapMappingError, match="source and instruments are required"):
        RedcapMapping.from_dict({"source": "service:fbs"})


def test_a_quote_that_swallows_the_rows_after_it_is_refused(tmp_path):
    records = _write(
        tmp_path / "records.csv",
        'record_id,phq9_1,phq9_2\n1,"0,1\n2,1,1\n3,0,0\n',
    )
    dictionary = _write(tmp_path / "dictionary.csv", DICTIONARY)
    mapping = RedcapMapping.from_dict(
        {
            "source": "s",
            "timepoint": "mid",
            "instruments": {"PHQ9": {"prefix": "phq9_", "items": 2}},
        }
    )
    with pytest.raises(UnusableFileError, match=r"^records.csv: row 1 opens a quoted value"):
        read_redcap(records, dictionary, mapping)
