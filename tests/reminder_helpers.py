"""Helpers of the reminder tests: an event with in-person and online registrants, the clock,
and the reminder emails read back from the outbox."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy

from symposium.extensions import db
from symposium.models import OutboxEmail, Registration
from symposium.services import registration as reg
from symposium.services.event_time import event_starts_at
from tests.factories import make_event, make_room, make_session
from tests.registration_helpers import data

PEOPLE = (
    ("Amina Haddad", "amina@example.org", "in_person", "fr"),
    ("Omar Said", "omar@example.org", "online", "ar"),
    ("Jane Roe", "jane@example.org", "in_person", "en"),
)


def build_event(session, *, status="published", people=PEOPLE, **fields):
    """A hybrid event on 24 January 2027 in Riyadh: an opening (no sign-up) and a workshop
    with seats; Jane signs up for the workshop."""
    event = make_event(
        session,
        status=status,
        hybrid=True,
        online_url="https://meet.example.org/symposium",
        **fields,
    )
    hall = make_room(session, event, "hall", en="Great hall", fr="Grande salle", ar="القاعة الكبرى")
    make_room(session, event, "annex", en="Annex", fr="Annexe", ar="الملحق")
    make_session(session, event, "opening", "2027-01-24T09:30", "2027-01-24T10:30", room=hall)
    make_session(
        session, event, "workshop", "2027-01-24T14:00", "2027-01-24T15:00", room=hall, capacity=20
    )
    session.commit()
    for name, email, mode, lang in people:
        sessions = ("workshop",) if email.startswith("jane") else ()
        reg.register(
            session,
            event,
            data(name, email, attendance_mode=mode, preferred_language=lang, sessions=sessions),
            source="manual",
        )
    session.commit()
    return event


def start_of(session, event):
    return event_starts_at(session.get(type(event), event.id))


def before_start(session, event, **delta):
    """The moment ``delta`` before the event's first session."""
    return start_of(session, event) - timedelta(**delta)


def emails(session, kind="reminder") -> list:
    rows = session.scalars(
        db.select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
    ).all()
    return [message_from_bytes(row.message, policy=policy.default) for row in rows]


def by_recipient(session, kind="reminder") -> dict:
    return {str(m["To"]): m for m in emails(session, kind)}


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\u202f", " ").replace("\xa0", " ")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def per_registration(session, kind="reminder") -> Counter:
    rows = session.scalars(db.select(OutboxEmail.recipient).where(OutboxEmail.kind == kind))
    return Counter(rows)


def registration(session, email) -> Registration:
    return session.scalar(db.select(Registration).where(Registration.email == email))
