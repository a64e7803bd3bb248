"""Sending webhook deliveries: signed, short timeouts, no redirects, bodies capped, retried
with exponential back-off, and the endpoint disabled (organisers emailed) after many failures.

Signature: ``Symposium-Webhook-Signature: v1=<hex>``, the HMAC-SHA256, keyed with the
endpoint's secret, of ``<timestamp>.<body>`` where ``<timestamp>`` is the value of
``Symposium-Webhook-Timestamp`` (Unix seconds) and ``<body>`` the exact bytes of the request
body. ``Symposium-Webhook-Id`` is the delivery's unique id (docs/api.md shows a receiver).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from ...extensions import db
from ...i18n import language
from ...models import User, WebhookDelivery, WebhookEndpoint, user_event
from ...models.types import utcnow
from . import allow_private, resolve_public, url_problem

USER_AGENT = "symposium-webhooks/1"
RESPONSE_CAP = 64 * 1024
BATCH = 20


def _cfg(name: str, default: float) -> float:
    return float(current_app.config.get(name) or default)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def backoff(attempts: int) -> timedelta:
    """Delay before attempt ``attempts + 1``: base, 2x, 4x... at most six hours."""
    base = _cfg("WEBHOOK_RETRY_SECONDS", 30)
    return timedelta(seconds=min(base * 2 ** max(0, attempts - 1), 6 * 3600))


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to ``address`` (checked beforehand), ``host`` kept for the Host
    header."""

    def __init__(self, host: str, port: int | None, address: str | None, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def _socket(self) -> socket.socket:
        return socket.create_connection(
            (self.address or self.host, self.port), self.timeout, self.source_address
        )

    def connect(self) -> None:
        self.sock = self._socket()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the host name."""

    def __init__(self, host: str, port: int | None, address: str | None, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    _socket = _PinnedHTTP._socket

    def connect(self) -> None:
        self.sock = self._context.wrap_socket(self._socket(), server_hostname=self.host)


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str | None]:
    """POST ``body``; (status, None) on an answer, (None, reason) when there is none.
    Redirects are not followed (a 3xx is an answer like any other), the answer is read up to
    RESPONSE_CAP bytes, and the address is checked again just before connecting: the
    connection goes to the address that was checked (no second lookup to rebind)."""
    problem = url_problem(url, resolve=False)
    if problem:
        return None, problem
    parts = urlsplit(url)
    https = parts.scheme == "https"
    address = None
    if not allow_private():
        address, problem = resolve_public(parts.hostname, parts.port or (443 if https else 80))
        if problem:
            return None, problem
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection_class = _PinnedHTTPS if https else _PinnedHTTP
    conn = connection_class(parts.hostname, parts.port, address, timeout=timeout)
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        response.read(RESPONSE_CAP)
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{exc.__class__.__name__}: {exc}"[:500]
    finally:
        conn.close()


def _claim(now: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due deliveries for this run (a lease, so that two runs never send
    the same delivery and a killed run's deliveries are taken up again)."""
    lease = timedelta(seconds=_cfg("WEBHOOK_TIMEOUT_SECONDS", 5) * 3 + 30)
    free = or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now)
    query = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now, free)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    if ids:
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), free)
            .values(claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return ids


def _send(delivery: WebhookDelivery, now: datetime) -> None:
    endpoint = delivery.endpoint
    if not endpoint.active:
        delivery.claimed_until = None  # waits until the endpoint is enabled again
        delivery.next_attempt_at = now + backoff(1)
        return
    body = json.dumps(
        {"id": delivery.delivery_id, **(delivery.payload or {})}, ensure_ascii=False
    ).encode("utf-8")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Symposium-Webhook-Id": delivery.delivery_id,
        "Symposium-Webhook-Event": delivery.event_type,
        "Symposium-Webhook-Timestamp": str(timestamp),
        "Symposium-Webhook-Signature": sign(endpoint.secret, timestamp, body),
    }
    status, error = post(endpoint.url, body, headers, _cfg("WEBHOOK_TIMEOUT_SECONDS", 5))
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.claimed_until = None
    if status is not None and 200 <= status < 300:
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
        delivery.last_error = None
        endpoint.failures = 0
        return
    delivery.last_error = error or f"HTTP {status}"
    endpoint.failures += 1
    if delivery.attempts >= int(_cfg("WEBHOOK_MAX_ATTEMPTS", 8)):
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    if endpoint.active and endpoint.failures >= int(_cfg("WEBHOOK_DISABLE_AFTER", 15)):
        _disable(endpoint, now)


def _disable(endpoint: WebhookEndpoint, now: datetime) -> None:
    """Stop calling an endpoint that keeps failing, and tell the event's organisers."""
    from ...services.mail import build_message, queue_email

    endpoint.active = False
    endpoint.disabled_at = now
    event = endpoint.event
    recipients = db.session.scalars(
        select(User.email)
        .join(user_event, user_event.c.user_id == User.id)
        .where(user_event.c.event_id == event.id, User.active.is_(True))
    ).all()
    with language(event.default_language):
        subject = _(
            "Webhook disabled after %(num)d failures: %(url)s",
            num=endpoint.failures,
            url=endpoint.url,
        )
        text = _(
            "The webhook endpoint %(url)s of %(event)s failed %(num)d times in a row and is "
            "disabled. Its deliveries wait. Check the receiver, then enable it again in the "
            "workspace (Webhooks).",
            url=endpoint.url,
            event=event.t("title"),
            num=endpoint.failures,
        )
        for email in recipients:
            queue_email(
                db.session,
                build_message(to=email, subject=subject, text=text),
                kind="webhook_disabled",
            )


def deliver_due(now: datetime | None = None, limit: int | None = None) -> int:
    """Send every delivery that is due (a job: after commits, and the periodic sweep);
    returns how many were sent successfully."""
    sent = 0
    done = 0
    while limit is None or done < limit:
        moment = now or utcnow()
        ids = _claim(moment, BATCH if limit is None else min(BATCH, limit - done))
        if not ids:
            break
        for delivery_id in ids:
            delivery = db.session.get(WebhookDelivery, delivery_id)
            _send(delivery, moment)
            sent += delivery.status == "delivered"
            db.session.commit()  # each result recorded before the next call
            done += 1
    return sent
