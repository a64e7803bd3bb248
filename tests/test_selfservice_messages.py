"""After a self-service cancellation the page says the seat went to the next person only when
somebody was actually moved up (event waiting list, or a session's)."""

from __future__ import annotations

import html as html_lib

from symposium.extensions import db
from symposium.services import registration as reg
from tests.factories import make_event, make_session
from tests.registration_helpers import data

GIVEN = "Your seat has been given to the next person waiting."


def _setup(app, *, event_capacity, session_capacity, people):
    with app.app_context():
        event = make_event(db.session, capacity=event_capacity)
        make_session(
            db.session,
            event,
            "ws",
            "2027-01-24T10:30",
            "2027-01-24T12:00",
            capacity=session_capacity,
            title={"en": "Water workshop", "fr": "Atelier eau", "ar": "ورشة المياه"},
        )
        tokens = [
            reg.register(
                db.session, event, data(f"P{i}", f"p{i}@example.org", sessions=["ws"])
            ).registration.token
            for i in range(people)
        ]
        db.session.commit()
        return tokens


def _cancel(client, token, lang="en"):
    response = client.post(f"/{lang}/r/{token}/cancel", follow_redirects=True)
    assert response.status_code == 200
    return html_lib.unescape(response.get_data(as_text=True))


def test_nobody_waiting_means_no_promise(app, client):
    (token,) = _setup(app, event_capacity=5, session_capacity=5, people=1)
    page = _cancel(client, token)
    assert "Your registration is cancelled." in page
    assert GIVEN not in page and "has been given" not in page


def test_someone_waiting_for_the_event_is_named_as_such(app, client):
    first, second = _setup(app, event_capacity=1, session_capacity=5, people=2)
    page = _cancel(client, first)
    assert f"Your registration is cancelled. {GIVEN}" in page
    with app.app_context():
        assert reg.by_token(db.session, second).status == "confirmed"


def test_a_session_seat_given_to_its_waiting_list(app, client):
    first, second = _setup(app, event_capacity=5, session_capacity=1, people=2)
    page = _cancel(client, first, "fr")
    assert "Votre inscription est annulée." in page
    assert (
        "Votre place à «\u202fAtelier eau\u202f» a été attribuée à la personne suivante "
        "sur sa liste d’attente." in page
    )
    assert "Votre place a été attribuée à la personne suivante" not in page
    with app.app_context():
        assert reg.by_token(db.session, second).session_signups[0].status == "confirmed"


def test_cancel_page_promises_the_seat_only_when_someone_waits(app, client):
    from symposium.extensions import db as _db
    from symposium.models import Registration
    from tests.factories import make_event
    from tests.registration_helpers import post_registration

    with app.app_context():
        make_event(_db.session, "tiny", capacity=1)
        _db.session.commit()
    post_registration(client, slug="tiny", email="first@example.org")
    with app.app_context():
        token = _db.session.scalar(_db.select(Registration.token))
    alone = client.get(f"/en/r/{token}/cancel").data.decode()
    assert "given to the next person" not in alone and "cannot be undone" in alone
    post_registration(client, slug="tiny", email="second@example.org")
    waiting = client.get(f"/en/r/{token}/cancel").data.decode()
    assert "given to the next person on the waiting list" in waiting
