"""Idempotency answers (24 h) and the webhook delivery log (WEBHOOK_LOG_DAYS) are purged by a
periodic job; pending deliveries and recent rows stay."""

from __future__ import annotations

import uuid
from datetime import timedelta

from symposium import scheduler
from symposium.extensions import db
from symposium.models import ApiToken, IdempotencyRecord, User, WebhookDelivery, WebhookEndpoint
from symposium.models.types import utcnow
from symposium.services import retention
from tests.conftest import make_user
from tests.factories import make_event


def test_purge_deletes_only_what_is_past_its_time(app):
    user_id = make_user(app)
    with app.app_context():
        event = make_event(db.session)
        token = ApiToken(
            user=db.session.get(User, user_id),
            name="t",
            prefix="sym_x",
            token_hash="h",
            scope="write",
        )
        endpoint = WebhookEndpoint(
            event=event,
            url="https://x.example/h",
            secret="s",
            event_types=["agenda.changed"],
            active=False,
        )
        db.session.add_all([token, endpoint])
        db.session.flush()
        now = utcnow()
        for key, age in (("old", timedelta(hours=25)), ("new", timedelta(hours=1))):
            db.session.add(
                IdempotencyRecord(
                    token_id=token.id,
                    key=key,
                    fingerprint="f",
                    status=201,
                    body=b"{}",
                    created_at=now - age,
                )
            )
        for status, age in (("delivered", 31), ("failed", 40), ("pending", 90), ("delivered", 1)):
            db.session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    delivery_id=str(uuid.uuid4()),
                    event_type="agenda.changed",
                    payload={},
                    status=status,
                    created_at=now - timedelta(days=age),
                )
            )
        db.session.commit()
        assert retention.purge() == {"idempotency_records": 1, "webhook_deliveries": 2}
        assert db.session.scalars(db.select(IdempotencyRecord.key)).all() == ["new"]
        left = sorted(db.session.scalars(db.select(WebhookDelivery.status)).all())
        assert left == ["delivered", "pending"]


def test_purge_runs_on_the_shared_scheduler(app):
    assert scheduler.periodic_jobs()["retention"].path == retention.PURGE_PATH
