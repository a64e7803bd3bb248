"""Email a filtered set of registrations, each in their own language, through the job queue.

Each message carries List-Unsubscribe (a personal link) and List-Unsubscribe-Post (RFC 8058
one-click); people who unsubscribed from the event's bulk email are skipped. A message that
cannot be built becomes a ``failed`` outbox row with its reason; the others still go.
"""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from ..extensions import db
from ..i18n import LANGUAGES, clean_i18n, language
from ..models import Event, Job, Registration
from ..models.types import utcnow
from . import audit, mail, unsubscribe
from .exports import filtered_query

BATCH = 50


class BulkEmailError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def pick_language(preferred: str | None, subjects: dict, bodies: dict, default: str) -> str:
    """The recipient's language when the organiser wrote the message in it, else the default."""
    if preferred in LANGUAGES and subjects.get(preferred) and bodies.get(preferred):
        return preferred
    return default


def start_bulk_email(
    session: OrmSession,
    event: Event,
    filters: dict,
    *,
    subjects: dict,
    bodies: dict,
    by=None,
) -> Job:
    """Create the Job row (total = number of recipients). Enqueue ``run`` after the commit."""
    subjects, bodies = clean_i18n(subjects), clean_i18n(bodies)
    default = event.default_language
    bad = [code for code, subject in subjects.items() if mail.has_control_characters(subject)]
    if bad:
        raise BulkEmailError(
            [
                _(
                    "Subject (%(language)s): write it on one line, without control characters.",
                    language=code,
                )
                for code in bad
            ]
        )
    if not subjects.get(default) or not bodies.get(default):
        raise BulkEmailError(
            [_("Write the subject and the message at least in the event's default language.")]
        )
    if set(subjects) != set(bodies):
        raise BulkEmailError(
            [_("Write both the subject and the message in each language you use.")]
        )
    count_query = select(func.count()).select_from(
        filtered_query(event, filters).order_by(None).subquery()
    )
    total = session.scalar(count_query) or 0
    if total == 0:
        raise BulkEmailError([_("No registration matches these filters.")])
    job = Job(
        kind="bulk_email",
        event_id=event.id,
        status="queued",
        total=total,
        done=0,
        params={"filters": filters, "subjects": subjects, "bodies": bodies},
        created_by_id=getattr(by, "id", None),
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        "registrations.email",
        user=by,
        event=event,
        target=f"job {job.id}",
        details={"filters": filters, "recipients": total},
    )
    return job


def _selfservice_link(reg: Registration, lang: str) -> str | None:
    if "public.selfservice" not in current_app.view_functions:
        return None
    return current_app.config["SYMPOSIUM_BASE_URL"] + url_for(
        "public.selfservice", lang=lang, token=reg.token
    )


def run(job_id: int) -> None:
    """The background job: queue one email per recipient, updating the job's progress."""
    job = db.session.get(Job, job_id)
    if job is None or job.status not in ("queued", "running"):
        return
    event = db.session.get(Event, job.event_id)
    job.status = "running"
    db.session.commit()
    params = job.params or {}
    subjects, bodies = params.get("subjects", {}), params.get("bodies", {})
    base = current_app.config["SYMPOSIUM_BASE_URL"]
    try:
        with current_app.test_request_context("/", base_url=base):
            ids = db.session.scalars(
                filtered_query(event, params.get("filters", {}), sort="oldest").with_only_columns(
                    Registration.id
                )
            ).all()
            job.total = len(ids)
            unsubscribed = unsubscribe.unsubscribed_emails(db.session, event.id)
            queued = skipped = failed = 0
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                regs = db.session.scalars(
                    select(Registration).where(Registration.id.in_(chunk))
                ).all()
                for reg in regs:
                    if reg.email_normalized in unsubscribed:
                        skipped += 1
                        continue
                    lang = pick_language(
                        reg.preferred_language, subjects, bodies, event.default_language
                    )
                    if _queue_one(event, job, reg, lang, subjects[lang], bodies[lang]):
                        queued += 1
                    else:
                        failed += 1
                job.done = min(job.total, start + len(chunk))
                db.session.commit()
        job.status = "done"
        job.finished_at = utcnow()
        job.result = {"queued": queued, "unsubscribed": skipped, "failed": failed}
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status = "failed"
        job.message = f"{type(exc).__name__}: {exc}"[:2000]
        job.finished_at = utcnow()
        db.session.commit()
        raise


def _queue_one(event: Event, job: Job, reg: Registration, lang: str, subject: str, body: str):
    """Queue one recipient's message (in a savepoint); a message that cannot be built or
    stored becomes a ``failed`` outbox row with the reason instead. True when queued."""
    try:
        with db.session.begin_nested():
            with language(lang):
                context = {
                    "event": event,
                    "registration": reg,
                    "body": body,
                    "link": _selfservice_link(reg, lang),
                    "unsubscribe_link": unsubscribe.link(reg, lang),
                    "lang": lang,
                }
                message = mail.build_message(
                    to=reg.email,
                    subject=subject,
                    text=render_template("email/bulk_message.txt", **context),
                    html=render_template("email/bulk_message.html", **context),
                    lang=lang,
                    headers={
                        "List-Unsubscribe": f"<{context['unsubscribe_link']}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                )
            mail.queue_email(db.session, message, kind="bulk", job_id=job.id)
            db.session.flush()
        return True
    except Exception as exc:  # noqa: BLE001 - one bad message must not fail the whole job
        current_app.logger.warning("bulk email to registration %s cannot be built: %s", reg.id, exc)
        mail.record_failed(
            db.session, recipient=reg.email, kind="bulk", error=exc, subject=subject, job_id=job.id
        )
        return False
