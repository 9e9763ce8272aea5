"""generate's contract at small scale: determinism, formats, chunking and argument checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from daeval.model import TABLES
from daeval.synth import authority, generate
from daeval.synth import calibration as cal

pytestmark = pytest.mark.xdist_group("synth_runs")

SCALE = 0.05


def data_lines(path: Path) -> int:
    with open(path) as f:
        return sum(1 for _ in f) - 1


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth_small")
    generate(out, scale=SCALE, seed=11)
    return out


def test_same_seed_gives_identical_bytes(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, scale=SCALE, seed=11)
    first, second = digests(small), digests(tmp_path)
    assert len(first) == len(TABLES) + 2  # tables, truth file, manifest
    assert first == second


def test_another_seed_changes_every_table(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, scale=SCALE, seed=12)
    first, second = digests(small), digests(tmp_path)
    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first)


def test_parquet_holds_the_same_rows(small: Path, tmp_path: Path) -> None:
    summary = generate(tmp_path, scale=SCALE, seed=11, fmt="parquet")
    csv_rows = {name: data_lines(small / f"{name}.csv") for name in summary.rows}
    parquet_rows = {name: pq.read_metadata(tmp_path / f"{name}.parquet").num_rows
                    for name in summary.rows}  # fmt: skip
    assert parquet_rows == csv_rows == summary.rows
    schema = pq.read_schema(tmp_path / "csc_referrals.parquet")
    assert schema.field("referral_date").type == pa.date32()
    assert schema.field("decision").type == pa.string()
    assert schema.names == list(TABLES["csc_referrals"].column_names)


def test_chunks_add_up_to_the_scaled_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(authority, "CHUNK_FAMILIES", 150)
    calls: list[tuple[str, int, int]] = []
    generate(tmp_path, scale=SCALE, seed=5, progress=lambda *a: calls.append(a))
    chunks = [c for c in calls if c[0] == "families"]
    assert len(chunks) == 4 and chunks[-1] == ("families", 4, 4)
    assert calls[-1] == ("manifest", 1, 1)

    t = cal.VULNERABLE_PERSON_REFERRALS
    folder = tmp_path.as_posix()
    with duckdb.connect() as con:
        row = con.execute(f"""select
            count(*) filter (where notification_date between '{t.period_start}' and '{t.period_end}'),
            count(distinct notification_id) = count(*),
            (select count(*) from read_csv('{folder}/csc_referrals.csv') where decision = 'nfa')
            from read_csv('{folder}/police_notifications.csv')""").fetchone()
    assert row is not None
    window, unique_ids, nfa = row
    assert window == round(t.value * SCALE)
    assert unique_ids
    assert nfa == pytest.approx(cal.NFA_REFERRALS.value * SCALE, rel=0.1)


@pytest.mark.parametrize("scale", [0, -1.0, float("nan"), float("inf")])
def test_rejects_a_scale_that_is_not_positive(tmp_path: Path, scale: float) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=scale)


def test_rejects_a_negative_seed(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="seed"):
        generate(tmp_path, scale=SCALE, seed=-1)


def test_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        generate(tmp_path, scale=SCALE, fmt="xlsx")
    assert not any(tmp_path.iterdir())


def test_a_tiny_authority_still_writes_every_file(tmp_path: Path) -> None:
    summary = generate(tmp_path, scale=0.0001, seed=1)
    assert set(summary.rows) == {*TABLES, "truth/people_truth"}
    for name in TABLES:
        with open(tmp_path / f"{name}.csv") as f:
            assert tuple(f.readline().rstrip("\n").split(",")) == TABLES[name].column_names
    assert summary.rows["costs"] > 0
