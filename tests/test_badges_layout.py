"""Badges whose text never covers the check-in code nor leaves the card: the longest names
in Arabic, Latin and mixed scripts; every code decodes (zbarimg at 150 dpi) to its payload."""

from __future__ import annotations

import re
import secrets
import subprocess

import pytest
from weasyprint import CSS, HTML

from symposium import pdf
from symposium.services import badges
from tests.factories import make_event
from tests.pdf_helpers import make_registration, need, qr_codes

PX_TO_PT = 0.75
LONG_NAMES = [
    ("عبدالرّحمن بن عبدالعزيز بن محمّد بن سعود بن فيصل بن تركي آل سعود القحطاني الشّمّري", "ar"),
    ("Maria-Magdalena Alexandrina Konstantinopoulou-Wolfeschlegelsteinhausenbergerdorff", "en"),
    ("Hubert Blaine Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft", "en"),
    ("محمّد عبدالله (Mohammed Abdullah) بن خالد بن عبدالرّحمن الهاشمي", "ar"),
    ("Jean-Baptiste (ابن خلدون) de La Rochefoucauld-Liancourt d’Estissac", "fr"),
    ("ـــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــــ", "ar"),
    ("WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", "en"),
    ("فاطمة", "ar"),
    ("Li Na", "en"),
]
LONG_ORG = (
    "جامعة الملك عبدالله للعلوم والتقنية — Institut national des langues et civilisations"
    " orientales (INALCO) — كلية الدراسات العليا"
)


def _registrations(ctx, event):
    out = []
    for index, (name, lang) in enumerate(LONG_NAMES):
        out.append(
            make_registration(
                ctx,
                event,
                name,
                f"b{index}@example.org",
                lang=lang,
                organisation=LONG_ORG if index % 2 == 0 else "UNESCO",
            )
        )
    return out


def _layout_boxes(html: str):
    """Per page: the badge card boxes and QR code boxes, in PDF points from the top-left."""
    fetcher = pdf.fetcher()
    css = CSS(filename=str(pdf.static_path("css", "fonts.css")), url_fetcher=fetcher)
    document = HTML(string=html, base_url=str(pdf.static_path()) + "/", url_fetcher=fetcher).render(
        stylesheets=[css]
    )
    pages = []
    for page in document.pages:
        cards, codes = [], []
        for box in _all_boxes(page._page_box):
            element = getattr(box, "element", None)
            if element is None or box.element_tag not in ("div", "img"):
                continue
            classes = (element.get("class") or "").split()
            rect = tuple(
                v * PX_TO_PT
                for v in (
                    box.border_box_x(),
                    box.border_box_y(),
                    box.border_box_x() + box.border_width(),
                    box.border_box_y() + box.border_height(),
                )
            )
            if "badge" in classes and box.element_tag == "div":
                cards.append(rect)
            elif "qr" in classes and box.element_tag == "img":
                codes.append(rect)
        pages.append((cards, codes))
    return pages


def _all_boxes(box):
    """Every layout box, absolutely positioned ones included (descendants() skips them)."""
    box = getattr(box, "_box", box)  # an AbsolutePlaceholder's real box
    yield box
    for child in getattr(box, "children", ()):
        yield from _all_boxes(child)


def _words(data: bytes, tmp_path) -> list[list[tuple[float, float, float, float, str]]]:
    """Word boxes (pt, from the top-left) per page, from pdftotext -bbox."""
    need("pdftotext")
    path = tmp_path / f"b-{secrets.token_hex(4)}.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode()
    pages = []
    for chunk in out.split("<page ")[1:]:
        words = []
        for match in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            chunk,
        ):
            x1, y1, x2, y2 = (float(match.group(i)) for i in range(1, 5))
            words.append((x1, y1, x2, y2, match.group(5)))
        pages.append(words)
    return pages


def _overlap(a, b, slack=0.5) -> bool:
    return (
        a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack
    )


def _inside(inner, outer, slack=0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_long_names_never_touch_the_code_and_every_code_scans(ctx, tmp_path, lang):
    event = make_event(
        ctx,
        f"badges-{lang}",
        title={
            "ar": "الملتقى الدولي لمدن التعلّم والابتكار في التعليم العالي (2027) — الدورة الثالثة",
            "en": "International Forum of Learning Cities and Innovation in Higher Education 2027",
        },
    )
    registrations = _registrations(ctx, event)
    ctx.flush()
    data = badges.render_badges(event, registrations, lang)

    # 1. every code on every sheet decodes, at 150 dpi, to the expected payloads
    expected = [badges.checkin_payload(r) for r in registrations]
    sheets = [expected[i : i + badges.PER_SHEET] for i in range(0, len(expected), badges.PER_SHEET)]
    for number, payloads in enumerate(sheets, start=1):
        assert sorted(qr_codes(data, tmp_path, page=number)) == sorted(payloads)

    # 2. no word box overlaps a code's box, and every word stays on its card
    html = badges.badges_html(event, registrations, lang)
    layout = _layout_boxes(html)
    words = _words(data, tmp_path)
    assert len(layout) == len(words) == len(sheets)
    for (cards, codes), page_words, payloads in zip(layout, words, sheets, strict=True):
        assert len(codes) == len(cards) == len(payloads)
        for code in codes:
            assert any(_inside(code, card) for card in cards)
        assert page_words, "no text found on the sheet"
        for word in page_words:
            box = word[:4]
            assert not any(_overlap(box, code) for code in codes), f"text over a code: {word}"
            assert any(_inside(box, card) for card in cards), f"text off its card: {word}"
