"""The agenda in Arabic (RTL), English and French; local times across DST; the language switcher."""

from __future__ import annotations

import re
from datetime import date, datetime

from babel.dates import format_date, format_time

from symposium.extensions import db
from symposium.services.interchange import import_event
from tests.factories import make_event, make_room, make_session


def _seed_demo(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def test_arabic_agenda_is_rtl_with_riyadh_times_and_arabic_months(runner, client):
    _seed_demo(runner)
    response = client.get("/ar/events/ide-2026/agenda")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "الافتتاح والترحيب" in page
    assert "المائدة المستديرة الأولى" in page
    assert "يناير" in page  # Arabic month name
    assert format_date(date(2026, 1, 26), format="full", locale="ar") in page
    # 09:00 and 16:00 in Riyadh, as Babel writes them in Arabic
    assert format_time(datetime(2026, 1, 26, 9, 0), format="short", locale="ar") in page
    assert format_time(datetime(2026, 1, 26, 16, 0), format="short", locale="ar") in page
    assert "توقيت الرياض" in page and "Asia/Riyadh" not in page  # the timezone in words


def test_english_and_french_agenda_are_ltr_in_their_language(runner, client):
    _seed_demo(runner)
    page = client.get("/en/events/ide-2026/agenda").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
    assert "Opening and welcome" in page and "Monday, January 26, 2026" in page
    assert "9:00" in page and "AM" in page
    page = client.get("/fr/events/ide-2026/agenda").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page
    assert "Ouverture et mot de bienvenue" in page and "janvier" in page
    assert "lundi 26 janvier 2026" in page and "09:00" in page


def test_nine_oclock_stays_nine_oclock_across_a_dst_change(app, client):
    with app.app_context():
        for tzname, first, second in (
            ("Europe/Paris", date(2027, 3, 27), date(2027, 3, 28)),
            ("America/New_York", date(2027, 3, 13), date(2027, 3, 14)),
        ):
            slug = tzname.split("/")[1].lower().replace("_", "-")
            ev = make_event(db.session, slug, timezone=tzname, starts_on=first, ends_on=second)
            room = make_room(db.session, ev)
            for day in (first, second):
                make_session(
                    db.session, ev, f"s-{day.day}", f"{day}T09:00", f"{day}T10:00", room=room
                )
        db.session.commit()
    for slug in ("paris", "new-york"):
        page = client.get(f"/fr/events/{slug}/agenda").get_data(as_text=True)
        times = re.findall(
            r"<time datetime=\"[^\"]+T(\d\d:\d\d):00([+-]\d\d:\d\d)\">([^<]+)</time>", page
        )
        starts = [t for t in times if t[0] == "09:00"]
        assert len(starts) == 2, times
        assert {t[2] for t in starts} == {"09:00"}
        assert starts[0][1] != starts[1][1]  # the UTC offset changed between the two days


def test_language_switcher_keeps_the_page_and_query(runner, client):
    _seed_demo(runner)
    page = client.get("/en/events/ide-2026/agenda?room=main-hall").get_data(as_text=True)
    assert 'href="/ar/events/ide-2026/agenda?room=main-hall"' in page
    assert 'href="/fr/events/ide-2026/agenda?room=main-hall"' in page
    page = client.get("/fr/events/ide-2026/speakers/mayor-alula").get_data(as_text=True)
    assert 'href="/ar/events/ide-2026/speakers/mayor-alula"' in page


def test_content_falls_back_to_the_default_language(app, client):
    data = {
        "slug": "only-arabic",
        "timezone": "Asia/Riyadh",
        "default_language": "ar",
        "languages": ["ar"],
        "title": {"ar": "ندوة بالعربية فقط"},
        "starts_on": "2027-05-01",
        "ends_on": "2027-05-01",
        "status": "published",
        "sessions": [
            {
                "key": "one",
                "kind": "panel",
                "title": {"ar": "جلسة واحدة"},
                "starts_at": "2027-05-01T10:00",
                "ends_at": "2027-05-01T11:00",
            }
        ],
    }
    with app.app_context():
        import_event(db.session, data)
        db.session.commit()
    page = client.get("/fr/events/only-arabic/agenda").get_data(as_text=True)
    assert "جلسة واحدة" in page and "ندوة بالعربية فقط" in page
    assert '<html lang="fr" dir="ltr">' in page and "samedi 1 mai 2027" in page
