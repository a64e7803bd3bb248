"""Name badges: 8 per A4 sheet (2 × 4, 90 × 60 mm, crop marks), the name in large type and
the check-in QR code that the door scanner reads."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from .. import pdf
from ..i18n import language, text_direction
from ..models import Event, Registration, SessionRegistration
from ..models import Session as AgendaSession
from .certificates import name_direction, qr_data_uri
from .search import like_pattern

PER_SHEET = 8
MAX_BADGES = 2000
TEMPLATE = "pdf/badges.html"
STATUSES = ("confirmed", "waitlisted", "cancelled")


@dataclass(frozen=True)
class BadgeFilter:
    status: str = "confirmed"  # "" = any status
    session_key: str = ""
    query: str = ""


def select_registrations(session: OrmSession, event: Event, flt: BadgeFilter) -> list:
    query = select(Registration).where(Registration.event_id == event.id)
    if flt.status in STATUSES:
        query = query.where(Registration.status == flt.status)
    if flt.session_key:
        item = session.scalar(
            select(AgendaSession).where(
                AgendaSession.event_id == event.id, AgendaSession.key == flt.session_key
            )
        )
        if item is None:
            return []
        query = query.where(
            Registration.id.in_(
                select(SessionRegistration.registration_id).where(
                    SessionRegistration.session_id == item.id,
                    SessionRegistration.status == "confirmed",
                )
            )
        )
    if flt.query.strip():
        query = query.where(Registration.search_text.ilike(like_pattern(flt.query), escape="\\"))
    query = query.order_by(Registration.full_name, Registration.id).limit(MAX_BADGES)
    return list(session.scalars(query))


def checkin_payload(registration: Registration) -> str:
    """What the QR code carries: the registration area's signed check-in code."""
    try:
        from .tickets import checkin_code
    except ImportError:  # the registration area provides it; until then a signed fallback
        from flask import current_app
        from itsdangerous import URLSafeSerializer

        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="checkin").dumps(
            registration.token
        )
    return checkin_code(registration)


def render_badges(event: Event, registrations: list, lang: str) -> bytes:
    with language(lang):
        title = _("Badges — %(event)s") % {"event": event.t("title", lang)}
        role = _("Participant")
    badges = [
        {
            "name": r.full_name,
            "name_dir": name_direction(r.full_name),
            "organisation": r.organisation or "",
            "org_dir": name_direction(r.organisation or ""),
            "qr": qr_data_uri(checkin_payload(r)),
            "long": len(r.full_name) > 28,
        }
        for r in registrations
    ]
    sheets = [badges[i : i + PER_SHEET] for i in range(0, len(badges), PER_SHEET)]
    context = {
        "sheets": sheets,
        "event_title": event.t("title", lang),
        "role": role,
        "text_dir": text_direction(lang),
    }
    return pdf.render(TEMPLATE, context, lang=lang, title=title, created=event.updated_at)
