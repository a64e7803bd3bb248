"""Public verification: an unknown or mistyped code gets a translated "could not be verified"
page with status 404, not the generic error page."""

from __future__ import annotations

from datetime import date

import pytest

from symposium.services import certificates as certs
from tests.factories import make_event
from tests.pdf_helpers import make_registration

EXPECTED = {
    "en": "This certificate could not be verified.",
    "fr": "Ce certificat n’a pas pu être vérifié.",
    "ar": "تعذّر التحقّق من هذه الشهادة.",
}


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_unknown_code_gets_a_translated_not_verified_page(client, ctx, lang):
    event = make_event(ctx, "verify-event", day=date(2026, 1, 26))
    registration = make_registration(ctx, event, "Anne Dupont", "a@example.org")
    cert = certs._build(ctx, event, registration=registration)
    ctx.commit()
    mistyped = cert.code[:-1] + ("A" if cert.code[-1] != "A" else "B")
    for code in (mistyped, "invented-code", "<script>x", "x" * 300):
        response = client.get(f"/{lang}/verify/{code}")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert EXPECTED[lang] in page
        assert "<script>x" not in page
        assert 'name="robots" content="noindex' in page or "noindex" in page
    # a real code still verifies
    assert client.get(f"/{lang}/verify/{cert.code}").status_code == 200
