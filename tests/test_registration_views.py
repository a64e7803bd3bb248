"""The registration form over HTTP: happy path, closed registration, the bad-input battery."""

from datetime import timedelta

import pytest

from symposium.extensions import db
from symposium.models import Event
from symposium.models.types import utcnow
from tests.factories import make_event, make_session
from tests.registration_helpers import (
    form_data,
    outbox,
    post_registration,
    registration_by_email,
    row_counts,
)


@pytest.fixture
def event(app):
    with app.app_context():
        e = make_event(db.session, capacity=1, hybrid=True)
        make_session(db.session, e, "ws", "2027-01-24T09:00", "2027-01-24T10:30", capacity=2)
        make_session(db.session, e, "talk", "2027-01-24T11:00", "2027-01-24T12:00")
        db.session.commit()
        return e.slug


def test_form_shows_fields_in_the_page_language(client, event):
    page = client.get(f"/fr/events/{event}/register")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in (
        "full_name",
        "email",
        "organisation",
        "job_title",
        "country",
        "city",
        "attendance_mode",
        "preferred_language",
        "sessions",
        "accessibility_needs",
        "consent",
        "csrf_token" if False else "website",
    ):
        assert f'name="{name}"' in html
    assert "Maroc" in html  # countries named in French
    assert '<option selected value="fr">' in html or 'value="fr" selected' in html
    assert 'value="ws"' in html and 'value="talk"' not in html  # only sessions with seats
    assert "Notice de confidentialité" in html
    assert 'lang="fr"' in html


def test_register_then_confirmation_page(client, app, event):
    response = post_registration(client, event, sessions=["ws"], preferred_language="fr")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Amina Haddad" in page.get_data(as_text=True)
    with app.app_context():
        r = registration_by_email(db.session, "amina@example.org")
        assert r.status == "confirmed" and r.preferred_language == "fr"
        assert r.consent_version == app.config["PRIVACY_NOTICE_VERSION"] and r.consented_at
        assert r.attendance_mode == "in_person" and r.country == "MA"
        assert r.session_signups[0].session.key == "ws"
        assert [e.kind for e in outbox(db.session)] == ["confirmation"]
    # the event is now full: the next person is on the waiting list with a position
    response = post_registration(client, event, email="second@example.org")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "waiting list" in page and "number 1" in page


def test_registering_again_says_already_registered_and_resends_link(client, app, event):
    post_registration(client, event)
    response = post_registration(client, event, email="AMINA@example.org", full_name="Other")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already registered" in page
    with app.app_context():
        assert [e.kind for e in outbox(db.session)] == ["confirmation", "already_registered"]
    assert row_counts(app)["Registration"] == 1


def test_honeypot_stores_nothing(client, app, event):
    before = row_counts(app)
    response = post_registration(client, event, website="http://spam.example")
    assert response.status_code == 303
    assert row_counts(app) == before


LONG = "x" * 201
CASES = [
    ({"full_name": ""}, "Please enter your full name.", "Veuillez saisir votre nom complet."),
    ({"full_name": "   "}, "Please enter your full name.", None),
    ({"email": ""}, "Please enter your email address.", None),
    (
        {"email": "not-an-email"},
        "Please enter a valid email address.",
        "Veuillez saisir une adresse e-mail valide.",
    ),
    ({"email": "a@b"}, "Please enter a valid email address.", None),
    ({"email": "x" * 250 + "@example.org"}, "This email address is too long.", None),
    (
        {"full_name": LONG},
        "Please use at most 200 characters.",
        "Veuillez utiliser au plus 200 caractères.",
    ),
    ({"organisation": LONG}, "Please use at most 200 characters.", None),
    ({"city": "y" * 121}, "Please use at most 120 characters.", None),
    ({"accessibility_needs": "z" * 2001}, "Please use at most 2000 characters.", None),
    ({"full_name": "Ali\x00Baba"}, "Control characters are not allowed.", None),
    ({"organisation": "Org\x1b[31m"}, "Control characters are not allowed.", None),
    ({"full_name": "Ali\nBaba"}, "Control characters are not allowed.", None),
    (
        {"full_name": "Ali \u202eabaB"},
        "Text direction control characters are not allowed.",
        "Les caractères de contrôle du sens du texte ne sont pas autorisés.",
    ),
    ({"city": "Rabat\u2066x\u2069"}, "Text direction control characters are not allowed.", None),
    (
        {"full_name": "<script>alert(1)</script>"},
        "The characters &lt; and &gt; are not allowed here.",
        "Les caractères &lt; et &gt; ne sont pas autorisés ici.",
    ),
    ({"country": "XX"}, "Please choose a country from the list.", None),
    ({"preferred_language": "de"}, "Please choose a language.", None),
    ({"attendance_mode": "hologram"}, "Please choose how you will attend.", None),
    (
        {"consent": None},
        "Please accept the privacy notice to register.",
        "Veuillez accepter la notice de confidentialité pour vous inscrire.",
    ),
    ({"sessions": ["nope"]}, "Unknown session: nope", "Séance inconnue\u202f: nope"),
    ({"sessions": ["talk"]}, "Unknown session: talk", None),
]


@pytest.mark.parametrize(("overrides", "english", "french"), CASES)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    client, app, event, overrides, english, french
):
    before = row_counts(app)
    response = post_registration(client, event, "en", **overrides)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert english in html
    # what was typed is kept (except the offending control characters are not echoed raw)
    if "organisation" not in overrides:
        assert 'value="Institut"' in html
    if french:
        response = post_registration(client, event, "fr", **overrides)
        assert response.status_code == 400
        assert french in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_script_in_a_text_field_is_stored_as_text_and_escaped(client, app, event):
    post_registration(client, event, organisation="<b>ACME</b> & co")
    with app.app_context():
        r = registration_by_email(db.session, "amina@example.org")
        assert r.organisation == "<b>ACME</b> & co"
        token = r.token
    html = client.get(f"/en/r/{token}").get_data(as_text=True)
    assert "<b>ACME" not in html


@pytest.mark.parametrize(
    ("fields", "english", "arabic"),
    [
        ({"registration_open": False}, "Registration is closed.", None),
        (
            {"registration_closes_at": utcnow() - timedelta(hours=1)},
            "Registration closed on the deadline.",
            "أُغلق التسجيل عند انتهاء الموعد النهائي.",
        ),
        (
            {"registration_opens_at": utcnow() + timedelta(days=2)},
            "Registration has not opened yet.",
            "لم يُفتح التسجيل بعد.",
        ),
    ],
)
def test_closed_registration_page_and_post(client, app, fields, english, arabic):
    with app.app_context():
        make_event(db.session, "closed", **fields)
        db.session.commit()
    page = client.get("/en/events/closed/register").get_data(as_text=True)
    assert english in page and 'name="full_name"' not in page
    before = row_counts(app)
    response = post_registration(client, "closed")
    assert response.status_code == 400 and english in response.get_data(as_text=True)
    if arabic:
        assert arabic in client.get("/ar/events/closed/register").get_data(as_text=True)
    assert row_counts(app) == before


def test_draft_or_unknown_event_is_404(client, app):
    with app.app_context():
        make_event(db.session, "draft", status="draft")
        db.session.commit()
    assert client.get("/en/events/draft/register").status_code == 404
    assert post_registration(client, "nothing-here").status_code == 404


def test_online_mode_only_for_hybrid_events(client, app):
    with app.app_context():
        make_event(db.session, "onsite", hybrid=False)
        db.session.commit()
    assert 'name="attendance_mode"' not in client.get("/en/events/onsite/register").get_data(
        as_text=True
    )
    post_registration(client, "onsite", attendance_mode="online")
    with app.app_context():
        assert registration_by_email(db.session, "amina@example.org").attendance_mode == "in_person"


def test_arabic_registration_keeps_the_name_byte_exact(client, app, event):
    import unicodedata

    name = "إبراهيم عبدالله الشهري"
    decomposed = unicodedata.normalize("NFD", "  " + name + " ")
    response = post_registration(
        client,
        event,
        "ar",
        full_name=decomposed,
        email="ibrahim@example.org",
        preferred_language="ar",
        organisation="جامعة الملك سعود",
        city="الرياض",
        country="SA",
    )
    assert response.status_code == 303
    with app.app_context():
        r = registration_by_email(db.session, "ibrahim@example.org")
        assert r.full_name == unicodedata.normalize("NFC", name)
        assert r.full_name.encode("utf-8") == name.encode("utf-8")
        token = r.token
        import email
        from email import policy

        message = email.message_from_bytes(outbox(db.session)[0].message, policy=policy.default)
        assert message["Subject"] == "تأكّد تسجيلك: ندوة الاختبار"
        assert name in message.get_body(("plain",)).get_content()
    page = client.get(f"/ar/r/{token}").get_data(as_text=True)
    assert name in page and 'dir="rtl"' in page


def test_counts_unchanged_for_a_post_to_a_full_event_duplicate(client, app, event):
    post_registration(client, event)
    post_registration(client, event, email="b@example.org")
    before = row_counts(app)
    post_registration(client, event, email="b@example.org")
    after = row_counts(app)
    assert after["Registration"] == before["Registration"]
    with app.app_context():
        assert db.session.get(Event, 1).confirmed_count == 1


def test_form_data_helper_defaults_are_valid():
    assert form_data()["consent"] == "y"
