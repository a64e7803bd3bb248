"""Shared set-up for the workspace tests: an event with one of everything, and staff accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from symposium.extensions import db
from symposium.models import Job, Registration, WebhookEndpoint
from symposium.services.search import search_text
from tests.conftest import make_user
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.materials_helpers import make_slides

PASSWORD = "correct horse battery"


@dataclass
class World:
    slug: str
    event_id: int
    room_id: int
    session_id: int
    person_id: int
    registration_id: int
    job_id: int
    admin_id: int
    organiser_id: int
    checkin_id: int


def make_registration(session, event, name, email, **fields) -> Registration:
    reg = Registration(
        event=event,
        token=secrets.token_urlsafe(32),
        full_name=name,
        email=email,
        email_normalized=email.lower(),
        search_text=search_text(name, email),
        status=fields.pop("status", "confirmed"),
        **fields,
    )
    session.add(reg)
    session.flush()
    return reg


def build_world(app, slug: str = "ws-event") -> World:
    with app.app_context():
        s = db.session
        event = make_event(s, slug)
        room = make_room(s, event, "hall")
        item = make_session(s, event, "opening", "2027-01-24T09:00", "2027-01-24T10:00", room=room)
        person = make_person(s, event, "p1", email="p1@example.org")
        add_speaker(s, item, person)
        make_slides(s, item)  # a speakers' material with id 1 (tests/materials_helpers.py)
        reg = make_registration(s, event, "ليلى الأحمد", "layla@example.org", country="SA")
        job = Job(kind="bulk_email", event_id=event.id, total=1, status="done", done=1)
        s.add(job)
        # a disabled webhook (nothing is sent to it), so that its pages have an id 1
        s.add(
            WebhookEndpoint(
                event=event,
                url="https://hooks.example.org/symposium",
                secret="whsec_test",  # noqa: S106 - a test value
                event_types=["agenda.changed"],
                active=False,
            )
        )
        s.commit()
        ids = (event.id, room.id, item.id, person.id, reg.id, job.id)
    admin = make_user(app, "admin@example.org", "admin", PASSWORD)
    organiser = make_organiser(app, "organiser@example.org", ids[0])
    checkin = make_user(app, "checkin@example.org", "checkin", PASSWORD, events=[event])
    return World(slug, *ids, admin, organiser, checkin)


def make_organiser(app, email: str, event_id: int) -> int:
    from symposium.auth.services import create_user
    from symposium.models import Event

    with app.app_context():
        user = create_user(db.session, email, PASSWORD, "organiser")
        user.events.append(db.session.get(Event, event_id))
        db.session.commit()
        return user.id


def login(client, email, lang="en"):
    response = client.post(f"/{lang}/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
