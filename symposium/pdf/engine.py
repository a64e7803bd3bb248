"""The rendering engine: HTML -> WeasyPrint layout -> PDF -> standalone PDFs (pikepdf).

Free of Flask and of the database: a :class:`Batch` holds plain data (the HTML, paths and
one :class:`Part` per output document), so the same function :func:`run` serves in-process
renders and the worker processes of :mod:`symposium.pdf.pool`.

How a batch becomes standalone PDFs
1. WeasyPrint lays out the whole batch as ONE document (fonts loaded once per process
   through a shared ``FontConfiguration``; subset and embedded once per batch).
2. The page where each part starts is found from its ``doc-<i>`` anchor; the box of an
   optional QR placeholder from its ``qr-<i>`` anchor.
3. pikepdf (qpdf) trims each page's resources to what its content uses (WeasyPrint shares
   one /Resources dictionary among all pages), copies each part's pages into a new PDF,
   draws the QR code as vector rectangles, sets title, language and dates, and saves with
   a deterministic /ID: the same batch gives the same bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from . import qr as qr_draw
from .fetch import RestrictedFetcher

# A constant date for documents that have no natural date of their own (reproducible bytes)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
PRODUCER = "symposium (WeasyPrint, qpdf)"

_lock = threading.RLock()  # WeasyPrint and the shared FontConfiguration are not thread-safe
_font_config: FontConfiguration | None = None
_font_css: dict[str, CSS] = {}


@dataclass(frozen=True)
class Part:
    """One output document: its metadata and the text of its QR code (if any)."""

    lang: str
    title: str
    created: datetime | None = None
    qr: str | None = None


@dataclass(frozen=True)
class Batch:
    """Everything needed to render: picklable, no app context required."""

    html: str
    base_url: str
    roots: tuple[str, ...]
    fonts_css: str
    parts: tuple[Part, ...]
    split: bool = True  # True: part i starts at anchor "doc-<i>"; False: one part, all pages


def shared_fonts(fonts_css: str, url_fetcher: RestrictedFetcher) -> tuple[FontConfiguration, CSS]:
    """One FontConfiguration per process: the @font-face files are loaded once."""
    global _font_config
    with _lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        if fonts_css not in _font_css:
            _font_css[fonts_css] = CSS(
                filename=fonts_css, url_fetcher=url_fetcher, font_config=_font_config
            )
        return _font_config, _font_css[fonts_css]


def render_plain(html: str, base_url: str, roots: Sequence[str], fonts_css: str) -> bytes:
    """WeasyPrint's own PDF of ``html`` (programme, badges: no splitting, no overlay)."""
    fetcher = RestrictedFetcher(roots)
    with _lock:
        font_config, font_css = shared_fonts(fonts_css, fetcher)
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=[font_css], font_config=font_config
        )
        return document.write_pdf()


def layout(batch: Batch):
    """Lay out and write the batch: (pdf bytes, page ranges, QR boxes per part)."""
    fetcher = RestrictedFetcher(batch.roots)
    with _lock:
        font_config, font_css = shared_fonts(batch.fonts_css, fetcher)
        document = HTML(string=batch.html, base_url=batch.base_url, url_fetcher=fetcher).render(
            stylesheets=[font_css], font_config=font_config
        )
        ranges = page_ranges(document.pages, len(batch.parts), batch.split)
        boxes = qr_boxes(document.pages, ranges, batch.parts)
        return document.write_pdf(), ranges, boxes


def page_ranges(pages, count: int, split: bool) -> list[tuple[int, int]]:
    """(first page, end page) of each part, from the ``doc-<i>`` anchors."""
    if not split:
        return [(0, len(pages))]
    where: dict[str, int] = {}
    for number, page in enumerate(pages):
        for name in page.anchors:
            where.setdefault(name, number)
    starts = []
    for index in range(count):
        start = where.get(f"doc-{index}")
        if start is None:
            raise RuntimeError(f"the template did not mark doc-{index}")
        starts.append(start)
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise RuntimeError("every document must start on a new page, in order")
    return list(zip(starts, starts[1:] + [len(pages)], strict=True))


def qr_boxes(pages, ranges, parts: Sequence[Part]) -> list[list[tuple[int, tuple]]]:
    """For each part with a QR payload: [(page offset in the part, anchor box)]."""
    out: list[list[tuple[int, tuple]]] = []
    for index, ((start, end), part) in enumerate(zip(ranges, parts, strict=True)):
        found = []
        if part.qr:
            name = f"qr-{index}"
            for number in range(start, end):
                box = pages[number].anchors.get(name)
                if box is not None:
                    found.append((number - start, tuple(float(v) for v in box)))
                    break
            if not found:
                raise RuntimeError(f"the template did not place {name}")
        out.append(found)
    return out


def run(batch: Batch) -> list[bytes]:
    """Render ``batch``: one standalone PDF per part, in order."""
    data, ranges, boxes = layout(batch)
    return finish(data, ranges, batch.parts, boxes)


def finish(data: bytes, ranges, parts: Sequence[Part], boxes) -> list[bytes]:
    """Split WeasyPrint's PDF into standalone PDFs with their own metadata and QR codes."""
    import pikepdf

    out: list[bytes] = []
    with pikepdf.open(BytesIO(data)) as source:
        # WeasyPrint gives all pages one shared /Resources (every image, pattern and
        # graphics state of the batch): keep only what each page's content uses.
        source.remove_unreferenced_resources()
        for (start, end), part, qrs in zip(ranges, parts, boxes, strict=True):
            with pikepdf.new() as target:
                for number in range(start, end):
                    target.pages.append(source.pages[number])
                for offset, box in qrs:
                    _draw_qr(target, target.pages[offset], part.qr, box)
                _set_metadata(target, part)
                buffer = BytesIO()
                target.save(
                    buffer,
                    min_version="1.7",
                    object_stream_mode=pikepdf.ObjectStreamMode.generate,
                    deterministic_id=True,
                )
            out.append(buffer.getvalue())
    return out


def _draw_qr(pdf, page, payload: str, box) -> None:
    import pikepdf

    top = float(page.mediabox[3])
    # WeasyPrint's content leaves a y-flipped matrix in place: isolate it with q ... Q
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"Q\n" + qr_draw.content_stream(payload, box, top)))
    page.contents_coalesce()


def _set_metadata(pdf, part: Part) -> None:
    import pikepdf

    stamp = pdf_date(part.created)
    pdf.docinfo = pdf.make_indirect(
        pikepdf.Dictionary(
            Title=pikepdf.String(part.title),
            Creator=pikepdf.String("symposium"),
            Producer=pikepdf.String(PRODUCER),
            CreationDate=pikepdf.String(stamp),
            ModDate=pikepdf.String(stamp),
        )
    )
    pdf.Root.Lang = pikepdf.String(part.lang)
    pdf.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)


def pdf_date(moment: datetime | None) -> str:
    moment = moment or EPOCH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")


def warm(base_url: str, roots: Sequence[str], fonts_css: str) -> None:
    """Load the fonts (Arabic and Latin) so the first real render pays no start-up cost."""
    html = (
        '<html lang="ar"><body><p>شهادة حضور <b>عربي</b></p>'
        '<p lang="en">Certificate <b>Latin</b> <i>é</i></p></body></html>'
    )
    render_plain(html, base_url, roots, fonts_css)
