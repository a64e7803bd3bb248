"""Bulk work: pending holders, generate all in batches, background jobs, email, ZIP."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ... import pdf
from ...i18n import language, text_direction
from ...models import (
    Certificate,
    Event,
    Job,
)
from ...models.types import utcnow
from .. import audit
from .base import (
    BATCH_SIZE,
    MIN_PARALLEL_BATCH,
    PARALLEL_MIN,
    eligible_people,
    eligible_registrations,
    event_certificates,
)
from .issue import _build, ensure_started
from .render import download_name, kind_label, pdf_bytes, prepare_batch, store_pdf
from .verify import verify_url


def summary(session: OrmSession, event: Event) -> dict:
    certs = event_certificates(session, event)
    return {
        "eligible_attendees": len(eligible_registrations(session, event)),
        "eligible_speakers": len(eligible_people(session, event)),
        "issued": sum(1 for c in certs if c.revoked_at is None),
        "revoked": sum(1 for c in certs if c.revoked_at is not None),
        "pending": len(pending_holders(session, event)),
    }


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
    allow_early: bool = False,
    audit_override: bool = True,
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
    if holders:  # issuing new certificates: not before the event starts
        ensure_started(session, event, user=user, allow_early=allow_early, record=audit_override)
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


def start_job(
    session: OrmSession, event: Event, kind: str, *, user=None, allow_early: bool = False
) -> Job:
    """A Job row for "certificates.generate" or "certificates.email" (enqueue after commit).

    Generation is refused before the event starts (:class:`TooEarly`) unless an
    administrator confirmed ``allow_early`` (audited here, carried in the job's params)."""
    params = {}
    if kind == "certificates.generate":
        if pending_holders(session, event):
            ensure_started(session, event, user=user, allow_early=allow_early, via="job")
            params["allow_early"] = bool(allow_early)
        total = len(pending_holders(session, event)) + sum(
            1 for c in event_certificates(session, event) if not has_file(c)
        )
    else:
        total = len(_emailable(session, event))
    job = Job(kind=kind, event_id=event.id, status="queued", total=total, done=0, params=params)
    job.created_by_id = getattr(user, "id", None)
    session.add(job)
    session.flush()
    return job


def _run_job(job_id: int, work: Callable[[OrmSession, Job, Event], dict]) -> None:
    """The frame of a background job: mark the job running, run ``work(session, job, event)``,
    then mark it done with the dict ``work`` returns as its result — or, if ``work`` raises,
    roll back, mark the job failed and re-raise."""
    from ...extensions import db

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

        result = generate_all(
            session,
            event,
            user=_job_user(session, job),
            on_batch=progress,
            allow_early=bool((job.params or {}).get("allow_early")),
            audit_override=False,  # recorded when the job was started
        )
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
    from ...models import User

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

    from ..mail import Attachment, build_message, queue_email

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
