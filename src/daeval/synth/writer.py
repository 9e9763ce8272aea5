"""Streaming the generated tables to CSV or Parquet files, one batch at a time.

Columns are written in the model's order (``TABLES[name].column_names``). CSV files have a plain
header and unquoted values (no generated value contains a comma, quote or line break); a missing
value is an empty cell and dates are ISO ``YYYY-MM-DD``. Parquet files use the model's types with
codes decoded to plain strings. Writing runs on one background thread, in submission order, so
generating the next chunk overlaps with writing the last one; the output does not depend on timing.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from daeval.model import TABLES, Kind
from daeval.whole_files import put_in_place, temporary_beside

FORMATS = ("csv", "parquet")
TRUTH_COLUMNS = ("source", "person_id", "true_person_id")
TRUTH_FILE = "truth/people_truth"
_KIND_TYPES = {
    Kind.TEXT: pa.string(),
    Kind.CODE: pa.string(),
    Kind.CODE_SET: pa.string(),
    Kind.DATE: pa.date32(),
    Kind.INTEGER: pa.int32(),
    Kind.DECIMAL: pa.float64(),
}
_MAX_PENDING = 64  # batches queued for the writer thread before generation waits


def file_schema(name: str) -> pa.Schema:
    """The Arrow schema of a written table (``TRUTH_FILE`` for the linkage truth)."""
    if name == TRUTH_FILE:
        return pa.schema([(c, pa.string()) for c in TRUTH_COLUMNS])
    return pa.schema([(c.name, _KIND_TYPES[c.kind]) for c in TABLES[name].columns])


class TableWriter:
    """Appends batches to one file per table; counts the rows written."""

    def __init__(self, out_dir: Path, fmt: str, names: list[str]) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
        self.fmt = fmt
        self.rows = dict.fromkeys(names, 0)
        self._schemas = {name: file_schema(name) for name in names}
        self._sinks: dict[str, pa.NativeFile | pq.ParquetWriter] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-writer")
        self._pending: deque[Future[None]] = deque()
        # Each file is written beside its final name and renamed there by close().
        self._files: dict[str, tuple[Path, Path]] = {}
        try:
            for name in names:
                final = out_dir / f"{name}.{fmt}"
                path = temporary_beside(final)
                self._files[name] = (path, final)
                if fmt == "csv":
                    sink = pa.OSFile(str(path), "wb")
                    sink.write((",".join(self._schemas[name].names) + "\n").encode())
                    self._sinks[name] = sink
                else:
                    self._sinks[name] = pq.ParquetWriter(str(path), self._schemas[name])
        except BaseException:
            self.close(keep=False)
            raise

    def path(self, name: str) -> str:
        return f"{name}.{self.fmt}"

    def write(self, name: str, columns: dict[str, pa.Array]) -> None:
        """Queue one batch; ``columns`` must hold every column of the table."""
        schema = self._schemas[name]
        missing = set(schema.names) - set(columns)
        if missing:
            raise KeyError(f"{name}: no values for {sorted(missing)}")
        batch = pa.table([columns[c] for c in schema.names], names=schema.names)
        if batch.num_rows == 0:
            return
        self.rows[name] += batch.num_rows
        while len(self._pending) >= _MAX_PENDING:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._write, name, batch))

    def _write(self, name: str, batch: pa.Table) -> None:
        sink = self._sinks[name]
        if isinstance(sink, pq.ParquetWriter):
            sink.write_table(batch.cast(self._schemas[name]))
        else:
            options = pcsv.WriteOptions(include_header=False, quoting_style="none")
            pcsv.write_csv(batch, sink, write_options=options)

    def close(self, keep: bool = True) -> dict[str, int]:
        """Finish every queued batch, close the files and return rows written per table.

        The files take their final names only when ``keep`` is true and every batch was
        written; otherwise they are removed, and a file of the same name written before stays.
        """
        try:
            while self._pending:
                self._pending.popleft().result()
        except BaseException:
            keep = False
            raise
        finally:
            self._pool.shutdown(wait=True)
            for sink in self._sinks.values():
                sink.close()
            for temporary, final in self._files.values():
                if keep:
                    put_in_place(temporary, final)
                else:
                    temporary.unlink(missing_ok=True)
        return dict(self.rows)
