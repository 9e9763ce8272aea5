"""docs/tutorial.md run as written: its shell blocks, the study.yaml section it shows, the change
it makes to it and its Python, in one shell, in a home folder of its own; each output it quotes
must appear in what the command printed. The example export it loads is checked against the
script that writes it."""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
EXPORT = ROOT / "docs" / "tutorial" / "export"
FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
MARK = "@@tutorial-step-{}@@"
RUN = {"sh", "python", "yaml", "diff"}
"""Blocks the test runs (yaml: written to the file its first line names; diff: applied)."""


@dataclass(frozen=True)
class Block:
    lang: str
    text: str


def _blocks(markdown: str) -> list[Block]:
    return [Block(m.group(1), m.group(2)) for m in FENCE.finditer(markdown)]


def _heredoc(command: str, body: str) -> str:
    assert "TUTORIAL_EOF" not in body
    return f"{command} <<'TUTORIAL_EOF'\n{body}TUTORIAL_EOF\n"


def _shell(block: Block) -> str:
    """The shell text that does what the tutorial asks of the reader for one block."""
    if block.lang == "sh":
        return block.text
    if block.lang == "python":
        return _heredoc("python -", block.text)
    if block.lang == "yaml":
        target = block.text.splitlines()[0].removeprefix("#").strip()
        return _heredoc(f"cat >> '{target}'", block.text)
    lines = block.text.splitlines()
    target = lines[0].removeprefix("--- ").strip()
    old = "".join(line[1:] + "\n" for line in lines[2:] if line.startswith("-"))
    new = "".join(line[1:] + "\n" for line in lines[2:] if line.startswith("+"))
    change = (
        "from pathlib import Path\n"
        f"path = Path({target!r})\ntext = path.read_text(encoding='utf-8')\n"
        f"assert text.count({old!r}) == 1, 'the lines the tutorial changes are not in the file'\n"
        f"path.write_text(text.replace({old!r}, {new!r}), encoding='utf-8')\n"
    )
    return _heredoc("python -", change)


def _script(blocks: list[Block]) -> tuple[str, list[tuple[int, str]]]:
    """One shell script of the tutorial's steps, a mark printed after each, and the outputs the
    tutorial quotes as (step, text)."""
    parts = ["set -eo pipefail\n"]
    quoted: list[tuple[int, str]] = []
    step = -1
    for block in blocks:
        if block.lang in RUN:
            step += 1
            parts.append(_shell(block) + f"echo '{MARK.format(step)}'\n")
        elif block.lang == "text":
            assert step >= 0, "an output quoted before any command"
            quoted.append((step, block.text))
    return "".join(parts), quoted


def _normal(line: str) -> str:
    return " ".join(line.split())


def missing_lines(quoted: str, printed: str) -> list[str]:
    """The non-empty lines of ``quoted`` that are no line of ``printed`` (spacing aside)."""
    lines = {_normal(line) for line in printed.splitlines()}
    return [line for line in quoted.splitlines() if line.strip() and _normal(line) not in lines]


def _outputs(printed: str) -> dict[int, str]:
    out, start = {}, 0
    for step in range(printed.count("@@tutorial-step-")):
        mark = MARK.format(step)
        end = printed.index(mark, start)
        out[step] = printed[start:end]
        start = end + len(mark)
    return out


@pytest.mark.slow
def test_the_tutorial_runs_as_written_and_prints_what_it_quotes(tmp_path):
    blocks = _blocks(TUTORIAL.read_text(encoding="utf-8"))
    assert {b.lang for b in blocks} >= RUN | {"text", "r"}
    script, quoted = _script(blocks)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAEVAL_", "VIRTUAL_ENV"))}
    env |= {"HOME": str(home), "COLUMNS": "200"}
    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed[-3000:]
    outputs = _outputs(result.stdout)
    assert len(outputs) == sum(b.lang in RUN for b in blocks)
    for step, text in quoted:
        assert not missing_lines(text, outputs[step]), (text, outputs[step])
    study = home / "da-study" / "study"
    header = (study / "outputs" / "measures.csv").read_text(encoding="utf-8").splitlines()[0]
    documented = re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)?(?:, `([a-z_]+)`)? \|", TUTORIAL.read_text(encoding="utf-8"), re.MULTILINE)  # fmt: skip
    named = [c for row in documented for c in row if c]
    assert header.split(",") == named
    for report in ("index.html", "tables.xlsx"):
        assert (study / "outputs" / report).stat().st_size > 0
    # The example is made-up data, marked so by its manifest: the report says so, as promised.
    assert 'class="synthetic-banner"' in (study / "outputs" / "index.html").read_text("utf-8")


def test_a_quoted_line_the_command_no_longer_prints_is_named():
    printed = "│ Referrals.csv        │ csc_referrals         │  235 │    232 │           3 │\n"
    assert missing_lines("│ Referrals.csv │ csc_referrals │ 235 │ 232 │ 3 │", printed) == []
    changed = "│ Referrals.csv │ csc_referrals │ 235 │ 233 │ 2 │"
    assert missing_lines(changed, printed) == [changed]


def test_the_example_export_is_what_its_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_export", EXPORT.parent / "make_export.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in EXPORT.iterdir() if p.name != "README.md")
    for name in written:
        if name.endswith((".csv", ".json")):
            assert (tmp_path / name).read_bytes() == (EXPORT / name).read_bytes(), name
        else:
            rows = [
                list(load_workbook(folder / name).active.values) for folder in (tmp_path, EXPORT)
            ]
            assert rows[0] == rows[1], name
    with (EXPORT / "Referrals.csv").open(encoding="utf-8", newline="") as f:
        dates = [row["Referral Date"] for row in csv.DictReader(f)]
    assert "31/02/2023" in dates  # a row the tutorial says is quarantined
