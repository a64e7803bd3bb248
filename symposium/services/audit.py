"""The audit log of organiser actions (viewable by admins)."""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy.orm import Session as OrmSession

from ..models import AuditLog


def record(
    session: OrmSession,
    action: str,
    *,
    user=None,
    event=None,
    target: str | None = None,
    details: dict | None = None,
) -> AuditLog:
    """Add an audit entry to the caller's transaction (committed with the change it records)."""
    entry = AuditLog(
        action=action,
        user_id=getattr(user, "id", None),
        event_id=getattr(event, "id", None),
        target=target,
        details=details or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    session.add(entry)
    return entry
