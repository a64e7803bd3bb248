"""Workspace workflows: events, publication, import/export, registrations, bulk email,
dashboard, audit log."""

from __future__ import annotations

import email
import email.policy
import io
import json

import pytest
from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import AuditLog, Event, Job, OutboxEmail, Registration
from tests.manage_helpers import build_world, login, make_registration


@pytest.fixture
def world(app):
    return build_world(app)


EVENT_FORM = {
    "slug": "new-forum",
    "timezone": "Africa/Cairo",
    "starts_on": "2027-03-01",
    "ends_on": "2027-03-02",
    "default_language": "ar",
    "languages": ["ar", "en"],
    "title_ar": "منتدى جديد",
    "title_en": "New forum",
    "capacity": "50",
    "registration_closes_at": "2027-02-20T18:00",
}


def test_create_event_validates_and_assigns_organiser(app, client, world):
    login(client, "organiser@example.org")
    bad = dict(EVENT_FORM, timezone="Mars/Olympus", title_ar="", ends_on="2027-02-01")
    response = client.post("/en/manage/events/new", data=bad)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Unknown timezone" in body and "cannot end before" in body and "required" in body
    assert 'value="New forum"' in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1
    response = client.post("/en/manage/events/new", data=EVENT_FORM)
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "new-forum"))
        assert event.status == "draft" and event.languages == ["ar", "en"]
        assert event.registration_closes_at.hour == 16  # 18:00 in Cairo (UTC+2)
    # the organiser who created it may manage it; a draft is 404 to the public
    assert client.get("/en/manage/events/new-forum/").status_code == 200
    assert app.test_client().get("/en/events/new-forum/").status_code == 404


def test_publish_unpublish_and_registration_toggle(app, client, world):
    login(client, "organiser@example.org")
    client.post(f"/en/manage/events/{world.slug}/publish", data={"status": "draft"})
    with app.app_context():
        assert db.session.get(Event, world.event_id).status == "draft"
    assert app.test_client().get(f"/en/events/{world.slug}/").status_code == 404
    client.post(f"/en/manage/events/{world.slug}/publish", data={"status": "published"})
    client.post(f"/en/manage/events/{world.slug}/registration", data={"open": "0"})
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        assert event.status == "published" and event.registration_open is False
        actions = set(db.session.scalars(select(AuditLog.action)))
        assert {"event.publish", "event.unpublish", "registration.close"} <= actions


def test_capacity_not_below_confirmed(app, client, world):
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        event.confirmed_count = 5
        db.session.commit()
    login(client, "organiser@example.org")
    page = client.get(f"/en/manage/events/{world.slug}/edit").get_data(as_text=True)
    assert 'value="Asia/Riyadh"' in page
    form = dict(
        EVENT_FORM, slug=world.slug, starts_on="2027-01-24", ends_on="2027-01-24", capacity="4"
    )
    response = client.post(f"/en/manage/events/{world.slug}/edit", data=form)
    assert response.status_code == 400
    assert "confirmed registrations" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, world.event_id).capacity == 100


def test_export_then_import_json(app, client, world):
    pytest.importorskip("symposium.services.interchange")
    login(client, "organiser@example.org")
    response = client.get(f"/en/manage/events/{world.slug}/export.json")
    assert response.status_code == 200
    data = json.loads(response.data)
    assert data["slug"] == world.slug
    # broken file: every problem by path, nothing saved
    broken = dict(data, slug="copy-event", timezone="Nowhere/Land")
    response = client.post(
        "/en/manage/events/import",
        data={"file": (io.BytesIO(json.dumps(broken).encode()), "e.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "timezone" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1
    response = client.post(
        "/en/manage/events/import",
        data={"file": (io.BytesIO(b"{not json"), "e.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    copy = dict(data, slug="copy-event")
    response = client.post(
        "/en/manage/events/import",
        data={"file": (io.BytesIO(json.dumps(copy).encode()), "e.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    assert client.get("/en/manage/events/copy-event/agenda").status_code == 200


def test_registration_list_search_filters_pagination(app, client, world):
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        for i in range(55):
            make_registration(
                db.session, event, f"Person {i:02d}", f"p{i}@example.org", country="EG"
            )
        make_registration(db.session, event, "Waiting One", "w@example.org", status="waitlisted")
        db.session.commit()
    login(client, "organiser@example.org")
    base = f"/en/manage/events/{world.slug}/registrations"
    page1 = client.get(base + "?sort=name").get_data(as_text=True)
    assert "57 registrations" in page1 and "Page 1 of 2" in page1
    assert "Person 00" in page1
    page2 = client.get(base + "?sort=name&page=2").get_data(as_text=True)
    assert "Waiting One" in page2
    found = client.get(base + "?q=ليلى").get_data(as_text=True)
    assert "1 registration" in found and "ليلى الأحمد" in found
    waiting = client.get(base + "?status=waitlisted").get_data(as_text=True)
    assert "Waiting One" in waiting and "Person 01" not in waiting
    checked = client.get(base + "?checked_in=yes").get_data(as_text=True)
    assert "0 registrations" in checked
    detail = client.get(f"{base}/{world.registration_id}")
    assert detail.status_code == 200 and "ليلى الأحمد" in detail.get_data(as_text=True)


def test_bulk_email_each_in_own_language(app, client, world):
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        make_registration(db.session, event, "Jean", "jean@example.org", preferred_language="fr")
        make_registration(db.session, event, "John", "john@example.org", preferred_language="en")
        make_registration(db.session, event, "Gone", "gone@example.org", status="cancelled")
        db.session.commit()
    login(client, "organiser@example.org")
    url = f"/en/manage/events/{world.slug}/registrations/email?status=confirmed"
    response = client.post(url, data={"subject_fr": "Bonjour", "body_fr": "Texte"})
    assert response.status_code == 400  # the default language (ar) is required
    response = client.post(
        url,
        data={
            "subject_ar": "مرحبا",
            "body_ar": "نص الرسالة",
            "subject_fr": "Bonjour",
            "body_fr": "Le texte\n\nà bientôt",
        },
    )
    assert response.status_code == 302
    job_url = response.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert "3 of 3 done" in page
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.kind == "bulk_email", Job.total == 3)).one()
        assert job.status == "done" and job.done == 3
        rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.job_id == job.id)).all()
        by_to = {r.recipient: r for r in rows}
        assert set(by_to) == {"layla@example.org", "jean@example.org", "john@example.org"}
        assert by_to["jean@example.org"].subject == "Bonjour"
        assert by_to["john@example.org"].subject == "مرحبا"  # no English text: default language
        msg = email.message_from_bytes(
            by_to["jean@example.org"].message, policy=email.policy.default
        )
        assert "à bientôt" in msg.get_body(("plain",)).get_content()


def test_job_page_refreshes_while_running(app, client, world):
    with app.app_context():
        job = Job(kind="bulk_email", event_id=world.event_id, total=10, done=4, status="running")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    login(client, "organiser@example.org")
    page = client.get(f"/en/manage/jobs/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "4 of 10 done" in page


def test_dashboard_counts_and_rtl_charts(app, client, world):
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        make_registration(
            db.session, event, "A", "a@example.org", country="EG", preferred_language="fr"
        )
        make_registration(db.session, event, "B", "b@example.org", status="waitlisted")
        make_registration(db.session, event, "C", "c@example.org", status="cancelled")
        item = event.sessions[0]
        item.capacity, item.confirmed_count = 40, 10
        db.session.commit()
    from symposium.services.dashboard import figures

    with app.app_context():
        fig = figures(db.session, db.session.get(Event, world.event_id))
        assert fig.by_status == {"confirmed": 2, "waitlisted": 1, "cancelled": 1}
        assert dict(fig.countries) == {"SA": 1, "EG": 1, None: 1}
    login(client, "organiser@example.org", lang="ar")
    page = client.get(f"/ar/manage/events/{world.slug}/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 4
    assert 'direction="rtl"' in page and "<script" not in page
    assert "25%" in page  # fill rate of the session (10 of 40), formatted by Babel
    page_en = client.get(f"/en/manage/events/{world.slug}/dashboard").get_data(as_text=True)
    assert 'direction="rtl"' not in page_en and "25%" in page_en


def test_audit_log_admin_only_with_filters(app, client, world):
    login(client, "organiser@example.org")
    client.post(f"/en/manage/events/{world.slug}/registration", data={"open": "0"})
    assert client.get("/en/manage/audit").status_code == 403
    client.post("/en/logout")
    login(client, "admin@example.org")
    page = client.get(f"/en/manage/audit?event={world.event_id}").get_data(as_text=True)
    assert "registration.close" in page and "organiser@example.org" in page
    page = client.get(f"/en/manage/audit?user={world.admin_id}").get_data(as_text=True)
    assert "registration.close" not in page


def test_manual_registration_cancel_and_promote(app, client, world):
    pytest.importorskip("symposium.services.registration")
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        event.capacity = 1
        event.confirmed_count = 1
        db.session.commit()
    login(client, "organiser@example.org")
    response = client.post(
        f"/en/manage/events/{world.slug}/registrations/new",
        data={
            "full_name": "Karim",
            "email": "karim@example.org",
            "attendance_mode": "in_person",
            "preferred_language": "ar",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    with app.app_context():
        karim = db.session.scalar(
            select(Registration).where(Registration.email == "karim@example.org")
        )
        assert karim.source == "manual" and karim.status == "waitlisted"
        karim_id = karim.id
    client.post(f"/en/manage/events/{world.slug}/registrations/{world.registration_id}/cancel")
    with app.app_context():
        assert db.session.get(Registration, world.registration_id).status == "cancelled"
        assert db.session.get(Registration, karim_id).status == "confirmed"


@pytest.mark.parametrize(
    ("timezone", "moments", "expected"),
    [
        # Riyadh is UTC+3: 22:30 UTC on the 10th is 01:30 on the 11th there
        (
            "Asia/Riyadh",
            ["2027-01-10T20:59", "2027-01-10T21:00", "2027-01-10T22:30"],
            {"2027-01-10": 1, "2027-01-11": 2},
        ),
        # Kathmandu is UTC+5:45: its midnight falls at a quarter past the UTC hour
        (
            "Asia/Kathmandu",
            ["2027-01-10T18:14", "2027-01-10T18:15", "2027-01-11T02:00"],
            {"2027-01-10": 1, "2027-01-11": 2},
        ),
        # Los Angeles is behind UTC (UTC-8 in January)
        (
            "America/Los_Angeles",
            ["2027-01-11T07:59", "2027-01-11T08:00"],
            {
                "2027-01-10": 1,
                "2027-01-11": 1,
            },
        ),
    ],
)
def test_registrations_per_day_follow_the_events_timezone(ctx, timezone, moments, expected):
    from datetime import UTC, datetime

    from symposium.services.dashboard import figures
    from tests.factories import make_event

    event = make_event(ctx, timezone=timezone)
    for i, moment in enumerate(moments):
        row = make_registration(ctx, event, f"P{i}", f"p{i}@example.org")
        row.created_at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    ctx.commit()
    assert dict(figures(ctx, event).per_day) == expected
