"""The shared backgrounds of layered batches, kept per process (certificates).

A certificate's background (everything but the holder's names, number, date, link and QR
code) is the same for every holder of a variant (event texts, kind, language, signatories)
and names height. :mod:`.engine` used to lay it out again for every batch; a single
on-demand certificate laid out the whole page. Here both the geometry of a variant (where
its names box sits) and its background PDF are kept in this process, so a batch (or one
certificate) lays out only its names layer.

Invalidation is by content: the key is the variant's background HTML itself (every text,
signatory name and title, signature image URL, the template and its options rendered in),
the page environment (base URL, allowed roots, fonts stylesheet) and the names height.
A changed setting, signatory or event text gives new HTML, hence a new key: nothing can
show stale text. Old entries fall out of a small LRU.

Each background is laid out ALONE in its own WeasyPrint document, so its bytes (font
subsets included) do not depend on what else was rendered before in the process: the
same certificate still gives the same bytes, in any process, in any order.

The opened pikepdf form of a background (resources trimmed, structure indexed, page as a
Form XObject) is kept with it; :mod:`.engine` uses it only under its lock (qpdf objects
are not thread-safe).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from io import BytesIO

from . import structure

MAX_GEOMETRIES = 64
MAX_BACKGROUNDS = 32

_lock = threading.RLock()
_geometries: OrderedDict[tuple, tuple] = OrderedDict()
_backgrounds: OrderedDict[tuple, Background] = OrderedDict()


class Background:
    """One background page: WeasyPrint's PDF and, once needed, its opened pikepdf form."""

    def __init__(self, data: bytes):
        self.data = data
        self._opened = None

    def opened(self):
        """(pikepdf.Pdf, structure.Source, [Form XObject]) of this background."""
        if self._opened is None:
            import pikepdf

            under = pikepdf.open(BytesIO(self.data))
            under.remove_unreferenced_resources()
            structure.unique_subset_names(under)
            tree = structure.Source(under, strip_pages=True)
            forms = [page.as_form_xobject() for page in under.pages]
            self._opened = (under, tree, forms)
        return self._opened


def _remember(cache: OrderedDict, key, value, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def geometry(context: tuple, sections: list[str], batch) -> list[tuple]:
    """(offset, x1, x2, height, origin y) of each variant's empty names box."""
    from . import engine

    head, tail = context[0], context[1]
    out: list[tuple | None] = []
    missing = []
    with _lock:
        for k, section in enumerate(sections):
            found = _geometries.get((context, section))
            if found is not None:
                _geometries.move_to_end((context, section))
            else:
                missing.append(k)
            out.append(found)
    if missing:
        html = engine._backgrounds_html((head, sections, tail), [(k, 0.0) for k in missing])
        probe = engine._render_document(html, batch)
        engine._one_page_each(probe.pages, len(missing))
        with _lock:
            for position, k in enumerate(missing):
                out[k] = engine._slot(probe.pages[position], position)
                _remember(_geometries, (context, sections[k]), out[k], MAX_GEOMETRIES)
    return out  # type: ignore[return-value]


def background(
    context: tuple, sections: list[str], variant: int, height: float, want: tuple, batch
) -> tuple[Background, int]:
    """The background of ``variant`` with a names box ``height`` px tall: (background, page)."""
    from . import engine

    key = (context, sections[variant], height)
    with _lock:
        found = _backgrounds.get(key)
        if found is not None:
            _backgrounds.move_to_end(key)
            return found, 0
    head, tail = context[0], context[1]
    document = engine._render_document(
        engine._backgrounds_html((head, sections, tail), [(variant, height)]), batch
    )
    engine._one_page_each(document.pages, 1)
    offset, x1, _x2, got, _origin = engine._slot(document.pages[0], 0)
    if not (
        engine._close(offset, want[0]) and engine._close(got, height) and engine._close(x1, want[1])
    ):
        raise engine.LayerMismatch("background names box differs")
    made = Background(document.write_pdf(**engine.write_options(batch.archival)))
    with _lock:
        _remember(_backgrounds, key, made, MAX_BACKGROUNDS)
    return made, 0


def clear() -> None:
    """Forget every kept geometry and background (tests; a new template in development)."""
    with _lock:
        _geometries.clear()
        _backgrounds.clear()
