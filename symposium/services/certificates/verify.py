"""Verifying certificates: the public code, its URL, what the verification page shows."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ...models import Certificate


def find_by_code(session: OrmSession, code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def successor(session: OrmSession, certificate: Certificate) -> Certificate | None:
    code = (certificate.details or {}).get("superseded_by")
    return find_by_code(session, code) if code else None


def verify_url(certificate: Certificate, lang: str | None = None) -> str:
    base = current_app.config["SYMPOSIUM_BASE_URL"].rstrip("/")
    return f"{base}/{lang or certificate.language}/verify/{certificate.code}"
