"""One seat per person per time slot: the rule on the services and through HTTP."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import AuditLog, Event, Registration, Session, SessionRegistration
from symposium.services import registration as reg
from tests.factories import make_event, make_session
from tests.manage_helpers import login, make_organiser
from tests.registration_helpers import data, form_data, row_counts


def _workshops(session, *, capacity=5, event_capacity=100, timezone="Asia/Riyadh"):
    """Two workshops at 10:30–12:00, one right after them, one plenary at the same time."""
    event = make_event(session, capacity=event_capacity, timezone=timezone)
    make_session(
        session,
        event,
        "ws-a",
        "2027-01-24T10:30",
        "2027-01-24T12:00",
        capacity=capacity,
        title={"en": "Water workshop", "fr": "Atelier eau", "ar": "ورشة المياه"},
    )
    make_session(
        session,
        event,
        "ws-b",
        "2027-01-24T10:30",
        "2027-01-24T12:00",
        capacity=capacity,
        title={"en": "Heritage workshop", "fr": "Atelier patrimoine", "ar": "ورشة التراث"},
    )
    make_session(session, event, "ws-c", "2027-01-24T12:00", "2027-01-24T13:00", capacity=capacity)
    make_session(session, event, "plenary", "2027-01-24T10:00", "2027-01-24T13:00")
    session.commit()
    return event


def _signups(session, registration_id):
    return {
        key: status
        for key, status in session.execute(
            select(Session.key, SessionRegistration.status)
            .join(Session, Session.id == SessionRegistration.session_id)
            .where(SessionRegistration.registration_id == registration_id)
        )
    }


def _ticked(page: str, value: str) -> bool:
    """Whether the session checkbox ``value`` is rendered ticked."""
    tags = re.findall(r'<input[^>]*name="sessions"[^>]*>', page)
    return any(f'value="{value}"' in tag and " checked" in tag for tag in tags)


def _seats(session):
    return {s.key: s.confirmed_count for s in session.scalars(select(Session))}


# --------------------------------------------------------------------------- services


def test_registering_for_two_sessions_at_the_same_time_is_refused(app, ctx):
    event = _workshops(ctx)
    before = row_counts(app)
    with pytest.raises(reg.SessionOverlapError) as info:
        reg.register(ctx, event, data(sessions=["ws-a", "ws-b"]))
    ctx.rollback()
    assert row_counts(app) == before
    assert info.value.field == "sessions"
    assert "Water workshop" in info.value.message and "Heritage workshop" in info.value.message
    assert [s.key for s in info.value.sessions] == ["ws-a", "ws-b"]
    assert _seats(ctx) == {"ws-a": 0, "ws-b": 0, "ws-c": 0, "plenary": 0}
    assert ctx.get(Event, event.id).confirmed_count == 0


def test_the_message_names_both_sessions_in_the_pages_language(app, ctx):
    event = _workshops(ctx)
    with app.test_request_context("/fr/"), force_locale("fr"):
        from flask import g

        g.lang = "fr"
        with pytest.raises(reg.SessionOverlapError) as info:
            reg.register(ctx, event, data(sessions=["ws-b", "ws-a"]))
    assert info.value.message == (
        "«\u202fAtelier eau\u202f» et «\u202fAtelier patrimoine\u202f» ont lieu en même "
        "temps\u202f: veuillez n’en choisir qu’une."
    )


def test_back_to_back_sessions_and_plenaries_do_not_conflict(ctx):
    event = _workshops(ctx)
    result = reg.register(ctx, event, data(sessions=["ws-a", "ws-c"]))  # [10:30,12) + [12,13)
    ctx.commit()
    assert _signups(ctx, result.id) == {"ws-a": "confirmed", "ws-c": "confirmed"}
    # a plenary has no capacity: it is no choice and never conflicts
    plenary = ctx.scalar(select(Session).where(Session.key == "plenary"))
    workshop = ctx.scalar(select(Session).where(Session.key == "ws-a"))
    assert reg.overlapping_pairs([plenary, workshop]) == []


def test_overlap_is_decided_on_instants_not_wall_clock(ctx):
    """Sessions are entered in the event's timezone; the same wall-clock hours on two days do
    not overlap, and a session ending at 10:30 local does not clash with one starting then."""
    event = make_event(ctx, timezone="America/Los_Angeles")
    make_session(ctx, event, "d1", "2027-01-24T09:00", "2027-01-24T10:30", capacity=3)
    make_session(ctx, event, "d2", "2027-01-25T09:00", "2027-01-25T10:30", capacity=3)
    make_session(ctx, event, "late", "2027-01-24T10:30", "2027-01-24T11:00", capacity=3)
    make_session(ctx, event, "clash", "2027-01-24T10:29", "2027-01-24T11:00", capacity=3)
    ctx.commit()
    ok = reg.register(ctx, event, data(sessions=["d1", "d2", "late"]))
    ctx.commit()
    assert set(_signups(ctx, ok.id)) == {"d1", "d2", "late"}
    with pytest.raises(reg.SessionOverlapError):
        reg.register(ctx, event, data("B", "b@example.org", sessions=["d1", "clash"]))


def test_a_waiting_list_place_counts_like_a_seat(ctx):
    """Full workshop A: its waiting list is a place too, so B at the same time is refused,
    and the person cannot end up promoted into A while holding B."""
    event = _workshops(ctx, capacity=1)
    reg.register(ctx, event, data("First", "first@example.org", sessions=["ws-a"]))
    ctx.commit()
    with pytest.raises(reg.SessionOverlapError):
        reg.register(ctx, event, data(sessions=["ws-a", "ws-b"]))
    ctx.rollback()
    person = reg.register(ctx, event, data(sessions=["ws-b"])).registration
    ctx.commit()
    with pytest.raises(reg.SessionOverlapError):
        reg.change_sessions(ctx, person, ["ws-b", "ws-a"])
    ctx.rollback()
    assert _signups(ctx, person.id) == {"ws-b": "confirmed"}


def test_pending_choices_of_a_waitlisted_registration_follow_the_rule(ctx):
    event = _workshops(ctx, event_capacity=0)
    with pytest.raises(reg.SessionOverlapError):
        reg.register(ctx, event, data(sessions=["ws-a", "ws-b"]))
    ctx.rollback()
    result = reg.register(ctx, event, data(sessions=["ws-a"]))
    ctx.commit()
    assert result.status == "waitlisted"
    assert _signups(ctx, result.id) == {"ws-a": "pending"}


def test_change_sessions_refuses_an_overlap_and_changes_nothing(ctx):
    event = _workshops(ctx)
    person = reg.register(ctx, event, data(sessions=["ws-a"])).registration
    ctx.commit()
    audits = ctx.scalar(select(db.func.count(AuditLog.id)))
    with pytest.raises(reg.SessionOverlapError):
        reg.change_sessions(ctx, person, ["ws-a", "ws-b", "ws-c"])
    ctx.rollback()
    assert _signups(ctx, person.id) == {"ws-a": "confirmed"}
    assert _seats(ctx) == {"ws-a": 1, "ws-b": 0, "ws-c": 0, "plenary": 0}
    assert ctx.scalar(select(db.func.count(AuditLog.id))) == audits
    # swapping one workshop for the other at the same time is fine
    reg.change_sessions(ctx, person, ["ws-b", "ws-c"])
    ctx.commit()
    assert _signups(ctx, person.id) == {"ws-b": "confirmed", "ws-c": "confirmed"}
    assert _seats(ctx) == {"ws-a": 0, "ws-b": 1, "ws-c": 1, "plenary": 0}


def test_an_attended_session_that_stays_is_part_of_the_check(ctx):
    from symposium.models.types import utcnow

    event = _workshops(ctx)
    person = reg.register(ctx, event, data(sessions=["ws-a"])).registration
    ctx.commit()
    person.session_signups[0].attended_at = utcnow()
    ctx.commit()
    # attendance recorded in A stays even when A is unticked: B at the same time is refused
    with pytest.raises(reg.SessionOverlapError):
        reg.change_sessions(ctx, person, ["ws-b"])
    ctx.rollback()
    assert _signups(ctx, person.id) == {"ws-a": "confirmed"}


def test_a_session_that_lost_its_capacity_no_longer_conflicts(ctx):
    event = _workshops(ctx)
    person = reg.register(ctx, event, data(sessions=["ws-a"])).registration
    ctx.commit()
    ctx.scalar(select(Session).where(Session.key == "ws-a")).capacity = None  # now a plenary
    ctx.commit()
    from symposium.models.types import utcnow

    person.session_signups[0].attended_at = utcnow()
    ctx.commit()
    reg.change_sessions(ctx, person, ["ws-b"])
    ctx.commit()
    assert set(_signups(ctx, person.id)) == {"ws-a", "ws-b"}


def test_organiser_override_is_recorded_in_the_audit_log(app, ctx):
    from symposium.models import User

    event_id = _workshops(ctx).id
    ctx.rollback()  # SQLite: let the other session below write
    user_id = make_organiser(app, "organiser@example.org", event_id)
    organiser = ctx.get(User, user_id)
    event = ctx.get(Event, event_id)
    result = reg.register(
        ctx,
        event,
        data(sessions=["ws-a", "ws-b"]),
        source="manual",
        by=organiser,
        allow_overlap=True,
    )
    ctx.commit()
    assert _signups(ctx, result.id) == {"ws-a": "confirmed", "ws-b": "confirmed"}
    entry = ctx.scalar(select(AuditLog).where(AuditLog.action == "registration.overlap_override"))
    assert entry.user_id == user_id and entry.target == f"registration:{result.id}"
    assert entry.details == {"sessions": [["ws-a", "ws-b"]]}
    # what the organiser allowed stays when the person changes something else
    reg.change_sessions(ctx, result.registration, ["ws-a", "ws-b", "ws-c"])
    ctx.commit()
    assert set(_signups(ctx, result.id)) == {"ws-a", "ws-b", "ws-c"}


# --------------------------------------------------------------------------- HTTP


@pytest.fixture
def workshops(app):
    with app.app_context():
        _workshops(db.session)


def test_registration_form_refuses_and_keeps_what_was_typed(app, client, workshops):
    before = row_counts(app)
    response = client.post(
        "/fr/events/test-event/register",
        data=form_data(full_name="Zaïd Amrani", city="Fès", sessions=["ws-a", "ws-b"]),
    )
    assert response.status_code == 400
    page = html_lib.unescape(response.get_data(as_text=True))
    assert "«\u202fAtelier eau\u202f» et «\u202fAtelier patrimoine\u202f» ont lieu" in page
    assert 'value="Zaïd Amrani"' in page and 'value="Fès"' in page
    assert _ticked(page, "ws-a") and _ticked(page, "ws-b") and not _ticked(page, "ws-c")
    assert row_counts(app) == before


def test_registration_form_accepts_back_to_back_sessions(app, client, workshops):
    response = client.post(
        "/en/events/test-event/register", data=form_data(sessions=["ws-a", "ws-c"])
    )
    assert response.status_code == 303
    with app.app_context():
        person = db.session.scalar(select(Registration))
        assert set(_signups(db.session, person.id)) == {"ws-a", "ws-c"}


def test_selfservice_change_refuses_an_overlap(app, client, workshops):
    with app.app_context():
        event = db.session.scalar(select(Event))
        token = reg.register(db.session, event, data(sessions=["ws-a"])).token
        db.session.commit()
    response = client.post(f"/en/r/{token}/sessions", data={"sessions": ["ws-a", "ws-b"]})
    assert response.status_code == 400
    page = html_lib.unescape(response.get_data(as_text=True))
    assert (
        "“Water workshop” and “Heritage workshop” take place at the same time: "
        "please choose only one of them." in page
    )
    assert _ticked(page, "ws-a") and _ticked(page, "ws-b")  # as sent, not as stored
    with app.app_context():
        person = reg.by_token(db.session, token)
        assert _signups(db.session, person.id) == {"ws-a": "confirmed"}
        assert _seats(db.session)["ws-b"] == 0
    arabic = client.post(f"/ar/r/{token}/sessions", data={"sessions": ["ws-b", "ws-a"]})
    assert arabic.status_code == 400
    assert "«ورشة المياه» و«ورشة التراث» تُعقدان في الوقت نفسه" in html_lib.unescape(
        arabic.get_data(as_text=True)
    )


def test_manual_registration_offers_an_audited_override(app, client, workshops):
    with app.app_context():
        event_id = db.session.scalar(select(Event.id))
        db.session.rollback()
    make_organiser(app, "organiser@example.org", event_id)
    login(client, "organiser@example.org")
    form = {
        "full_name": "Karim",
        "email": "karim@example.org",
        "attendance_mode": "in_person",
        "preferred_language": "ar",
        "sessions": ["ws-a", "ws-b"],
    }
    url = "/en/manage/events/test-event/registrations/new"
    assert 'name="allow_overlap"' not in client.get(url).get_data(as_text=True)
    refused = client.post(url, data=form)
    assert refused.status_code == 400
    page = html_lib.unescape(refused.get_data(as_text=True))
    assert "“Water workshop” and “Heritage workshop” take place at the same time" in page
    assert 'name="allow_overlap"' in page and 'value="Karim"' in page
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Registration.id))) == 0
    accepted = client.post(url, data={**form, "allow_overlap": "y"})
    assert accepted.status_code == 302
    with app.app_context():
        karim = db.session.scalar(select(Registration))
        assert _signups(db.session, karim.id) == {"ws-a": "confirmed", "ws-b": "confirmed"}
        entry = db.session.scalar(
            select(AuditLog).where(AuditLog.action == "registration.overlap_override")
        )
        assert entry is not None and entry.user_id is not None
        assert entry.details == {"sessions": [["ws-a", "ws-b"]]}
