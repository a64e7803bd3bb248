"""Certificates: issue once, store, verify, revoke, re-issue, generate in bulk, send.

Who is eligible
- attendance: a confirmed registration marked attended (``checked_in_at`` set, at the door or
  by an attendance import);
- speakers: people linked to the event's sessions, by default only those who confirmed in
  their portal (``SessionPerson.confirmation == "confirmed"``); the organiser may widen it
  to everyone linked. Their certificate is "participation" or "appreciation" (settings).

A certificate is issued once: its PDF is written to ``STORAGE_DIR/certificates/`` and every
download returns those bytes until an organiser re-issues it (new code, number and version;
the old one stays verifiable as superseded). Public identifiers are the verification code
(``secrets.token_urlsafe(16)``, 128 bits) and a random printed number; never the row id.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from .. import pdf
from ..i18n import LANGUAGES, fmt_date, language, text_direction, utc_to_local
from ..models import (
    Certificate,
    Event,
    Job,
    Person,
    Registration,
    SessionPerson,
    Signatory,
)
from ..models import Session as AgendaSession
from ..models.types import utcnow
from . import audit

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


def registration_eligible(registration: Registration) -> bool:
    return registration.status == "confirmed" and registration.checked_in_at is not None


def person_eligible(session: OrmSession, person: Person, scope: str | None = None) -> bool:
    scope = scope or get_settings(person.event).speaker_scope
    query = select(SessionPerson.id).where(SessionPerson.person_id == person.id)
    if scope == "confirmed":
        query = query.where(SessionPerson.confirmation == "confirmed")
    else:
        query = query.where(SessionPerson.confirmation != "declined")
    return session.scalar(query.limit(1)) is not None


def eligible_registrations(session: OrmSession, event: Event) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == "confirmed",
                Registration.checked_in_at.is_not(None),
            )
            .order_by(Registration.id)
        )
    )


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


def find_by_code(session: OrmSession, code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


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


def successor(session: OrmSession, certificate: Certificate) -> Certificate | None:
    code = (certificate.details or {}).get("superseded_by")
    return find_by_code(session, code) if code else None


def event_certificates(
    session: OrmSession, event: Event, *, include_superseded: bool = False
) -> list[Certificate]:
    query = select(Certificate).where(Certificate.event_id == event.id)
    if not include_superseded:
        query = query.where(Certificate.superseded.is_(False))
    return list(session.scalars(query.order_by(Certificate.issued_at, Certificate.id)))


def summary(session: OrmSession, event: Event) -> dict:
    certs = event_certificates(session, event)
    return {
        "eligible_attendees": len(eligible_registrations(session, event)),
        "eligible_speakers": len(eligible_people(session, event)),
        "issued": sum(1 for c in certs if c.revoked_at is None),
        "revoked": sum(1 for c in certs if c.revoked_at is not None),
        "pending": len(pending_holders(session, event)),
    }


# --------------------------------------------------------------------------- issuing


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
    return cert


def issue_for_registration(
    session: OrmSession, registration: Registration, *, user=None, render_pdf: bool = True
) -> Certificate:
    """The registration's attendance certificate, issued now if it has none yet."""
    _lock_row(session, Registration, registration.id)
    if not registration_eligible(registration):
        raise NotEligible(_("This registration is not marked as attended."))
    existing = current_for_registration(session, registration)
    if existing is not None:
        return existing
    cert = _build(session, registration.event, registration=registration, user=user)
    if render_pdf:
        store_pdf(cert, render_certificate(cert))
    return cert


def issue_for_person(
    session: OrmSession, person: Person, *, user=None, render_pdf: bool = True
) -> Certificate:
    """The speaker's certificate, issued now if they have none yet."""
    _lock_row(session, Person, person.id)
    if not person_eligible(session, person):
        raise NotEligible(_("This speaker is not eligible for a certificate."))
    existing = current_for_person(session, person)
    if existing is not None:
        return existing
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


def verify_url(certificate: Certificate, lang: str | None = None) -> str:
    base = current_app.config["SYMPOSIUM_BASE_URL"].rstrip("/")
    return f"{base}/{lang or certificate.language}/verify/{certificate.code}"


def qr_data_uri(data: str) -> str:
    """A vector QR code (SVG) as a data URL the PDF fetcher accepts."""
    return segno.make(data, error="m").svg_data_uri(scale=1, border=0, dark="#111")


def hijri_date(day: date) -> str:
    """A date in the Umm al-Qura calendar, in Arabic: "7 شعبان 1447 هـ"."""
    from hijridate import Gregorian

    h = Gregorian(day.year, day.month, day.day).to_hijri()
    return f"{h.day} {h.month_name('ar')} {h.year} {h.notation('ar')}"


def _event_dates(event: Event, lang: str) -> str:
    if event.ends_on and event.ends_on != event.starts_on:
        return _("from %(start)s to %(end)s") % {
            "start": fmt_date(event.starts_on, lang, "long"),
            "end": fmt_date(event.ends_on, lang, "long"),
        }
    return _("on %(date)s") % {"date": fmt_date(event.starts_on, lang, "long")}


def _hijri_dates(event: Event) -> str:
    if event.ends_on and event.ends_on != event.starts_on:
        return _("corresponding to %(start)s – %(end)s") % {
            "start": hijri_date(event.starts_on),
            "end": hijri_date(event.ends_on),
        }
    return _("corresponding to %(date)s") % {"date": hijri_date(event.starts_on)}


def kind_label(kind: str) -> str:
    labels = {
        "attendance": _("Certificate of Attendance"),
        "participation": _("Certificate of Participation"),
        "appreciation": _("Certificate of Appreciation"),
    }
    return labels.get(kind, kind)


def _statement(kind: str) -> str:
    return {
        "attendance": _("for attending"),
        "participation": _("for taking part as a speaker in"),
        "appreciation": _("in appreciation of the valuable contribution to"),
    }[kind]


def _block(certificate: Certificate, lang: str) -> dict:
    """Every text of the certificate in one language (rendered in that language's locale)."""
    event = certificate.event
    names = (certificate.details or {}).get("names") or {}
    name = certificate.holder_name if lang == certificate.language else names.get(lang)
    with language(lang):
        issued_local = utc_to_local(certificate.issued_at, event.timezone).date()
        block = {
            "lang": lang,
            "dir": text_direction(lang),
            "heading": kind_label(certificate.kind),
            "awarded_to": _("This certificate is awarded to"),
            "name": name or certificate.holder_name,
            "statement": _statement(certificate.kind),
            "event_title": event.t("title", lang),
            "dates": _event_dates(event, lang),
            "hijri": _hijri_dates(event) if lang == "ar" else "",
            "venue": event.t("venue_name", lang),
            "organisers": event.t("organisers", lang),
            "number_label": _("Certificate number"),
            "issued": _("Issued on %(date)s") % {"date": fmt_date(issued_local, lang, "long")},
            "verify_label": _("Verify this certificate"),
        }
    return block


def _signatories(event: Event, langs: list[str]) -> list[dict]:
    from ..extensions import db

    rows = db.session.scalars(
        select(Signatory)
        .where(Signatory.event_id == event.id)
        .order_by(Signatory.position, Signatory.id)
    ).all()
    out = []
    for row in rows:
        image = None
        if row.signature_path:
            path = Path(current_app.config["STORAGE_DIR"], row.signature_path)
            if path.is_file():
                from weasyprint.urls import path2url

                image = path2url(str(path.resolve()))
        out.append(
            {
                "names": [
                    (lang, text_direction(lang), _loc(row.name, lang, event)) for lang in langs
                ],
                "titles": [
                    (lang, text_direction(lang), _loc(row.title, lang, event)) for lang in langs
                ],
                "image": image,
            }
        )
    return out


def _loc(value: dict, lang: str, event: Event) -> str:
    from ..i18n import localize

    return localize(value, lang, event.default_language)


def certificate_languages(certificate: Certificate) -> list[str]:
    if certificate.bilingual:
        return list(BILINGUAL_LANGUAGES)
    return [certificate.language]


def document_context(certificate: Certificate) -> dict:
    """Everything the certificate template needs, for one certificate."""
    langs = certificate_languages(certificate)
    blocks = [_block(certificate, lang) for lang in langs]
    names = []
    for block in blocks:
        if block["name"] not in names:
            names.append(block["name"])
    url = verify_url(certificate)
    return {
        "kind": certificate.kind,
        "bilingual": certificate.bilingual,
        "lang": certificate.language,
        "dir": text_direction(certificate.language),
        "blocks": blocks,
        "names": [(n, name_direction(n)) for n in names],
        "number": certificate.number,
        "verify_url": url,
        "qr": None,  # drawn as vector shapes into the "qr-<i>" box after layout (pdf/qr.py)
        "signatories": _signatories(certificate.event, langs),
    }


def name_direction(text: str) -> str:
    """rtl when the first strong character is right-to-left (Arabic names)."""
    for ch in text or "":
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "auto"


def document_title(certificate: Certificate) -> str:
    with language(certificate.language):
        return f"{kind_label(certificate.kind)} — {certificate.holder_name}"


def render_certificate(certificate: Certificate) -> bytes:
    """One standalone certificate PDF (same input -> same bytes)."""
    return pdf.render(
        TEMPLATE,
        {"documents": [document_context(certificate)]},
        lang=certificate.language,
        title=document_title(certificate),
        created=certificate.issued_at,
        qr=verify_url(certificate),
    )


# Context fields that differ between holders of the same variant: they are laid out in the
# "names" layer; everything else is the variant's shared background (see pdf/engine.py).
_HOLDER_FIELDS = frozenset({"names", "number", "verify_url", "qr"})
_HOLDER_BLOCK_FIELDS = frozenset({"name", "issued"})


def variant_key(context: dict) -> str:
    """What a certificate shares with others of its variant (event texts, kind, language,
    signatories): certificates with equal keys can share one background."""
    fixed = {k: v for k, v in context.items() if k not in _HOLDER_FIELDS}
    fixed["blocks"] = [
        {k: v for k, v in block.items() if k not in _HOLDER_BLOCK_FIELDS}
        for block in context["blocks"]
    ]
    return json.dumps(fixed, sort_keys=True, ensure_ascii=False, default=str)


def prepare_batch(certificates: list[Certificate]) -> pdf.Layered:
    """The render job for ``certificates``: per-holder names layers over shared backgrounds
    (and the same batch laid out whole, the fallback). Needs the app context; rendering it
    (``pdf.render_batches`` / ``pdf.engine.run_job``) does not."""
    contexts = [document_context(c) for c in certificates]
    common = {
        "lang": certificates[0].language,
        "title": document_title(certificates[0]),
        "langs": [c.language for c in certificates],
        "titles": [document_title(c) for c in certificates],
        "created": [c.issued_at for c in certificates],
        "qr": [verify_url(c) for c in certificates],
    }
    whole = pdf.prepare_many(TEMPLATE, contexts, **common)
    index: dict[str, int] = {}
    representatives: list[dict] = []
    variant_of: list[int] = []
    for context in contexts:
        key = variant_key(context)
        if key not in index:
            index[key] = len(representatives)
            representatives.append(context)
        variant_of.append(index[key])
    names = pdf.prepare_many(
        TEMPLATE,
        [
            {**context, "layer": "names", "slot_offset": f"@@OFFSET{variant}@@"}
            for context, variant in zip(contexts, variant_of, strict=True)
        ],
        **common,
    )
    background_html = pdf.render_html(
        TEMPLATE,
        {
            "documents": [
                {**context, "layer": "background", "index": "@@I@@", "slot_height": "@@HEIGHT@@"}
                for context in representatives
            ]
        },
        lang=common["lang"],
        title=common["title"],
    )
    return pdf.Layered(
        names=names, background_html=background_html, variant_of=tuple(variant_of), whole=whole
    )


def render_certificates(certificates: list[Certificate]) -> list[bytes]:
    """Many standalone certificate PDFs from one batch (in this process)."""
    if not certificates:
        return []
    return pdf.engine.run_job(prepare_batch(certificates))


def relative_pdf_path(certificate: Certificate) -> str:
    return f"certificates/{certificate.event_id}/{certificate.code}.pdf"


def store_pdf(certificate: Certificate, data: bytes) -> None:
    rel = relative_pdf_path(certificate)
    pdf.write_atomic(Path(current_app.config["STORAGE_DIR"], rel), data)
    certificate.pdf_path = rel


def pdf_bytes(certificate: Certificate) -> bytes:
    """The stored PDF; rendered again (and stored) only if the file has gone missing."""
    if certificate.pdf_path:
        path = Path(current_app.config["STORAGE_DIR"], certificate.pdf_path).resolve()
        root = Path(current_app.config["STORAGE_DIR"]).resolve()
        if path.is_relative_to(root) and path.is_file():
            return path.read_bytes()
    data = render_certificate(certificate)
    store_pdf(certificate, data)
    return data


def download_name(certificate: Certificate) -> str:
    return f"certificate-{certificate.number}.pdf"


# --------------------------------------------------------------------------- bulk


def pending_holders(session: OrmSession, event: Event) -> list[tuple[str, object]]:
    """Eligible holders without a current certificate: ("registration"|"person", row)."""
    have_regs = set(
        session.scalars(
            select(Certificate.registration_id).where(
                Certificate.event_id == event.id,
                Certificate.superseded.is_(False),
                Certificate.registration_id.is_not(None),
                Certificate.kind == "attendance",
            )
        )
    )
    have_people = set(
        session.scalars(
            select(Certificate.person_id).where(
                Certificate.event_id == event.id,
                Certificate.superseded.is_(False),
                Certificate.person_id.is_not(None),
            )
        )
    )
    out: list[tuple[str, object]] = [
        ("registration", r) for r in eligible_registrations(session, event) if r.id not in have_regs
    ]
    out += [("person", p) for p in eligible_people(session, event) if p.id not in have_people]
    return out


@dataclass
class GenerateResult:
    created: int = 0
    rendered: int = 0
    total: int = 0


def generate_all(
    session: OrmSession,
    event: Event,
    *,
    user=None,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> GenerateResult:
    """Issue every pending certificate of the event and render all missing PDFs, in batches.

    ``on_batch(n)`` is called after each batch (n certificates done) — the job and the CLI
    commit there and report progress. With more than one batch, batches are rendered by
    ``workers`` processes; by default ``PDF_WORKERS`` (one per CPU), used when there are at
    least ``PARALLEL_MIN`` certificates or the pool is already running. This process
    prepares the HTML and stores the PDFs, in order.
    """
    result = GenerateResult()
    holders = pending_holders(session, event)
    missing = [c for c in event_certificates(session, event) if not has_file(c)]
    result.total = len(holders) + len(missing)
    todo: list[Certificate] = list(missing)
    for kind, row in holders:
        if kind == "registration":
            cert = _build(session, event, registration=row, user=user)
        else:
            cert = _build(session, event, person=row, user=user)
        todo.append(cert)
        result.created += 1
    size = max(1, batch_size)
    if workers is None:
        workers = pdf.configured_workers()
        if len(todo) < PARALLEL_MIN and not pdf.pool.running(workers):
            workers = 1  # starting the pool (~1 s) would cost more than it saves
    workers = max(1, workers)
    if len(todo) <= size:
        workers = 1  # one batch: nothing to share out
    else:
        size = min(size, max(MIN_PARALLEL_BATCH, -(-len(todo) // workers)))
    batches = [todo[start : start + size] for start in range(0, len(todo), size)]
    rendered = pdf.render_batches((prepare_batch(batch) for batch in batches), workers)
    for batch, pdfs in zip(batches, rendered, strict=True):
        for cert, data in zip(batch, pdfs, strict=True):
            store_pdf(cert, data)
        session.flush()
        result.rendered += len(batch)
        if on_batch:
            on_batch(len(batch))
    if result.created:
        audit.record(
            session,
            "certificates.generate",
            user=user,
            event=event,
            details={"created": result.created, "rendered": result.rendered},
        )
        session.flush()
    return result


def has_file(certificate: Certificate) -> bool:
    if not certificate.pdf_path:
        return False
    return Path(current_app.config["STORAGE_DIR"], certificate.pdf_path).is_file()


def start_job(session: OrmSession, event: Event, kind: str, *, user=None) -> Job:
    """A Job row for "certificates.generate" or "certificates.email" (enqueue after commit)."""
    if kind == "certificates.generate":
        total = len(pending_holders(session, event)) + sum(
            1 for c in event_certificates(session, event) if not has_file(c)
        )
    else:
        total = len(_emailable(session, event))
    job = Job(kind=kind, event_id=event.id, status="queued", total=total, done=0)
    job.created_by_id = getattr(user, "id", None)
    session.add(job)
    session.flush()
    return job


def _run_job(job_id: int, work: Callable[[OrmSession, Job, Event], dict]) -> None:
    """The frame of a background job: mark the job running, run ``work(session, job, event)``,
    then mark it done with the dict ``work`` returns as its result — or, if ``work`` raises,
    roll back, mark the job failed and re-raise."""
    from ..extensions import db

    session = db.session
    job = session.get(Job, job_id)
    if job is None:
        return
    job.status = "running"
    session.commit()
    try:
        event = session.get(Event, job.event_id)
        job.result = work(session, job, event)
        job.status = "done"
        job.finished_at = utcnow()
        session.commit()
    except Exception as exc:
        session.rollback()
        _fail(session, job_id, exc)
        raise


def run_generate_job(job_id: int) -> None:
    """Background job: generate all certificates of the job's event, with progress."""

    def work(session: OrmSession, job: Job, event: Event) -> dict:
        def progress(n: int) -> None:
            job.done = (job.done or 0) + n
            session.commit()

        result = generate_all(session, event, user=_job_user(session, job), on_batch=progress)
        job.total = max(job.total, result.rendered)
        job.done = result.rendered
        return {"created": result.created, "rendered": result.rendered}

    _run_job(job_id, work)


def _fail(session: OrmSession, job_id: int, exc: Exception) -> None:
    job = session.get(Job, job_id)
    if job is not None:
        job.status = "failed"
        job.message = f"{type(exc).__name__}: {exc}"[:2000]
        job.finished_at = utcnow()
        session.commit()


def _job_user(session: OrmSession, job: Job):
    from ..models import User

    return session.get(User, job.created_by_id) if job.created_by_id else None


def holder_email(certificate: Certificate) -> str | None:
    if certificate.registration is not None:
        return certificate.registration.email
    if certificate.person is not None:
        return certificate.person.email
    return None


def _emailable(session: OrmSession, event: Event) -> list[Certificate]:
    return [
        c for c in event_certificates(session, event) if c.revoked_at is None and holder_email(c)
    ]


def queue_certificate_email(session: OrmSession, certificate: Certificate, *, job_id=None):
    """Queue the holder's certificate by email, in the certificate's language."""
    from flask import render_template

    from .mail import Attachment, build_message, queue_email

    data = pdf_bytes(certificate)
    event = certificate.event
    lang = certificate.language
    with language(lang):
        context = {
            "certificate": certificate,
            "event_title": event.t("title", lang),
            "holder": certificate.holder_name,
            "kind_label": kind_label(certificate.kind),
            "verify_url": verify_url(certificate),
            "email_lang": lang,
            "email_dir": text_direction(lang),
        }
        subject = _("Your certificate: %(event)s") % {"event": context["event_title"]}
        message = build_message(
            to=holder_email(certificate),
            subject=subject,
            text=render_template("email/certificate_issued.txt", **context),
            html=render_template("email/certificate_issued.html", **context),
            attachments=[
                Attachment(download_name(certificate), data, "application", "pdf"),
            ],
            lang=lang,
        )
    certificate.details = {**(certificate.details or {}), "emailed_at": utcnow().isoformat()}
    return queue_email(session, message, kind="certificate", job_id=job_id)


def run_email_job(job_id: int) -> None:
    """Background job: email every valid certificate of the event to its holder."""

    def work(session: OrmSession, job: Job, event: Event) -> dict:
        certificates = _emailable(session, event)
        job.total = len(certificates)
        sent = 0
        for index, certificate in enumerate(certificates, start=1):
            queue_certificate_email(session, certificate, job_id=job.id)
            sent += 1
            if index % 20 == 0:
                job.done = sent
                session.commit()
        job.done = sent
        return {"queued": sent}

    _run_job(job_id, work)


# --------------------------------------------------------------------------- archive

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\u200e\u200f\u202a-\u202e]+')


def _archive_name(certificate: Certificate) -> str:
    holder = _UNSAFE.sub(" ", certificate.holder_name).strip()[:80] or "certificate"
    return f"{certificate.number} {holder}.pdf"


def write_zip(session: OrmSession, event: Event, target) -> int:
    """Write a ZIP of all valid current certificates (+ index.csv) to ``target``; count."""
    certificates = [c for c in event_certificates(session, event) if c.revoked_at is None]
    stamp = (1980, 1, 1, 0, 0, 0)
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["number", "holder", "kind", "language", "issued_at", "verify_url"])
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in certificates:
            info = zipfile.ZipInfo(_archive_name(certificate), date_time=stamp)
            archive.writestr(info, pdf_bytes(certificate))
            writer.writerow(
                [
                    certificate.number,
                    _csv_safe(certificate.holder_name),
                    certificate.kind,
                    certificate.language,
                    certificate.issued_at.isoformat(),
                    verify_url(certificate),
                ]
            )
        info = zipfile.ZipInfo("index.csv", date_time=stamp)
        archive.writestr(info, "\ufeff" + index.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    return len(certificates)


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in typed text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --------------------------------------------------------------------------- signatories

MAX_SIGNATURE_PIXELS = 4000 * 4000
SIGNATURE_MAX_WIDTH = 1200


def save_signature_image(event: Event, data: bytes) -> str:
    """Check and re-encode an uploaded signature (PNG/JPEG) as PNG; return its stored path.

    Re-encoding through Pillow drops metadata and anything that is not pixels.
    """
    from . import uploads

    # byte size, format and pixel dimensions checked before decoding (services/uploads.py)
    box = (SIGNATURE_MAX_WIDTH, SIGNATURE_MAX_WIDTH)
    try:
        with uploads.open_image(data, draft_size=box) as probe:
            uploads.decode(probe)
            if probe.width > SIGNATURE_MAX_WIDTH:
                ratio = SIGNATURE_MAX_WIDTH / probe.width
                probe.thumbnail((SIGNATURE_MAX_WIDTH, max(1, int(probe.height * ratio))))
            image = probe.convert("RGBA")
    except uploads.UploadError as exc:
        raise CertificateError(exc.message)
    except (OSError, SyntaxError, ValueError):
        raise CertificateError(_("The file is not a readable PNG or JPEG image."))
    rel = f"signatures/{event.id}/{secrets.token_hex(12)}.png"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    pdf.write_atomic(Path(current_app.config["STORAGE_DIR"], rel), buffer.getvalue())
    return rel


def add_signatory(
    session: OrmSession,
    event: Event,
    *,
    name: dict,
    title: dict,
    image: bytes | None = None,
    user=None,
) -> Signatory:
    from ..i18n import clean_i18n

    name = clean_i18n(name)
    if not name:
        raise CertificateError(_("Give the name in at least one language."))
    position = len(
        session.scalars(select(Signatory.id).where(Signatory.event_id == event.id)).all()
    )
    row = Signatory(
        event_id=event.id,
        name=name,
        title=clean_i18n(title),
        signature_path=save_signature_image(event, image) if image else None,
        position=position,
    )
    session.add(row)
    audit.record(session, "certificates.signatory.add", user=user, event=event, details=name)
    session.flush()
    return row


def delete_signatory(session: OrmSession, signatory: Signatory, *, user=None) -> None:
    if signatory.signature_path:
        path = Path(current_app.config["STORAGE_DIR"], signatory.signature_path)
        path.unlink(missing_ok=True)
    audit.record(
        session,
        "certificates.signatory.delete",
        user=user,
        event=signatory.event,
        details=signatory.name,
    )
    session.delete(signatory)
    session.flush()


def signatories(session: OrmSession, event: Event) -> list[Signatory]:
    return list(
        session.scalars(
            select(Signatory)
            .where(Signatory.event_id == event.id)
            .order_by(Signatory.position, Signatory.id)
        )
    )
