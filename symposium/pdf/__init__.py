"""PDF rendering: a Jinja template and its context -> PDF bytes, with WeasyPrint.

- Fonts: the vendored Noto fonts through ``static/css/fonts.css`` (``@font-face``), embedded
  (subset) in every PDF. One warmed ``FontConfiguration`` is shared by all renders.
- Resources: :class:`RestrictedFetcher` serves only the app's static files and stored uploads
  (``STORAGE_DIR``) and image ``data:`` URLs; everything else (``http(s)://``, other files,
  ``..`` escapes, symlinks out) is refused, so text people typed can never make the renderer
  read a server file or open a network connection.
- Deterministic output: creation/modification dates come from the caller (e.g. the
  certificate's issue date), no random identifiers: the same input gives the same bytes.
- Speed: :func:`render_many` lays out many documents in ONE WeasyPrint document (fonts
  embedded once) and splits it into standalone PDFs with pypdf.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

# A constant date for documents that have no natural date of their own (reproducible bytes)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
DATA_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml"})
MAX_RESOURCE_BYTES = 10 * 1024 * 1024

_lock = threading.RLock()
_font_config: FontConfiguration | None = None
_font_css: dict[str, CSS] = {}


class ResourceRefused(ValueError):
    """The renderer asked for a resource outside the allowed folders."""


def allowed_roots() -> list[Path]:
    """Folders the renderer may read: the app's static files and STORAGE_DIR (resolved)."""
    roots = [Path(current_app.static_folder or "").resolve()]
    storage = current_app.config.get("STORAGE_DIR")
    if storage:
        roots.append(Path(storage).resolve())
    return roots


class RestrictedFetcher(URLFetcher):
    """WeasyPrint URL fetcher that never touches the network nor files outside ``roots``."""

    def __init__(self, roots: Sequence[Path]):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.roots = [Path(r).resolve() for r in roots]

    def fetch(self, url, headers=None):  # noqa: ARG002 - WeasyPrint's signature
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "file":
            path = self.resolve_file(url)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path2url(str(path)), path.read_bytes(), {"Content-Type": mime}
            )
        if scheme == "data":
            mime, body = self.parse_data(url)
            return URLFetcherResponse("data:", body, {"Content-Type": mime})
        raise ResourceRefused(f"resource refused: {url[:80]}")

    def resolve_file(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused("remote file URLs are refused")
        raw = url2pathname(unquote(parts.path))
        if any(segment == ".." for segment in raw.replace("\\", "/").split("/")):
            raise ResourceRefused("'..' in a resource path is refused")
        path = Path(raw)
        if not path.is_absolute():
            raise ResourceRefused("relative resource path")
        real = path.resolve()  # follows symlinks: a link pointing out of the roots is refused
        if not any(real.is_relative_to(root) for root in self.roots):
            raise ResourceRefused("resource outside the allowed folders")
        if not real.is_file():
            raise ResourceRefused("no such resource")
        if real.stat().st_size > MAX_RESOURCE_BYTES:
            raise ResourceRefused("resource too large")
        return real

    @staticmethod
    def parse_data(url: str) -> tuple[str, bytes]:
        header, sep, payload = url[len("data:") :].partition(",")
        if not sep:
            raise ResourceRefused("malformed data URL")
        params = [p.strip().lower() for p in header.split(";")]
        mime = params[0] or "text/plain"
        if mime not in DATA_IMAGE_TYPES:
            raise ResourceRefused(f"data URL of type {mime} refused")
        if "base64" in params[1:]:
            body = base64.b64decode(unquote(payload), validate=False)
        else:
            body = unquote_to_bytes(payload)
        if len(body) > MAX_RESOURCE_BYTES:
            raise ResourceRefused("data URL too large")
        return mime, body


def fetcher() -> RestrictedFetcher:
    return RestrictedFetcher(allowed_roots())


def static_path(*parts: str) -> Path:
    return Path(current_app.static_folder or "", *parts)


def _shared_fonts(url_fetcher: RestrictedFetcher) -> tuple[FontConfiguration, CSS]:
    """One FontConfiguration for the process: @font-face files are loaded once."""
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    key = str(static_path())
    if key not in _font_css:
        _font_css[key] = CSS(
            filename=str(static_path("css", "fonts.css")),
            url_fetcher=url_fetcher,
            font_config=_font_config,
        )
    return _font_config, _font_css[key]


def w3c_date(moment: datetime | None) -> str:
    moment = moment or EPOCH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_html(template_name: str, context: dict, *, lang: str, title: str, created=None) -> str:
    """The HTML given to WeasyPrint (useful for tests and debugging)."""
    from ..i18n import language, text_direction

    with language(lang):
        return render_template(
            template_name,
            **context,
            doc_lang=lang,
            doc_dir=text_direction(lang),
            doc_title=title,
            doc_created=w3c_date(created),
        )


def _write(html: str):
    url_fetcher = fetcher()
    with _lock:
        font_config, font_css = _shared_fonts(url_fetcher)
        document = HTML(
            string=html,
            base_url=path2url(str(static_path())) + "/",
            url_fetcher=url_fetcher,
        ).render(stylesheets=[font_css], font_config=font_config)
        return document, document.write_pdf()


def render(
    template_name: str, context: dict, *, lang: str, title: str, created: datetime | None = None
) -> bytes:
    """Render ``template_name`` (a full HTML document extending ``pdf/base.html``) to PDF."""
    html = render_html(template_name, context, lang=lang, title=title, created=created)
    return _write(html)[1]


def render_many(
    template_name: str,
    documents: Sequence[dict],
    *,
    lang: str,
    title: str,
    langs: Sequence[str] | None = None,
    titles: Sequence[str] | None = None,
    created: Sequence[datetime | None] | None = None,
) -> list[bytes]:
    """Lay out ``documents`` in one WeasyPrint document, return one standalone PDF each.

    The template receives ``documents`` and must start document ``i`` with an element whose
    id is ``doc-<i>`` (each document starting on a new page). Fonts are embedded once for the
    batch, which is much faster than one render per document; each split PDF keeps the fonts
    and text of its pages and gets its own title, language and dates.
    """
    if not documents:
        return []
    html = render_html(
        template_name,
        {"documents": list(documents)},
        lang=lang,
        title=title,
        created=(created or [None])[0],
    )
    document, pdf = _write(html)
    starts: list[int] = []
    for index in range(len(documents)):
        anchor = f"doc-{index}"
        page = next(
            (n for n, p in enumerate(document.pages) if anchor in p.anchors),
            None,
        )
        if page is None:
            raise RuntimeError(f"template {template_name} did not mark {anchor}")
        starts.append(page)
    ends = starts[1:] + [len(document.pages)]
    return split_pdf(
        pdf,
        list(zip(starts, ends, strict=True)),
        langs=list(langs or [lang] * len(documents)),
        titles=list(titles or [title] * len(documents)),
        created=list(created or [None] * len(documents)),
    )


def split_pdf(
    pdf: bytes,
    ranges: list[tuple[int, int]],
    *,
    langs: list[str],
    titles: list[str],
    created: list[datetime | None],
) -> list[bytes]:
    """Split ``pdf`` into standalone PDFs by page ranges (start inclusive, end exclusive)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    reader = PdfReader(BytesIO(pdf))
    out: list[bytes] = []
    for (start, end), lang, title, moment in zip(ranges, langs, titles, created, strict=True):
        writer = PdfWriter()
        for number in range(start, end):
            writer.add_page(reader.pages[number])
        stamp = pdf_date(moment)
        writer.add_metadata(
            {
                "/Title": title,
                "/Producer": "symposium (WeasyPrint, pypdf)",
                "/CreationDate": stamp,
                "/ModDate": stamp,
            }
        )
        writer._root_object[NameObject("/Lang")] = TextStringObject(lang)
        writer._root_object[NameObject("/ViewerPreferences")] = writer._add_object(
            _viewer_preferences()
        )
        buffer = BytesIO()
        writer.write(buffer)
        out.append(buffer.getvalue())
    return out


def _viewer_preferences():
    from pypdf.generic import BooleanObject, DictionaryObject, NameObject

    return DictionaryObject({NameObject("/DisplayDocTitle"): BooleanObject(True)})


def pdf_date(moment: datetime | None) -> str:
    moment = (moment or EPOCH).astimezone(UTC)
    return moment.strftime("D:%Y%m%d%H%M%SZ")


def storage_path(*parts: str) -> Path:
    """A path inside STORAGE_DIR (folders created)."""
    path = Path(current_app.config["STORAGE_DIR"], *parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file (never a half-written PDF)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
