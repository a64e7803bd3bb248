"""Tagged, archival PDFs whose text extracts as typed: certificates and programmes in ar, en,
fr and bilingual (PDF/UA-1; stored certificates also PDF/A-2u), one subset per font name."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from datetime import date

import pikepdf
import pytest

from symposium.services import certificates as certs
from symposium.services import programme
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.pdf_helpers import make_registration, pdf_text

# Hard cases: shadda in a title, digits and parentheses inside Arabic, a Latin acronym in
# parentheses inside Arabic, names with shadda and damma, Latin names with diacritics.
TITLE_AR = "ملتقى مدن التعلّم"
TITLE2_AR = "اليوم الدولي للتعليم (2027) للعرض"
ORGANISERS_AR = "الهيئة الوطنية لتقويم الجودة (RCQE)"
TITLES = {
    "ar": TITLE_AR,
    "en": "Learning Cities Forum (RCQE)",
    "fr": "Forum des villes apprenantes : « l’école » (RCQE)",
}
ORGANISERS = {"ar": ORGANISERS_AR, "en": "Quality Council (RCQE)", "fr": "Conseil qualité"}
HOLDERS = [
    ("ar", "محمّد عُمر الشّريف"),
    ("ar", "Zoë O'Connor-Lefèvre"),  # a Latin name on an Arabic certificate
    ("en", "عبدالرّحمن بن سعيد"),  # an Arabic name on an English certificate
    ("en", "Seán O'Brien"),
    ("fr", "Anne-Sophie Lefèvre (ENS)"),
]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _event(ctx, slug="learning-cities", title=None):
    return make_event(
        ctx,
        slug,
        day=date(2027, 1, 24),
        title=dict(title or TITLES),
        organisers=dict(ORGANISERS),
    )


def _issue(ctx, event, holders, *, bilingual=False, prefix="t"):
    if bilingual:
        certs.update_settings(ctx, event, certs.CertificateSettings(bilingual=True))
    out = []
    for index, (lang, name) in enumerate(holders):
        registration = make_registration(
            ctx, event, name, f"{prefix}{index}@example.org", lang=lang
        )
        out.append(certs._build(ctx, event, registration=registration))
    ctx.flush()
    return out


def assert_tagged(data: bytes, lang: str, *, archival: bool) -> None:
    with pikepdf.open(io.BytesIO(data)) as doc:
        root = doc.Root
        assert "/StructTreeRoot" in root, "untagged PDF"
        tree = root.StructTreeRoot
        assert len(tree.K) >= 1 and len(tree.K[0].K) >= 1, "empty structure tree"
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == lang
        assert str(doc.docinfo.Title)
        assert bool(root.ViewerPreferences.DisplayDocTitle)
        xmp = root.Metadata.read_bytes().decode()
        assert 'pdfuaid:part="1"' in xmp
        if archival:
            assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="U"' in xmp
            assert root.OutputIntents[0].S == "/GTS_PDFA1"
        # every marked-content id on a page is mapped to a structure element
        nums = tree.ParentTree.Nums
        mapping = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        for page in doc.pages:
            assert int(page.StructParents) in mapping
        assert_one_subset_per_name(doc)


def structure_text(data: bytes) -> str:
    """The logical text screen readers get: the structure elements' /ActualText, in order."""
    out: list[str] = []

    def walk(element) -> None:
        if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") != "/StructElem":
            return
        if "/ActualText" in element:
            out.append(str(element.ActualText))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            walk(kid)

    with pikepdf.open(io.BytesIO(data)) as doc:
        walk(doc.Root.StructTreeRoot.K[0])
    return " ".join(" ".join(out).split())


def assert_one_subset_per_name(doc) -> None:
    programs: dict[str, set[str]] = {}
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
            stream = obj.get("/FontFile2") or obj.get("/FontFile3") or obj.get("/FontFile")
            if stream is None:
                continue
            digest = hashlib.sha256(stream.read_bytes()).hexdigest()
            programs.setdefault(str(obj.FontName), set()).add(digest)
    assert programs, "no embedded fonts"
    clashes = {name: len(d) for name, d in programs.items() if len(d) > 1}
    assert not clashes, f"two different subsets under one name: {clashes}"


def assert_contains(text: str, *expected: str) -> None:
    for item in expected:
        assert " ".join(_nfc(item).split()) in text, f"{item!r} not extracted as typed"


@pytest.mark.parametrize("bilingual", [False, True], ids=["single", "bilingual"])
def test_bulk_certificates_extract_as_typed_and_are_tagged(ctx, tmp_path, bilingual):
    event = _event(ctx)
    issued = _issue(ctx, event, HOLDERS, bilingual=bilingual)
    pdfs = certs.render_certificates(issued)
    for cert, data in zip(issued, pdfs, strict=True):
        text = pdf_text(data, tmp_path)
        context = certs.document_context(cert)
        assert_contains(text, cert.holder_name)
        for block in context["blocks"]:
            assert_contains(text, block["event_title"], block["dates"], block["organisers"])
            assert_contains(text, block["heading"], block["issued"])
            if block["hijri"]:
                assert_contains(text, block["hijri"])
        assert_tagged(data, cert.language, archival=True)
        # screen readers: the logical text of each line, in reading order
        logical = structure_text(data)
        assert_contains(logical, cert.holder_name, context["blocks"][0]["event_title"])
        assert logical.index(_nfc(context["blocks"][0]["heading"])) < logical.index(
            _nfc(cert.holder_name)
        ), "holder name before the heading in reading order"


def test_single_certificate_with_digits_in_arabic_title(ctx, tmp_path):
    event = _event(ctx, "day-2027", title={"ar": TITLE2_AR, "en": "Education Day (2027)"})
    for lang, name in [("ar", "فاطمة الزّهراء"), ("en", "Jean (RCQE) Dupont")]:
        (cert,) = _issue(ctx, event, [(lang, name)], prefix=lang)
        data = certs.render_certificate(cert)
        text = pdf_text(data, tmp_path)
        assert_contains(text, name, event.t("title", lang), ORGANISERS[lang])
        assert_contains(structure_text(data), name, event.t("title", lang))
        assert_tagged(data, lang, archival=True)


def _programme_event(ctx):
    event = _event(ctx, "prog-cities")
    room = make_room(ctx, event, "hall")
    item = make_session(
        ctx,
        event,
        "open",
        "2027-01-24T09:00",
        "2027-01-24T10:00",
        room=room,
        title={"ar": TITLE2_AR, "en": "Education Day (2027)", "fr": "Journée (2027)"},
    )
    person = make_person(
        ctx, event, "omar", name={"ar": "عُمر الفاروق", "en": "Omar Farouk", "fr": "Omar Farouk"}
    )
    add_speaker(ctx, item, person).confirmation = "confirmed"
    ctx.flush()
    return event


@pytest.mark.parametrize(
    ("lang", "variant"),
    [("ar", "single"), ("en", "single"), ("fr", "single"), ("ar", "bilingual")],
)
def test_programme_extracts_as_typed_and_is_tagged(ctx, tmp_path, lang, variant):
    event = _programme_event(ctx)
    data = programme.programme_pdf(ctx, event, lang, variant)
    text = pdf_text(data, tmp_path)
    langs = [lang, "en"] if variant == "bilingual" else [lang]
    for code in langs:
        assert_contains(text, TITLES[code])
    if "ar" in langs:
        assert_contains(text, TITLE2_AR, "عُمر الفاروق", ORGANISERS_AR)
    with pikepdf.open(io.BytesIO(data)) as doc:
        assert "/StructTreeRoot" in doc.Root
        assert bool(doc.Root.MarkInfo.Marked) is True
        assert str(doc.Root.Lang) == lang
        assert_one_subset_per_name(doc)
