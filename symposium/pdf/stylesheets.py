"""Parsed stylesheets kept per process, and HarfBuzz subsetting without a C parse per call.

WeasyPrint parses every ``<link rel="stylesheet">`` of a document again for every document:
for a one-page certificate that is several milliseconds (tinycss2 tokenising, then
validating every declaration), more than laying out the holder's name. :func:`install`
wraps WeasyPrint's ``find_stylesheets`` so that a linked stylesheet is parsed once per
process and reused while the file is unchanged:

- only ``file:`` URLs read through a :class:`~.fetch.RestrictedFetcher` (the key holds the
  fetcher's allowed roots, the URL, the media type and the file's size and modification
  time: a refused or changed file is never served from the cache; the first load goes
  through the fetcher as before);
- only with the process's shared ``FontConfiguration`` (:func:`.engine.shared_fonts`), so
  an ``@font-face`` rule is registered where every later document finds it;
- everything else (``<style>`` elements, other fetchers, font configurations) is parsed as
  WeasyPrint always does.

A cached sheet keeps its own ``@page`` rules and layers (WeasyPrint shares one list between
the sheets of a document; the cascade reads each sheet's rules, so the result is the same).

WeasyPrint's font subsetting also asks cffi for an array type per glyph count
(``hb_codepoint_t[N]``): each new N is parsed by pycparser (about 4 ms). The open array type
``hb_codepoint_t[]`` with the same items makes the same array.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from .fetch import ResourceRefused, RestrictedFetcher

MAX_SHEETS = 32

_lock = threading.Lock()
_sheets: OrderedDict[tuple, object] = OrderedDict()
_installed = False


def _key(href: str, media_type: str, url_fetcher) -> tuple | None:
    if not isinstance(url_fetcher, RestrictedFetcher) or not href.startswith("file:"):
        return None
    try:
        stat = url_fetcher.resolve_file(href).stat()
    except (ResourceRefused, OSError):
        return None  # let WeasyPrint's own path report it
    roots = tuple(str(root) for root in url_fetcher.roots)
    return (roots, href, media_type, stat.st_size, stat.st_mtime_ns)


def _shared_font_config(font_config) -> bool:
    from . import engine

    return font_config is not None and font_config is engine._font_config


def install() -> None:
    """Wrap WeasyPrint's stylesheet discovery and subsetting arrays (idempotent)."""
    global _installed
    if _installed:
        return
    from weasyprint import CSS
    from weasyprint import css as wp_css
    from weasyprint.html import element_has_link_type, parse_url
    from weasyprint.pdf import fonts as wp_fonts

    original = wp_css.find_stylesheets

    def finding(
        wrapper_element,
        device_media_type,
        url_fetcher,
        base_url,
        font_config,
        counter_style,
        color_profiles,
        page_rules,
        layers,
    ):
        if not _shared_font_config(font_config) or not isinstance(url_fetcher, RestrictedFetcher):
            yield from original(
                wrapper_element,
                device_media_type,
                url_fetcher,
                base_url,
                font_config,
                counter_style,
                color_profiles,
                page_rules,
                layers,
            )
            return
        # The same steps as WeasyPrint's find_stylesheets (weasyprint/css/__init__.py)
        for wrapper in wrapper_element.query_all("style", "link"):
            element = wrapper.etree_element
            mime_type = element.get("type", "text/css").split(";", 1)[0].strip()
            if mime_type != "text/css":
                continue
            media_attr = element.get("media", "").strip() or "all"
            media = [media_type.strip() for media_type in media_attr.split(",")]
            if not wp_css.media_queries.evaluate_media_query(media, device_media_type):
                continue
            if element.tag == "style":
                yield CSS(
                    string=wp_css.get_child_text(element),
                    base_url=base_url,
                    url_fetcher=url_fetcher,
                    media_type=device_media_type,
                    font_config=font_config,
                    counter_style=counter_style,
                    page_rules=page_rules,
                    color_profiles=color_profiles,
                    layers=layers,
                )
                continue
            if element.tag != "link" or not element.get("href"):
                continue
            if not element_has_link_type(element, "stylesheet") or element_has_link_type(
                element, "alternate"
            ):
                continue
            href = parse_url(element.get("href"), base_url)
            if href is None:
                continue
            key = _key(href, device_media_type, url_fetcher)
            with _lock:
                sheet = _sheets.get(key) if key is not None else None
            if sheet is None:
                try:
                    sheet = CSS(
                        url=href,
                        url_fetcher=url_fetcher,
                        media_type=device_media_type,
                        font_config=font_config,
                        _check_mime_type=True,
                    )
                except wp_css.URLFetchingError as exception:
                    wp_css.LOGGER.error("Failed to load stylesheet at %s: %s", href, exception)
                    continue
                if key is not None:
                    with _lock:
                        _sheets[key] = sheet
                        while len(_sheets) > MAX_SHEETS:
                            _sheets.popitem(last=False)
            yield sheet

    class _Ffi:
        """``ffi`` for weasyprint.pdf.fonts: open array types for glyph id arrays."""

        def __init__(self, ffi):
            self._ffi = ffi

        def __getattr__(self, name):
            return getattr(self._ffi, name)

        def new(self, cdecl, init=None):
            if isinstance(cdecl, str) and cdecl.startswith("hb_codepoint_t[") and init is not None:
                cdecl = "hb_codepoint_t[]"
            return self._ffi.new(cdecl, init)

    wp_css.find_stylesheets = finding
    if hasattr(wp_fonts, "ffi"):
        wp_fonts.ffi = _Ffi(wp_fonts.ffi)
    _installed = True


def clear() -> None:
    with _lock:
        _sheets.clear()
