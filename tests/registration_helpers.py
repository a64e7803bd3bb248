"""Shared helpers for the registration, self-service, check-in and email tests."""

from __future__ import annotations

from symposium.extensions import db
from symposium.models import OutboxEmail, Registration, SessionRegistration
from symposium.models.registration import RegistrationNotice
from symposium.services.registration import RegistrationData


def form_data(**overrides) -> dict:
    data = {
        "full_name": "Amina Haddad",
        "email": "amina@example.org",
        "organisation": "Institut",
        "job_title": "Researcher",
        "country": "MA",
        "city": "Rabat",
        "attendance_mode": "in_person",
        "preferred_language": "en",
        "accessibility_needs": "",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_registration(client, slug="test-event", lang="en", **overrides):
    return client.post(f"/{lang}/events/{slug}/register", data=form_data(**overrides))


def data(name="Amina Haddad", email="amina@example.org", **fields) -> RegistrationData:
    return RegistrationData(full_name=name, email=email, **fields)


def row_counts(app) -> dict:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (Registration, SessionRegistration, OutboxEmail, RegistrationNotice)
        }


def outbox(session, kind=None) -> list[OutboxEmail]:
    query = db.select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    return list(session.scalars(query))


def registration_by_email(session, email) -> Registration | None:
    return session.scalar(db.select(Registration).where(Registration.email == email))
