"""Unsubscribing from an event's bulk email (List-Unsubscribe, RFC 2369 / RFC 8058).

Each bulk message carries a personal link (``link``): a signed registration id, so the link
says nothing about the person and cannot be guessed. Following it, or the one-click POST a
mail client sends, records (event, normalised email) in ``email_unsubscribe``; later bulk
emails of that event skip that address. Transactional emails (confirmation, promotion,
certificate...) are not affected.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession

from ..models import Registration
from ..models.ops import EmailUnsubscribe

SALT = "symposium.bulk-unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token(registration: Registration) -> str:
    return _serializer().dumps(registration.id)


def link(registration: Registration, lang: str) -> str:
    """The absolute personal link, on SYMPOSIUM_BASE_URL."""
    base = current_app.config["SYMPOSIUM_BASE_URL"].rstrip("/")
    return f"{base}/{lang}/unsubscribe/{token(registration)}"


def registration_for(session: OrmSession, value: str) -> Registration | None:
    """The registration a link was made for (None for a forged or damaged link)."""
    try:
        registration_id = _serializer().loads(value)
    except BadSignature:
        return None
    if not isinstance(registration_id, int):
        return None
    return session.get(Registration, registration_id)


def is_unsubscribed(session: OrmSession, registration: Registration) -> bool:
    return (
        session.scalar(
            select(EmailUnsubscribe.id).where(
                EmailUnsubscribe.event_id == registration.event_id,
                EmailUnsubscribe.email_normalized == registration.email_normalized,
            )
        )
        is not None
    )


def unsubscribe(session: OrmSession, registration: Registration) -> None:
    """No more bulk email of this event to this address. Idempotent, also when two requests
    arrive at once (INSERT … ON CONFLICT DO NOTHING)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(EmailUnsubscribe)
        .values(event_id=registration.event_id, email_normalized=registration.email_normalized)
        .on_conflict_do_nothing(index_elements=["event_id", "email_normalized"])
    )


def unsubscribed_emails(session: OrmSession, event_id: int) -> set[str]:
    """The normalised addresses that asked for no more bulk email of this event."""
    return set(
        session.scalars(
            select(EmailUnsubscribe.email_normalized).where(EmailUnsubscribe.event_id == event_id)
        )
    )
