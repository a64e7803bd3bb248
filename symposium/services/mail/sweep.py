"""The periodic sweep: render the owed registration emails, then deliver the outbox.

Run every MAIL_SWEEP_SECONDS by the in-process scheduler (``symposium.scheduler``), by Celery
beat when CELERY_BROKER_URL is set, and by ``flask --app symposium mail send-pending`` (cron),
so that owed email goes out without waiting for another commit.
"""

from __future__ import annotations

from flask import current_app

from ...extensions import db
from .delivery import deliver_pending

PATH = "symposium.services.mail.sweep:run"


def run() -> tuple[int, int]:
    """(emails rendered, emails sent). A rendering failure never keeps delivery from running."""
    from ..notifications import process_pending

    rendered = 0
    try:
        rendered = process_pending()
    except Exception:  # noqa: BLE001 - the outbox is still delivered
        db.session.rollback()
        current_app.logger.exception("could not render the owed registration emails")
    return rendered, deliver_pending()
