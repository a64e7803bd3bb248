"""Badges: 8 per A4 sheet with the check-in QR code, for a filtered set of registrations."""

from __future__ import annotations

import io

from pypdf import PdfReader

from symposium.services import badges
from tests.conftest import make_user
from tests.factories import make_event
from tests.pdf_helpers import assert_fonts_embedded, make_registration, pdf_text, qr_codes


def test_badges_sheet_and_filters(app, client, auth, ctx, tmp_path):
    event = make_event(ctx, "badge-event")
    people = [
        make_registration(
            ctx, event, "فاطمة الزهراء", "f@example.org", lang="ar", organisation="جامعة الملك سعود"
        ),
        make_registration(ctx, event, "John Smith", "j@example.org"),
    ] + [make_registration(ctx, event, f"Guest {i:02d}", f"g{i}@example.org") for i in range(8)]
    make_registration(ctx, event, "Cancelled Person", "c@example.org", status="cancelled")
    ctx.commit()
    make_user(app, "org@example.org", "organiser", events=[event])
    auth.login("org@example.org")

    page = client.get("/en/manage/events/badge-event/badges?q=fatima&status=confirmed")
    assert page.status_code == 200
    found = badges.select_registrations(ctx, event, badges.BadgeFilter(query="فاطمه"))
    assert [r.full_name for r in found] == ["فاطمة الزهراء"]

    response = client.get("/en/manage/events/badge-event/badges?status=confirmed&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 2  # 10 badges, 8 per sheet
    text = pdf_text(response.data, tmp_path)
    assert "فاطمة الزهراء" in text and "John Smith" in text and "Cancelled Person" not in text
    assert_fonts_embedded(response.data, tmp_path)
    codes = qr_codes(response.data, tmp_path)
    expected = {badges.checkin_payload(r) for r in people}
    assert codes and set(codes) <= expected
