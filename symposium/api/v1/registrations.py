"""Registrations and check-in through the API (token needed; the token's events only)."""

from __future__ import annotations

import base64
import binascii

from flask import url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort

from ...extensions import db
from ...models import Registration
from ...services import checkin, exports
from ...services.registration import RegistrationData, RegistrationError, cancel, promote, register
from ...services.tickets import checkin_code
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
from .schemas import (
    CheckinArgs,
    CheckinByCodeSchema,
    CheckinSchema,
    LanguageArgs,
    RegistrationCreateSchema,
    RegistrationListArgs,
    RegistrationPageSchema,
    RegistrationSchema,
)

blp = Blueprint(
    "api_v1_registrations",
    __name__,
    url_prefix="/api/v1",
    description="Registrations and check-in of the events a token may manage.",
)

MAX_ID = 2**31 - 1


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"r{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith("r") or not raw[1:].isdigit() or int(raw[1:]) > MAX_ID:
        abort(
            422,
            errors=[{"path": "cursor", "message": _("This cursor is not valid.")}],
        )
    return int(raw[1:])


def registration_or_404(event, registration_id: int) -> Registration:
    if registration_id > MAX_ID:  # beyond the database's integers: no such registration
        abort(404)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    return registration


def _refused(exc: RegistrationError, status: int = 409):
    refuse(exc.message, status, path=exc.field or "")


@blp.get("/events/<slug>/registrations")
@blp.doc(security=[BEARER])
@token_required("read")
@blp.arguments(RegistrationListArgs, location="query", as_kwargs=True)
@blp.response(200, RegistrationPageSchema)
def list_registrations(slug, limit, cursor=None, checked_in=None, **filters):
    """Registrations, oldest first, with filters; follow ``next_cursor`` for the next page."""
    event = managed_event_or_404(slug)
    filters.pop("lang", None)
    wanted = {k: v for k, v in filters.items() if v}
    if checked_in is not None:
        wanted["checked_in"] = "yes" if checked_in else "no"
    query = exports.filtered_query(event, wanted).order_by(None).order_by(Registration.id)
    if cursor:
        query = query.where(Registration.id > decode_cursor(cursor))
    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].id) if more else None}


@blp.post("/events/<slug>/registrations")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(RegistrationCreateSchema)
@blp.response(201, RegistrationSchema)
@blp.alt_response(409, description="Already registered, or a rule refused it.")
def create_registration(data, slug):
    """Register someone as the organiser (ignores the registration period; seats and the
    waiting list apply as for everyone)."""
    event = managed_event_or_404(slug)
    token = current_token()
    try:
        result = register(
            db.session,
            event,
            RegistrationData(consent=True, **data),
            source="manual",
            by=token.user,
        )
    except RegistrationError as exc:
        _refused(exc, 422 if exc.field else 409)
    if not result.created:
        db.session.rollback()
        abort(409, message=_("This email address is already registered for this event."))
    registration = result.registration
    audit_write(
        "registration.create",
        event,
        f"registration:{registration.id}",
        {"status": registration.status},
    )
    location = url_for(
        ".get_registration", slug=event.slug, registration_id=registration.id, _external=True
    )
    return registration, 201, {"Location": location}


@blp.get("/events/<slug>/registrations/<int:registration_id>")
@blp.doc(security=[BEARER])
@token_required("read")
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, RegistrationSchema)
def get_registration(slug, registration_id, **_args):
    """One registration."""
    return registration_or_404(managed_event_or_404(slug), registration_id)


@blp.post("/events/<slug>/registrations/<int:registration_id>/cancel")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.response(200, RegistrationSchema)
def cancel_registration(slug, registration_id):
    """Cancel; the seat goes to the next person waiting. Cancelling twice changes nothing."""
    event = managed_event_or_404(slug)
    registration = registration_or_404(event, registration_id)
    if registration.status != "cancelled":
        cancel(db.session, registration, by=current_token().user)
        audit_write("registration.cancel", event, f"registration:{registration.id}")
    return registration


@blp.post("/events/<slug>/registrations/<int:registration_id>/promote")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.response(200, RegistrationSchema)
@blp.alt_response(409, description="Not on the waiting list, or no seat is free.")
def promote_registration(slug, registration_id):
    """Move someone from the waiting list to confirmed, when a seat is free."""
    event = managed_event_or_404(slug)
    registration = registration_or_404(event, registration_id)
    try:
        promote(db.session, registration, by=current_token().user)
    except RegistrationError as exc:
        _refused(exc)
    audit_write("registration.promote", event, f"registration:{registration.id}")
    return registration


def _checked_in(event, result):
    if result.status not in ("ok", "already"):  # early, refused (cancelled, waiting), unknown
        abort(409 if result.registration is not None else 404, message=result.message)
    if result.status == "ok":
        audit_write("checkin.create", event, f"registration:{result.registration.id}")
    return {"status": result.status, "message": result.message, "registration": result.registration}


@blp.post("/events/<slug>/registrations/<int:registration_id>/checkin")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(CheckinArgs, location="query", as_kwargs=True)
@blp.response(200, CheckinSchema)
@blp.alt_response(409, description="Before the start, cancelled or on the waiting list.")
def checkin_registration(slug, registration_id, override=False):
    """Check someone in at the door; a second check-in answers ``already``."""
    event = managed_event_or_404(slug)
    registration = registration_or_404(event, registration_id)
    result = checkin.check_in(
        db.session,
        event,
        checkin_code(registration),
        by=current_token().user,
        override=override,
    )
    return _checked_in(event, result)


@blp.post("/events/<slug>/checkin")
@blp.doc(**WRITE_DOC)
@token_required("write")
@idempotent_write
@blp.arguments(CheckinByCodeSchema)
@blp.arguments(CheckinArgs, location="query", as_kwargs=True)
@blp.response(200, CheckinSchema)
@blp.alt_response(404, description="No registration of this event has this ticket.")
@blp.alt_response(409, description="Before the start, cancelled or on the waiting list.")
def checkin_by_code(data, slug, override=False):
    """Check someone in with the content of their ticket's QR code."""
    event = managed_event_or_404(slug)
    result = checkin.check_in(
        db.session, event, data["code"], by=current_token().user, override=override
    )
    return _checked_in(event, result)
