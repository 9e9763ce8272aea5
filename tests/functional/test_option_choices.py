"""What the commands' --help says: options with a fixed set of values list them, and a value
outside them is refused in one line that names the choices, never with a traceback; the demo
says what it writes."""

from __future__ import annotations

import pytest

from daeval.cli.app import EngineChoice, ExampleStudy, Period, TableFormat
from daeval.design.allocation import METHODS
from daeval.design.cli import DesignKind
from daeval.design.power import SIZES
from daeval.design.randomise_cli import Method
from daeval.study.examples import EXAMPLES


@pytest.mark.parametrize(
    ("args", "choices"),
    [
        (("link", "--workspace", "WS", "--engine", "foo"), ("duckdb", "spark")),
        (("measures", "--workspace", "WS", "--engine", "foo"), ("duckdb", "spark")),
        (("measures", "--workspace", "WS", "--period", "fortnight"), ("month", "quarter", "year")),
        (("synth", "OUT", "--format", "xls"), ("csv", "parquet")),
        (("design", "mdes", "--design", "cluster4"), ("individual", "cluster2", "cluster3")),
        (("design", "sample-size", "--mdes", "0.2", "--design", "x"),
         ("individual", "cluster2", "cluster3")),
        (("randomise", "setup", "--workspace", "WS", "--arms", "a,b", "--method", "coin"),
         ("blocks", "minimisation")),
        (("init", "OUT", "--example", "pilot"), ("feasibility", "innovations", "step-up")),
    ],
)  # fmt: skip
def test_an_option_outside_its_choices_is_refused_with_them(daeval, tmp_path, args, choices):
    places = {"WS": str(tmp_path), "OUT": str(tmp_path / "out")}
    result = daeval(*(places.get(a, a) for a in args))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert all(f"'{c}'" in result.stderr for c in choices), result.stderr
    command = [a for a in args if not a.startswith("-") and a not in places][:2]
    command = command[:1] if command[0] not in ("design", "randomise") else command
    # --help draws a table as wide as the terminal (COLUMNS), which a narrow one wraps.
    shown = daeval(*command, "--help", env={"COLUMNS": "200"}).stdout
    assert f"<{'|'.join(choices)}>" in shown, shown


def test_the_choices_are_those_the_commands_take():
    assert {m.value for m in Method} == set(METHODS)
    assert {e.value for e in ExampleStudy} == set(EXAMPLES)
    assert {d.value for d in DesignKind} == set(SIZES)
    assert {e.value for e in EngineChoice} == {"duckdb", "spark"}
    assert [p.value for p in Period] == ["month", "quarter", "year"]
    assert {f.value for f in TableFormat} == {"csv", "parquet"}


def test_demo_help_names_what_the_demo_writes(daeval):
    shown = " ".join(daeval("demo", "--help").stdout.split())
    assert "a first HTML page" not in shown
    assert "reports (HTML, PDF, XLSX)" in shown
