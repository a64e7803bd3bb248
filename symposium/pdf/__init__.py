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
  embedded once) and splits it into standalone PDFs with pikepdf (:mod:`.engine`); QR codes
  are drawn as vector shapes after layout (:mod:`.qr`); :func:`render_batches` spreads
  batches over worker processes (:mod:`.pool`). Modules ``fetch``, ``engine``, ``qr`` and
  ``pool`` need no Flask app, so worker processes can run them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, render_template
from weasyprint.urls import path2url

from . import engine, pool
from .engine import EPOCH, Batch, Layered, Part, pdf_date
from .fetch import DATA_IMAGE_TYPES, MAX_RESOURCE_BYTES, ResourceRefused, RestrictedFetcher

__all__ = [
    "DATA_IMAGE_TYPES",
    "EPOCH",
    "MAX_RESOURCE_BYTES",
    "Batch",
    "Layered",
    "Part",
    "ResourceRefused",
    "RestrictedFetcher",
    "allowed_roots",
    "configured_workers",
    "fetcher",
    "pdf_date",
    "prepare_many",
    "render",
    "render_batches",
    "render_html",
    "render_many",
    "static_path",
    "storage_path",
    "w3c_date",
    "warm_up",
    "write_atomic",
]


def allowed_roots() -> list[Path]:
    """Folders the renderer may read: the app's static files and STORAGE_DIR (resolved)."""
    roots = [Path(current_app.static_folder or "").resolve()]
    storage = current_app.config.get("STORAGE_DIR")
    if storage:
        roots.append(Path(storage).resolve())
    return roots


def fetcher() -> RestrictedFetcher:
    return RestrictedFetcher(allowed_roots())


def static_path(*parts: str) -> Path:
    return Path(current_app.static_folder or "", *parts)


def _environment() -> tuple[str, tuple[str, ...], str]:
    """(base URL, allowed roots, fonts.css path) of the current app: plain strings."""
    return (
        path2url(str(static_path())) + "/",
        tuple(str(root) for root in allowed_roots()),
        str(static_path("css", "fonts.css")),
    )


def configured_workers() -> int:
    """Worker processes for bulk rendering: ``PDF_WORKERS`` (app config or environment).

    Unset/0/"auto" = one per usable CPU (at most 4); 1 = render in-process only.
    """
    value = current_app.config.get("PDF_WORKERS", os.environ.get("PDF_WORKERS"))
    return pool.parse_workers(value)


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


def render(
    template_name: str,
    context: dict,
    *,
    lang: str,
    title: str,
    created: datetime | None = None,
    qr: str | None = None,
    archival: bool = False,
) -> bytes:
    """Render ``template_name`` (a full HTML document extending ``pdf/base.html``) to PDF.

    With ``qr`` the template must place an empty element with ``id="qr-0"``: the QR code of
    ``qr`` is drawn there as vector shapes, and the PDF is finished like a bulk one (same
    metadata, resources trimmed, deterministic /ID). Every PDF is tagged PDF/UA-1; with
    ``archival`` (and ``qr``) also PDF/A-2u.
    """
    html = render_html(template_name, context, lang=lang, title=title, created=created)
    base_url, roots, fonts_css = _environment()
    if qr is None:
        return engine.render_plain(html, base_url, roots, fonts_css)
    batch = Batch(
        html=html,
        base_url=base_url,
        roots=roots,
        fonts_css=fonts_css,
        parts=(Part(lang=lang, title=title, created=created, qr=qr),),
        split=False,
        archival=archival,
    )
    return engine.run_job(batch)[0]


def prepare_many(
    template_name: str,
    documents: Sequence[dict],
    *,
    lang: str,
    title: str,
    langs: Sequence[str] | None = None,
    titles: Sequence[str] | None = None,
    created: Sequence[datetime | None] | None = None,
    qr: Sequence[str | None] | None = None,
    archival: bool = False,
) -> Batch:
    """The :class:`Batch` for ``documents`` (needs the app context; rendering does not).

    The template receives ``documents`` and must start document ``i`` on a new page with an
    element whose id is ``doc-<i>``; with ``qr[i]`` set, it places an empty ``qr-<i>``
    element where that QR code is drawn.
    """
    count = len(documents)
    langs = list(langs or [lang] * count)
    titles = list(titles or [title] * count)
    created = list(created or [None] * count)
    qr = list(qr or [None] * count)
    html = render_html(
        template_name,
        {"documents": list(documents)},
        lang=lang,
        title=title,
        created=created[0] if created else None,
    )
    base_url, roots, fonts_css = _environment()
    parts = tuple(
        Part(lang=lg, title=tt, created=cr, qr=code)
        for lg, tt, cr, code in zip(langs, titles, created, qr, strict=True)
    )
    return Batch(
        html=html,
        base_url=base_url,
        roots=roots,
        fonts_css=fonts_css,
        parts=parts,
        archival=archival,
    )


def render_many(template_name: str, documents: Sequence[dict], **kwargs) -> list[bytes]:
    """Lay out ``documents`` in ONE WeasyPrint document, return one standalone PDF each.

    Fonts are loaded once per process and subset/embedded once per batch, which is much
    faster than one render per document; each split PDF carries only the resources its pages
    use and gets its own title, language and dates. Arguments as :func:`prepare_many`.
    """
    if not documents:
        return []
    return engine.run_job(prepare_many(template_name, documents, **kwargs))


def render_batches(batches: Iterable[Batch | Layered], workers: int = 1) -> Iterator[list[bytes]]:
    """Render prepared batches (plain or layered) in order, across ``workers`` processes."""
    return pool.map_batches(batches, workers)


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


def warm_up(app) -> bool:
    """Load the fonts, render throwaway certificates and lay out the backgrounds of the
    events whose certificates are downloaded now, if ``PDF_WARM_UP`` (wsgi.py calls it at
    start; off in tests). Writes no file and no database row; the database connections it
    opened are closed (safe before gunicorn forks its workers, ``--preload``). A failure
    is logged, never raised: the app starts anyway. True when it ran."""
    if not app.config.get("PDF_WARM_UP"):
        return False
    from ..extensions import db
    from ..services.certificates import warm

    with app.app_context():
        try:
            engine.warm(*_environment())
            warm.render_throwaway_certificates()
        except Exception:  # noqa: BLE001 - a warm-up must never stop the app from starting
            app.logger.warning("PDF warm-up failed", exc_info=True)
            return False
        try:
            warm.warm_recent_events(db.session)
        except Exception as exc:  # noqa: BLE001 - e.g. a database not migrated yet
            app.logger.info("PDF warm-up: recent events skipped (%s)", type(exc).__name__)
        finally:
            db.session.remove()
            db.engine.dispose()
    return True
