"""Report PDFs read back in tests with pypdfium2: each page as an image, or as its text."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image


def page_images(pdf: Path, scale: float = 1.0) -> list[Image.Image]:
    """Each page drawn as an RGB image; ``scale`` 1 is 72 dots per inch (an A4 page: 595 x 842)."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        images = []
        for index in range(len(document)):
            page = document[index]
            try:
                bitmap = page.render(scale=scale)
                images.append(bitmap.to_pil().convert("RGB"))
            finally:
                page.close()
        return images
    finally:
        document.close()


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, as pdfium extracts it (lines joined by CR LF)."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            try:
                texts.append(text_page.get_text_range())
            finally:
                text_page.close()
                page.close()
        return texts
    finally:
        document.close()
