"""Every documented bad input of every command, run as the real ``daeval`` command: a missing or
unreadable file, a wrong option value, a malformed settings, model, study or trial file, a folder
that is not a workspace, a missing or wrong key. Each is refused with its documented exit code
(docs/cli.md) and one line on standard error, starting ``error:``, that names what is wrong and
says what to do; never a traceback. An optional column left out is no mistake: the command runs.

The hostile inputs are made once for the module. To keep the module quick, the cases run in two
Python processes, each calling the ``daeval`` entry point (``daeval.cli.app.main``, what
``python -m daeval`` runs) once per case with its own command line, environment and captured
output, exactly as a process of its own would; a few cases run as ``python -m daeval`` too, to
show the two agree."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.lib.keys import OTHER_KEY, TEST_KEY
from tests.lib.tables import write_table

from daeval.privacy.keys import fingerprint
from daeval.study.examples import BLANK, example_text

pytestmark = pytest.mark.xdist_group("bad_inputs")

# Words that tell the user what to do; every refusal has one.
REMEDIES = ("give", "add", "run", "choose", "save", "see", "create", "remove", "set", "must",
            "write", "load", "fix", "make", "restore", "leave", "edit", "use", "allowed",
            "check")  # fmt: skip
ROOT = os.geteuid() == 0  # root reads any file: an unreadable file cannot be made


@dataclass(frozen=True)
class Case:
    """One bad input: the command line (``@name`` is a path in the module's folder), the exit
    code, words the message must hold, the key the command runs with, and whether it needs a
    file its user cannot read."""

    name: str
    args: tuple[str, ...]
    code: int
    says: tuple[str, ...] = ()
    key: str = "test"  # test, other, weak or none
    unreadable: bool = False
    remedy: bool = True  # an audit that finds a difference reports it: there is nothing to fix


def case(name: str, line: str, code: int, *says: str, **options: object) -> Case:
    return Case(name, tuple(line.split()), code, says, **options)  # type: ignore[arg-type]


# fmt: off
CASES = [
    # daeval synth OUT_DIR
    case("synth-into-a-file", "synth @file", 2, "file", "not a folder"),
    case("synth-scale", "synth @out --scale -1", 2, "scale"),
    # daeval ingest DATA_DIR --workspace WS
    case("ingest-missing-folder", "ingest @nowhere -w @ws-new", 11, "nowhere", "not a folder"),
    case("ingest-empty-folder", "ingest @empty -w @ws-new", 11, "no input files"),
    case("ingest-file-as-workspace", "ingest @people -w @file", 13, "not a workspace folder"),
    case("ingest-study-not-yaml", "ingest @people -w @not-yaml --check", 15, "line 2"),
    case("ingest-study-not-utf8", "ingest @people -w @not-utf8 --check", 15, "UTF-8"),
    case("ingest-study-a-folder", "ingest @people -w @folder-study --check", 15, "a folder"),
    case("ingest-unknown-table", "ingest @people -w @bad-source --check", 15, "nosuch", "people"),
    case("ingest-declared-absent", "ingest @people -w @absent-source --check", 11, "export.csv"),
    case("ingest-key-file-missing", "ingest @people -w @ws-new --key-file @nokey", 14, "nokey"),
    case("ingest-key-file-a-folder", "ingest @people -w @ws-new --key-file @empty", 14, "folder"),
    case("ingest-no-key", "ingest @people -w @ws-new", 14, "no project key", key="none"),
    case("ingest-weak-key", "ingest @people -w @ws-new", 14, "DAEVAL_KEY", key="weak"),
    case("ingest-another-key", "ingest @people -w @ws", 14, fingerprint(OTHER_KEY), key="other"),
    # daeval link --workspace WS
    case("link-no-warehouse", "link -w @empty", 13, "ingest"),
    case("link-file-as-workspace", "link -w @file", 13, "not a workspace folder"),
    case("link-model-missing", "link -w @ws --model @nomodel.json", 11, "--model", "no such"),
    case("link-model-not-json", "link -w @ws --model @bad.json", 2, "linkage model"),
    case("link-model-not-a-model", "link -w @ws --model @list.json", 2, "linkage model"),
    case("link-truth-missing", "link -w @ws --truth @notruth.csv", 11, "--truth", "no such"),
    case("link-truth-a-folder", "link -w @ws --truth @empty", 11, "--truth", "a folder"),
    case("link-sweep-alone", "link -w @ws --sweep", 2, "--truth"),
    case("link-truth-another-key", "link -w @ws --truth @truth.csv", 14, key="other"),
    # daeval measures --workspace WS
    case("measures-no-warehouse", "measures -w @empty", 13, "ingest"),
    case("measures-table-missing", "measures -w @ws", 12, "csc_referrals"),
    case("measures-as-of", "measures -w @ws --as-of 2020-13-45", 2, "--as-of", "YYYY-MM-DD"),
    case("measures-window", "measures -w @ws --window-days 0", 2, "--window-days"),
    # daeval report --workspace WS
    case("report-not-a-workspace", "report -w @empty --no-pdf", 13, "not a workspace", "init"),
    case("report-file-as-workspace", "report -w @file --no-pdf", 13, "not a workspace folder"),
    case("report-case-studies", "report -w @ws --case-studies 2", 2, "--inside-secure-setting"),
    case("report-another-key", "report -w @ws --no-pdf", 14, fingerprint(TEST_KEY), key="other"),
    case("report-key-file-missing", "report -w @ws --key-file @nokey", 14, "nokey"),
    # daeval key new PATH
    case("key-new-over-a-file", "key new @file", 14, "already exists"),
    # daeval score RESPONSES.csv --out SCORES.csv
    case("score-missing", "score @noanswers.csv --out @s1.csv", 11, "noanswers.csv", "no such"),
    case("score-a-folder", "score @empty --out @s2.csv", 11, "a folder"),
    case("score-required-column", "score @noitem.csv --out @s3.csv", 11, "item"),
    case("score-settings-missing", "score @answers.csv --out @s4.csv --settings @no.yaml", 11,
         "--settings", "no such"),
    case("score-settings-not-yaml", "score @answers.csv --out @s5.csv --settings @bad.yaml", 2,
         "bad.yaml", "line 2"),
    case("score-settings-not-utf8", "score @answers.csv --out @s6.csv --settings @binary.yaml", 2,
         "UTF-8"),
    case("score-settings-a-list", "score @answers.csv --out @s7.csv --settings @list.json", 2,
         "instruments:"),
    case("score-out-is-input", "score @answers.csv --out @answers.csv --force", 2, "answers.csv"),
    case("score-unreadable", "score @locked.csv --out @s8.csv", 11, "permission", unreadable=True),
    case("score-settings-unreadable", "score @answers.csv --out @s9.csv --settings @locked.yaml",
         11, "permission", unreadable=True),
    # daeval design
    case("mdes-treated", "design mdes --treated 1.5", 2, "share treated"),
    case("sample-size-nothing", "design sample-size", 2, "--mdes"),
    case("recruitment-no-rate", "design recruitment --target 10", 2, "referral"),
    case("recruitment-ratio", "design recruitment --target 10 --referrals-per-month 5 --ratio x", 2,
         "--ratio"),
    case("recruitment-stage",
         "design recruitment --target 10 --referrals-per-month 5 --stage consent=0.5", 2,
         "--stage", "eligible"),
    case("recruitment-runs", "design recruitment --target 10 --referrals-per-month 5 --runs 0", 2,
         "--runs"),
    case("recruitment-window", "design recruitment --target 10 --referrals-per-month 5 --window 0",
         2, "--window"),
    case("recruitment-sites", "design recruitment --target 10 --referrals-per-month 5 --sites -1",
         2, "--sites"),
    case("recruitment-no-site", "design recruitment --target 10 -w @ws", 2, "--site"),
    case("recruitment-no-episodes", "design recruitment --target 10 -w @ws --site x", 12,
         "service_episodes"),
    case("fit-nothing", "design fit", 2, "--per-site-month"),
    case("fit-sites", "design fit --per-site-month 5 --sites 0", 2, "--sites"),
    case("fit-rate", "design fit --per-site-month -5 --sites 3", 2, "--per-site-month"),
    case("fit-window", "design fit --per-site-month 5 --sites 3 --window 0", 2, "--window"),
    case("fit-icc", "design fit --per-site-month 5 --sites 3 --icc 3", 2, "--icc"),
    case("fit-no-episodes", "design fit -w @ws", 12, "service_episodes"),
    case("fit-no-warehouse", "design fit -w @empty", 13, "ingest"),
    # daeval randomise
    case("setup-ratio", "randomise setup -w @trials --arms a,b --ratio x", 2, "--ratio"),
    case("setup-block-sizes", "randomise setup -w @trials --arms a,b --block-sizes 3", 2,
         "block size"),
    case("setup-wrong-method-option", "randomise setup -w @trials --arms a,b --factor s=x,y", 2,
         "--factor"),
    case("setup-file-as-workspace", "randomise setup -w @file --arms a,b", 13,
         "not a workspace folder"),
    case("setup-twice", "randomise setup -w @trials --arms a,b", 20, "already exists"),
    case("assign-no-trial", "randomise assign -w @trials --trial other --participant p --by me", 20,
         "randomise setup"),
    case("assign-level", "randomise assign -w @trials --participant p --by me --value site=z", 20,
         "allowed"),
    case("assign-value", "randomise assign -w @trials --participant p --by me --value site", 2,
         "NAME=VALUE"),
    case("balance-another-key", "randomise balance -w @trials", 14, "another key", key="other"),
    case("balance-not-sealed", "randomise balance -w @trials --trial broken", 2, "sealed.json"),
    case("verify-edited-log", "randomise verify -w @trials --trial edited", 21, "line 2",
         remedy=False),
    # daeval study, toc, readiness, init
    case("study-check-a-file", "study check @file", 2, "not a folder", "daeval init"),
    case("study-check-not-yaml", "study check @not-yaml", 15, "study.yaml"),
    case("study-check-not-utf8", "study check @not-utf8", 15, "UTF-8"),
    case("questions-not-yaml", "study questions @not-yaml", 15, "study.yaml:2", "study check"),
    case("partners-none", "study partners @blank", 15, "partner_selection"),
    case("partners-not-a-mapping", "study partners @a-list", 15, "not a mapping"),
    case("toc-wrong-key", "toc render @wrong-key --out @drawings", 15, "studyy", "study"),
    case("toc-no-study", "toc render @empty --out @drawings", 15, "no study file"),
    case("toc-intervention", "toc render @example --out @drawings --intervention nosuch", 2,
         "--intervention", "fbs"),
    case("readiness-not-utf8", "readiness @not-utf8", 15, "UTF-8"),
    case("readiness-intervention", "readiness @example --intervention nosuch", 2, "--intervention",
         "fbs"),
    case("init-into-a-file", "init @file", 2, "not a folder"),
    case("init-over-a-study", "init @example", 2, "already exists"),
    case("study-unreadable", "study check @locked-study", 15, "permission", unreadable=True),
]
# fmt: on
CHOICES = [
    # Options with a fixed set of values: refused by typer with the choices, exit code 2.
    ("link -w @ws --engine spork", ("duckdb", "spark")),
    ("measures -w @ws --engine spork", ("duckdb", "spark")),
    ("measures -w @ws --period fortnight", ("month", "quarter", "year")),
    ("synth @out --format xls", ("csv", "parquet")),
    ("design mdes --design cluster4", ("individual", "cluster2", "cluster3")),
    ("design sample-size --mdes 0.2 --design cluster4", ("individual", "cluster2", "cluster3")),
    ("randomise setup -w @trials --arms a,b --method coin", ("blocks", "minimisation")),
    ("init @new --example pilot", ("feasibility", "innovations", "step-up")),
]
USAGE = [
    # Other mistakes typer finds in the command line: one line naming the option and the --help.
    ("measures", "--workspace"),
    ("measures -w @ws --window-days many", "--window-days"),
    ("design mdes --bogus", "--bogus"),
    ("ingest", "data_dir"),
    ("nosuchcommand", "nosuchcommand"),
]
DATA_COMMANDS = ("ingest", "link", "measures", "report", "score")
REQUIRED = ("person_id", "instrument", "timepoint", "item", "value")
GAD7 = ("source", "response_id", "person_id", "instrument", "timepoint", "administered_date",
        "respondent", "item", "value")  # fmt: skip


def _answers() -> list[dict[str, str]]:
    """Two people's GAD-7 answers at baseline (scores 7 and 14: the sum of the items)."""
    rows = []
    for person, values in (("a1", (1, 1, 1, 1, 1, 1, 1)), ("a2", (2, 2, 2, 2, 2, 2, 2))):
        for item, value in enumerate(values, start=1):
            rows.append({"source": "service:x", "response_id": f"{person}-{item}",
                         "person_id": person, "instrument": "GAD7", "timepoint": "baseline",
                         "administered_date": "2024-01-02", "respondent": "self",
                         "item": str(item), "value": str(value)})  # fmt: skip
    return rows


def _write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


# One process running many command lines through daeval's entry point: a JSON list of
# [args, environment] in, a JSON list of [exit code, stdout, stderr] out; an exception the entry
# point lets through is printed as its traceback, as Python would.
DRIVER = """
import contextlib, io, json, os, sys, traceback
from daeval.cli.app import main
given, got = sys.argv[1:]
results = []
for args, environ in json.loads(open(given, encoding="utf-8").read()):
    os.environ.clear()
    os.environ.update(environ)
    sys.argv = ["daeval", *args]
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException:
            traceback.print_exc()
            code = 1
    results.append([code, out.getvalue(), err.getvalue()])
with open(got, "w", encoding="utf-8") as handle:
    handle.write(json.dumps(results))
"""


def _environment(key: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DAEVAL_KEY", "DAEVAL_KEY_FILE")}
    keys = {"test": TEST_KEY.decode(), "other": OTHER_KEY.decode(), "weak": "a" * 40}
    if key in keys:
        environ["DAEVAL_KEY"] = keys[key]
    return environ


def _run_all(jobs: list[tuple[list[str], str]], folder: Path) -> list[subprocess.CompletedProcess]:
    """``jobs`` (args, key) run in order in one process through the entry point."""
    given, got = folder / "jobs.json", folder / "results.json"
    given.write_text(json.dumps([[args, _environment(key)] for args, key in jobs]))
    done = subprocess.run([sys.executable, "-c", DRIVER, str(given), str(got)],
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads(got.read_text())
    return [subprocess.CompletedProcess(a, code, out, err)
            for (a, _), (code, out, err) in zip(jobs, results, strict=True)]  # fmt: skip


def _run(args: list[str], key: str = "test") -> subprocess.CompletedProcess:
    """``daeval ARGS`` as a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "daeval", *args],
        capture_output=True, text=True, env=_environment(key), timeout=600,
    )  # fmt: skip


def _made(here: Path) -> None:
    """The hostile inputs, and the few good ones the cases need beside them."""
    (here / "file").write_text("not a folder\n")
    (here / "empty").mkdir()
    (here / "bad.json").write_text("{not json")
    (here / "list.json").write_text("[1, 2]")
    (here / "bad.yaml").write_text("instruments: [\n")
    (here / "binary.yaml").write_bytes(b"\xff\xfeinstruments")
    studies = {
        "not-yaml": "study: [\n",
        "wrong-key": "studyy: {}\n",
        "a-list": "- 1\n- 2\n",
        "blank": BLANK,
        "example": example_text("feasibility"),
        "bad-source": "data_sources:\n  - file: export.csv\n    table: nosuch\n",
        "absent-source": "data_sources:\n  - file: export.csv\n    table: people\n",
    }
    for folder, text in studies.items():
        (here / folder).mkdir()
        (here / folder / "study.yaml").write_text(text, encoding="utf-8")
    (here / "not-utf8").mkdir()
    (here / "not-utf8" / "study.yaml").write_bytes(b"study:\n  title: \xff\xfe\n")
    (here / "folder-study" / "study.yaml").mkdir(parents=True)
    people = "source | person_id | first_name | last_name | date_of_birth | sex\n"
    write_table(here / "people", "people", people + "csc | c1 | Ann | Lee | 2012-03-04 | F")
    write_table(here, "truth", "source | person_id | true_person_id\ncsc | c1 | 1")
    _write_csv(here / "answers.csv", _answers(), GAD7)
    _write_csv(here / "noitem.csv", _answers(), tuple(c for c in GAD7 if c != "item"))
    for name, text in (("locked.csv", "person_id\n"), ("locked.yaml", "instruments: {}\n")):
        (here / name).write_text(text)
        (here / name).chmod(0)
    (here / "locked-study").mkdir()
    (here / "locked-study" / "study.yaml").write_text("study: {}\n")
    (here / "locked-study" / "study.yaml").chmod(0)


def _setting_up(here: Path) -> list[list[str]]:
    """The commands that make the workspace and trials the cases need (run once, in order)."""
    trials = str(here / "trials")
    return [
        ["ingest", str(here / "people"), "-w", str(here / "ws")],
        ["randomise", "setup", "-w", trials, "--arms", "a,b", "--strata", "site=x,y"],
        ["randomise", "setup", "-w", trials, "--trial", "broken", "--arms", "a,b"],
        ["randomise", "setup", "-w", trials, "--trial", "edited", "--arms", "a,b"],
        [
            "randomise",
            "assign",
            "-w",
            trials,
            "--trial",
            "edited",
            "--participant",
            "p1",
            "--by",
            "me",
        ],  # fmt: skip
    ]


def _args(line: tuple[str, ...] | list[str], here: Path) -> list[str]:
    return [str(here / a[1:]) if a.startswith("@") else a for a in line]


@pytest.fixture(scope="module")
def here(tmp_path_factory) -> Path:
    """The module's folder: the hostile inputs, a workspace and three trials."""
    here = tmp_path_factory.mktemp("bad-inputs")
    _made(here)
    (here / "setting-up").mkdir()
    commands = _setting_up(here)
    for command, done in zip(
        commands, _run_all([(c, "test") for c in commands], here / "setting-up"), strict=True
    ):
        assert done.returncode == 0, (command, done.stderr)
    (here / "trials" / "randomisation" / "broken" / "sealed.json").write_text("{not sealed")
    with (here / "trials" / "randomisation" / "edited" / "audit.jsonl").open("a") as log:
        log.write("an edited line\n")
    return here


@pytest.fixture(scope="module")
def results(here) -> dict[str, subprocess.CompletedProcess]:
    """Every case run once, in two processes side by side; keyed by the case's name or its
    command line."""
    jobs = {c.name: (_args(c.args, here), c.key) for c in CASES if not (c.unreadable and ROOT)}
    jobs |= {line: (_args(line.split(), here), "test") for line, _ in CHOICES + USAGE}
    for name, columns in (("all", GAD7), ("required", REQUIRED)):
        answers = _write_csv(here / f"{name}.csv", _answers(), columns)
        jobs[f"optional-{name}"] = (
            ["score", str(answers), "--out", str(here / f"{name}-scores.csv")],
            "test",
        )
    # Commands of a kind run in the same process, which loads their libraries once.
    halves: list[list[str]] = [[], []]
    for name, (args, _) in jobs.items():
        halves[args[0] in DATA_COMMANDS].append(name)
    for number in range(2):
        (here / f"half{number}").mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(_run_all, [jobs[n] for n in half], here / f"half{number}")
                for number, half in enumerate(halves)]  # fmt: skip
        return {n: r for half, run in zip(halves, runs, strict=True)
                for n, r in zip(half, run.result(), strict=True)}  # fmt: skip


def _one_line(result: subprocess.CompletedProcess) -> str:
    """The one line of standard error (no traceback, nothing else)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("bad", CASES, ids=[c.name for c in CASES])
def test_a_bad_input_is_refused_in_one_line_with_its_code(results, bad):
    if bad.unreadable and ROOT:
        pytest.skip("running as root, which reads any file")
    result = results[bad.name]
    line = _one_line(result)
    assert result.returncode == bad.code, result.stderr
    assert all(word in line for word in bad.says), line
    assert not bad.remedy or re.search(rf"\b({'|'.join(REMEDIES)})\b", line, re.I), line
    assert TEST_KEY.decode() not in line and OTHER_KEY.decode() not in line


@pytest.mark.parametrize(("line", "choices"), CHOICES, ids=[c[0].split(" -")[0] for c in CHOICES])
def test_a_value_outside_an_options_choices_is_refused_with_them(results, line, choices):
    result = results[line]
    message = _one_line(result)
    assert result.returncode == 2
    assert all(f"'{choice}'" in message for choice in choices), message
    assert "--help" in message


@pytest.mark.parametrize(("line", "named"), USAGE, ids=[u[0] for u in USAGE])
def test_a_mistake_in_the_command_line_is_one_line(results, line, named):
    result = results[line]
    message = _one_line(result)
    assert result.returncode == 2
    assert named in message and "--help" in message, message


@pytest.mark.parametrize("name", ["score-missing", "init @new --example pilot"])
def test_the_command_as_a_process_of_its_own_says_the_same(results, here, name):
    line = next((c.args for c in CASES if c.name == name), tuple(name.split()))
    alone = _run(_args(line, here))
    assert (alone.returncode, alone.stderr) == (results[name].returncode, results[name].stderr)


def test_optional_columns_left_out_are_no_mistake(results, here):
    """Answers without response_id, source, administered_date and respondent score as with them:
    GAD-7's score is the sum of its seven items (Spitzer et al. 2006), 7 and 14 here."""
    scores = {}
    for name in ("all", "required"):
        assert results[f"optional-{name}"].returncode == 0, results[f"optional-{name}"].stderr
        with (here / f"{name}-scores.csv").open(encoding="utf-8") as handle:
            rows = csv.DictReader(handle)
            scores[name] = {r["person_id"]: (r["score"], r["valid"]) for r in rows}
    assert scores["all"] == scores["required"] == {"a1": ("7", "true"), "a2": ("14", "true")}
