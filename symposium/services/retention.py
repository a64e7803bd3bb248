"""What the app keeps only for a while: answers remembered for Idempotency-Key (24 hours) and
the webhook delivery log (``WEBHOOK_LOG_DAYS``, 30 days by default; pending ones are kept).
A periodic job (``purge``) deletes the rest, in the scheduler shared with the mail sweep."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete

from ..extensions import db
from ..models import IdempotencyRecord, WebhookDelivery
from ..models.types import utcnow

PURGE_PATH = "symposium.services.retention:purge"
IDEMPOTENCY_KEPT = timedelta(hours=24)


def purge(now=None) -> dict[str, int]:
    """Delete what is past its keeping time; returns how many rows of each kind went."""
    now = now or utcnow()
    days = float(current_app.config.get("WEBHOOK_LOG_DAYS") or 30)
    answers = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - IDEMPOTENCY_KEPT)
    ).rowcount
    deliveries = db.session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(("delivered", "failed")),
            WebhookDelivery.created_at < now - timedelta(days=days),
        )
    ).rowcount
    db.session.commit()
    return {"idempotency_records": answers, "webhook_deliveries": deliveries}


def init_app(app) -> None:
    from .. import scheduler

    scheduler.register_periodic("retention", 3600, PURGE_PATH)
