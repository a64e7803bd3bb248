"""Bulk email: List-Unsubscribe with RFC 8058 one-click, the unsubscribe page, no more bulk
email after it (transactional emails still go), one-line subjects, one bad message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import Event, Job, OutboxEmail, Registration
from symposium.models.ops import EmailUnsubscribe
from symposium.services import bulk_email, notifications
from symposium.services import unsubscribe as unsubscribe_service
from tests.mail_helpers import parse
from tests.manage_helpers import build_world, login, make_registration

BASE = "https://events.example.org"


@pytest.fixture
def app_config():
    return {"SYMPOSIUM_BASE_URL": BASE, "MAIL_DEFAULT_SENDER": "Forum <forum@uni.example>"}


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        make_registration(db.session, event, "Jean", "jean@example.org", preferred_language="fr")
        db.session.commit()
    return world


def _bulk(app, world, subject="Nouvelles", body="Le programme change.") -> Job:
    """Start and run a bulk email to every confirmed registration (as the view does)."""
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        job = bulk_email.start_bulk_email(
            db.session,
            event,
            {"status": "confirmed"},
            subjects={"ar": "أخبار", "fr": subject},
            bodies={"ar": "تغيّر البرنامج.", "fr": body},
        )
        db.session.commit()
        bulk_email.run(job.id)
        return db.session.get(Job, job.id)


def _bulk_rows(app, job_id) -> dict[str, OutboxEmail]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.job_id == job_id))
        return {row.recipient: row for row in rows}


def _unsubscribe_url(message) -> str:
    value = str(message["List-Unsubscribe"]).strip()  # a long value is folded onto a new line
    assert value.startswith("<") and value.endswith(">")
    return value[1:-1]


def test_bulk_messages_carry_one_click_list_unsubscribe(app, client, world):
    login(client, "organiser@example.org")
    response = client.post(
        f"/en/manage/events/{world.slug}/registrations/email?status=confirmed",
        data={"subject_ar": "أخبار", "body_ar": "نص", "subject_fr": "Nouvelles", "body_fr": "T"},
    )
    assert response.status_code == 302
    rows = _bulk_rows(app, db_job_id(app))
    assert set(rows) == {"layla@example.org", "jean@example.org"}
    links = set()
    for row in rows.values():
        message = parse(row.message)
        url = _unsubscribe_url(message)
        assert url.startswith(f"{BASE}/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Date"].endswith("+0000")
        assert message["Message-ID"].endswith("@uni.example>")
        assert message["Message-ID"] == row.message_id
        assert url in message.get_body(("plain",)).get_content()  # also in the text
        links.add(url)
    jean = parse(rows["jean@example.org"].message)
    assert _unsubscribe_url(jean).startswith(f"{BASE}/fr/unsubscribe/")
    assert len(links) == 2  # personal links


def db_job_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(Job.id)))


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_one_click_unsubscribe_needs_no_session_nor_csrf_and_is_idempotent(csrf_app, world):
    app = csrf_app
    job = _bulk(app, world)
    url = _unsubscribe_url(parse(_bulk_rows(app, job.id)["jean@example.org"].message))
    path = url.removeprefix(BASE)
    fresh = app.test_client()  # a mail client: no cookie, no token
    for _ in range(2):
        response = fresh.post(path, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert "désinscription est enregistrée" in response.get_data(as_text=True)
    with app.app_context():
        rows = db.session.execute(select(EmailUnsubscribe.email_normalized)).scalars().all()
    assert rows == ["jean@example.org"]
    # CSRF is still required everywhere else
    assert (
        fresh.post("/en/login", data={"email": "x@example.org", "password": "x"}).status_code == 400
    )

    again = _bulk(app, world, subject="Encore")
    assert set(_bulk_rows(app, again.id)) == {"layla@example.org"}
    assert again.result == {"queued": 1, "unsubscribed": 1, "failed": 0}

    # A transactional email (the personal link sent again) still goes to Jean
    with app.app_context():
        registration = unsubscribe_service.registration_for(db.session, path.rsplit("/", 1)[1])
        notifications.notify(db.session, registration, "already")
        db.session.commit()
        row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "already_registered"))
        assert row.recipient == "jean@example.org" and row.status == "sent"


def test_the_link_shows_a_translated_page_with_a_button(app, client, world):
    job = _bulk(app, world)
    path = _unsubscribe_url(
        parse(_bulk_rows(app, job.id)["jean@example.org"].message)
    ).removeprefix(BASE)
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Se désinscrire" in html and f'action="{path}"' in html and 'method="post"' in html
    assert page.headers["Cache-Control"] == "no-store"
    arabic = client.get(path.replace("/fr/", "/ar/", 1)).get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "إلغاء الاشتراك" in arabic
    client.post(path)  # the page's own button
    assert "désinscription est enregistrée" in client.get(path).get_data(as_text=True)


def test_a_damaged_or_forged_link_is_404(app, client, world):
    job = _bulk(app, world)
    path = _unsubscribe_url(
        parse(_bulk_rows(app, job.id)["jean@example.org"].message)
    ).removeprefix(BASE)
    assert client.post(path[:-2] + "xx").status_code == 404
    assert client.get("/en/unsubscribe/1").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(EmailUnsubscribe.id))) == 0


def test_the_bulk_form_refuses_a_subject_with_a_line_break_and_keeps_the_text(app, client, world):
    login(client, "organiser@example.org")
    url = f"/fr/manage/events/{world.slug}/registrations/email?status=confirmed"
    response = client.post(
        url, data={"subject_ar": "سطر\nآخر", "body_ar": "نص محفوظ", "subject_fr": "Un\tdeux"}
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    # the one check of every single-line field (services/textcheck.SingleLine)
    message = "Les retours à la ligne ne sont pas autorisés ici\u202f; écrivez sur une seule ligne."
    assert body.count(message) == 2  # the line break of subject_ar, the tab of subject_fr
    assert "نص محفوظ" in body  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count(Job.id)).where(Job.kind == "bulk_email")) == 1


def test_the_service_refuses_control_characters_in_a_subject(app, world):
    with app.app_context(), pytest.raises(bulk_email.BulkEmailError) as refused:
        bulk_email.start_bulk_email(
            db.session,
            db.session.get(Event, world.event_id),
            {},
            subjects={"ar": "a\x00b"},
            bodies={"ar": "x"},
        )
    assert "Subject (ar)" in refused.value.messages[0]


def test_a_message_that_cannot_be_built_is_failed_and_the_job_goes_on(app, world, monkeypatch):
    real = bulk_email.mail.build_message

    def build(**kwargs):
        if kwargs["to"] == "jean@example.org":
            raise ValueError("cannot encode this address")
        return real(**kwargs)

    monkeypatch.setattr(bulk_email.mail, "build_message", build)
    job = _bulk(app, world)
    assert job.status == "done"
    assert job.result == {"queued": 1, "unsubscribed": 0, "failed": 1}
    rows = _bulk_rows(app, job.id)
    assert rows["layla@example.org"].status == "sent"
    assert rows["jean@example.org"].status == "failed"
    assert "cannot encode this address" in rows["jean@example.org"].last_error


def test_unsubscribing_is_per_event(app, world):
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        other = Event(**_copy_event(event, "other-event"))
        db.session.add(other)
        elsewhere = make_registration(db.session, other, "Jean", "jean@example.org")
        db.session.commit()
        here = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event.id, Registration.email == "jean@example.org"
            )
        )
        unsubscribe_service.unsubscribe(db.session, here)
        db.session.commit()
        assert unsubscribe_service.is_unsubscribed(db.session, here)
        assert not unsubscribe_service.is_unsubscribed(db.session, elsewhere)


def _copy_event(event: Event, slug: str) -> dict:
    return {
        "slug": slug,
        "timezone": event.timezone,
        "starts_on": event.starts_on,
        "ends_on": event.ends_on + timedelta(0),
        "default_language": event.default_language,
        "languages": event.languages,
        "title": event.title,
        "description": {},
        "venue_name": {},
        "status": "published",
    }
