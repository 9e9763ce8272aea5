"""Reports as PDF, drawn by WeasyPrint from the same self-contained HTML as the web page.

Nothing is fetched. The HTML carries its CSS and its charts (inline SVG) itself; WeasyPrint is
given a URL fetcher that refuses every URL, whether ``http:``, ``https:``, ``file:`` or any other
scheme, so a stray ``<img src>``, ``<link href>`` or CSS ``url()`` can neither reach the network
nor read the file system. A refused URL stops the rendering: :func:`write_pdf` raises
:class:`ExternalResourceError` naming it and writes no file, as a report with a hole where a
figure should be must not go out. A relative URL (``<img src="x.png">``) has no base to resolve
against, so WeasyPrint skips it without fetching and logs it; that log record is caught and
raised as the same :class:`ExternalResourceError`. The one URL allowed is a ``data:`` URL,
which holds its bytes in the HTML itself (an embedded PNG, say) and is decoded in memory.
Relative links (``<a href="other.html">``) fetch nothing and stay links.

Fonts come from the system's fontconfig: DejaVu (Debian's fonts-dejavu-core) is the fallback for
``sans-serif`` and is asked for first by a user stylesheet, which the HTML's own CSS overrides.

The output is byte-for-byte the same for the same HTML (with the same WeasyPrint, pydyf, fonts
and HarfBuzz/fontTools). How WeasyPrint 70 and pydyf 0.13 could make it differ, and what is done:

* Creation and modification dates: WeasyPrint writes ``/CreationDate`` and ``/ModDate`` only
  from ``<meta name="dcterms.created">`` and ``<meta name="dcterms.modified">`` in the HTML (for
  HTML given as a string it never uses the clock or a file's times), so they are whatever the HTML
  says, or absent. Neither WeasyPrint nor pydyf reads ``SOURCE_DATE_EPOCH``.
* Document identifier: pydyf writes ``/ID`` only when asked. It is set here to the first 32 hex
  digits of the SHA-256 of the HTML (``pdf_identifier``), with pydyf's MD5 of the file body as
  the second part: both fixed by the content, never random.
* Embedded fonts: WeasyPrint subsets each font with HarfBuzz-Subset or, where the system lacks
  libharfbuzz-subset (as where this was written), with fontTools, which stamps the subset's ``head.modified``
  with the clock, unless the environment variable ``SOURCE_DATE_EPOCH`` is set. So while it
  draws, :func:`pdf_bytes` sets ``SOURCE_DATE_EPOCH`` to :data:`FONT_EPOCH` (2000-01-01) and then
  puts back whatever was there before (or removes it), holding a lock so two drawings in one
  process do not undo each other's setting. Any ``SOURCE_DATE_EPOCH`` of the caller's is
  overridden while drawing, so the bytes do not depend on the environment either.
* Font subsets are named from an MD5 of the font description, not at random; the XMP
  ``DocumentID`` (a random UUID) is only written for PDF/X-4 and later, which is not used.

WeasyPrint drops the layout tables (``GSUB``, ``GPOS``) of every font it embeds, the text being
shaped already; fontTools 4.6x decodes both in full before dropping them, which was half the
time of subsetting a DejaVu face (a third of a second each, several per PDF). WeasyPrint's font
module is given :class:`_ShapedFont`, which leaves them out when the font is opened (and, as
fontTools' subsetter does when there is a ``GPOS``, the legacy ``kern`` table): the subsets are
the same bytes.

Several reports are drawn at once by :class:`PdfWriter`, in up to two worker processes (one a
CPU core the process may use), while the caller goes on building the next report's HTML: each
PDF depends only on its HTML, so the bytes are the same as when drawn one after another. The
workers are forked from a server process that has imported WeasyPrint once (``forkserver``),
never from the caller, whose database connections and threads they must not inherit.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

with warnings.catch_warnings():
    # Without the system's libharfbuzz-subset, WeasyPrint subsets fonts with fontTools and warns
    # at import that it will need HarfBuzz-Subset one day: nothing daeval can act on.
    warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
    import weasyprint.pdf.fonts
    from fontTools.ttLib import TTFont
    from weasyprint import CSS, HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

FONT_EPOCH = 946_684_800
"""2000-01-01T00:00:00Z as seconds since 1970: the modification time of embedded font subsets."""

_ENVIRONMENT = threading.Lock()


class _ShapedFont(TTFont):
    """A font opened for embedding in a PDF, without the layout tables that WeasyPrint drops
    from every embedded font (and, like fontTools' subsetter when there is a GPOS, the legacy
    kern table)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        drop = ("kern", "GSUB", "GPOS") if "GPOS" in self else ("GSUB",)
        for tag in drop:
            if tag in self:
                del self[tag]


weasyprint.pdf.fonts.TTFont = _ShapedFont  # type: ignore[misc]

FONT_CSS = 'html { font-family: "DejaVu Sans", sans-serif; }'
"""A user stylesheet: DejaVu unless the report's own CSS says otherwise."""


class ExternalResourceError(RuntimeError):
    """The report HTML refers to something outside itself (a bug in the report's HTML)."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"the report refers to {url!r}; reports are self-contained and fetch nothing "
            "(put CSS and charts in the HTML itself)"
        )
        self.url = url

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (type(self), (self.url,))  # raised again in the caller when drawn by a worker


class _RefusedURL(PermissionError):
    def __init__(self, url: str) -> None:
        super().__init__(f"refused to fetch {url!r}: reports fetch nothing")
        self.url = url


class RefusingFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that refuses every URL but ``data:``, and remembers each refused.

    ``fail_on_errors`` makes WeasyPrint stop at the first refusal instead of drawing on without.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.strip().lower().startswith("data:"):
            return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
        self.refused.append(url)
        raise _RefusedURL(url)


class _RelativeReferences(logging.Handler):
    """Catches WeasyPrint's logs of a relative URL it skipped (an ``<img src>`` is logged as an
    error, a CSS declaration as an ignored one), in this thread only."""

    MESSAGE = "Relative URI reference without a base URI"
    CSS_URL = re.compile(r"""url\(\s*["']?([^"')]*)""")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.urls: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        if str(record.msg).startswith(self.MESSAGE) and isinstance(record.args, tuple):
            self.urls.append(str(record.args[0]))  # the HTML attribute's value
        elif self.MESSAGE in message:
            found = self.CSS_URL.search(message)
            self.urls.append(found.group(1) if found else message)


@contextmanager
def _source_date_epoch(seconds: int) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set to ``seconds`` inside, and as it was before afterwards."""
    name = "SOURCE_DATE_EPOCH"
    with _ENVIRONMENT:
        before = os.environ.get(name)
        os.environ[name] = str(seconds)
        try:
            yield
        finally:
            if before is None:
                del os.environ[name]
            else:
                os.environ[name] = before


def pdf_bytes(html: str) -> bytes:
    """The PDF of ``html``, the same bytes every time for the same HTML."""
    fetcher = RefusingFetcher()
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    relative = _RelativeReferences()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(relative)
    try:
        with _source_date_epoch(FONT_EPOCH):
            document = HTML(string=html, url_fetcher=fetcher)
            data = document.write_pdf(
                stylesheets=[CSS(string=FONT_CSS, url_fetcher=fetcher)],
                pdf_identifier=identifier,
            )
    except FatalURLFetchingError as error:  # a BaseException: turned into an ordinary one
        cause = error.__cause__
        url = cause.url if isinstance(cause, _RefusedURL) else (fetcher.refused or ["?"])[-1]
        raise ExternalResourceError(url) from error
    finally:
        logger.removeHandler(relative)
    if relative.urls:
        raise ExternalResourceError(relative.urls[0])
    assert isinstance(data, bytes)
    return data


def write_pdf(html: str, path: Path) -> Path:
    """Write the PDF of the self-contained ``html`` to ``path`` (its folder must exist).

    Raises :class:`ExternalResourceError`, writing nothing, if the HTML refers to any resource
    (image, stylesheet, font, background) by a URL other than a ``data:`` URL.
    """
    path = Path(path)
    path.write_bytes(pdf_bytes(html))
    return path


MAX_WORKERS = 2
"""Worker processes drawing PDFs at once: WeasyPrint is single-threaded, and more than two
would only crowd the caller (which builds the next report meanwhile) on a small machine."""


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class PdfWriter:
    """Writes PDFs (as :func:`write_pdf` does) in worker processes, several at once.

    Calling it queues one PDF and returns its path at once; the file is there only after
    :meth:`finish`, which waits for every PDF and raises the first error any of them met (an
    :class:`ExternalResourceError` as from :func:`write_pdf`). Use it as a context manager:
    leaving the block normally finishes; leaving it by an exception drops the PDFs not yet
    started and waits for those being drawn, so nothing writes into the folder afterwards.
    With ``workers`` of 1 or less (or where processes cannot be forked from a server, as on
    Windows) each PDF is drawn when it is asked for.
    """

    def __init__(self, workers: int | None = None) -> None:
        workers = min(MAX_WORKERS, usable_cores()) if workers is None else workers
        self._jobs: list[Future[Path]] = []
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1 and "forkserver" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            self._pool = ProcessPoolExecutor(workers, mp_context=context)

    def __call__(self, html: str, path: Path) -> Path:
        if self._pool is None:
            return write_pdf(html, path)
        self._jobs.append(self._pool.submit(write_pdf, html, Path(path)))
        return Path(path)

    def finish(self) -> None:
        """Wait for every PDF queued; raise the first error met."""
        try:
            for job in self._jobs:
                job.result()
        finally:
            self._close()

    def _close(self) -> None:
        """Drop the PDFs not yet started, wait for those being drawn, end the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PdfWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.finish()
        else:
            self._close()
