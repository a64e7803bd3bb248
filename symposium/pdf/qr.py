"""Vector QR codes drawn straight into a PDF page (no image, no SVG to parse).

WeasyPrint lays out an empty placeholder (``<div class="qr" id="qr-N">``); after the PDF is
written, :func:`content_stream` fills the placeholder's box with one filled path of
rectangles, one per horizontal run of dark modules. Compared with an SVG ``<img>`` this
saves the SVG parse in layout and the path drawing in ``write_pdf`` (several ms a page), and
unlike a PNG it stays sharp at every zoom and print resolution.
"""

from __future__ import annotations

import segno

PX_TO_PT = 0.75  # WeasyPrint works in CSS px; PDF user space is in points


# A fixed mask pattern: segno would otherwise try all eight and score each (about 2 ms of
# pure Python per code, more than the rest of the drawing); every mask pattern is a valid
# QR code (ISO/IEC 18004 §7.8) and the same payload always gives the same modules.
MASK = 0


def matrix(data: str, error: str = "m") -> tuple[bytearray, ...]:
    """The QR code's modules (rows of 0/1), always a full QR symbol (never a Micro QR)."""
    return segno.make_qr(data, error=error, mask=MASK).matrix


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def content_stream(
    data: str,
    box: tuple[float, float, float, float],
    page_top: float,
    *,
    color: tuple[float, float, float] = (0.067, 0.067, 0.067),
) -> bytes:
    """PDF operators drawing the QR code of ``data`` in ``box``.

    ``box`` is (x1, y1, x2, y2) in CSS px from the page's top-left corner (WeasyPrint's
    anchors); ``page_top`` is the page's top edge in PDF points (MediaBox y2). The code is
    square: the smaller side of the box decides its size, centred in the box.
    """
    modules = matrix(data)
    count = len(modules)
    x1, y1, x2, y2 = (v * PX_TO_PT for v in box)
    size = min(x2 - x1, y2 - y1)
    left = x1 + (x2 - x1 - size) / 2
    top = page_top - (y1 + (y2 - y1 - size) / 2)
    step = size / count
    # every coordinate and run length formatted once (not once per rectangle)
    xs = [_num(left + column * step) for column in range(count)]
    widths = [_num(length * step) for length in range(count + 1)]
    h = _num(step)
    ops = [b"q", " ".join(_num(c) for c in color).encode() + b" rg"]
    for row_index, row in enumerate(modules):
        y = _num(top - (row_index + 1) * step)
        column = 0
        while column < count:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < count and row[column]:
                column += 1
            ops.append(f"{xs[start]} {y} {widths[column - start]} {h} re".encode())
    ops += [b"f", b"Q"]
    return b"\n".join(ops) + b"\n"
