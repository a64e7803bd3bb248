"""Check-in and attendance marking are refused before the event starts; organisers see why
(the start in the event's timezone, by Babel); admins may override, and it is audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import AuditLog, Registration
from symposium.services import checkin, tickets
from symposium.services.attendance import AttendanceImportError, import_attendance
from tests.conftest import make_user
from tests.factories import make_event, make_session
from tests.manage_helpers import PASSWORD, login, make_registration

# The event: 24 January 2027 in Riyadh (UTC+3), first session at 09:00 local = 06:00 UTC
BEFORE = datetime(2027, 1, 24, 5, 59, tzinfo=UTC)
DURING = datetime(2027, 1, 24, 6, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    from symposium.services import event_time

    now = {"value": BEFORE}
    monkeypatch.setattr(event_time, "utcnow", lambda: now["value"])
    return now


@pytest.fixture
def venue(app, clock):
    with app.app_context():
        event = make_event(db.session)
        make_session(db.session, event, "opening", "2027-01-24T09:00", "2027-01-24T10:00")
        registration = make_registration(db.session, event, "Amina Haddad", "amina@example.org")
        db.session.commit()
        code = tickets.checkin_code(registration)
        ids = {"slug": event.slug, "code": code, "id": registration.id}
        db.session.commit()
    make_user(app, "org@example.org", "organiser", PASSWORD, events=[event])
    make_user(app, "door@example.org", "checkin", PASSWORD, events=[event])
    make_user(app, "admin@example.org", "admin", PASSWORD)
    return ids


def _checked_in(app, registration_id) -> bool:
    with app.app_context():
        return db.session.get(Registration, registration_id).checked_in_at is not None


def test_checkin_refused_before_start_with_the_local_start(client, app, venue):
    login(client, "org@example.org")
    url = f"/en/manage/events/{venue['slug']}/checkin"
    page = client.get(url).get_data(as_text=True).replace("\u202f", " ")
    assert "Check-in opens when the event starts: Sunday, January 24, 2027 at 9:00 AM" in page
    response = client.post(url, data={"code": venue["code"]})
    assert response.status_code == 422
    assert "Check-in opens when the event starts" in response.get_data(as_text=True)
    assert "Check in anyway" not in response.get_data(as_text=True)  # organisers cannot
    # an organiser's forged override is ignored
    forced = client.post(url, data={"code": venue["code"], "override": "y"})
    assert forced.status_code == 422 and not _checked_in(app, venue["id"])
    french = client.get(url.replace("/en/", "/fr/")).get_data(as_text=True)
    assert "dimanche 24 janvier 2027 à 09:00" in french
    arabic = client.get(url.replace("/en/", "/ar/")).get_data(as_text=True)
    assert "الأحد، 24 يناير 2027" in arabic


def test_session_attendance_refused_before_start(client, app, venue):
    login(client, "door@example.org")
    url = f"/en/manage/events/{venue['slug']}/checkin"
    response = client.post(url, data={"code": venue["code"], "session_key": "opening"})
    assert response.status_code == 422 and not _checked_in(app, venue["id"])


def test_checkin_opens_at_the_start(client, app, venue, clock):
    clock["value"] = DURING
    login(client, "door@example.org")
    url = f"/en/manage/events/{venue['slug']}/checkin"
    assert "Check-in opens" not in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"code": venue["code"]})
    assert response.status_code == 200 and _checked_in(app, venue["id"])


def test_admin_override_is_confirmed_and_audited(client, app, venue):
    login(client, "admin@example.org")
    url = f"/en/manage/events/{venue['slug']}/checkin"
    first = client.post(url, data={"code": venue["code"]})
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and "Check in anyway" in html  # asks for a confirmation
    assert not _checked_in(app, venue["id"])
    confirmed = client.post(url, data={"code": venue["code"], "override": "y"})
    assert "Welcome! Checked in." in confirmed.get_data(as_text=True)
    assert _checked_in(app, venue["id"])
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin.override"))
        assert entry is not None and entry.target == f"registration:{venue['id']}"


def test_service_refuses_before_start(ctx, venue):
    from symposium.models import Event

    event = ctx.scalar(select(Event).where(Event.slug == venue["slug"]))
    result = checkin.check_in(ctx, event, venue["code"], by=None)
    assert result.status == "early" and "9:00" in result.message.replace("\u202f", " ")
    assert ctx.get(Registration, venue["id"]).checked_in_at is None


def test_attendance_import_refused_before_start(ctx, venue, clock):
    from symposium.models import Event

    event = ctx.scalar(select(Event).where(Event.slug == venue["slug"]))
    with pytest.raises(AttendanceImportError) as error:
        import_attendance(ctx, event, "email\namina@example.org\n")
    assert "before the event starts" in error.value.message
    assert ctx.get(Registration, venue["id"]).checked_in_at is None
    clock["value"] = DURING
    assert import_attendance(ctx, event, "email\namina@example.org\n").marked == [
        "amina@example.org"
    ]
