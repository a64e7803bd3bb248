"""Check-in at the door and in sessions; the Arabic-aware search."""

from datetime import UTC, datetime

import pytest

from symposium.extensions import db
from symposium.models import Registration, SessionRegistration
from symposium.services import checkin, tickets
from symposium.services import registration as reg
from tests.conftest import make_user
from tests.factories import make_event, make_session
from tests.registration_helpers import data


@pytest.fixture(autouse=True)
def event_under_way(monkeypatch):
    """The clock of services/event_time.py on the event's day: check-in is open."""
    from symposium.services import event_time

    monkeypatch.setattr(event_time, "utcnow", lambda: datetime(2027, 1, 24, 9, 30, tzinfo=UTC))


@pytest.fixture
def setup(app):
    with app.app_context():
        event = make_event(db.session, capacity=4)
        make_session(db.session, event, "ws", "2027-01-24T09:00", "2027-01-24T10:00", capacity=1)
        make_session(db.session, event, "talk", "2027-01-24T11:00", "2027-01-24T12:00")
        names = [
            "إبراهيم عبدالله الشهري",
            "فاطمة الزهراء",
            "مُحَمَّد علي",
            "ليلى حسن",
            "Zoé Martin",
            "Omar Attente",
        ]
        tokens = []
        for i, name in enumerate(names):
            sessions = ["ws"] if i < 2 else []
            r = reg.register(db.session, event, data(name, f"p{i}@example.org", sessions=sessions))
            tokens.append(r.registration.token)
        reg.cancel(
            db.session, reg.by_token(db.session, tokens[0])
        )  # Ibrahim cancels: Zoé is promoted, Omar waits
        db.session.commit()
        staff = make_user(app, "door@example.org", "checkin", events=[event])
        make_user(app, "org@example.org", "organiser", events=[event])
        make_user(app, "other@example.org", "organiser")
        return {"event": event.slug, "tokens": tokens, "staff": staff}


def _code(app, token):
    with app.app_context():
        return tickets.checkin_code(reg.by_token(db.session, token))


def test_access(client, auth, setup):
    url = f"/en/manage/events/{setup['event']}/checkin"
    assert client.get(url).status_code == 302  # to the login page
    auth.login("other@example.org")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("org@example.org")
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login("door@example.org")
    page = client.get(url)
    assert page.status_code == 200 and "autofocus" in page.get_data(as_text=True)


def test_scan_then_scan_again(client, app, auth, setup):
    auth.login("door@example.org")
    url = f"/en/manage/events/{setup['event']}/checkin"
    token = setup["tokens"][1]
    first = client.post(url, data={"code": _code(app, token)})
    assert first.status_code == 200 and "Welcome! Checked in." in first.get_data(as_text=True)
    with app.app_context():
        r = reg.by_token(db.session, token)
        assert r.checked_in_at is not None and r.checked_in_by_id == setup["staff"]
        assert r.attendance_source == "door"
        # fix the time to check the message: 09:12 in Riyadh = 06:12 UTC
        r.checked_in_at = datetime(2027, 1, 24, 6, 12, tzinfo=UTC)
        db.session.commit()
    second = client.post(url, data={"code": _code(app, token)})
    text = second.get_data(as_text=True).replace("\u202f", " ")  # CLDR: narrow space before AM
    assert "Already checked in at 9:12 AM by door@example.org." in text
    french = client.post(url.replace("/en/", "/fr/"), data={"code": _code(app, token)})
    assert "Déjà enregistré à 09:12 par door@example.org." in french.get_data(as_text=True)


def test_refusals(client, app, auth, setup):
    auth.login("door@example.org")
    url = f"/en/manage/events/{setup['event']}/checkin"
    cancelled = client.post(url, data={"code": _code(app, setup["tokens"][0])})
    assert cancelled.status_code == 422
    assert "Refused: this registration is cancelled." in cancelled.get_data(as_text=True)
    with app.app_context():
        waiting = db.session.scalar(
            db.select(Registration).where(Registration.status == "waitlisted")
        )
        token = waiting.token
    refused = client.post(url, data={"code": _code(app, token)})
    assert "waiting list" in refused.get_data(as_text=True)
    forged = client.post(url, data={"code": _code(app, setup["tokens"][1])[:-3] + "abc"})
    assert forged.status_code == 422 and "Unknown ticket" in forged.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(db.func.count(Registration.id)).where(
                    Registration.checked_in_at.is_not(None)
                )
            )
            == 0
        )


def test_search_button_checks_in_by_token(client, app, auth, setup):
    auth.login("door@example.org")
    url = f"/en/manage/events/{setup['event']}/checkin"
    page = client.get(url, query_string={"q": "zoe"}).get_data(as_text=True)
    assert "Zoé Martin" in page
    ok = client.post(url, data={"code": setup["tokens"][4]})
    assert "Welcome! Checked in." in ok.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ابراهيم", "إبراهيم عبدالله الشهري"),
        ("فاطمه", "فاطمة الزهراء"),
        ("محمد", "مُحَمَّد علي"),
        ("محـــمد", "مُحَمَّد علي"),
        ("ليلي", "ليلى حسن"),
        ("ZOE", "Zoé Martin"),
        ("p1@example", "فاطمة الزهراء"),
    ],
)
def test_arabic_aware_search(ctx, setup, query, expected):
    from symposium.services.events import find_event

    event = find_event(ctx, setup["event"])
    found = [r.full_name for r in checkin.search(ctx, event, query)]
    assert expected in found
    # LIKE wildcards are literal; an empty query finds nobody
    assert checkin.search(ctx, event, "%") == []
    assert checkin.search(ctx, event, "_") == []
    assert checkin.search(ctx, event, "  ") == []


def test_search_page_finds_variant_spelling(client, auth, setup):
    auth.login("org@example.org")
    page = client.get(
        f"/ar/manage/events/{setup['event']}/checkin", query_string={"q": "ابراهيم"}
    ).get_data(as_text=True)
    assert "إبراهيم عبدالله الشهري" in page


def test_session_attendance(client, app, auth, setup):
    auth.login("door@example.org")
    url = f"/en/manage/events/{setup['event']}/checkin"
    fatima, zoe = setup["tokens"][1], setup["tokens"][4]
    # a session with a sign-up list: only its confirmed seats
    ok = client.post(url, data={"code": _code(app, fatima), "session_key": "ws"})
    assert "Welcome! Checked in." in ok.get_data(as_text=True)
    no = client.post(url, data={"code": _code(app, zoe), "session_key": "ws"})
    assert "has not signed up for this session" in no.get_data(as_text=True)
    # an open session accepts any confirmed registration
    yes = client.post(url, data={"code": _code(app, zoe), "session_key": "talk"})
    assert "Welcome! Checked in." in yes.get_data(as_text=True)
    again = client.post(url, data={"code": _code(app, zoe), "session_key": "talk"})
    assert "Already checked in" in again.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(
            db.select(SessionRegistration).where(SessionRegistration.attended_at.is_not(None))
        ).all()
        assert len(rows) == 2
        assert reg.by_token(db.session, zoe).checked_in_at is not None
    assert client.get(url, query_string={"session": "nope"}).status_code == 404
