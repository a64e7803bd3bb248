"""Certificates: content in three languages, bulk path, QR, verification, revoke, re-issue."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from pypdf import PdfReader

from symposium.extensions import db
from symposium.models import Certificate, OutboxEmail
from symposium.services import certificates as certs
from tests.conftest import make_user
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.pdf_helpers import (
    assert_fonts_embedded,
    assert_qpdf_ok,
    make_registration,
    pdf_text,
    qr_codes,
)

ARABIC_NAME = "عبدالرحمن بن سعيد القحطاني"
TITLES = {
    "ar": "ملتقى العلا الدولي",
    "en": "AlUla International Forum",
    "fr": "Forum international d'AlUla",
}


def _event(session, slug="alula-2026"):
    return make_event(session, slug, day=date(2026, 1, 26), title=dict(TITLES))


def test_hijri_date_umm_al_qura():
    assert certs.hijri_date(date(2026, 1, 26)) == "7 شعبان 1447 هـ"


def test_three_languages_bulk_and_single(ctx, tmp_path):
    event = _event(ctx)
    people = [
        make_registration(ctx, event, ARABIC_NAME, "a@example.org", lang="ar"),
        make_registration(ctx, event, "Mary-Jane O'Connor", "m@example.org", lang="en"),
        make_registration(ctx, event, "Hélène Dupré-Léger", "h@example.org", lang="fr"),
    ]
    result = certs.generate_all(ctx, event)  # the bulk path: one layout, split per holder
    assert result.created == 3 and result.rendered == 3
    for registration in people:
        cert = certs.current_for_registration(ctx, registration)
        data = certs.pdf_bytes(cert)
        text = pdf_text(data, tmp_path)
        assert registration.full_name in text
        assert TITLES[registration.preferred_language] in text
        # pdftotext may split a random code where two capitals kern apart ("E J6V")
        assert cert.number in "".join(text.split())
        assert_fonts_embedded(data, tmp_path)
        assert_qpdf_ok(data, tmp_path)
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1
        assert reader.trailer["/Root"]["/Lang"] == registration.preferred_language
        assert registration.full_name in reader.metadata.title

    arabic = certs.current_for_registration(ctx, people[0])
    single = certs.render_certificate(arabic)  # the single on-demand path
    text = pdf_text(single, tmp_path)
    assert ARABIC_NAME in text and TITLES["ar"] in text
    assert "شعبان" in text and "1447" in text  # Hijri date on Arabic certificates
    assert_fonts_embedded(single, tmp_path)
    assert_qpdf_ok(single, tmp_path)
    assert single == certs.render_certificate(arabic), "rendering must be deterministic"
    reader = PdfReader(io.BytesIO(single))
    assert reader.trailer["/Root"]["/Lang"] == "ar"
    assert ARABIC_NAME in reader.metadata.title


def test_qr_verification_revoke_and_reissue(app, client, ctx, tmp_path):
    event = _event(ctx)
    registration = make_registration(ctx, event, ARABIC_NAME, "a@example.org", lang="ar")
    cert = certs.issue_for_registration(ctx, registration)
    ctx.commit()
    assert len(cert.code) >= 22 and not cert.code.isdigit()
    data = certs.pdf_bytes(cert)
    codes = qr_codes(data, tmp_path)
    assert codes == [f"http://symposium.test/ar/verify/{cert.code}"]

    page = client.get(f"/en/verify/{cert.code}")
    assert page.status_code == 200
    assert ARABIC_NAME in page.get_data(as_text=True)
    assert "noindex" in page.headers.get("X-Robots-Tag", "")
    assert client.get("/en/verify/invented-code-123").status_code == 404

    # Downloading again returns the same stored bytes
    token = registration.token
    first = client.get(f"/en/r/{token}/certificate.pdf")
    second = client.get(f"/en/r/{token}/certificate.pdf")
    assert first.status_code == 200 and first.data == second.data == data

    certs.revoke(ctx, cert, "Issued by mistake")
    ctx.commit()
    page = client.get(f"/en/verify/{cert.code}").get_data(as_text=True)
    assert "Revoked" in page
    assert client.get(f"/en/r/{token}/certificate.pdf").status_code == 403

    new = certs.reissue(ctx, cert)
    ctx.commit()
    assert new.code != cert.code and new.number != cert.number and new.version == 2
    old_page = client.get(f"/en/verify/{cert.code}").get_data(as_text=True)
    assert new.number in old_page  # points to the newer, valid certificate
    new_page = client.get(f"/en/verify/{new.code}").get_data(as_text=True)
    assert "Valid" in new_page
    assert client.get(f"/en/r/{token}/certificate.pdf").data != data


def test_selfservice_eligibility_and_isolation(client, ctx):
    event = _event(ctx)
    absent = make_registration(ctx, event, "Absent Person", "x@example.org", attended=False)
    waiting = make_registration(ctx, event, "Wait Ing", "w@example.org", status="waitlisted")
    alice = make_registration(ctx, event, "Alice Attended", "alice@example.org")
    bob = make_registration(ctx, event, "Bob Attended", "bob@example.org")
    ctx.commit()
    assert client.get(f"/en/r/{absent.token}/certificate.pdf").status_code == 403
    assert client.get(f"/en/r/{waiting.token}/certificate.pdf").status_code == 403
    assert client.get("/en/r/no-such-token/certificate.pdf").status_code == 404
    a = client.get(f"/en/r/{alice.token}/certificate.pdf")
    b = client.get(f"/en/r/{bob.token}/certificate.pdf")
    assert a.status_code == b.status_code == 200
    assert a.data != b.data
    holders = {c.registration_id: c.holder_name for c in ctx.scalars(db.select(Certificate))}
    assert holders == {alice.id: "Alice Attended", bob.id: "Bob Attended"}


def test_speaker_portal_certificate_ownership(client, ctx):
    event = _event(ctx)
    item = make_session(ctx, event, "s1", "2026-01-26T09:00", "2026-01-26T10:00")
    anna = make_person(ctx, event, "anna", portal_token="tok-anna-" + "x" * 20)
    omar = make_person(ctx, event, "omar", portal_token="tok-omar-" + "y" * 20)
    add_speaker(ctx, item, anna).confirmation = "confirmed"
    add_speaker(ctx, item, omar)  # pending: not eligible by default
    ctx.commit()
    assert client.get(f"/en/speaker/{omar.portal_token}/certificate.pdf").status_code == 403
    assert client.get(f"/en/speaker/{anna.portal_token}/certificate.pdf").status_code == 200
    cert = certs.current_for_person(ctx, anna)
    assert cert.kind == "participation"
    assert certs.certificates_for_person(ctx, anna) == [cert]
    ok = client.get(f"/en/speaker/{anna.portal_token}/certificates/{cert.id}.pdf")
    assert ok.status_code == 200
    assert (
        client.get(f"/en/speaker/{omar.portal_token}/certificates/{cert.id}.pdf").status_code == 404
    )
    assert client.get(f"/en/speaker/nobody/certificates/{cert.id}.pdf").status_code == 404


def test_workspace_generate_zip_email_and_access(app, client, auth, ctx):
    event = _event(ctx)
    room = make_room(ctx, event)
    item = make_session(ctx, event, "k", "2026-01-26T09:00", "2026-01-26T10:00", room=room)
    person = make_person(ctx, event, "sp", email="speaker@example.org")
    add_speaker(ctx, item, person).confirmation = "confirmed"
    make_registration(ctx, event, ARABIC_NAME, "a@example.org", lang="ar")
    make_registration(ctx, event, "Jean Martin", "j@example.org", lang="fr")
    make_registration(ctx, event, "Not There", "n@example.org", attended=False)
    other = make_event(ctx, "other-event")
    ctx.commit()
    make_user(app, "org@example.org", "organiser", events=[event])
    make_user(app, "stranger@example.org", "organiser", events=[other])

    auth.login("stranger@example.org")
    assert client.get("/en/manage/events/alula-2026/certificates").status_code == 403
    assert client.post("/en/manage/events/alula-2026/certificates/generate").status_code == 403
    auth.logout()

    auth.login("org@example.org")
    response = client.post(
        "/en/manage/events/alula-2026/certificates/settings",
        data={
            "speaker_kind": "appreciation",
            "speaker_scope": "confirmed",
            "speaker_language": "en",
        },
    )
    assert response.status_code == 302
    response = client.post("/en/manage/events/alula-2026/certificates/generate")
    assert response.status_code == 302
    job_page = client.get(response.headers["Location"])
    assert job_page.status_code == 200 and "100%" in job_page.get_data(as_text=True)
    issued = ctx.scalars(db.select(Certificate).where(Certificate.event_id == event.id)).all()
    assert sorted(c.kind for c in issued) == ["appreciation", "attendance", "attendance"]

    page = client.get("/en/manage/events/alula-2026/certificates")
    assert page.status_code == 200 and ARABIC_NAME in page.get_data(as_text=True)

    archive = client.get("/en/manage/events/alula-2026/certificates.zip")
    assert archive.status_code == 200
    body = archive.data
    archive.close()
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        pdfs = [n for n in zf.namelist() if n.endswith(".pdf")]
        assert len(pdfs) == 3 and "index.csv" in zf.namelist()
        assert all(zf.read(n).startswith(b"%PDF") for n in pdfs)

    response = client.post("/en/manage/events/alula-2026/certificates/email")
    assert response.status_code == 302
    mails = ctx.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "certificate")).all()
    assert sorted(m.recipient for m in mails) == [
        "a@example.org",
        "j@example.org",
        "speaker@example.org",
    ]
    french = next(m for m in mails if m.recipient == "j@example.org")
    assert b"application/pdf" in french.message

    cert = issued[0]
    response = client.post(
        f"/en/manage/events/alula-2026/certificates/{cert.code}/revoke", data={"reason": ""}
    )
    assert response.status_code == 302
    ctx.refresh(cert)
    assert cert.revoked_at is None  # a reason is required
