"""Issuing certificates: numbers and codes, issue once, revoke, re-issue."""

from __future__ import annotations

import re
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ...i18n import LANGUAGES, fmt_datetime
from ...models import (
    Certificate,
    Event,
    Person,
    Registration,
)
from ...models.types import utcnow
from .. import attendance_policy, audit, webhooks
from ..event_time import event_starts_at, has_started
from .base import (
    NUMBER_ALPHABET,
    SPEAKER_KINDS,
    CertificateError,
    NotEligible,
    TooEarly,
    current_for_person,
    current_for_registration,
    get_settings,
    person_eligible,
)
from .render import render_certificate, store_pdf

# --------------------------------------------------------------------------- issuing


def ensure_started(
    session: OrmSession,
    event: Event,
    *,
    user=None,
    allow_early: bool = False,
    via: str = "",
    record: bool = True,
) -> None:
    """Refuse to issue certificates before the event starts (:mod:`..event_time`).

    ``allow_early`` is an administrator's confirmed override (or the server's CLI, with no
    user): it is recorded in the audit log (not again with ``record=False``). Organisers get :class:`TooEarly`, whose message
    gives the start date and time in the event's timezone.
    """
    if has_started(event):
        return
    starts = event_starts_at(event)
    if not allow_early:
        raise TooEarly(
            _("Certificates can be issued once the event has started (%(start)s, %(zone)s).")
            % {"start": fmt_datetime(starts, event.timezone, fmt="long"), "zone": event.timezone}
        )
    if user is not None and getattr(user, "role", None) != "admin":
        raise CertificateError(
            _("Only an administrator can issue certificates before the event starts.")
        )
    if not record:
        return
    audit.record(
        session,
        "certificates.issue_before_start",
        user=user,
        event=event,
        details={"starts_at": starts.isoformat(), "via": via or ("cli" if user is None else "web")},
    )
    session.flush()


def new_code() -> str:
    return secrets.token_urlsafe(16)


def number_prefix(event: Event) -> str:
    letters = re.sub(r"[^A-Za-z0-9]", "", event.slug or "").upper()
    return (letters[:3] or "CRT").ljust(3, "X")


def new_number(session: OrmSession, event: Event) -> str:
    """A random, non-sequential printed number such as ``IDE-7KQ3-M9XD``."""
    for _attempt in range(20):
        body = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
        number = f"{number_prefix(event)}-{body[:4]}-{body[4:]}"
        if session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            return number
    raise RuntimeError("could not draw a free certificate number")


def _holder_language(event: Event, registration=None, person=None) -> str:
    if registration is not None:
        lang = registration.preferred_language
    else:
        lang = get_settings(event).speaker_language or event.default_language
    return lang if lang in LANGUAGES else (event.default_language or "ar")


def _person_names(person: Person) -> dict[str, str]:
    return {lang: person.t("name", lang) for lang in LANGUAGES if person.t("name", lang)}


def _build(
    session: OrmSession, event: Event, *, registration=None, person=None, user=None
) -> Certificate:
    settings = get_settings(event)
    lang = _holder_language(event, registration, person)
    details: dict = {}
    if registration is not None:
        kind = "attendance"
        name = registration.full_name
    else:
        kind = settings.speaker_kind
        names = _person_names(person)
        name = names.get(lang) or person.t("name", lang)
        details["names"] = names
    cert = Certificate(
        code=new_code(),
        number=new_number(session, event),
        kind=kind,
        event_id=event.id,
        event=event,
        registration=registration,
        person=person,
        holder_name=name,
        language=lang,
        bilingual=settings.bilingual,
        issued_at=utcnow().replace(microsecond=0),
        issued_by_id=getattr(user, "id", None),
        version=1,
        superseded=False,
        details=details,
    )
    session.add(cert)
    session.flush()
    webhooks.emit(session, event.id, "certificate.issued", certificate_data(cert))
    return cert


def certificate_data(cert: Certificate) -> dict:
    """What a certificate event says (its public verification link, not the PDF)."""
    base = current_app.config["SYMPOSIUM_BASE_URL"]
    return {
        "event": cert.event.slug,
        "certificate": {
            "number": cert.number,
            "kind": cert.kind,
            "holder_name": cert.holder_name,
            "language": cert.language,
            "registration_id": cert.registration_id,
            "speaker": cert.person.key if cert.person is not None else None,
            "verify_url": f"{base}/{cert.language}/verify/{cert.code}",
            "revoked": cert.revoked_at is not None,
        },
    }


def issue_for_registration(
    session: OrmSession,
    registration: Registration,
    *,
    user=None,
    render_pdf: bool = True,
    allow_early: bool = False,
) -> Certificate:
    """The registration's attendance certificate, issued now if it has none yet (not before
    the event starts, unless an administrator's ``allow_early``)."""
    _lock_row(session, Registration, registration.id)
    state = attendance_policy.certificate_state(registration, session)
    if not state.eligible:  # not attended as the policy asks, or the questionnaire unanswered
        raise NotEligible(state.staff_message)
    existing = current_for_registration(session, registration)
    if existing is not None:
        return existing
    ensure_started(session, registration.event, user=user, allow_early=allow_early)
    cert = _build(session, registration.event, registration=registration, user=user)
    if render_pdf:
        store_pdf(cert, render_certificate(cert))
    return cert


def issue_for_person(
    session: OrmSession,
    person: Person,
    *,
    user=None,
    render_pdf: bool = True,
    allow_early: bool = False,
) -> Certificate:
    """The speaker's certificate, issued now if they have none yet (not before the event
    starts, unless an administrator's ``allow_early``)."""
    _lock_row(session, Person, person.id)
    if not person_eligible(session, person):
        raise NotEligible(_("This speaker is not eligible for a certificate."))
    existing = current_for_person(session, person)
    if existing is not None:
        return existing
    ensure_started(session, person.event, user=user, allow_early=allow_early)
    cert = _build(session, person.event, person=person, user=user)
    if render_pdf:
        store_pdf(cert, render_certificate(cert))
    return cert


def _lock_row(session: OrmSession, model, row_id: int) -> None:
    """Serialise concurrent first downloads (PostgreSQL row lock; SQLite is serial anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(model.id).where(model.id == row_id).with_for_update())


def revoke(session: OrmSession, certificate: Certificate, reason: str, *, user=None):
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give a reason for the revocation."))
    if certificate.revoked_at is not None:
        raise CertificateError(_("This certificate is already revoked."))
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = getattr(user, "id", None)
    certificate.revocation_reason = reason[:500]
    audit.record(
        session,
        "certificate.revoke",
        user=user,
        event=certificate.event,
        target=certificate.number,
        details={"reason": certificate.revocation_reason},
    )
    session.flush()
    webhooks.emit(
        session, certificate.event_id, "certificate.revoked", certificate_data(certificate)
    )
    return certificate


def reissue(session: OrmSession, certificate: Certificate, *, user=None) -> Certificate:
    """Replace a certificate (e.g. after a name correction): new code, number and version."""
    if certificate.superseded:
        raise CertificateError(_("This certificate has already been replaced."))
    if certificate.registration is None and certificate.person is None:
        raise CertificateError(_("The holder of this certificate no longer exists."))
    event = certificate.event
    certificate.superseded = True
    session.flush()
    new = _build(
        session,
        event,
        registration=certificate.registration,
        person=certificate.person,
        user=user,
    )
    if certificate.kind in SPEAKER_KINDS and new.kind != certificate.kind:
        new.kind = get_settings(event).speaker_kind
    new.version = (certificate.version or 1) + 1
    new.details = {**(new.details or {}), "replaces": certificate.code}
    certificate.details = {**(certificate.details or {}), "superseded_by": new.code}
    audit.record(
        session,
        "certificate.reissue",
        user=user,
        event=event,
        target=certificate.number,
        details={"new_number": new.number},
    )
    session.flush()
    store_pdf(new, render_certificate(new))
    return new


# --------------------------------------------------------------------------- rendering
