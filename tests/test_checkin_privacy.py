"""Check-in staff never see personal tokens; they reach only their published events."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import Event, Registration, User
from symposium.services import checkin, tickets
from tests.conftest import make_user
from tests.factories import make_event
from tests.manage_helpers import PASSWORD, login, make_registration


@pytest.fixture(autouse=True)
def event_under_way(monkeypatch):
    from symposium.services import event_time

    monkeypatch.setattr(event_time, "utcnow", lambda: datetime(2027, 1, 24, 9, 30, tzinfo=UTC))


@pytest.fixture
def door(app):
    """Events A (published), B (published, not assigned), D (draft, assigned); staff accounts."""
    with app.app_context():
        s = db.session
        a = make_event(s, "event-a")
        b = make_event(s, "event-b")
        d = make_event(s, "event-d", status="draft")
        for event in (a, b, d):
            make_registration(
                s, event, "عبد الله الأحمد", f"abdullah@{event.slug}.org", organisation="Institut"
            )
        s.commit()
        tokens = {
            e.slug: s.scalar(select(Registration.token).where(Registration.event_id == e.id))
            for e in (a, b, d)
        }
        events = (a, d)
    make_user(app, "door@example.org", "checkin", PASSWORD, events=events)
    make_user(app, "idle@example.org", "checkin", PASSWORD)
    make_user(app, "admin@example.org", "admin", PASSWORD)
    return tokens


def test_search_page_shows_no_personal_token(client, app, door):
    login(client, "door@example.org")
    page = client.get("/en/manage/events/event-a/checkin", query_string={"q": "عبدالله"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "عبد الله الأحمد" in html and "Institut" in html
    assert door["event-a"] not in html
    assert "/r/" not in html and "abdullah@event-a.org" not in html
    # the button carries the opaque check-in id, which checks the person in
    code = re.search(r'name="code" value="([^"]+)"', html).group(1)
    with app.app_context():
        assert tickets.checkin_registration_id(code) is not None
    done = client.post("/en/manage/events/event-a/checkin", data={"code": code})
    assert "Welcome! Checked in." in done.get_data(as_text=True)


def test_json_shows_no_personal_token(client, app, door):
    login(client, "door@example.org")
    response = client.get(
        "/en/manage/events/event-a/checkin",
        query_string={"q": "الاحمد"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert door["event-a"] not in response.get_data(as_text=True)
    [found] = body["results"]
    assert set(found) == {"checkin_id", "full_name", "organisation", "status", "checked_in_at"}
    assert found["full_name"] == "عبد الله الأحمد" and found["status"] == "confirmed"
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.token == door["event-a"])
        )
        assert found["checkin_id"] == tickets.checkin_code(registration)
    scanned = client.post(
        "/en/manage/events/event-a/checkin?format=json", data={"code": found["checkin_id"]}
    )
    result = scanned.get_json()["result"]
    assert result["status"] == "ok" and door["event-a"] not in scanned.get_data(as_text=True)
    assert result["registration"]["checkin_id"] == found["checkin_id"]


def test_checkin_code_is_not_the_token_nor_made_from_it(app, door):
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.token == door["event-a"])
        )
        code = tickets.checkin_code(registration)
        assert registration.token not in code
        registration.token = "a-completely-different-token-0000000000"
        assert tickets.checkin_code(registration) == code


def test_tickets_issued_before_still_work(client, app, door):
    """The QR of a ticket sent before the opaque ids (a signed token) is still accepted."""
    from itsdangerous import Signer

    legacy = Signer(app.config["SECRET_KEY"], salt="symposium.checkin.v1").sign(door["event-a"])
    login(client, "door@example.org")
    response = client.post(
        "/en/manage/events/event-a/checkin", data={"code": legacy.decode("ascii")}
    )
    assert "Welcome! Checked in." in response.get_data(as_text=True)


def test_qr_ticket_code_checks_in(client, app, door):
    """The attendee's ticket (self-service page) carries the code the door accepts."""
    page = client.get(f"/en/r/{door['event-a']}").get_data(as_text=True)
    assert "<svg" in page
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.token == door["event-a"])
        )
        code = tickets.checkin_code(registration)
    login(client, "door@example.org")
    response = client.post("/en/manage/events/event-a/checkin", data={"code": code})
    assert "Welcome! Checked in." in response.get_data(as_text=True)
    # a code of event A is unknown at event B
    client.post("/en/logout")
    login(client, "admin@example.org")
    other = client.post("/en/manage/events/event-b/checkin", data={"code": code})
    assert other.status_code == 422 and "Unknown ticket" in other.get_data(as_text=True)


def test_checkin_staff_reach_only_their_published_events(client, door):
    login(client, "door@example.org")
    assert client.get("/en/manage/events/event-a/checkin").status_code == 200
    assert client.get("/en/manage/events/event-b/checkin").status_code == 403  # not assigned
    assert client.get("/en/manage/events/event-d/checkin").status_code == 403  # a draft
    assert client.get("/en/manage/events/nope/checkin").status_code == 404
    refused = client.post("/en/manage/events/event-b/checkin", data={"code": door["event-b"]})
    assert refused.status_code == 403
    home = client.get("/en/manage/").get_data(as_text=True)
    assert "/en/manage/events/event-a/checkin" in home
    assert "event-b" not in home and "event-d" not in home


def test_checkin_account_without_event_sees_none_and_says_so(client, door):
    login(client, "idle@example.org")
    assert client.get("/en/manage/events/event-a/checkin").status_code == 403
    home = client.get("/en/manage/").get_data(as_text=True)
    assert "/checkin" not in home
    assert "No published event is assigned to your check-in account." in home
    arabic = client.get("/ar/manage/").get_data(as_text=True)
    assert "لم يُسنَد إلى حساب تسجيل الحضور" in arabic


def test_cli_assigns_events_to_checkin_accounts(app, runner, door):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "gate@example.org",
            "--role",
            "checkin",
            "--event",
            "event-a",
            "--event",
            "event-d",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "event-d is a draft" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "gate@example.org"))
        assert sorted(e.slug for e in user.events) == ["event-a", "event-d"]
        event_a = db.session.scalar(select(Event).where(Event.slug == "event-a"))
        event_b = db.session.scalar(select(Event).where(Event.slug == "event-b"))
        event_d = db.session.scalar(select(Event).where(Event.slug == "event-d"))
        assert user.can_check_in(event_a)
        assert not user.can_check_in(event_b) and not user.can_check_in(event_d)
    lonely = runner.invoke(
        args=["user", "create", "solo@example.org", "--role", "checkin", "--password-stdin"],
        input="a long enough password\n",
    )
    assert lonely.exit_code == 0 and "sees no event" in lonely.output
    unknown = runner.invoke(
        args=["user", "create", "x@example.org", "--role", "checkin", "--event", "nope"],
        input="a long enough password\na long enough password\n",
    )
    assert unknown.exit_code != 0 and "unknown event: nope" in unknown.output


def test_admin_form_keeps_events_of_checkin_accounts(app, client, door):
    login(client, "admin@example.org")
    with app.app_context():
        idle = db.session.scalar(select(User).where(User.email == "idle@example.org"))
        event_b = db.session.scalar(select(Event).where(Event.slug == "event-b"))
        ids = (idle.id, event_b.id)
    response = client.post(
        f"/en/manage/users/{ids[0]}/edit",
        data={"role": "checkin", "active": "y", "events": [str(ids[1])]},
    )
    assert response.status_code == 302
    with app.app_context():
        assert [e.slug for e in db.session.get(User, ids[0]).events] == ["event-b"]


def test_search_rows_carry_no_token(ctx, door):
    event = ctx.scalar(select(Event).where(Event.slug == "event-a"))
    [row] = checkin.search_rows(ctx, event, "abdullah")
    assert door["event-a"] not in repr(row) and door["event-a"] not in str(row.as_json())
    assert row.organisation == "Institut"
