"""The fast bulk path: one layout per batch, split per holder with pikepdf, vector QR codes,
worker processes giving the same bytes as the in-process renderer."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pikepdf
import pytest
from PIL import Image, ImageChops

from symposium import pdf
from symposium.pdf import pool, qr
from symposium.services import certificates as certs
from tests.factories import make_event
from tests.pdf_helpers import (
    assert_fonts_embedded,
    assert_qpdf_ok,
    make_registration,
    need,
    pdf_text,
    qr_codes,
)

TITLES = {"ar": "المؤتمر الدولي للتراث", "en": "Heritage Conference", "fr": "Congrès du patrimoine"}
HOLDERS = [
    ("ar", "فاطمة الزهراء بنت عبدالله"),
    ("en", "Seán O'Brien-Smith"),
    ("fr", "Anne-Sophie Lefèvre"),
]


def _issued(session):
    event = make_event(session, "heritage-2026", day=date(2026, 3, 2), title=dict(TITLES))
    out = []
    for index, (lang, name) in enumerate(HOLDERS):
        registration = make_registration(session, event, name, f"h{index}@example.org", lang=lang)
        out.append(certs._build(session, event, registration=registration))
    session.flush()
    return out


def test_split_pdfs_are_standalone_and_correct(ctx, tmp_path):
    issued = _issued(ctx)
    batch = certs.prepare_batch(issued)
    first = pdf.engine.run_job(batch)
    assert pdf.engine.run_job(batch) == first, "same batch, same bytes"
    for cert, data in zip(issued, first, strict=True):
        text = pdf_text(data, tmp_path)
        assert cert.holder_name in text  # exact, in logical order (Arabic too)
        assert TITLES[cert.language] in text
        # pdftotext may split a random code where two capitals kern apart ("E J6V")
        assert cert.number in "".join(text.split())
        others = [c.holder_name for c in issued if c is not cert]
        assert not any(name in text for name in others)
        assert_fonts_embedded(data, tmp_path)
        assert_qpdf_ok(data, tmp_path)
        assert qr_codes(data, tmp_path) == [certs.verify_url(cert)]
        with pikepdf.open(io.BytesIO(data)) as doc:
            assert len(doc.pages) == 1
            assert str(doc.Root.Lang) == cert.language
            assert cert.holder_name in str(doc.docinfo.Title)
            assert bool(doc.Root.ViewerPreferences.DisplayDocTitle)
            # only the objects the page uses; no images (the QR code is vector shapes)
            assert _image_count(doc.pages[0].Resources) == 0
            assert len(doc.objects) < 120  # not the whole batch's objects


def _image_count(resources) -> int:
    count = 0
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == "/Image":
            count += 1
        elif "/Resources" in xobject:
            count += _image_count(xobject.Resources)
    return count


def test_single_download_matches_bulk_rules(ctx, tmp_path):
    cert = _issued(ctx)[0]
    data = certs.render_certificate(cert)
    assert data == certs.render_certificate(cert)
    text = pdf_text(data, tmp_path)
    assert cert.holder_name in text and TITLES["ar"] in text
    assert_fonts_embedded(data, tmp_path)
    assert_qpdf_ok(data, tmp_path)
    assert qr_codes(data, tmp_path) == [certs.verify_url(cert)]


def test_qr_content_stream_geometry():
    ops = qr.content_stream("http://symposium.test/en/verify/abc", (0, 0, 100, 100), 500.0)
    assert ops.startswith(b"q\n") and ops.endswith(b"f\nQ\n")
    modules = qr.matrix("http://symposium.test/en/verify/abc")
    assert len(modules) >= 21  # a full QR symbol, never a Micro QR
    # the top-left finder pattern: a 7-module dark run at the box's top-left corner
    step = 75 / len(modules)
    first = ops.split(b"\n")[2].split()
    assert float(first[0]) == 0 and abs(float(first[1]) - (500 - step)) < 0.01
    assert abs(float(first[2]) - 7 * step) < 0.01


def test_workers_parse():
    assert pool.parse_workers("1") == 1
    assert pool.parse_workers(3) == 3
    assert 1 <= pool.parse_workers(None) <= pool.MAX_AUTO_WORKERS
    assert pool.parse_workers("zero") == pool.auto_workers()


@pytest.mark.skipif(not pool.can_use_processes(), reason="daemonic process")
def test_worker_processes_give_the_same_bytes(ctx, tmp_path):
    issued = _issued(ctx)
    expected = [certs.render_certificates([c])[0] for c in issued]
    ctx.commit()
    try:
        result = certs.generate_all(ctx, issued[0].event, batch_size=1, workers=2)
    finally:
        pool.shutdown()
    assert result.rendered == 3
    for cert, data in zip(issued, expected, strict=True):
        assert certs.pdf_bytes(cert) == data


def test_layers_give_the_same_text_as_whole_pages(ctx, tmp_path, monkeypatch):
    issued = _issued(ctx)
    job = certs.prepare_batch(issued)
    assert isinstance(job, pdf.Layered) and len(set(job.variant_of)) == 3
    layered = pdf.engine._run_layered(job)  # raises LayerMismatch if the layers disagree
    whole = pdf.engine.run(job.whole)
    for a, b in zip(layered, whole, strict=True):
        assert pdf_text(a, tmp_path) == pdf_text(b, tmp_path)
    # any geometric disagreement: whole pages instead
    monkeypatch.setattr(pdf.engine, "TOLERANCE", -1.0)
    assert pdf.engine.run_job(job) == whole


def test_layers_look_exactly_like_whole_pages(ctx, tmp_path):
    """Bilingual, a signatory, a name on three lines: the stacked layers are pixel-identical
    to the certificate laid out whole."""
    need("pdftoppm")
    event = make_event(ctx, "layers", day=date(2026, 3, 2), title=dict(TITLES))
    certs.update_settings(ctx, event, certs.CertificateSettings(bilingual=True))
    certs.add_signatory(ctx, event, name={"en": "Dr Jane Roe", "ar": "د. جين رو"}, title={})
    issued = []
    for index, (lang, name) in enumerate(
        [("ar", "عبدالله بن محمد"), ("en", "An extraordinarily long holder name " * 4)]
    ):
        registration = make_registration(
            ctx, event, name.strip(), f"l{index}@example.org", lang=lang
        )
        issued.append(certs._build(ctx, event, registration=registration))
    job = certs.prepare_batch(issued)
    layered = pdf.engine._run_layered(job)
    whole = pdf.engine.run(job.whole)
    for index, (a, b) in enumerate(zip(layered, whole, strict=True)):
        images = []
        for tag, data in (("layered", a), ("whole", b)):
            path = tmp_path / f"{index}-{tag}.pdf"
            path.write_bytes(data)
            prefix = tmp_path / f"{index}-{tag}"
            subprocess.run(
                ["pdftoppm", "-r", "50", "-png", "-singlefile", str(path), str(prefix)],
                check=True,
                timeout=60,
            )
            images.append(Image.open(f"{prefix}.png").convert("RGB"))
        assert ImageChops.difference(*images).getbbox() is None
