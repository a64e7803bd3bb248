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

Layered batches (:class:`Layered`, one-page form letters such as certificates)
Most of a certificate is the same for every holder of a variant (event, kind, language):
laying it out 50 times is most of the cost. A layered batch lays out, per holder, only a
"names" layer (names, number, date, link, QR box) and, once per variant and name height, a
"background" layer (everything else, with an empty box as tall as the names). Each page is
the names page with the background drawn underneath as a Form XObject: the same text, in
the same places, with real fonts. The geometry is checked (names box position and width,
heights, one page each); any difference and the batch is rendered whole instead. The
backgrounds and the names box geometry are kept per process, keyed by their content
(:mod:`.backgrounds`): later batches, and single certificates, lay out only their names.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from . import backgrounds, structure, stylesheets
from . import qr as qr_draw
from . import text as pdf_text
from .fetch import RestrictedFetcher

pdf_text.install()  # every line carries its typed text (ActualText): see .text
stylesheets.install()  # linked stylesheets parsed once per process: see .stylesheets

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
    archival: bool = False  # True: PDF/A-2u as well as PDF/UA-1 (stored certificates)


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
        return document.write_pdf(**write_options())


def write_options(archival: bool = False) -> dict:
    """WeasyPrint's options: tagged PDF/UA-1 (structure tree, language, title). WeasyPrint
    writes one variant at a time: PDF/A-2u (``archival``) is added by :mod:`.structure`
    when the PDF is finished (identification and sRGB output intent)."""
    del archival
    return {"pdf_variant": "pdf/ua-1"}


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
        return document.write_pdf(**write_options(batch.archival)), ranges, boxes


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
    return finish(data, ranges, batch.parts, boxes, archival=batch.archival)


def run_job(job: Batch | Layered) -> list[bytes]:
    """Render a :class:`Batch` or a :class:`Layered` batch (what worker processes run)."""
    with gc_paused():
        return run_layered(job) if isinstance(job, Layered) else run(job)


@contextlib.contextmanager
def gc_paused():
    """No cyclic garbage collection while a batch renders.

    Layout allocates hundreds of thousands of small objects; the collector then keeps
    walking the whole heap (15-20 % of a bulk render). Afterwards the two younger
    generations are collected; older garbage waits for the next full collection.
    """
    if not gc.isenabled():  # another thread is rendering (or the caller turned it off)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(1)


# --------------------------------------------------------------------------- layered

TOLERANCE = 0.01  # CSS px: positions and sizes must agree to a hundredth of a pixel
SECTION_START, SECTION_END = "<!--section-->", "<!--/section-->"


class LayerMismatch(RuntimeError):
    """The layers would not stack exactly: render the batch whole instead."""


@dataclass(frozen=True)
class Layered:
    """A batch rendered as per-holder "names" pages over shared "background" pages.

    ``names.html`` holds ``@@OFFSET<k>@@`` for variant k's names-box offset (CSS length);
    ``background_html`` holds one section per variant between ``<!--section-->`` markers,
    with ``@@I@@`` (document index) and ``@@HEIGHT@@`` (names-box height);
    ``variant_of[i]`` is part i's variant; ``whole`` is the same batch in one layer (None:
    the caller renders the fallback itself when :class:`LayerMismatch` is raised).
    Anchors: ``doc-<i>``, ``origin-<i>`` (the certificate's top-left), ``slot-<i>`` (the
    names box) and ``qr-<i>``.
    """

    names: Batch
    background_html: str
    variant_of: tuple[int, ...]
    whole: Batch | None


def run_layered(job: Layered) -> list[bytes]:
    try:
        return _run_layered(job)
    except LayerMismatch:
        if job.whole is None:
            raise
        return run(job.whole)


def _sections(html: str) -> tuple[str, list[str], str]:
    head, _, rest = html.partition(SECTION_START)
    sections, tail = [], ""
    while True:
        section, found, rest = rest.partition(SECTION_END)
        if not found:
            raise LayerMismatch("unterminated background section")
        sections.append(section)
        between, found, rest = rest.partition(SECTION_START)
        if not found:
            tail = between
            break
    return head, sections, tail


def _backgrounds_html(parsed, wanted: list[tuple[int, float]]) -> str:
    head, sections, tail = parsed
    body = "".join(
        sections[variant].replace("@@I@@", str(index)).replace("@@HEIGHT@@", f"{height:.4f}px")
        for index, (variant, height) in enumerate(wanted)
    )
    return head + body + tail


def _render_document(html: str, batch: Batch):
    fetcher = RestrictedFetcher(batch.roots)
    font_config, font_css = shared_fonts(batch.fonts_css, fetcher)
    return HTML(string=html, base_url=batch.base_url, url_fetcher=fetcher).render(
        stylesheets=[font_css], font_config=font_config
    )


def _slot(page, index: int) -> tuple[float, float, float, float, float]:
    """(offset from the origin, x1, x2, height, origin y) of document ``index``'s names box."""
    origin = page.anchors.get(f"origin-{index}")
    slot = page.anchors.get(f"slot-{index}")
    if origin is None or slot is None:
        raise LayerMismatch(f"anchors of document {index} missing")
    x1, y1, x2, y2 = (float(v) for v in slot)
    return y1 - float(origin[1]), x1, x2, y2 - y1, float(origin[1])


def _one_page_each(pages, count: int) -> list[tuple[int, int]]:
    try:
        ranges = page_ranges(pages, count, True)
    except RuntimeError as exc:
        raise LayerMismatch(str(exc)) from exc
    if len(pages) != count or any(end - start != 1 for start, end in ranges):
        raise LayerMismatch("a layer took more than one page")
    return ranges


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE


def _run_layered(job: Layered) -> list[bytes]:
    names = job.names
    parsed = _sections(job.background_html)
    head, sections, tail = parsed
    context = (head, tail, names.base_url, names.roots, names.fonts_css)
    with _lock:
        # 1. where the names box sits in each variant (cached per process)
        geometry = backgrounds.geometry(context, sections, names)
        # 2. the names layer of every holder, the box placed at its variant's offset
        html = names.html
        for k, (offset, *_rest) in enumerate(geometry):
            html = html.replace(f"@@OFFSET{k}@@", f"{offset:.4f}px")
        document = _render_document(html, names)
        ranges = _one_page_each(document.pages, len(names.parts))
        heights = []
        for index, variant in enumerate(job.variant_of):
            offset, x1, x2, height, _origin = _slot(document.pages[index], index)
            want = geometry[variant]
            if not (_close(offset, want[0]) and _close(x1, want[1]) and _close(x2, want[2])):
                raise LayerMismatch(f"names box of document {index} misplaced")
            heights.append(round(height, 4))
        boxes = qr_boxes(document.pages, ranges, names.parts)
        names_pdf = document.write_pdf(**write_options(names.archival))
        # 3. one background per variant and names height (cached per process)
        underlays = [
            backgrounds.background(context, sections, variant, height, geometry[variant], names)
            for variant, height in zip(job.variant_of, heights, strict=True)
        ]
        return finish(names_pdf, ranges, names.parts, boxes, underlays, archival=names.archival)


def finish(
    data: bytes,
    ranges,
    parts: Sequence[Part],
    boxes,
    underlays: Sequence[tuple[backgrounds.Background, int]] = (),
    *,
    archival: bool = False,
) -> list[bytes]:
    """Split WeasyPrint's PDF into standalone PDFs with their own metadata and QR codes.

    With ``underlays``, part i's (single) page gets page ``underlays[i][1]`` of background
    ``underlays[i][0]`` drawn underneath it as a Form XObject. Each part keeps its share of
    the structure tree (:mod:`.structure`), the background's elements merged in reading order.
    """
    import pikepdf

    out: list[bytes] = []
    with pikepdf.open(BytesIO(data)) as source:
        # WeasyPrint gives all pages one shared /Resources (every image, pattern and
        # graphics state of the batch): keep only what each page's content uses.
        source.remove_unreferenced_resources()
        structure.unique_subset_names(source)
        tree = structure.Source(source)
        for index, ((start, end), part, qrs) in enumerate(zip(ranges, parts, boxes, strict=True)):
            with pikepdf.new() as target:
                for number in range(start, end):
                    target.pages.append(source.pages[number])
                builder = structure.Builder(target, tree)
                for offset, number in enumerate(range(start, end)):
                    builder.add_page(target.pages[offset], number)
                if underlays:
                    background, page_number = underlays[index]
                    _under, under_tree, forms = background.opened()
                    form = _underlay(target, target.pages[0], forms[page_number])
                    builder.merge_form(target.pages[0], form, under_tree, page_number)
                for offset, box in qrs:
                    _draw_qr(target, target.pages[offset], part.qr, box)
                builder.finish()
                _set_metadata(target, part)
                structure.identify(target, part, archival=archival)
                buffer = BytesIO()
                target.save(
                    buffer,
                    min_version="1.7",
                    object_stream_mode=pikepdf.ObjectStreamMode.generate,
                    deterministic_id=True,
                )
            out.append(buffer.getvalue())
    return out


def _underlay(pdf, page, form):
    """Draw Form XObject ``form`` (same page size) underneath ``page``'s content.

    (pikepdf's add_underlay names the XObject randomly; a fixed name keeps bytes stable.)
    """
    import pikepdf

    resources = page.obj.get("/Resources")
    if resources is None:
        resources = page.obj.Resources = pikepdf.Dictionary()
    xobjects = resources.get("/XObject")
    if xobjects is None:
        xobjects = resources.XObject = pikepdf.Dictionary()
    name, number = "/Background", 0
    while name in xobjects:
        number += 1
        name = f"/Background{number}"
    copied = xobjects[name] = pdf.copy_foreign(form)
    page.contents_add(pikepdf.Stream(pdf, f"q {name} Do Q\n".encode()), prepend=True)
    return copied


def _draw_qr(pdf, page, payload: str, box) -> None:
    import pikepdf

    top = float(page.mediabox[3])
    # WeasyPrint's content leaves a y-flipped matrix in place: isolate it with q ... Q
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    # the code repeats the verification link printed next to it: an artifact for readers
    drawing = b"/Artifact BMC\n" + qr_draw.content_stream(payload, box, top) + b"EMC\n"
    page.contents_add(pikepdf.Stream(pdf, b"Q\n" + drawing))
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
