"""Attendance and certificates through the API (token needed; the token's events only)."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from ...extensions import db
from ...models import Certificate
from ...services import attendance
from ...services import certificates as certs
from .auth import (
    BEARER,
    WRITE_DOC,
    audit_write,
    current_token,
    managed_event_or_404,
    token_required,
)
from .idempotency import idempotent_write
from .problems import refuse
from .registrations import registration_or_404
from .schemas import (
    AttendanceResultSchema,
    AttendanceSchema,
    CertificateSchema,
    IssueArgs,
    LanguageArgs,
    RevokeSchema,
)

blp = Blueprint(
    "api_v1_certificates",
    __name__,
    url_prefix="/api/v1",
    description="Attendance and certificates of the events a token may manage.",
)


def _certificate_or_404(event, number: str) -> Certificate:
    cert = db.session.scalar(
        select(Certificate).where(
            Certificate.event_id == event.id,
            Certificate.number == number,
            Certificate.superseded.is_(False),
        )
    )
    if cert is None:
        abort(404)
    return cert


@blp.post("/events/<slug>/attendance")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(AttendanceSchema)
@blp.response(200, AttendanceResultSchema)
@blp.alt_response(409, description="Before the event starts.")
def record_attendance(body, slug):
    """Mark registrations attended by their email addresses (a video-conference report, a
    list from the door); unknown and unconfirmed ones are listed, nothing else changes."""
    event = managed_event_or_404(slug)
    data = "email\n" + "\n".join(e.strip() for e in body["emails"])
    try:
        result = attendance.import_attendance(db.session, event, data, user=current_token().user)
    except attendance.AttendanceImportError as exc:
        refuse(exc.message)
    audit_write("attendance.import", event, event.slug, {"marked": len(result.marked)})
    return result.as_dict()


@blp.get("/events/<slug>/certificates")
@blp.doc(security=[BEARER])
@token_required("read")
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, CertificateSchema(many=True))
def list_certificates(slug, **_args):
    """The event's current certificates (revoked ones included, re-issued ones not)."""
    return certs.event_certificates(db.session, managed_event_or_404(slug))


@blp.get("/events/<slug>/certificates/<number>/pdf")
@blp.doc(
    security=[BEARER],
    responses={"200": {"description": "The PDF", "content": {"application/pdf": {}}}},
)
@token_required("read")
def certificate_pdf(slug, number):
    """Download a certificate (PDF)."""
    cert = _certificate_or_404(managed_event_or_404(slug), number)
    data = certs.pdf_bytes(cert)
    db.session.commit()  # a missing file rendered again is stored
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{certs.download_name(cert)}"'},
    )


@blp.post("/events/<slug>/registrations/<int:registration_id>/certificate")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(IssueArgs, location="query", as_kwargs=True)
@blp.response(200, CertificateSchema)
@blp.alt_response(409, description="Not attended, or before the event starts.")
def issue_certificate(slug, registration_id, override=False):
    """The attendance certificate of a registration: issued now, or the one it has."""
    event = managed_event_or_404(slug)
    registration = registration_or_404(event, registration_id)
    user = current_token().user
    try:
        cert = certs.issue_for_registration(
            db.session, registration, user=user, allow_early=override and user.role == "admin"
        )
    except certs.CertificateError as exc:
        refuse(exc.message)
    audit_write("certificate.issue", event, cert.number)
    return cert


@blp.post("/events/<slug>/certificates/<number>/revoke")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(RevokeSchema)
@blp.response(200, CertificateSchema)
@blp.alt_response(409, description="Already revoked.")
def revoke_certificate(body, slug, number):
    """Revoke a certificate: its verification page says so from now on."""
    event = managed_event_or_404(slug)
    cert = _certificate_or_404(event, number)
    try:
        certs.revoke(db.session, cert, body["reason"], user=current_token().user)
    except certs.CertificateError as exc:
        refuse(exc.message, path="reason")
    audit_write("certificate.revoke", event, cert.number)
    return cert
