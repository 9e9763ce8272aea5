"""The instrument library: every definition loads and holds together; licences are respected; a
bad definition or setting is refused with the file and key named."""

from __future__ import annotations

import pytest
import yaml

from daeval.instruments.definition import LicenceStatus, MissingMethod, Rule
from daeval.instruments.library import (
    InstrumentDefinitionError,
    builtin_library,
    definitions_folder,
    raw_definition,
    read_definition,
)
from daeval.instruments.settings import read_settings_file, settings_from
from daeval.model.codes import INSTRUMENT

LIBRARY = builtin_library()
REQUIRED = ["PHQ9", "GAD7", "CORE10", "CRIES8", "CRIES13", "IESR", "SCORE15", "WEMWBS", "SWEMWBS",
            "MORSSF", "TFA", "AIM", "IAM", "FIM", "DASH", "SDQ", "ASQ3", "ASQSE2"]  # fmt: skip


def test_the_library_has_every_instrument_of_the_registry():
    assert sorted(LIBRARY) == sorted(REQUIRED) == sorted(INSTRUMENT.codes)


def test_item_wording_ships_only_for_phq9_and_gad7():
    with_wording = {c for c, i in LIBRARY.items() if i.items is not None and i.items.wording}
    assert with_wording == {"PHQ9", "GAD7"}
    for code in ("PHQ9", "GAD7"):
        instrument = LIBRARY[code]
        assert instrument.licence.status is LicenceStatus.PUBLIC_DOMAIN
        assert instrument.items is not None
        assert set(instrument.items.wording) == set(range(1, instrument.items.count + 1))
    # Elsewhere not even the answers' labels (they are part of the licensed wording).
    for code, instrument in LIBRARY.items():
        if code not in ("PHQ9", "GAD7") and instrument.responses is not None:
            assert set(instrument.responses.values.values()) == {None}, code


def test_licensed_instruments_are_score_only_with_no_cut_offs_shipped():
    for code in ("SDQ", "ASQ3", "ASQSE2"):
        instrument = LIBRARY[code]
        assert instrument.licence.status is LicenceStatus.PROPRIETARY
        assert instrument.score_only is not None
        assert instrument.items is None and instrument.cutoff is None and instrument.bands is None


def test_every_figure_is_cited_or_a_recorded_choice():
    # The schema refuses an uncited figure; here, every cited key resolves and every choice says why.
    for code, instrument in LIBRARY.items():
        for where, key in instrument._citations():
            assert key in instrument.sources, (code, where)
        for choice in instrument.choices:
            assert choice.decision.strip() and choice.reason.strip(), code


def test_published_facts_as_defined():
    phq9, core10, swemwbs, dash = (LIBRARY[c] for c in ("PHQ9", "CORE10", "SWEMWBS", "DASH"))
    assert (
        phq9.scoring and phq9.scoring.rule is Rule.SUM and phq9.cutoff and phq9.cutoff.value == 10
    )
    assert core10.reverse == (2, 3) and core10.scoring and core10.scoring.multiplier == 10
    assert core10.missing and core10.missing.max_missing == 1
    assert swemwbs.scoring and swemwbs.scoring.rule is Rule.CONVERSION
    assert dash.missing and dash.missing.method is MissingMethod.COUNT_AS_NO
    assert dash.cutoff and dash.cutoff.value == 14 and "professional_judgement" in dash.recorded


def _bad(tmp_path, change: dict, drop: tuple[str, ...] = ()):
    data = raw_definition("GAD7") | change
    for key in drop:
        data.pop(key)
    path = tmp_path / "GAD7.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError) as caught:
        read_definition(path)
    return str(caught.value)


def test_a_bad_definition_is_refused_naming_the_file_and_key(tmp_path):
    message = _bad(tmp_path, {"cutoff": {"value": 10, "meaning": "x"}})
    assert message.startswith("GAD7.yaml: cutoff") and "source" in message
    message = _bad(tmp_path, {"cutoff": {"value": 10, "meaning": "x", "source": "nowhere"}})
    assert "cutoff: source 'nowhere' is not a key of sources" in message
    message = _bad(tmp_path, {"scoring": {"rule": "median", "source": "spitzer2006"}})
    assert "GAD7.yaml: scoring.rule" in message
    message = _bad(tmp_path, {"reverse": [8]}, drop=())
    assert "reverse names items the instrument does not have" in message
    licence = dict(raw_definition("CORE10")["licence"])
    message = _bad(
        tmp_path, {"licence": licence | {"source": "spitzer2006", "item_wording": False}}
    )
    assert "licence does not allow" in message  # GAD-7 wording with a licence that forbids it


def test_every_shipped_file_is_named_for_its_code():
    names = sorted(p.stem for p in definitions_folder().glob("*.yaml"))
    assert names == sorted(REQUIRED)


def test_settings_override_a_choice_and_are_checked_like_a_definition(tmp_path):
    settings = settings_from(
        {"PHQ9": {"missing": {"max_missing": 2, "choice": "the protocol allows two"}}},
        "study.yaml instruments",
    )
    missing = settings.library["PHQ9"].missing
    assert missing is not None and missing.max_missing == 2
    assert missing.method is MissingMethod.PRORATE  # merged key by key
    assert builtin_library()["PHQ9"].missing.max_missing == 1  # type: ignore[union-attr]

    with pytest.raises(InstrumentDefinitionError, match=r"study.yaml instruments.PHQ9: cutoff"):
        settings_from(
            {"PHQ9": {"cutoff": {"value": 9, "meaning": "x", "source": None}}},
            "study.yaml instruments",
        )
    with pytest.raises(InstrumentDefinitionError, match="not an instrument of the library"):
        settings_from({"PHQ10": {}}, "study.yaml instruments")
    with pytest.raises(
        InstrumentDefinitionError, match="change_rule: 'iapt' is not a rule for PHQ9"
    ):
        settings_from({"PHQ9": {"change_rule": "iapt"}}, "study.yaml instruments")
    with pytest.raises(InstrumentDefinitionError, match="clinical_criterion"):
        settings_from({"CORE10": {"clinical_criterion": "d"}}, "study.yaml instruments")

    sdq = tmp_path / "settings.yaml"
    sdq.write_text(
        "instruments:\n  SDQ:\n    cutoff: {value: 17, meaning: abnormal, choice: licensed guide}\n",
        encoding="utf-8",
    )
    cutoff = read_settings_file(sdq).library["SDQ"].cutoff
    assert cutoff is not None and cutoff.value == 17


def test_the_library_page_is_current():
    from pathlib import Path

    from daeval.instruments.page import render

    page = Path(__file__).resolve().parents[2] / "docs" / "instruments.md"
    assert page.read_text(encoding="utf-8") == render(), "run `make docs` to regenerate it"
    for code in REQUIRED:
        assert f"\n## {code}: " in render()


def test_forms_show_item_numbers_unless_the_wording_may_ship_or_a_licensed_user_adds_it():
    assert LIBRARY["PHQ9"].item_labels()[1] == "Little interest or pleasure in doing things"
    assert LIBRARY["CORE10"].item_labels() == {n: f"Item {n}" for n in range(1, 11)}
    # A licensed user adds wording locally; the study's settings say on what licence.
    local = settings_from(
        {"CORE10": {"licence": {"item_wording": True, "choice": "our service holds a licence"},
                    "items": {"wording": {1: "(wording from the licensed form)"}}}},
        "study.yaml instruments",
    ).library["CORE10"]  # fmt: skip
    assert local.item_labels()[1] == "(wording from the licensed form)"
    assert local.item_labels()[2] == "Item 2"
    with pytest.raises(InstrumentDefinitionError, match="licence does not allow"):
        settings_from({"CORE10": {"items": {"wording": {1: "x"}}}}, "study.yaml instruments")
