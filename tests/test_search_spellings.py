"""Search that finds every spelling: Arabic name particles with or without a space, any word
order, Arabic-Indic digits, Latin accents/case/hyphens — in the check-in search, the
registrations list and the speakers list, all in the database query."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import Event, Person
from symposium.services import checkin
from symposium.services.search import fold, matches, query_words
from tests.conftest import make_user
from tests.factories import make_event, make_person
from tests.manage_helpers import PASSWORD, login, make_registration

NAMES = [
    ("عبد الله الأحمد", "abdullah@example.org"),
    ("عبدالله الشمري", "shammari@example.org"),
    ("عبد الرحمن ابن خلدون", "khaldun@example.org"),
    ("أبو بكر الصديق", "abubakr@example.org"),
    ("محمد بن سلمان", "mbs@example.org"),
    ("أم كلثوم إبراهيم", "kulthum@example.org"),
    ("فيصل آل سعود", "faisal@example.org"),
    ("Hélène Dupré-Nguyễn", "helene@example.org"),
    ("Zoë O’Brien", "zoe.obrien0551@example.org"),
]

# (query, a name it must find, a name it must not find)
PAIRS = [
    ("عبدالله", "عبد الله الأحمد", "عبد الرحمن ابن خلدون"),
    ("عبد الله", "عبد الله الأحمد", "عبد الرحمن ابن خلدون"),
    ("عبد اللّه", "عبد الله الأحمد", "أبو بكر الصديق"),
    ("عبداللة", "عبد الله الأحمد", "محمد بن سلمان"),
    ("عبد الله", "عبدالله الشمري", "عبد الرحمن ابن خلدون"),  # the reverse
    ("عبد اللّه", "عبدالله الشمري", "فيصل آل سعود"),
    ("الأحمد عبدالله", "عبد الله الأحمد", "عبدالله الشمري"),  # any order
    ("الاحمد عبد الله", "عبد الله الأحمد", "عبدالله الشمري"),
    ("عبدالرحمن ابنخلدون", "عبد الرحمن ابن خلدون", "عبد الله الأحمد"),
    ("خلدون", "عبد الرحمن ابن خلدون", "محمد بن سلمان"),
    ("ابوبكر", "أبو بكر الصديق", "عبد الله الأحمد"),
    ("ابو بكر", "أبو بكر الصديق", "عبد الله الأحمد"),
    ("بنسلمان", "محمد بن سلمان", "عبد الله الأحمد"),
    ("امكلثوم", "أم كلثوم إبراهيم", "عبد الله الأحمد"),
    ("آلسعود", "فيصل آل سعود", "محمد بن سلمان"),
    ("helene dupre", "Hélène Dupré-Nguyễn", "Zoë O’Brien"),
    ("HELENE", "Hélène Dupré-Nguyễn", "Zoë O’Brien"),
    ("dupre-nguyen", "Hélène Dupré-Nguyễn", "Zoë O’Brien"),
    ("nguyen helene", "Hélène Dupré-Nguyễn", "Zoë O’Brien"),
    ("zoe obrien", "Zoë O’Brien", "Hélène Dupré-Nguyễn"),
    ("٠٥٥١", "Zoë O’Brien", "Hélène Dupré-Nguyễn"),  # Arabic-Indic digits (in the email)
    ("۰۵۵۱", "Zoë O’Brien", "Hélène Dupré-Nguyễn"),  # Persian digits
]


def test_fold_keys():
    assert fold("عبد الله") == fold("عبدالله") == fold("عبد اللّه") == fold("عبداللة")
    assert fold("عبد الرحمن") == fold("عبدالرحمن") == fold("عبد ال رحمن")
    assert fold("أبو بكر") == fold("ابوبكر") and fold("أم كلثوم") == fold("امكلثوم")
    assert fold("Hélène Dupré-Nguyễn") == "helene dupre nguyen"
    assert fold("٠١٢٣٤٥٦٧٨٩") == fold("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert fold("Łódź Øre Đặng") == "lodz ore dang"
    assert query_words("الأحمد  عبدالله الأحمد") == ["الاحمد", "عبدالله"]
    assert query_words("  ") == [] and query_words("%") == ["%"]


@pytest.fixture
def people(app):
    with app.app_context():
        event = make_event(db.session)
        for name, email in NAMES:
            make_registration(db.session, event, name, email)
            make_person(db.session, event, email.split("@")[0].replace(".", "-"), email=email)
            person = db.session.scalar(
                select(Person).where(Person.email == email, Person.event_id == event.id)
            )
            person.name = {"ar": name} if not name.isascii() and "é" not in name else {"en": name}
        db.session.commit()
        make_user(app, "org@example.org", "organiser", PASSWORD, events=[event])
        return event.slug


@pytest.mark.parametrize(("query", "found", "not_found"), PAIRS)
def test_checkin_search_finds_every_spelling(ctx, people, query, found, not_found):
    event = ctx.scalar(select(Event).where(Event.slug == people))
    names = [r.full_name for r in checkin.search(ctx, event, query)]
    assert found in names
    assert not_found not in names


@pytest.mark.parametrize(("query", "found", "not_found"), PAIRS)
def test_speaker_search_finds_every_spelling(ctx, people, query, found, not_found):
    rows = ctx.scalars(select(Person).where(matches(Person.search_key, query))).all()
    names = [next(iter(p.name.values())) for p in rows]
    assert found in names
    assert not_found not in names


def test_empty_and_wildcard_queries_find_nobody(ctx, people):
    event = ctx.scalar(select(Event).where(Event.slug == people))
    for query in ("", "  ", "%", "_", "\\"):
        assert checkin.search(ctx, event, query) == []


def test_registrations_list_finds_other_spelling(client, people):
    login(client, "org@example.org")
    page = client.get(
        f"/en/manage/events/{people}/registrations", query_string={"q": "الأحمد عبدالله"}
    ).get_data(as_text=True)
    assert "عبد الله الأحمد" in page and "عبدالله الشمري" not in page


def test_speakers_list_has_a_search_box(client, people):
    login(client, "org@example.org")
    url = f"/en/manage/events/{people}/people"
    page = client.get(url, query_string={"q": "dupre nguyen"}).get_data(as_text=True)
    assert 'type="search"' in page
    assert "Hélène Dupré-Nguyễn" in page and "Zoë O’Brien" not in page
    none = client.get(url, query_string={"q": "nobody-like-this"}).get_data(as_text=True)
    assert "Nobody matches" in none


def test_checkin_page_finds_other_spelling(client, app, people):
    login(client, "org@example.org")
    page = client.get(
        f"/ar/manage/events/{people}/checkin", query_string={"q": "عبد اللّه"}
    ).get_data(as_text=True)
    assert "عبد الله الأحمد" in page and "عبدالله الشمري" in page
    assert "أبو بكر الصديق" not in page


def test_speaker_key_follows_edits(ctx, people):
    person = ctx.scalar(select(Person).where(Person.email == "mbs@example.org"))
    person.name = {"ar": "سلمان أبو الفضل", "en": "Salman Abu al-Fadl"}
    ctx.flush()
    assert "ابوالفضل" in person.search_key and "salman abu al fadl" in person.search_key
    assert ctx.scalars(select(Person).where(matches(Person.search_key, "ابو الفضل"))).all() == [
        person
    ]


def test_the_scan_box_accepts_arabic_indic_digits(client, app, people, monkeypatch):
    from symposium.models import Registration
    from symposium.services import event_time, tickets

    monkeypatch.setattr(event_time, "utcnow", lambda: datetime(2027, 1, 24, 9, 0, tzinfo=UTC))
    with app.app_context():
        registration = db.session.scalar(select(Registration).order_by(Registration.id))
        code = tickets.checkin_code(registration)
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    login(client, "org@example.org")
    response = client.post(f"/en/manage/events/{people}/checkin", data={"code": arabic})
    assert "Welcome! Checked in." in response.get_data(as_text=True)
