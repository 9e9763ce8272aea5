"""What an ingest reads and what it reports: the input files of a folder, and per file the rows
read, loaded and quarantined, or the reason it was refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from daeval.errors import StudyFileError, UnusableFileError
from daeval.ingest.mapping import DataSource, RedcapSource
from daeval.model import TABLES

TABULAR = (".csv", ".parquet", ".xlsx")


@dataclass(frozen=True)
class FileLoad:
    table: str
    file_name: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    extra_columns: tuple[str, ...] = ()
    """Columns outside the contract the study file keeps (in ``extra__<table>``)."""
    dropped_columns: tuple[tuple[str, str], ...] = ()
    """Columns dropped at the door: (name, why)."""


@dataclass(frozen=True)
class RefusedFile:
    file_name: str
    reason: str


@dataclass
class IngestReport:
    loads: list[FileLoad] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    absent_tables: list[str] = field(default_factory=list)
    unchecked_references: list[str] = field(default_factory=list)
    checked_only: bool = False


@dataclass(frozen=True)
class Input:
    """An input file: the table it feeds (None for a CIN census file) and its declared mapping."""

    path: Path
    table: str | None
    source: DataSource | RedcapSource | None = None


def _check_inside(data_dir: Path, source: DataSource | RedcapSource) -> None:
    """Refuse a declared file outside the data folder and the study's allowed folders.

    Names are compared once resolved (``..``, an absolute name and symbolic links all followed),
    so a study file cannot point ingest at any other file on the machine. A REDCap dictionary is
    checked both where the declaration names it and beside the records (where it is read).
    """
    if isinstance(source, RedcapSource):
        records = data_dir / source.records
        named = [
            (source.records, records),
            (source.dictionary, data_dir / source.dictionary),
            (source.dictionary, records.parent / source.dictionary),
        ]
    else:
        named = [(source.file, data_dir / source.file)]
    roots = (data_dir.resolve(), *source.allowed_folders)
    for name, path in named:
        resolved = path.resolve()
        if not any(resolved.is_relative_to(root) for root in roots):
            raise StudyFileError(
                f"{source.entry}: {name!r} is outside the data folder {data_dir} (once '..' and "
                "links are followed); put the file in the data folder, or name the folder it is "
                "in under allowed_folders in the study file"
            )


def find_inputs(
    data_dir: Path,
    sources: list[DataSource | RedcapSource] = (),  # type: ignore[assignment]
) -> tuple[list[Input], list[str], list[RefusedFile]]:
    """The input files of ``data_dir``, the names of files ignored, and declared files missing.

    Files declared in the study's data sources are read as declared (and refused when outside
    the data folder and the study's allowed folders); the others are recognised by name
    (``<table>.csv|.parquet|.xlsx``, any ``.xml`` as a CIN census file).
    """
    if not data_dir.is_dir():
        raise UnusableFileError(f"{data_dir}: not a folder; give the folder of input files")
    for source in sources:
        _check_inside(data_dir, source)
    inputs: list[Input] = []
    missing: list[RefusedFile] = []
    claimed: set[str] = set()
    for source in sources:
        names = (
            [source.records, source.dictionary]
            if isinstance(source, RedcapSource)
            else [source.file]
        )
        absent = [n for n in names if not (data_dir / n).is_file()]
        if absent:
            missing.append(
                RefusedFile(
                    absent[0],
                    f"{absent[0]}: declared in study.yaml but not in {data_dir}; add it to the "
                    "folder, or remove it from data_sources",
                )
            )
            continue
        claimed.update(names)
        table = "measure_responses" if isinstance(source, RedcapSource) else source.table
        inputs.append(Input(data_dir / names[0], table, source))
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted(p for p in data_dir.iterdir() if p.is_file() and p.name not in claimed):
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if suffix == ".xml":
            inputs.append(Input(path, None))
        elif suffix in TABULAR and stem in TABLES:
            if stem in seen:
                raise UnusableFileError(
                    f"{path.name}: table {stem} is given twice ({seen[stem]} and {path.name}); "
                    "keep one"
                )
            seen[stem] = path.name
            inputs.append(Input(path, stem))
        else:
            ignored.append(path.name)
    return inputs, ignored, missing
