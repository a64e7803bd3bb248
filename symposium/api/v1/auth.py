"""Bearer tokens for the API: who is calling, with which scope, for which events."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, request

from ...extensions import db
from ...models import ApiToken, Event
from ...services import api_tokens, audit
from ...services.events import find_event

BEARER = {"bearerAuth": []}
# How the OpenAPI document describes a write: a token, and the optional Idempotency-Key
WRITE_DOC = {
    "security": [BEARER],
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": "Send the same key again to retry safely: the write happens once.",
        }
    ],
}


def current_token() -> ApiToken | None:
    return g.get("api_token")


def load_token() -> ApiToken | None:
    """Read ``Authorization: Bearer …`` once per request (also for the rate limit's key)."""
    if "api_token" in g:
        return g.api_token
    token = None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        token = api_tokens.authenticate(db.session, secret.strip())
        if token is not None:
            db.session.commit()  # last_used_at, its own small transaction
    g.api_token = token
    return token


def token_required(scope: str = "read"):
    """401 without a valid token; 403 when a read token tries to write."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = load_token()
            if token is None:
                abort(401)
            if scope == "write" and token.scope != "write":
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def managed_event_or_404(slug: str) -> Event:
    """The event, if the token may manage it; another event is 404 (it does not exist for it)."""
    token = current_token()
    event = find_event(db.session, slug)
    if event is None or token is None or not api_tokens.may_manage(token, event):
        abort(404)
    return event


def audit_write(action: str, event: Event, target: str, details: dict | None = None) -> None:
    """Every write through a token is audited with the token's name."""
    token = current_token()
    audit.record(
        db.session,
        f"api.{action}",
        user=token.user if token else None,
        event=event,
        target=target,
        details={"token": token.name if token else None, **(details or {})},
    )
