"""Text that other software extracts right: each line carries its typed text as ActualText.

WeasyPrint writes one ToUnicode entry per glyph and shows glyphs in visual order. Text
extraction (copy, search, pdftotext) then has to guess the typed text from the glyphs:

- a glyph used in both directions gets one mapping: a parenthesis mirrored in Arabic and
  the same glyph in Latin text on the same page extract as the same character (``)RCQE(``);
- Arabic marks (shadda, damma) are raised glyphs drawn after their letter; extractors put
  them before the letter or on a line of their own, so «التعلّم» cannot be found;
- a number or a Latin word inside Arabic is split from the neutral characters around it,
  which land on the wrong side («للتعليم ( 2027للعرض»).

:func:`install` wraps WeasyPrint's line drawing: the first text box of every line box is
drawn inside a ``/Span`` marked-content sequence whose ``/ActualText`` is the WHOLE line's
text (NFC); the line's other text boxes get an empty ActualText. Extractors then take the
typed characters, never the glyphs' guesses.

Order. Content-stream extractors (Poppler's pdftotext, which the issue measured) read
ActualText as VISUAL text and reorder each line with a simplified bidi: the page's primary
direction is the majority of strong characters; on a right-to-left page, sections are read
from the right, right-to-left sections reversed, left-to-right sections (letters, digits and
separators) kept. Each page is read in its document's direction (:func:`plan_page` adds
marks so that the extractor's majority count agrees), and :func:`visual` writes each line
so that the extractor's reordering gives the typed text back: segments in the page's reading order, right-to-left segments reversed
by code point (the extractor reverses them back, marks after their letters), with
direction marks (RLM on right-to-left pages, LRM on left-to-right ones) where a neutral
character would otherwise join the wrong section. The marks only push the page further
towards its own direction, so they never flip it. Tests strip them (they are invisible).
Readers of the structure tree (screen readers with PDF/UA) get the LOGICAL text: the
structure element of each line's first text box carries ``/ActualText`` = the typed line
(the others an empty one), which replaces the content's visual-order text for them.
"""

from __future__ import annotations

import threading
import unicodedata

import pydyf
from weasyprint.formatting_structure import boxes

RLM, LRM = "\u200f", "\u200e"
_L_LIKE = frozenset({"L", "EN", "AN", "ES", "ET", "CS"})  # extractors: "letters or numbers"
_R = frozenset({"R", "AL"})
_state = threading.local()  # .plan: this page's ActualText; .logical: the document's
_installed = False


def _cls(ch: str) -> str:
    """'R' strong right-to-left, 'L' left-to-right letter or number-like, 'N' neutral."""
    kind = unicodedata.bidirectional(ch)
    if kind in _R:
        return "R"
    if kind in _L_LIKE:
        return "L"
    return "N"


def _clusters(text: str) -> list[tuple[str, str]]:
    """(class, text) per character, combining marks kept with their base."""
    out: list[list[str]] = []
    for ch in text:
        if out and unicodedata.combining(ch):
            out[-1][1] += ch
        else:
            out.append([_cls(ch), ch])
    return [(c, t) for c, t in out]


def _segments(text: str, strong: str) -> list[tuple[bool, str]]:
    """Split into (is_strong, text): strong segments start and end with a ``strong``
    character and contain no character of the other strong class; the rest is weak."""
    other = "L" if strong == "R" else "R"
    segments: list[tuple[bool, str]] = []
    clusters = _clusters(text)
    i = 0
    while i < len(clusters):
        if clusters[i][0] == strong:
            j = i
            last = i
            while j < len(clusters) and clusters[j][0] != other:
                if clusters[j][0] == strong:
                    last = j
                j += 1
            segments.append((True, "".join(t for _c, t in clusters[i : last + 1])))
            i = last + 1
        else:
            j = i
            while j < len(clusters) and clusters[j][0] != strong:
                j += 1
            segments.append((False, "".join(t for _c, t in clusters[i:j])))
            i = j
    return segments


def visual(text: str, rtl_page: bool) -> str:
    """The ActualText of a line whose typed text is ``text``, on a page read right-to-left
    (``rtl_page``) or left-to-right by extractors."""
    text = unicodedata.normalize("NFC", text)
    if rtl_page:
        # Sections from the right: left-to-right segments (starting and ending with a letter
        # or digit) kept, the rest reversed between RLMs.
        out = []
        for strong, segment in reversed(_segments(text, "L")):
            out.append(segment if strong else RLM + segment[::-1] + RLM)
        return "".join(out)
    if not any(_cls(ch) == "R" for ch in text):
        return text  # no right-to-left letter: one left-to-right section
    # Sections from the left: right-to-left segments (starting and ending with an Arabic
    # letter) reversed, the rest kept between LRMs.
    out = []
    for strong, segment in _segments(text, "R"):
        out.append(segment[::-1] if strong else LRM + segment + LRM)
    return "".join(out)


# --------------------------------------------------------------------------- page plan


def _line_text_boxes(box) -> list:
    found = []
    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.TextBox):
            found.append(child)
        elif isinstance(child, boxes.InlineBox):
            found.extend(_line_text_boxes(child))
    return found


def _lines(box):
    if isinstance(box, boxes.LineBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _lines(child)


def _document_direction(page_box) -> str:
    """The direction of the page's outermost element below ``<body>`` (a certificate's
    section, the programme's root): the direction extractors must read the page in."""
    box = page_box
    while True:
        children = [c for c in getattr(box, "children", ()) if getattr(c, "style", None)]
        if not children:
            return box.style["direction"] if getattr(box, "style", None) else "ltr"
        first = getattr(children[0], "_box", children[0])
        if getattr(first, "element_tag", None) in (None, "html", "body") or isinstance(
            first, boxes.PageBox
        ):
            box = first
            continue
        return first.style["direction"]


def _balance(text: str) -> int:
    """Left-to-right minus right-to-left strong characters (the extractor's page count)."""
    count = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        count += kind == "L"
        count -= kind in _R
    return count


def plan_page(page_box) -> dict[int, str]:
    """id(text box) -> its ActualText, for every line of the page.

    The page is read in its document's direction; marks added to its first line make the
    extractor's majority count agree even when the page holds few strong characters of that
    direction (a names layer that is mostly a Latin link on an Arabic certificate). Every
    page, layer or not, leans its own way, so stacked layers agree too.
    """
    rtl_page = _document_direction(page_box) == "rtl"
    plan: dict[int, str] = {}
    first_box = None
    balance = 0
    for line in _lines(page_box):
        texts = _line_text_boxes(line)
        if not texts:
            continue
        text = "".join(box.text for box in texts)
        # the first box that draws glyphs carries the line (an empty span extracts nothing)
        first = next((box for box in texts if box.text.strip()), None)
        if first is None:
            continue
        actual = visual(text, rtl_page)
        balance += _balance(actual)
        logical = getattr(_state, "logical", None)
        for box in texts:
            plan[id(box)] = actual if box is first else ""
            if logical is not None:
                logical[id(box)] = unicodedata.normalize("NFC", text) if box is first else ""
        first_box = first_box or first
    if first_box is not None:
        margin = 4  # extractors' tables differ a little from Python's: lean clearly
        if rtl_page and balance > -margin:
            plan[id(first_box)] = RLM * (balance + margin) + plan[id(first_box)]
        elif not rtl_page and balance < margin:
            plan[id(first_box)] = LRM * (margin - balance) + plan[id(first_box)]
    return plan


def _logical_actual_text(pdf, page_streams) -> None:
    """Give each text box's structure element its line's logical text (see module doc)."""
    logical = getattr(_state, "logical", None) or {}
    by_page = []
    for stream in page_streams:
        tags = getattr(stream, "_tags", None) or {}
        by_page.append(
            {entry["mcid"]: logical[id(box)] for box, entry in tags.items() if id(box) in logical}
        )
    return by_page


def _number(reference) -> int:
    """The object number of a pydyf reference (``b"12 0 R"``)."""
    if isinstance(reference, bytes):
        reference = reference.decode()
    return int(str(reference).split()[0])


def _apply_logical(pdf, by_page) -> None:
    reference = pdf.catalog.get("StructTreeRoot")
    if reference is None:
        return
    objects = pdf.objects
    root = objects[_number(reference)]
    nums = objects[_number(root["ParentTree"])]["Nums"]
    for i in range(0, len(nums) - 1, 2):
        page = nums[i]
        if not isinstance(page, int) or page >= len(by_page) or not by_page[page]:
            continue
        for mcid, ref in enumerate(nums[i + 1]):
            text = by_page[page].get(mcid)
            if text is None:
                continue
            element = objects[_number(ref)]
            if element.get("S") == "/Span":  # a text box's own element, not a link
                element["ActualText"] = pydyf.String(text)


def install() -> None:
    """Wrap WeasyPrint's page painting, line drawing and tagging (idempotent)."""
    global _installed
    if _installed:
        return
    from weasyprint import document
    from weasyprint import pdf as wp_pdf
    from weasyprint.draw import text as wp_text

    draw_first_line = wp_text.draw_first_line
    paint = document.Page.paint
    add_tags = wp_pdf.add_tags
    generate_pdf = document.generate_pdf

    def generating(*args, **kwargs):
        _state.logical = {}
        try:
            return generate_pdf(*args, **kwargs)
        finally:
            _state.logical = None

    def painting(self, stream, scale=1):
        _state.plan = plan_page(self._page_box)
        try:
            return paint(self, stream, scale)
        finally:
            _state.plan = None

    def drawing(stream, textbox, *args, **kwargs):
        plan = getattr(_state, "plan", None)
        actual = plan.get(id(textbox)) if plan else None
        if actual is None:
            return draw_first_line(stream, textbox, *args, **kwargs)
        stream.begin_marked_content("Span", pydyf.Dictionary({"ActualText": pydyf.String(actual)}))
        try:
            return draw_first_line(stream, textbox, *args, **kwargs)
        finally:
            stream.end_marked_content()

    def tagging(pdf, document_, pdf_version, page_streams):
        by_page = _logical_actual_text(pdf, page_streams)  # before add_tags empties _tags
        result = add_tags(pdf, document_, pdf_version, page_streams)
        _apply_logical(pdf, by_page)
        return result

    document.generate_pdf = generating
    document.Page.paint = painting
    wp_text.draw_first_line = drawing
    wp_pdf.add_tags = tagging
    _installed = True
