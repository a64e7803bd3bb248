"""Certificates rendered and dropped at app start (``PDF_WARM_UP``, :func:`symposium.pdf.warm_up`).

The first certificate of a process otherwise pays for loading the fonts (Arabic and Latin,
regular and bold), compiling the template, loading the Babel locales, importing pikepdf and
qpdf, and laying out its variant's background (symposium/pdf/backgrounds.py).

1. Throwaway certificates of a transient event (never added to a session, no query).
2. The backgrounds of the events whose certificates are being downloaded now: events that
   have started and ended at most :data:`RECENT_DAYS` days ago (at most
   :data:`MAX_EVENTS`), in each of their languages and kinds (attendance, the speakers'
   kind), with a one-line name. Read-only: the certificates are transient rows with a
   persistent event (nothing is added to the session; the transaction is rolled back).

Nothing is stored: no file, no database row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ...i18n import LANGUAGES
from ...models import Certificate, Event
from ...models.types import utcnow
from .base import get_settings
from .render import render_certificate

# (language, bilingual): Arabic beside English warms both scripts, regular and bold; French
# warms its locale and typography
WARM_VARIANTS = (("ar", True), ("fr", False))
RECENT_DAYS = 60
MAX_EVENTS = 3
SAMPLE_NAMES = {"ar": "عبدالله", "en": "Jane Doe", "fr": "Anne Lefèvre"}


def _throwaway(event: Event, *, kind: str, lang: str, bilingual: bool) -> Certificate:
    return Certificate(
        code="warm-up",
        number="WRM-0000-0000",
        kind=kind,
        event=event,
        holder_name=SAMPLE_NAMES.get(lang, "Jane Doe"),
        language=lang,
        bilingual=bilingual,
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        version=1,
        superseded=False,
        details={},
    )


def _transient_event() -> Event:
    return Event(
        slug="warm-up",
        timezone="UTC",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 2),
        default_language="ar",
        languages=list(LANGUAGES),
        title={"ar": "ندوة", "en": "Symposium", "fr": "Symposium"},
        venue_name={"ar": "القاعة", "en": "Hall", "fr": "Salle"},
        organisers={"ar": "اللجنة", "en": "Committee", "fr": "Comité"},
        settings={},
    )


def render_throwaway_certificates() -> int:
    """Render (and drop) one certificate per :data:`WARM_VARIANTS`; returns how many."""
    event = _transient_event()
    for lang, bilingual in WARM_VARIANTS:
        render_certificate(_throwaway(event, kind="attendance", lang=lang, bilingual=bilingual))
    return len(WARM_VARIANTS)


def recent_events(session: OrmSession, today: date | None = None) -> list[Event]:
    """Started events that ended at most :data:`RECENT_DAYS` ago, the latest first."""
    today = today or utcnow().date()
    return list(
        session.scalars(
            select(Event)
            .where(
                Event.starts_on <= today,
                Event.ends_on >= today - timedelta(days=RECENT_DAYS),
            )
            .order_by(Event.starts_on.desc(), Event.id.desc())
            .limit(MAX_EVENTS)
        )
    )


def warm_recent_events(session: OrmSession) -> int:
    """Lay out (and keep) the backgrounds of :func:`recent_events`; returns how many
    certificates were rendered. Writes nothing."""
    count = 0
    try:
        for event in recent_events(session):
            settings = get_settings(event)
            langs = [lang for lang in (event.languages or LANGUAGES) if lang in LANGUAGES]
            for kind in dict.fromkeys(("attendance", settings.speaker_kind)):
                for lang in langs:
                    certificate = _throwaway(
                        event, kind=kind, lang=lang, bilingual=settings.bilingual
                    )
                    render_certificate(certificate)
                    count += 1
    finally:
        session.rollback()
    return count
