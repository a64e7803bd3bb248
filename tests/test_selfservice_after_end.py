"""The personal page once the event has ended: no session changes, ticket or cancellation;
only the certificate (when there is one) and the person's data."""

from __future__ import annotations

import html as html_lib
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import Event, Session
from symposium.models.types import utcnow
from symposium.services import registration as reg
from symposium.services.event_time import event_ends_at
from tests.factories import make_event, make_session
from tests.registration_helpers import data

ENDED_EN = "This event has ended: your registration can no longer be changed."
ENDED_FR = "Cet événement est terminé\u202f: votre inscription ne peut plus être modifiée."


def _make(session, day: date, *, checked_in=False):
    event = make_event(session, day=day, capacity=10)
    iso = day.isoformat()
    make_session(session, event, "ws", f"{iso}T09:00", f"{iso}T10:30", capacity=5)
    make_session(session, event, "ws2", f"{iso}T11:00", f"{iso}T12:00", capacity=5)
    person = reg.register(session, event, data(sessions=["ws"])).registration
    if checked_in:
        person.checked_in_at = utcnow()
    session.commit()
    return person.token


@pytest.fixture
def ended(app):
    with app.app_context():
        return _make(db.session, date(2020, 3, 10), checked_in=True)


@pytest.fixture
def upcoming(app):
    with app.app_context():
        return _make(db.session, (utcnow() + timedelta(days=30)).date())


def _signup_keys(app, token):
    with app.app_context():
        return sorted(s.session.key for s in reg.by_token(db.session, token).session_signups)


# --------------------------------------------------------------------------- services


def test_actions_follow_the_end_of_the_event(ctx):
    token = _make(ctx, date(2027, 1, 24))
    person = reg.by_token(ctx, token)
    end = event_ends_at(person.event)
    before = reg.selfservice_actions(person, now=end - timedelta(minutes=1))
    after = reg.selfservice_actions(person, now=end)
    assert before == reg.SelfServiceActions(
        ended=False, change_sessions=True, ticket=True, calendar=True, cancel=True
    )
    assert after == reg.SelfServiceActions(
        ended=True, change_sessions=False, ticket=False, calendar=False, cancel=False
    )


def test_own_changes_are_refused_after_the_end(ctx):
    token = _make(ctx, date(2027, 1, 24))
    person = reg.by_token(ctx, token)
    end = event_ends_at(person.event)
    with pytest.raises(reg.SelfServiceClosedError) as info:
        reg.change_own_sessions(ctx, person, ["ws2"], now=end)
    assert info.value.message == ENDED_EN
    with pytest.raises(reg.SelfServiceClosedError):
        reg.cancel_own(ctx, person, now=end + timedelta(days=3))
    ctx.rollback()
    assert person.status == "confirmed"
    assert [s.session.key for s in person.session_signups] == ["ws"]
    # just before the end both still work
    reg.change_own_sessions(ctx, person, ["ws2"], now=end - timedelta(seconds=1))
    ctx.commit()
    assert [s.session.key for s in person.session_signups] == ["ws2"]
    reg.cancel_own(ctx, person, now=end - timedelta(seconds=1))
    ctx.commit()
    assert person.status == "cancelled"


def test_the_end_follows_the_agenda(ctx):
    """A session moved later moves the end of the event, and the self-service with it."""
    token = _make(ctx, date(2027, 1, 24))
    person = reg.by_token(ctx, token)
    end = event_ends_at(person.event)
    last = ctx.scalar(select(Session).where(Session.key == "ws2"))
    last.ends_at += timedelta(hours=2)
    ctx.commit()
    assert reg.selfservice_actions(person, now=end).change_sessions


# --------------------------------------------------------------------------- HTTP


def test_page_after_the_end_offers_only_certificate_and_data(client, ended):
    response = client.get(f"/en/r/{ended}")
    assert response.status_code == 200
    page = html_lib.unescape(response.get_data(as_text=True))
    assert "This event has ended." in page
    assert f"/r/{ended}/certificate.pdf" in page
    assert f"/r/{ended}/delete" in page and f"/r/{ended}/data.json" in page
    assert f"/r/{ended}/sessions" not in page  # no "change my sessions" form
    assert f"/r/{ended}/cancel" not in page
    assert f"/r/{ended}/calendar.ics" not in page
    assert "<svg" not in page and f"/r/{ended}/ticket.svg" not in page
    assert "Session ws" in page  # what they chose is still shown


def test_page_before_the_end_offers_everything(client, upcoming):
    page = client.get(f"/en/r/{upcoming}").get_data(as_text=True)
    assert "This event has ended." not in page
    for path in ("sessions", "cancel", "calendar.ics", "ticket.svg", "delete"):
        assert f"/r/{upcoming}/{path}" in page
    assert "<svg" in page


def test_post_endpoints_refuse_after_the_end(app, client, ended):
    response = client.post(f"/fr/r/{ended}/sessions", data={"sessions": ["ws2"]})
    assert response.status_code == 400
    assert ENDED_FR in html_lib.unescape(response.get_data(as_text=True))
    assert _signup_keys(app, ended) == ["ws"]

    response = client.post(f"/en/r/{ended}/cancel")
    assert response.status_code == 400
    assert ENDED_EN in html_lib.unescape(response.get_data(as_text=True))
    with app.app_context():
        person = reg.by_token(db.session, ended)
        assert person.status == "confirmed"
        assert db.session.get(Event, person.event_id).confirmed_count == 1

    confirm = client.get(f"/en/r/{ended}/cancel", follow_redirects=True)
    assert confirm.status_code == 200
    assert "Yes, cancel my registration" not in confirm.get_data(as_text=True)
    assert ENDED_EN in html_lib.unescape(confirm.get_data(as_text=True))
    assert client.get(f"/en/r/{ended}/ticket.svg").status_code == 404


def test_delete_my_data_still_works_after_the_end(app, client, ended):
    assert client.post(f"/en/r/{ended}/delete").status_code == 303
    with app.app_context():
        assert reg.by_token(db.session, ended) is None
