"""Public documents: certificate verification, the programme PDF, personal certificates.

No integer id appears on its own in a public URL: certificates are found by their
verification code, registrations by their personal token, speakers by their portal token
(the portal download names the certificate id only together with the person's token, and
checks that the certificate is theirs).
"""

from __future__ import annotations

from flask import Response, abort, g, render_template, request

from ..extensions import db
from ..models import Certificate, Person, Registration
from ..services import attendance_policy, programme, speakers
from ..services import certificates as certs
from ..services import registration as registration_service
from ..services.event_time import has_started
from ..services.events import get_published_or_404
from . import bp, caching


def _pdf_response(data: bytes, filename: str, *, cache: str = "private, no-store") -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    response.headers["Content-Length"] = str(len(data))
    return response


@bp.get("/verify/<code>")
def verify(code: str):
    """Anyone can check a certificate: holder, event, date, kind and status."""
    g.noindex = True
    certificate = certs.find_by_code(db.session, code)
    if certificate is None:  # unknown or mistyped: say so, in the page's language
        shown = code if len(code) <= 64 else code[:64] + "…"
        return render_template("public/verify_unknown.html", code=shown, noindex=True), 404
    newer = certs.successor(db.session, certificate) if certificate.superseded else None
    return render_template(
        "public/verify.html",
        certificate=certificate,
        event=certificate.event,
        newer=newer,
        kind_label=certs.kind_label(certificate.kind),
        noindex=True,
    )


@bp.get("/events/<slug>/programme.pdf")
def programme_pdf(slug: str):
    event = get_published_or_404(slug)
    variant = request.args.get("variant", "single")
    if variant not in programme.VARIANTS:
        variant = "single"
    # ETag from the agenda version, the event's row, the language and the variant; 304 before
    # anything is rendered; public for anonymous visitors (caching.finish)
    cached = caching.not_modified(event, variant)
    if cached:
        return cached
    data = programme.programme_pdf(db.session, event, g.lang, variant)
    suffix = "-bilingual" if variant == "bilingual" else ""
    return _pdf_response(data, f"programme-{event.slug}-{g.lang}{suffix}.pdf", cache="public")


def _certificate_pdf(certificate: Certificate) -> Response:
    """The holder's own copy of ``certificate``, 403 if it is revoked; commits what was done to
    serve it (a certificate issued on first use, a missing PDF rendered and stored again)."""
    if certificate.revoked_at is not None:
        abort(403)
    data = certs.pdf_bytes(certificate)
    db.session.commit()
    return _pdf_response(data, certs.download_name(certificate))


def _registration_by_token(token: str) -> Registration:
    registration = registration_service.by_token(db.session, token)
    if registration is None:
        abort(404)
    return registration


def selfservice_certificate_state(registration: Registration):
    """The certificate section of the personal page (templates/public/_certificate_state.html):
    the state (eligible, or why not yet) of a confirmed registration once the event has
    started or when already eligible; None when there is nothing to show."""
    if registration.status != "confirmed":
        return None
    state = attendance_policy.certificate_state(registration, db.session)
    if state.eligible or has_started(registration.event):
        return state
    return None


@bp.app_template_global("certificate_state")
def _certificate_state_global(registration: Registration):
    return selfservice_certificate_state(registration)


@bp.get("/r/<token>/certificate.pdf")
def selfservice_certificate(token: str):
    """The attendee's certificate, issued on first use once they are eligible under the
    event's attendance policy (and the feedback gate); until then a 403 page saying why."""
    g.noindex = True
    registration = _registration_by_token(token)
    state = attendance_policy.certificate_state(registration, db.session)
    if not state.eligible:
        return _not_yet(registration, state.message, state.reason)
    try:
        certificate = certs.issue_for_registration(db.session, registration)
    except certs.NotEligible as exc:  # e.g. before the event starts
        db.session.rollback()
        return _not_yet(registration, exc.message)
    return _certificate_pdf(certificate)


def _not_yet(registration: Registration, message: str, reason: str | None = None) -> Response:
    response = Response(
        render_template(
            "public/certificate_not_yet.html",
            registration=registration,
            event=registration.event,
            message=message,
            reason=reason,
            noindex=True,
        ),
        status=403,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _person_by_token(token: str) -> Person:
    person = speakers.find_by_token(db.session, token)
    if person is None:
        abort(404)
    return person


@bp.get("/speaker/<token>/certificates/<int:cert_id>.pdf")
def portal_certificate(token: str, cert_id: int):
    """A speaker's certificate from their portal: only their own, current, valid ones."""
    g.noindex = True
    person = _person_by_token(token)
    certificate = db.session.get(Certificate, cert_id)
    if certificate is None or certificate.person_id != person.id or certificate.superseded:
        abort(404)
    return _certificate_pdf(certificate)


@bp.get("/speaker/<token>/certificate.pdf")
def portal_certificate_current(token: str):
    """The speaker's current certificate, issued on first use once they are eligible."""
    g.noindex = True
    person = _person_by_token(token)
    try:
        certificate = certs.issue_for_person(db.session, person)
    except certs.NotEligible:
        abort(403)
    return _certificate_pdf(certificate)
