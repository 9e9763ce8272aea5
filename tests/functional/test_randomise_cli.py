"""daeval randomise end to end: set up, allocate, balance, verify; refusals and their exit codes."""

from __future__ import annotations

import json

import pytest
from tests.lib.keys import OTHER_KEY

PEOPLE = [
    ("P01", "fbs", "F"),
    ("P02", "fbs", "M"),
    ("P03", "sat", "F"),
    ("P04", "fbs", "F"),
    ("P05", "sat", "M"),
    ("P06", "fbs", "F"),
    ("P07", "sat", "F"),
    ("P08", "fbs", "M"),
]


def _ok(done):
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_blocks_from_setup_to_verify(daeval, tmp_path):
    ws = tmp_path / "ws"
    _ok(daeval("randomise", "setup", "--workspace", ws, "--arms", "intervention,control",
               "--strata", "site=fbs,sat", "--strata", "sex=F,M", "--capacity", "100"))  # fmt: skip
    folder = ws / "randomisation" / "main"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "audit.jsonl",
        "sealed.json",
    ]
    assert b"intervention" not in (folder / "sealed.json").read_bytes()

    arms = {}
    for participant, site, sex in PEOPLE:
        done = daeval("randomise", "assign", "-w", ws, "--participant", participant,
                      "--value", f"site={site}", "--value", f"sex={sex}", "--by", "anna")  # fmt: skip
        first = _ok(done).splitlines()[0]
        name, arm = first.split(": ")
        assert name == participant and arm in ("intervention", "control")
        arms[participant] = arm
    log = (folder / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["arm"] for line in log] == [arms[p] for p, _, _ in PEOPLE]

    done = daeval("randomise", "balance", "-w", ws, "--json")
    table = json.loads(_ok(done))
    fbs_f = next(r for r in table["rows"] if r["level"] == "site=fbs, sex=F")
    expected = [arms[p] for p, site, sex in PEOPLE if (site, sex) == ("fbs", "F")]
    assert fbs_f["counts"] == {a: expected.count(a) for a in ("intervention", "control")}
    assert table["totals"] == {a: list(arms.values()).count(a) for a in ("intervention", "control")}
    text = _ok(daeval("randomise", "balance", "-w", ws))
    assert "site=sat, sex=M" in text and "Total" in text

    verified = _ok(daeval("randomise", "verify", "-w", ws))
    assert "verified: 8 allocations" in verified


def test_refusals_and_their_exit_codes(daeval, tmp_path):
    ws = tmp_path / "ws"
    _ok(daeval("randomise", "setup", "-w", ws, "--method", "minimisation", "--arms", "a,b",
               "--factor", "site=fbs,sat", "--factor", "sex=F,M", "--weight", "site=2",
               "--trial", "pilot", "--seed", "42"))  # fmt: skip
    assign = ("randomise", "assign", "-w", ws, "--trial", "pilot", "--by", "ben")
    first = _ok(daeval(*assign, "--participant", "X1", "--value", "site=fbs", "--value", "sex=F"))
    arm = first.splitlines()[0].split(": ")[1]

    again = daeval(*assign, "--participant", "X1", "--value", "site=sat", "--value", "sex=M")
    assert again.returncode == 20
    assert "X1 was randomised on" in again.stderr and f"to {arm}" in again.stderr

    unknown = daeval(*assign, "--participant", "X2", "--value", "site=xyz", "--value", "sex=F")
    assert unknown.returncode == 20 and "allowed: fbs, sat" in unknown.stderr

    exists = daeval("randomise", "setup", "-w", ws, "--arms", "a,b", "--trial", "pilot")
    assert exists.returncode == 20 and "already exists" in exists.stderr

    wrong_key = daeval("randomise", "balance", "-w", ws, "--trial", "pilot",
                       env={"DAEVAL_KEY": OTHER_KEY.decode()})  # fmt: skip
    assert wrong_key.returncode == 14 and "cannot be opened" in wrong_key.stderr

    bad_sizes = daeval("randomise", "setup", "-w", ws, "--arms", "a,b", "--ratio", "2:1",
                       "--block-sizes", "4,6", "--trial", "other")  # fmt: skip
    assert bad_sizes.returncode == 2 and "multiple of 3" in bad_sizes.stderr


def test_verify_names_the_edited_line(daeval, tmp_path):
    ws = tmp_path / "ws"
    _ok(daeval("randomise", "setup", "-w", ws, "--arms", "intervention,control"))
    for participant in ("A", "B", "C", "D"):
        _ok(daeval("randomise", "assign", "-w", ws, "--participant", participant, "--by", "cy"))
    log = ws / "randomisation" / "main" / "audit.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[2])
    entry["arm"] = "control" if entry["arm"] == "intervention" else "intervention"
    lines[2] = json.dumps(entry, separators=(",", ":"))
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")

    done = daeval("randomise", "verify", "-w", ws)
    assert done.returncode == 21
    assert "line 3" in done.stderr and "replay from the seed gives" in done.stderr
