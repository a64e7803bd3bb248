"""Certificates: rules shared by every part — constants, errors, settings, eligibility, lookups."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ...i18n import LANGUAGES
from ...models import (
    Certificate,
    Event,
    Person,
    Registration,
    SessionPerson,
)
from ...models import Session as AgendaSession
from .. import attendance_policy, audit

SPEAKER_KINDS = ("participation", "appreciation")
SPEAKER_SCOPES = ("confirmed", "all")
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read aloud
BATCH_SIZE = 50
MIN_PARALLEL_BATCH = 10  # smaller batches pay font subsetting too often
PARALLEL_MIN = 200  # certificates below which a cold worker pool is not worth starting
TEMPLATE = "pdf/certificate.html"
BILINGUAL_LANGUAGES = ("ar", "en")


class CertificateError(Exception):
    """A rule was broken; the message is translated and can be shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotEligible(CertificateError):
    pass


class TooEarly(NotEligible):
    """Issuing before the event starts (the message gives the start in the event's zone)."""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class CertificateSettings:
    speaker_kind: str = "participation"
    speaker_scope: str = "confirmed"
    speaker_language: str = ""  # "" = the event's default language
    bilingual: bool = False

    def as_dict(self) -> dict:
        return {
            "speaker_kind": self.speaker_kind,
            "speaker_scope": self.speaker_scope,
            "speaker_language": self.speaker_language,
            "bilingual": self.bilingual,
        }


def get_settings(event: Event) -> CertificateSettings:
    raw = dict((event.settings or {}).get("certificates") or {})
    kind = raw.get("speaker_kind")
    scope = raw.get("speaker_scope")
    lang = raw.get("speaker_language") or ""
    return CertificateSettings(
        speaker_kind=kind if kind in SPEAKER_KINDS else "participation",
        speaker_scope=scope if scope in SPEAKER_SCOPES else "confirmed",
        speaker_language=lang if lang in LANGUAGES else "",
        bilingual=bool(raw.get("bilingual")),
    )


def update_settings(
    session: OrmSession, event: Event, new: CertificateSettings, *, user=None
) -> CertificateSettings:
    checked = CertificateSettings(
        speaker_kind=new.speaker_kind if new.speaker_kind in SPEAKER_KINDS else "participation",
        speaker_scope=new.speaker_scope if new.speaker_scope in SPEAKER_SCOPES else "confirmed",
        speaker_language=new.speaker_language if new.speaker_language in LANGUAGES else "",
        bilingual=bool(new.bilingual),
    )
    settings = dict(event.settings or {})
    settings["certificates"] = checked.as_dict()
    event.settings = settings  # a new dict: the JSON column sees the change
    audit.record(
        session, "certificates.settings", user=user, event=event, details=checked.as_dict()
    )
    session.flush()
    return checked


# --------------------------------------------------------------------------- eligibility


def registration_eligible(registration: Registration, session: OrmSession | None = None) -> bool:
    """Confirmed, attended as the event's attendance policy asks and, when the feedback gate
    is on, answered the questionnaire (services/attendance_policy.py)."""
    return attendance_policy.certificate_state(registration, session).eligible


def person_eligible(session: OrmSession, person: Person, scope: str | None = None) -> bool:
    scope = scope or get_settings(person.event).speaker_scope
    query = select(SessionPerson.id).where(SessionPerson.person_id == person.id)
    if scope == "confirmed":
        query = query.where(SessionPerson.confirmation == "confirmed")
    else:
        query = query.where(SessionPerson.confirmation != "declined")
    return session.scalar(query.limit(1)) is not None


def eligible_registrations(session: OrmSession, event: Event) -> list[Registration]:
    """Registrations eligible under the event's attendance policy, by id (one query)."""
    return attendance_policy.eligible_registrations(session, event)


def eligible_people(session: OrmSession, event: Event, scope: str | None = None) -> list[Person]:
    scope = scope or get_settings(event).speaker_scope
    links = (
        select(SessionPerson.person_id)
        .join(AgendaSession, AgendaSession.id == SessionPerson.session_id)
        .where(AgendaSession.event_id == event.id)
    )
    if scope == "confirmed":
        links = links.where(SessionPerson.confirmation == "confirmed")
    else:
        links = links.where(SessionPerson.confirmation != "declined")
    return list(
        session.scalars(
            select(Person)
            .where(Person.event_id == event.id, Person.id.in_(links))
            .order_by(Person.position, Person.id)
        )
    )


# --------------------------------------------------------------------------- lookups


def current_for_registration(session: OrmSession, registration: Registration):
    return session.scalar(
        select(Certificate)
        .where(
            Certificate.registration_id == registration.id,
            Certificate.kind == "attendance",
            Certificate.superseded.is_(False),
        )
        .order_by(Certificate.version.desc())
        .limit(1)
    )


def current_for_person(session: OrmSession, person: Person):
    return session.scalar(
        select(Certificate)
        .where(Certificate.person_id == person.id, Certificate.superseded.is_(False))
        .order_by(Certificate.version.desc())
        .limit(1)
    )


def certificates_for_person(session: OrmSession, person: Person) -> list[Certificate]:
    """The person's valid, current certificates (what the speaker portal lists)."""
    return list(
        session.scalars(
            select(Certificate)
            .where(
                Certificate.person_id == person.id,
                Certificate.superseded.is_(False),
                Certificate.revoked_at.is_(None),
            )
            .order_by(Certificate.issued_at)
        )
    )


def event_certificates(
    session: OrmSession, event: Event, *, include_superseded: bool = False
) -> list[Certificate]:
    query = select(Certificate).where(Certificate.event_id == event.id)
    if not include_superseded:
        query = query.where(Certificate.superseded.is_(False))
    return list(session.scalars(query.order_by(Certificate.issued_at, Certificate.id)))
