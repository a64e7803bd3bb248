"""A throwaway certificate rendered at app start (``PDF_WARM_UP``, :func:`symposium.pdf.warm_up`).

The first certificate of a process otherwise pays for loading the fonts (Arabic and Latin,
regular and bold), compiling the template, loading the Babel locales and importing pikepdf,
qpdf and the structure code. The throwaway certificates are built from transient rows
(never added to a session: no database rows, no query) and nothing is stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ...models import Certificate, Event
from .render import render_certificate

# (language, bilingual): Arabic beside English warms both scripts, regular and bold; French
# warms its locale and typography
WARM_VARIANTS = (("ar", True), ("fr", False))


def _event() -> Event:
    return Event(
        slug="warm-up",
        timezone="UTC",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 2),
        default_language="ar",
        languages=["ar", "en", "fr"],
        title={"ar": "ندوة", "en": "Symposium", "fr": "Symposium"},
        venue_name={"ar": "القاعة", "en": "Hall", "fr": "Salle"},
        organisers={"ar": "اللجنة", "en": "Committee", "fr": "Comité"},
        settings={},
    )


def render_throwaway_certificates() -> int:
    """Render (and drop) one certificate per :data:`WARM_VARIANTS`; returns how many."""
    event = _event()
    for lang, bilingual in WARM_VARIANTS:
        certificate = Certificate(
            code="warm-up",
            number="WRM-0000-0000",
            kind="attendance",
            event=event,
            holder_name="عبدالله Jean-Éloi",
            language=lang,
            bilingual=bilingual,
            issued_at=datetime(2026, 1, 1, tzinfo=UTC),
            version=1,
            superseded=False,
            details={},
        )
        render_certificate(certificate)
    return len(WARM_VARIANTS)
