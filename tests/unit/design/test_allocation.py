"""The concealed store: nothing readable without the key, one log line per allocation, no
re-randomisation, and an auditor's replay that finds an edited or deleted line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.lib.keys import OTHER_KEY, TEST_KEY

from daeval.design.allocation import (
    GENESIS,
    AllocationRefusedError,
    Trial,
    TrialSettings,
    assign,
    open_trial,
    setup_trial,
    sha256_text,
)
from daeval.design.allocation_review import balance, read_log, replayed_arms, verify
from daeval.design.randomisation import Factor, RandomisationSettingsError
from daeval.design.sealing import seal, trial_key
from daeval.errors import DaevalError, KeyProblemError
from daeval.warehouse import Workspace

ARMS = ("intervention", "control")
SEED = 918273645
BLOCKS = TrialSettings(
    "blocks",
    ARMS,
    (1, 1),
    (Factor("site", ("fbs", "sat")), Factor("sex", ("F", "M"))),
    (4, 6, 8),
    capacity=50,
)
MINIMISATION = TrialSettings(
    "minimisation",
    ARMS,
    (1, 1),
    (Factor("site", ("fbs", "sat")), Factor("sex", ("F", "M")), Factor("age", ("young", "old"))),
    p=0.8,
)


def _person(i: int) -> dict[str, str]:
    return {
        "site": "fbs" if i % 3 else "sat",
        "sex": "F" if i % 2 else "M",
        "age": "young" if i % 5 < 3 else "old",
    }


def _blocks_values(i: int) -> dict[str, str]:
    person = _person(i)
    return {"site": person["site"], "sex": person["sex"]}


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws")


def _allocate(ws, settings, n, trial="main"):
    values = _blocks_values if settings.method == "blocks" else _person
    return [
        assign(
            ws,
            TEST_KEY,
            f"P{i:03d}",
            values(i),
            "anna",
            trial=trial,
            time=f"2025-03-{1 + i % 28:02d}T10:00:00+00:00",
        )
        for i in range(n)
    ]


def _workspace_bytes(ws) -> list[bytes]:
    return [p.read_bytes() for p in ws.root.rglob("*") if p.is_file()]


# --- Set-up and concealment -------------------------------------------------------------------


def test_setup_writes_no_arm_and_no_seed_in_clear(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    trial = Trial(ws)
    assert trial.sealed_path.exists() and trial.log_path.read_text() == ""
    contents = _workspace_bytes(ws)
    assert contents
    for content in contents:
        # Strings of 7 characters or more: a short one could turn up in the base64 by chance.
        for secret in (*ARMS, str(SEED), "capacity", "block_sizes", "sequences"):
            assert secret.encode() not in content
    header = json.loads(trial.sealed_path.read_text())
    assert set(header) == {"format", "version", "trial", "cipher", "nonce", "ciphertext"}


def test_the_sealed_file_shows_no_future_arm_after_allocations(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    before = Trial(ws).sealed_path.read_bytes()
    allocated = _allocate(ws, BLOCKS, 5)
    sealed = Trial(ws).sealed_path.read_bytes()
    assert sealed != before  # re-sealed with a fresh nonce
    assert json.loads(sealed)["nonce"] != json.loads(before)["nonce"]
    for arm in ARMS:
        assert arm.encode() not in sealed
    # The log names only the arms already revealed: one per line.
    lines = read_log(Trial(ws).log_path)
    assert [json.loads(line)["arm"] for line in lines] == [a.arm for a in allocated]
    assert sum(line.count("intervention") + line.count("control") for line in lines) == 5


def test_another_key_opens_nothing(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    _allocate(ws, BLOCKS, 2)
    for action in (
        lambda: open_trial(Trial(ws), OTHER_KEY),
        lambda: balance(ws, OTHER_KEY),
        lambda: verify(ws, OTHER_KEY),
        lambda: assign(ws, OTHER_KEY, "P999", _blocks_values(1), "anna"),
    ):
        with pytest.raises(KeyProblemError, match="cannot be opened with this project key"):
            action()
    assert len(read_log(Trial(ws).log_path)) == 2


def test_a_sealed_file_moved_to_another_trial_does_not_open(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    setup_trial(ws, TEST_KEY, BLOCKS, trial="second", seed=SEED)
    Trial(ws, "second").sealed_path.write_bytes(Trial(ws).sealed_path.read_bytes())
    with pytest.raises(DaevalError, match="belongs to trial main, not second"):
        open_trial(Trial(ws, "second"), TEST_KEY)


def test_each_trial_has_its_own_key():
    main, other = trial_key(TEST_KEY, "main"), trial_key(TEST_KEY, "other")
    assert len(main) == 32 and main != other and main not in TEST_KEY
    assert trial_key(TEST_KEY, "main") == main


def test_a_trial_is_set_up_once(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    first = Trial(ws).sealed_path.read_bytes()
    with pytest.raises(AllocationRefusedError, match="already exists"):
        setup_trial(ws, TEST_KEY, MINIMISATION)
    assert Trial(ws).sealed_path.read_bytes() == first


def test_a_seed_is_drawn_when_none_is_given(ws):
    one = setup_trial(ws, TEST_KEY, BLOCKS, trial="one")
    two = setup_trial(ws, TEST_KEY, BLOCKS, trial="two")
    assert one.seed != two.seed and one.seed.bit_length() > 64
    assert one.sequences != two.sequences


def test_settings_are_checked():
    with pytest.raises(RandomisationSettingsError, match="multiple of 2"):
        TrialSettings("blocks", ARMS, (1, 1), (), (4, 5))
    with pytest.raises(RandomisationSettingsError, match="equal proportions"):
        TrialSettings("minimisation", ARMS, (2, 1), (Factor("site", ("a", "b")),))
    with pytest.raises(RandomisationSettingsError, match="between 0.50"):
        TrialSettings("minimisation", ARMS, (1, 1), (Factor("site", ("a", "b")),), p=0.3)
    with pytest.raises(RandomisationSettingsError, match="named twice"):
        TrialSettings("blocks", ("a", "a"), (1, 1), (), (4,))
    with pytest.raises(RandomisationSettingsError, match="3 parts"):
        TrialSettings("blocks", ARMS, (1, 1, 1), (), (4,))
    with pytest.raises(RandomisationSettingsError, match="trial name"):
        Trial(Workspace(Path("ws")), "../elsewhere")


# --- Assignment -------------------------------------------------------------------------------


def test_blocks_follow_each_stratum_sequence(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    allocated = _allocate(ws, BLOCKS, 30)
    sealed = open_trial(Trial(ws), TEST_KEY)
    assert len(sealed.sequences) == 4 and all(len(s) == 50 for s in sealed.sequences)
    for index, label in enumerate(
        ("site=fbs, sex=F", "site=fbs, sex=M", "site=sat, sex=F", "site=sat, sex=M")
    ):
        in_stratum = [a for a in allocated if a.stratum == label]
        assert [a.slot for a in in_stratum] == list(range(1, len(in_stratum) + 1))
        assert [a.arm for a in in_stratum] == [
            ARMS[x] for x in sealed.sequences[index][: len(in_stratum)]
        ]


def test_every_assign_appends_exactly_one_chained_line(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    log = Trial(ws).log_path
    previous = GENESIS
    for i in range(6):
        allocation = assign(ws, TEST_KEY, f"P{i}", _blocks_values(i), "anna")
        lines = read_log(log)
        assert len(lines) == i + 1
        entry = json.loads(lines[-1])
        assert entry["n"] == i + 1 and entry["participant"] == f"P{i}" and entry["by"] == "anna"
        assert entry["values"] == _blocks_values(i) and entry["arm"] == allocation.arm
        assert entry["time"].endswith("+00:00") and entry["slot"] == allocation.slot
        assert entry["prev_sha256"] == previous
        previous = sha256_text(lines[-1])
        assert allocation.line_sha256 == previous


def test_a_participant_is_randomised_once_only(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    first = assign(
        ws, TEST_KEY, "P001", _blocks_values(1), "anna", time="2025-03-04T09:00:00+00:00"
    )
    with pytest.raises(
        AllocationRefusedError, match=f"P001 was randomised on 2025-03-04 to {first.arm}"
    ):
        assign(ws, TEST_KEY, "P001", _blocks_values(2), "ben")
    assert len(read_log(Trial(ws).log_path)) == 1


def test_unknown_levels_and_factors_are_refused_naming_the_allowed_values(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    with pytest.raises(
        AllocationRefusedError, match="site=xyz is not a level of site; allowed: fbs, sat"
    ):
        assign(ws, TEST_KEY, "P1", {"site": "xyz", "sex": "F"}, "anna")
    with pytest.raises(AllocationRefusedError, match="no value for sex"):
        assign(ws, TEST_KEY, "P1", {"site": "fbs"}, "anna")
    with pytest.raises(AllocationRefusedError, match="age is not a factor"):
        assign(ws, TEST_KEY, "P1", {"site": "fbs", "sex": "F", "age": "old"}, "anna")
    assert read_log(Trial(ws).log_path) == []


def test_a_used_up_sequence_is_refused(ws):
    small = TrialSettings("blocks", ARMS, (1, 1), (), (2, 4), capacity=5)
    setup_trial(ws, TEST_KEY, small, seed=SEED)
    arms = [assign(ws, TEST_KEY, f"P{i}", {}, "anna").arm for i in range(5)]
    assert abs(arms.count("control") - arms.count("intervention")) <= 2
    with pytest.raises(AllocationRefusedError, match="stratum all has used all 5 places"):
        assign(ws, TEST_KEY, "P5", {}, "anna")


def test_a_missing_trial_is_refused(ws):
    with pytest.raises(AllocationRefusedError, match="there is no trial main"):
        assign(ws, TEST_KEY, "P1", {}, "anna")
    assert not (ws.root / "randomisation").exists()


def test_minimisation_assigns_by_replaying_its_decisions(ws):
    setup_trial(ws, TEST_KEY, MINIMISATION, seed=SEED)
    allocated = _allocate(ws, MINIMISATION, 40)
    sealed = open_trial(Trial(ws), TEST_KEY)
    assert replayed_arms(sealed, [_person(i) for i in range(40)]) == [a.arm for a in allocated]
    table = balance(ws, TEST_KEY)
    for row in table.rows:
        assert abs(row.counts[0] - row.counts[1]) <= 4
    assert table.totals == tuple(sum(a.arm == arm for a in allocated) for arm in ARMS)


def test_balance_counts_by_stratum_with_totals(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    allocated = _allocate(ws, BLOCKS, 20)
    table = balance(ws, TEST_KEY)
    assert [r.level for r in table.rows] == [
        "site=fbs, sex=F",
        "site=fbs, sex=M",
        "site=sat, sex=F",
        "site=sat, sex=M",
    ]
    for row in table.rows:
        expected = tuple(
            sum(a.stratum == row.level and a.arm == arm for a in allocated) for arm in ARMS
        )
        assert row.counts == expected
    assert sum(table.totals) == 20 and sum(r.total for r in table.rows) == 20


# --- Audit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [BLOCKS, MINIMISATION], ids=["blocks", "minimisation"])
def test_a_clean_log_verifies_and_replays_every_arm(ws, settings):
    setup_trial(ws, TEST_KEY, settings, seed=SEED)
    allocated = _allocate(ws, settings, 25)
    report = verify(ws, TEST_KEY)
    assert report.ok and report.lines == 25 and report.allocations == 25
    values = [json.loads(line)["values"] for line in read_log(Trial(ws).log_path)]
    assert replayed_arms(open_trial(Trial(ws), TEST_KEY), values) == [a.arm for a in allocated]


def _rewrite(ws, edit):
    log = Trial(ws).log_path
    lines = read_log(log)
    log.write_text("".join(line + "\n" for line in edit(lines)), encoding="utf-8")


def _flip_arm(line: str) -> str:
    entry = json.loads(line)
    entry["arm"] = ARMS[1 - ARMS.index(entry["arm"])]
    return json.dumps(entry, separators=(",", ":"))


@pytest.mark.parametrize("settings", [BLOCKS, MINIMISATION], ids=["blocks", "minimisation"])
def test_an_edited_arm_is_reported_at_its_line(ws, settings):
    setup_trial(ws, TEST_KEY, settings, seed=SEED)
    _allocate(ws, settings, 10)
    _rewrite(ws, lambda lines: [_flip_arm(x) if i == 6 else x for i, x in enumerate(lines, 1)])
    report = verify(ws, TEST_KEY)
    assert not report.ok and report.discrepancy.line == 6
    assert "the replay from the seed gives" in report.discrepancy.what


def test_a_deleted_line_is_reported(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    _allocate(ws, BLOCKS, 10)
    _rewrite(ws, lambda lines: lines[:3] + lines[4:])
    report = verify(ws, TEST_KEY)
    assert report.discrepancy.line == 4 and "deleted" in report.discrepancy.what


def test_a_deleted_last_line_is_reported(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    _allocate(ws, BLOCKS, 10)
    _rewrite(ws, lambda lines: lines[:-1])
    report = verify(ws, TEST_KEY)
    assert report.discrepancy.line == 10 and "P009" in report.discrepancy.what


def test_an_edit_with_the_chain_recomputed_is_still_caught(ws):
    """Changing who allocated and rewriting every later prev_sha256 keeps the chain whole, but
    the sealed record holds each line's hash."""
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    _allocate(ws, BLOCKS, 6)

    def forge(lines):
        entries = [json.loads(line) for line in lines]
        entries[2]["by"] = "mallory"
        out, previous = [], GENESIS
        for entry in entries:
            entry["prev_sha256"] = previous
            line = json.dumps(entry, separators=(",", ":"))
            out.append(line)
            previous = sha256_text(line)
        return out

    _rewrite(ws, forge)
    report = verify(ws, TEST_KEY)
    assert report.discrepancy.line == 3 and "by" in report.discrepancy.what


def test_an_edited_time_breaks_the_chain_at_the_next_line(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    _allocate(ws, BLOCKS, 6)
    _rewrite(ws, lambda lines: [x.replace("2025-03-02", "2025-03-09") for x in lines])
    report = verify(ws, TEST_KEY)
    # Line 2 itself now differs from the sealed record (its time), reported first.
    assert report.discrepancy.line == 2 and "time" in report.discrepancy.what


def test_a_line_that_is_not_json_is_reported(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    _allocate(ws, BLOCKS, 3)
    _rewrite(ws, lambda lines: [lines[0], "garbage", lines[2]])
    assert verify(ws, TEST_KEY).discrepancy.line == 2


def test_a_line_added_by_hand_is_not_in_the_sealed_record(ws):
    """A forged fourth line with the right chain and the arm the sequence would give still fails:
    the sealed record holds three allocations."""
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    _allocate(ws, BLOCKS, 3)
    lines = read_log(Trial(ws).log_path)
    values = [json.loads(line)["values"] for line in lines] + [_blocks_values(3)]
    arm = replayed_arms(open_trial(Trial(ws), TEST_KEY), values)[-1]
    stratum = f"site={values[-1]['site']}, sex={values[-1]['sex']}"
    slot = 1 + sum(json.loads(line)["stratum"] == stratum for line in lines)
    forged = {"n": 4, "time": "2025-03-05T10:00:00+00:00", "by": "anna", "participant": "P003",
              "values": values[-1], "stratum": stratum, "slot": slot, "arm": arm,
              "prev_sha256": sha256_text(lines[-1])}  # fmt: skip
    _rewrite(ws, lambda old: [*old, json.dumps(forged, separators=(",", ":"))])
    report = verify(ws, TEST_KEY)
    assert report.discrepancy.line == 4 and "holds 3 allocations" in report.discrepancy.what


def test_sealed_sequences_the_seed_does_not_give_are_reported(ws):
    setup_trial(ws, TEST_KEY, BLOCKS, seed=SEED)
    sealed = open_trial(Trial(ws), TEST_KEY)
    sealed.sequences[0][0] = 1 - sealed.sequences[0][0]
    Trial(ws).sealed_path.write_bytes(seal(sealed.to_json(), TEST_KEY, "main"))
    report = verify(ws, TEST_KEY)
    assert str(report.discrepancy) == "the sealed block sequences are not the ones the seed gives"
