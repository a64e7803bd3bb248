"""Text that fits a box: font sizes chosen from the fonts' own advance widths.

Badges shrink a name until it fits its column, then let it wrap, then ellipsise it
(``line-clamp`` in the stylesheet). The width is estimated from the vendored fonts' advance
widths (fontTools; Arabic in Noto Naskh Arabic, everything else in Noto Sans, as in
``static/css/fonts.css``). Arabic isolated forms are at least as wide as the joined forms
the page shows, so the estimate errs on the wide side; the stylesheet's wrapping, clamping
and clipping are the guarantee, this only picks the largest size likely to fit.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

PT_PER_MM = 72 / 25.4
FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"


@functools.cache
def _metrics(filename: str) -> tuple[dict[int, int], float]:
    from fontTools.ttLib import TTFont

    font = TTFont(FONTS / filename, lazy=True)
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    widths = {code: hmtx[name][0] for code, name in cmap.items()}
    upem = float(font["head"].unitsPerEm)
    font.close()
    return widths, upem


def _is_arabic(ch: str) -> bool:
    code = ord(ch)
    return 0x0600 <= code <= 0x08FF or 0xFB50 <= code <= 0xFEFF


def text_width(text: str, size_pt: float, *, bold: bool = True) -> float:
    """Estimated width of ``text`` at ``size_pt`` points, in points."""
    weight = "Bold" if bold else "Regular"
    arabic, arabic_upem = _metrics(f"NotoNaskhArabic-{weight}.ttf")
    latin, latin_upem = _metrics(f"NotoSans-{weight}.ttf")
    total = 0.0
    for ch in unicodedata.normalize("NFC", text):
        if unicodedata.combining(ch):
            continue
        table, upem = (arabic, arabic_upem) if _is_arabic(ch) else (latin, latin_upem)
        advance = table.get(ord(ch))
        if advance is None:  # not in the preferred font: the other one, or an em
            other, other_upem = (latin, latin_upem) if table is arabic else (arabic, arabic_upem)
            advance, upem = other.get(ord(ch), other_upem), other_upem
        total += advance / upem
    return total * size_pt


def fitting_size(text: str, width_mm: float, sizes: tuple[float, ...], *, bold=True) -> float:
    """The largest of ``sizes`` (points, largest first) at which ``text`` fits on one line
    of ``width_mm``; the smallest if none does (the text then wraps)."""
    width_pt = width_mm * PT_PER_MM
    for size in sizes:
        if text_width(text, size, bold=bold) <= width_pt:
            return size
    return sizes[-1]
