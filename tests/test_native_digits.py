"""Arabic-Indic digits as an event setting: Latin digits by default (CLDR's "ar"), Arabic-Indic
digits on request (like CLDR's "ar-SA"), in pages, emails and PDFs; edited in the event form."""

from __future__ import annotations

import re
from datetime import date

from symposium.extensions import db
from symposium.i18n import fmt_date, fmt_number, fmt_time, local_to_utc
from symposium.models import Event, Registration
from symposium.services import notifications
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.manage_helpers import build_world, login, make_registration
from tests.pdf_helpers import pdf_text

LATIN_DIGIT = re.compile(r"[0-9]")
ARABIC_INDIC_DIGIT = re.compile(r"[\u0660-\u0669]")
TIME_TEXTS = re.compile(r"<time[^>]*>([^<]*)</time>")


def _seed(app, digits: str | None) -> None:
    with app.app_context():
        s = db.session
        event = make_event(
            s,
            "digits",
            day=date(2027, 1, 26),
            settings={"digits": digits, "certificates": {"kind": "x"}} if digits else {},
        )
        room = make_room(s, event, "hall")
        panel = make_session(
            s, event, "panel", "2027-01-26T10:30", "2027-01-26T12:00", room=room, capacity=12
        )
        add_speaker(s, panel, make_person(s, event, "huda"))
        make_registration(s, event, "ليلى الأحمد", "layla@example.org", preferred_language="ar")
        s.commit()


def test_arabic_indic_digits_on_request_in_pages(app, client):
    _seed(app, "arab")
    agenda = client.get("/ar/events/digits/agenda").get_data(as_text=True)
    assert "١٠:٣٠" in agenda and "٢٦" in agenda
    times = TIME_TEXTS.findall(agenda)
    assert times and all(not LATIN_DIGIT.search(t) for t in times), times
    session = client.get("/ar/events/digits/sessions/panel").get_data(as_text=True)
    assert "١٠:٣٠" in session and "٢٦" in session and "١٢" in session  # 12 places left
    assert all(not LATIN_DIGIT.search(t) for t in TIME_TEXTS.findall(session))
    home = client.get("/ar/events/digits/").get_data(as_text=True)
    assert all(not LATIN_DIGIT.search(t) for t in TIME_TEXTS.findall(home))
    assert "٢٦" in home and "٢٠٢٧" in home
    # dates formatted by Python helpers while the page renders (the speaker's sessions)
    speaker = client.get("/ar/events/digits/speakers/huda").get_data(as_text=True)
    assert "٢٦ يناير ٢٠٢٧ الساعة ١٠:٣٠" in speaker and "10:30" not in speaker
    # the other languages keep Latin digits
    english = client.get("/en/events/digits/agenda").get_data(as_text=True)
    assert "10:30" in english and not ARABIC_INDIC_DIGIT.search(english)


def test_latin_digits_by_default(app, client):
    _seed(app, None)
    agenda = client.get("/ar/events/digits/agenda").get_data(as_text=True)
    assert "10:30" in agenda and "26" in agenda
    assert not ARABIC_INDIC_DIGIT.search(agenda)


def test_formatting_helpers_take_the_numbering_system(app):
    with app.test_request_context():
        moment = local_to_utc(__import__("datetime").datetime(2027, 1, 26, 10, 30), "Asia/Riyadh")
        assert fmt_time(moment, "Asia/Riyadh", "ar", numbering="arab") == "١٠:٣٠ ص"
        assert fmt_time(moment, "Asia/Riyadh", "ar") == "10:30 ص"
        assert "٢٦" in fmt_date(date(2027, 1, 26), "ar", numbering="arab")
        assert fmt_number(1234.5, "ar", numbering="arab") == "١٬٢٣٤٫٥"
        assert fmt_number(1234.5, "fr", numbering="arab") == "1\u202f234,5"  # only Arabic


def test_arabic_indic_digits_in_emails_and_programme(app, client, tmp_path):
    _seed(app, "arab")
    with app.app_context():
        registration = db.session.scalar(db.select(Registration))
        _subject, text, html, _lang = notifications.render(db.session, registration, "confirmed")
        assert "٢٦" in text and "٢٠٢٧" in text and "٢٦" in html
        date_line = next(line for line in text.splitlines() if "٢٠٢٧" in line)
        assert not LATIN_DIGIT.search(date_line), date_line
    response = client.get("/ar/events/digits/programme.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    assert "١٠:٣٠" in text and "٢٦" in text
    assert "10:30" not in text


def test_the_event_form_edits_the_digits(app, client):
    world = build_world(app)
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        event.settings = {"certificates": {"speaker_scope": "all"}}
        db.session.commit()
    login(client, "organiser@example.org")
    page = client.get(f"/en/manage/events/{world.slug}/edit").get_data(as_text=True)
    assert 'name="digits"' in page and "Arabic-Indic digits" in page
    form = {
        "slug": world.slug,
        "timezone": "Asia/Riyadh",
        "starts_on": "2027-01-24",
        "ends_on": "2027-01-24",
        "default_language": "ar",
        "languages": ["ar", "en", "fr"],
        "title_ar": "ندوة الاختبار",
        "title_en": "Test symposium",
        "capacity": "100",
        "digits": "roman",
    }
    response = client.post(f"/en/manage/events/{world.slug}/edit", data=form)
    assert response.status_code == 400
    with app.app_context():
        assert "digits" not in db.session.get(Event, world.event_id).settings
    response = client.post(f"/en/manage/events/{world.slug}/edit", data=dict(form, digits="arab"))
    assert response.status_code == 302
    with app.app_context():
        settings = db.session.get(Event, world.event_id).settings
        assert settings["digits"] == "arab"
        assert settings["certificates"] == {"speaker_scope": "all"}  # other settings kept
    page = client.get(f"/en/manage/events/{world.slug}/edit").get_data(as_text=True)
    assert re.search(
        r'<option[^>]*selected[^>]*value="arab"|<option[^>]*value="arab"[^>]*selected', page
    )
