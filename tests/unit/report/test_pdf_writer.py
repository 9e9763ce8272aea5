"""PDFs of several reports drawn at once (daeval.report.pdf.PdfWriter): the same bytes as one
after another, errors raised in the caller, nothing written after a failure; fonts opened for
embedding without the tables WeasyPrint drops give the same bytes as fonts opened whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from daeval.report.figures import MEASURES_CSV, MEASURES_META
from daeval.report.pdf import ExternalResourceError, PdfWriter, pdf_bytes


def page(text: str, extra: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{text}</title></head><body>"
        f"<h1>{text}</h1><p><em>{text}</em> <strong>{text}</strong></p>{extra}"
        "<svg viewBox='0 0 100 20' width='100%'><text x='2' y='15' font-style='italic'>"
        f"{text}</text></svg></body></html>"
    )


def test_pdfs_drawn_by_two_workers_are_the_bytes_drawn_one_after_another(tmp_path: Path):
    pages = {f"r{i}.pdf": page(f"Report {i}") for i in range(4)}
    with PdfWriter(workers=2) as write:
        returned = [write(html, tmp_path / name) for name, html in pages.items()]
    assert returned == [tmp_path / name for name in pages]
    for name, html in pages.items():
        assert (tmp_path / name).read_bytes() == pdf_bytes(html)
    assert len({(tmp_path / name).read_bytes() for name in pages}) == len(pages)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_refusing_a_url_raises_it_in_the_caller(tmp_path: Path, workers: int):
    bad = page("Bad", "<img src='https://example.invalid/x.png' alt='x'>")
    with pytest.raises(ExternalResourceError, match="refers to 'https://example.invalid/x.png'") as raised:  # fmt: skip
        with PdfWriter(workers=workers) as write:
            write(page("Good"), tmp_path / "good.pdf")
            write(bad, tmp_path / "bad.pdf")
    assert raised.value.url == "https://example.invalid/x.png"
    assert not (tmp_path / "bad.pdf").exists()


def test_leaving_by_an_error_draws_no_more(tmp_path: Path):
    with pytest.raises(RuntimeError, match="stop"):
        with PdfWriter(workers=2) as write:
            for i in range(12):
                write(page(f"Report {i}"), tmp_path / f"r{i}.pdf")
            raise RuntimeError("stop")
    drawn = set(tmp_path.iterdir())
    assert len(drawn) < 12  # those queued but not started were dropped
    for path in drawn:  # and those being drawn were finished, not cut short
        assert path.read_bytes() == pdf_bytes(page(f"Report {path.stem[1:]}"))


def test_fonts_opened_without_the_layout_tables_embed_the_same_bytes(monkeypatch):
    import weasyprint.pdf.fonts
    from fontTools.ttLib import TTFont

    html = page("Reliable change: 60% (95% CI 0.55 to 1.46) AV To Wa fi ffl", "<p>Ünïcödé — ½</p>")
    lean = pdf_bytes(html)
    assert weasyprint.pdf.fonts.TTFont is not TTFont
    monkeypatch.setattr(weasyprint.pdf.fonts, "TTFont", TTFont)
    assert pdf_bytes(html) == lean


def test_reports_name_the_measures_files_as_daeval_measures_writes_them():
    from daeval.metrics import measures_table

    assert (MEASURES_CSV, MEASURES_META) == (
        measures_table.MEASURES_CSV,
        measures_table.MEASURES_META,
    )
