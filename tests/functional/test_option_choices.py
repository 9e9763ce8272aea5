"""What the commands' --help says: options with a fixed set of values list them, and a value
outside them is refused in one line that names the choices, never with a traceback; the demo
says what it writes."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "choices"),
    [
        (("link", "--engine", "foo"), ("duckdb", "spark")),
        (("measures", "--engine", "foo"), ("duckdb", "spark")),
        (("measures", "--period", "fortnight"), ("month", "quarter", "year")),
        (("synth", "OUT", "--format", "xls"), ("csv", "parquet")),
    ],
)
def test_an_option_outside_its_choices_is_refused_with_them(daeval, tmp_path, args, choices):
    command, *rest = args
    place = ["--workspace", str(tmp_path)] if command != "synth" else []
    rest = [str(tmp_path / "out") if a == "OUT" else a for a in rest]
    result = daeval(command, *rest, *place)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert all(f"'{c}'" in result.stderr for c in choices), result.stderr
    assert all(c in daeval(command, "--help").stdout for c in choices)


def test_demo_help_names_what_the_demo_writes(daeval):
    shown = " ".join(daeval("demo", "--help").stdout.split())
    assert "a first HTML page" not in shown
    assert "reports (HTML, PDF, XLSX)" in shown
