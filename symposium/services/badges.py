"""Name badges: 8 per A4 sheet (2 × 4, 90 × 60 mm, crop marks), the name in large type and
the check-in QR code that the door scanner reads.

Layout (``templates/pdf/badges.html``, ``static/css/pdf-badges.css``): the code has its own
area with a quiet zone; names and organisations live in a column of fixed width beside it.
A name is set at the largest of :data:`NAME_SIZES` at which it fits one line of that column
(:func:`symposium.pdf.fit.fitting_size`), else at the smallest size on up to two lines, then
ellipsised; each field is isolated in its own direction. Nothing can overlap the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from .. import pdf
from ..i18n import language, text_direction
from ..models import Event, Registration, SessionRegistration
from ..models import Session as AgendaSession
from ..pdf.fit import fitting_size
from .certificates import name_direction, qr_data_uri
from .search import like_pattern

PER_SHEET = 8
MAX_BADGES = 2000
TEMPLATE = "pdf/badges.html"
STATUSES = ("confirmed", "waitlisted", "cancelled")
TEXT_WIDTH_MM = 52  # the text column (css/pdf-badges.css .badge-text)
NAME_SIZES = (20.0, 17.0, 15.0, 13.0)  # points, largest first
ORG_SIZES = (9.0, 8.0)


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


def badge_context(registration: Registration, qr_alt: str) -> dict:
    """What one badge shows (sizes chosen to fit its column)."""
    name = registration.full_name
    organisation = registration.organisation or ""
    return {
        "name": name,
        "name_dir": name_direction(name),
        "name_size": f"{fitting_size(name, TEXT_WIDTH_MM, NAME_SIZES):g}",
        "organisation": organisation,
        "org_dir": name_direction(organisation),
        "org_size": f"{fitting_size(organisation, TEXT_WIDTH_MM, ORG_SIZES, bold=False):g}",
        "qr": qr_data_uri(checkin_payload(registration)),
        "qr_alt": qr_alt,
    }


def _document(event: Event, registrations: list, lang: str) -> tuple[dict, str]:
    event_title = event.t("title", lang)
    with language(lang):
        title = _("Badges — %(event)s") % {"event": event_title}
        role = _("Participant")
        qr_alt = _("Check-in code")
    badges = [badge_context(r, qr_alt) for r in registrations]
    sheets = [badges[i : i + PER_SHEET] for i in range(0, len(badges), PER_SHEET)]
    context = {
        "sheets": sheets,
        "event_title": event_title,
        "event_dir": name_direction(event_title),
        "role": role,
        "text_dir": text_direction(lang),
    }
    return context, title


def badges_html(event: Event, registrations: list, lang: str) -> str:
    """The HTML the badges PDF is rendered from (tests check its layout)."""
    context, title = _document(event, registrations, lang)
    return pdf.render_html(TEMPLATE, context, lang=lang, title=title, created=event.updated_at)


def render_badges(event: Event, registrations: list, lang: str) -> bytes:
    context, title = _document(event, registrations, lang)
    return pdf.render(TEMPLATE, context, lang=lang, title=title, created=event.updated_at)
