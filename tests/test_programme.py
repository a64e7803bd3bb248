"""The programme PDF: content, contents with page numbers, cache rebuilt on agenda changes."""

from __future__ import annotations

from datetime import date

from symposium.services.events import bump_agenda_version
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.pdf_helpers import assert_fonts_embedded, assert_qpdf_ok, pdf_text


def _agenda(session):
    event = make_event(
        session, "prog", day=date(2026, 1, 26), ends_on=date(2026, 1, 27), timezone="Asia/Riyadh"
    )
    room = make_room(session, event, "hall", en="Grand Hall", ar="القاعة الكبرى")
    first = make_session(
        session,
        event,
        "open",
        "2026-01-26T09:00",
        "2026-01-26T10:00",
        room=room,
        title={"en": "Opening keynote", "ar": "الكلمة الافتتاحية"},
    )
    make_session(
        session,
        event,
        "day2",
        "2026-01-27T14:30",
        "2026-01-27T15:30",
        room=room,
        title={"en": "Heritage and tourism", "ar": "التراث والسياحة"},
    )
    speaker = make_person(
        session,
        event,
        "amal",
        name={"en": "Amal Haddad", "ar": "أمل حداد"},
        title={"en": "Director of Heritage", "ar": "مديرة التراث"},
        bio={
            "en": "<p>Amal leads <strong>heritage</strong> programmes.</p>",
            "ar": "<p>تقود أمل برامج التراث.</p>",
        },
    )
    add_speaker(session, first, speaker).confirmation = "confirmed"
    session.commit()
    return event, first


def test_programme_pdf_content_and_cache(app, client, ctx, tmp_path):
    event, first = _agenda(ctx)
    response = client.get("/en/events/prog/programme.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    for expected in (
        "Opening keynote",
        "Heritage and tourism",
        "Grand Hall",
        "Amal Haddad",
        "Director of Heritage",
        "Amal leads heritage programmes.",
        "9:00",
    ):
        assert expected in text
    assert_fonts_embedded(response.data, tmp_path)
    assert_qpdf_ok(response.data, tmp_path)
    # Served from the cache while nothing changes
    assert client.get("/en/events/prog/programme.pdf").data == response.data

    first.title = {"en": "Welcome and opening keynote", "ar": "الكلمة الافتتاحية"}
    bump_agenda_version(event)
    ctx.commit()
    changed = client.get("/en/events/prog/programme.pdf")
    assert "Welcome and opening keynote" in pdf_text(changed.data, tmp_path)


def test_programme_arabic_bilingual_and_draft(app, client, ctx, tmp_path):
    event, _ = _agenda(ctx)
    response = client.get("/ar/events/prog/programme.pdf?variant=bilingual")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    assert "الكلمة الافتتاحية" in text and "Opening keynote" in text
    assert "أمل حداد" in text and "Amal Haddad" in text
    event.status = "draft"
    ctx.commit()
    assert client.get("/en/events/prog/programme.pdf").status_code == 404
    assert client.get("/en/events/none/programme.pdf").status_code == 404
