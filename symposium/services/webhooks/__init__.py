"""Webhooks: organisers' endpoints get a signed JSON POST when something happens in an event.

``emit`` writes one ``WebhookDelivery`` per subscribed endpoint in the caller's transaction
(so a delivery exists exactly when the change is committed); after the commit the delivery job
(``delivery.deliver_due``) sends them, and the periodic sweep retries the ones that failed.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import uuid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.orm import Session as OrmSession

from ...models import WEBHOOK_EVENT_TYPES, Event, WebhookDelivery, WebhookEndpoint
from ...models.types import utcnow
from .. import audit

DELIVER_PATH = "symposium.services.webhooks.delivery:deliver_due"


class WebhookError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def url_problem(url: str, *, resolve: bool = True) -> str | None:
    """Why ``url`` cannot receive webhooks (translated), or None.

    http(s) only, no credentials in it, and every address its host resolves to public (no
    private, loopback or link-local address) unless WEBHOOK_ALLOW_PRIVATE is set. Checked when
    the endpoint is saved and again before every delivery (the name may resolve elsewhere).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("This is not a valid web address.")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("The address must start with https:// (or http://).")
    if parts.username or parts.password:
        return _("The address must not contain a user name or password.")
    if len(url) > 500:
        return _("The address is too long (at most 500 characters).")
    if not resolve or allow_private():
        return None
    return resolve_public(parts.hostname, port or (443 if parts.scheme == "https" else 80))[1]


def resolve_public(hostname: str, port: int) -> tuple[str | None, str | None]:
    """(an address of ``hostname``, None) when every address it resolves to is public, else
    (None, why not). Deliveries connect to that very address, so a name that resolves
    elsewhere a moment later (DNS rebinding) cannot lead them to a private network."""
    try:
        infos = socket.getaddrinfo(hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None, _("The host name of this address cannot be found.")
    if not infos or not all(_public(info[4][0]) for info in infos):
        return None, _("This address leads to a private, loopback or link-local network.")
    return infos[0][4][0], None


def create_endpoint(
    session: OrmSession, event: Event, url: str, event_types: list[str], *, by=None
) -> WebhookEndpoint:
    url = (url or "").strip()
    problem = url_problem(url)
    if problem:
        raise WebhookError(problem, "url")
    chosen = [t for t in WEBHOOK_EVENT_TYPES if t in set(event_types or ())]
    if not chosen or len(chosen) != len(set(event_types)):
        raise WebhookError(_("Choose at least one kind of event."), "event_types")
    endpoint = WebhookEndpoint(
        event=event,
        url=url,
        secret="whsec_" + secrets.token_urlsafe(32),
        event_types=chosen,
        active=True,
        created_by_id=getattr(by, "id", None),
    )
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        "webhook.create",
        user=by,
        event=event,
        target=f"webhook:{endpoint.id}",
        details={"url": url, "types": chosen},
    )
    return endpoint


def set_active(session: OrmSession, endpoint: WebhookEndpoint, active: bool, *, by=None) -> None:
    endpoint.active = active
    endpoint.failures = 0 if active else endpoint.failures
    endpoint.disabled_at = None if active else (endpoint.disabled_at or utcnow())
    audit.record(
        session,
        "webhook.enable" if active else "webhook.disable",
        user=by,
        event=endpoint.event,
        target=f"webhook:{endpoint.id}",
    )


def delete_endpoint(session: OrmSession, endpoint: WebhookEndpoint, *, by=None) -> None:
    audit.record(
        session, "webhook.delete", user=by, event=endpoint.event, target=f"webhook:{endpoint.id}"
    )
    session.delete(endpoint)


def redeliver(session: OrmSession, delivery: WebhookDelivery, *, by=None) -> WebhookDelivery:
    """Send a delivery again (a new delivery id, the same event and payload), now."""
    copy = WebhookDelivery(
        endpoint_id=delivery.endpoint_id,
        delivery_id=str(uuid.uuid4()),
        event_type=delivery.event_type,
        payload=dict(delivery.payload or {}),
        status="pending",
        next_attempt_at=utcnow(),
    )
    session.add(copy)
    session.flush()
    session.info["webhooks_dirty"] = True
    audit.record(
        session,
        "webhook.redeliver",
        user=by,
        event=delivery.endpoint.event,
        target=f"webhook:{delivery.endpoint_id}",
        details={"delivery": delivery.delivery_id},
    )
    return copy


def emit(session: OrmSession, event_id: int, event_type: str, data: dict) -> int:
    """Owe ``event_type`` with ``data`` to every active endpoint of the event that wants it;
    returns how many deliveries were written (in the caller's transaction)."""
    return emit_many(session, event_id, [(event_type, data)])


def emit_many(session: OrmSession, event_id: int, items: list[tuple[str, dict]]) -> int:
    """``emit`` for several events at once: one SELECT of the endpoints (none: nothing more)."""
    for event_type, _data in items:
        if event_type not in WEBHOOK_EVENT_TYPES:
            raise ValueError(f"unknown webhook event type {event_type}")
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.event_id == event_id, WebhookEndpoint.active.is_(True)
        )
    ).all()
    if not endpoints:
        return 0
    now = utcnow()
    rows = [
        {
            "endpoint_id": endpoint.id,
            "delivery_id": str(uuid.uuid4()),
            "event_type": event_type,
            "payload": {"type": event_type, "occurred_at": now.isoformat(), "data": data},
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event_type, data in items
        for endpoint in endpoints
        if event_type in (endpoint.event_types or ())
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)
        session.info["webhooks_dirty"] = True
    return len(rows)


def registration_data(registration) -> dict:
    """What a registration event says about the person (no personal link)."""
    return {
        "event": registration.event.slug if registration.event else None,
        "registration": {
            "id": registration.id,
            "status": registration.status,
            "full_name": registration.full_name,
            "email": registration.email,
            "organisation": registration.organisation,
            "attendance_mode": registration.attendance_mode,
            "preferred_language": registration.preferred_language,
        },
    }


def init_app(app) -> None:
    """Deliver after each commit that owed deliveries; retry periodically."""
    from ... import scheduler
    from ...jobs import run_after_commit

    scheduler.register_periodic(
        "webhooks", float(app.config.get("WEBHOOK_SWEEP_SECONDS") or 30), DELIVER_PATH
    )
    run_after_commit("webhooks_dirty", DELIVER_PATH)
