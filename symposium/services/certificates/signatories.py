"""Signatories of an event's certificates (names, titles, signature images)."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ... import pdf
from ...models import (
    Event,
    Signatory,
)
from .. import audit
from .base import CertificateError

# --------------------------------------------------------------------------- signatories

MAX_SIGNATURE_PIXELS = 4000 * 4000
SIGNATURE_MAX_WIDTH = 1200


def save_signature_image(event: Event, data: bytes) -> str:
    """Check and re-encode an uploaded signature (PNG/JPEG) as PNG; return its stored path.

    Re-encoding through Pillow drops metadata and anything that is not pixels.
    """
    from .. import uploads

    # byte size, format and pixel dimensions checked before decoding (services/uploads.py)
    box = (SIGNATURE_MAX_WIDTH, SIGNATURE_MAX_WIDTH)
    try:
        with uploads.open_image(data, draft_size=box) as probe:
            uploads.decode(probe)
            if probe.width > SIGNATURE_MAX_WIDTH:
                ratio = SIGNATURE_MAX_WIDTH / probe.width
                probe.thumbnail((SIGNATURE_MAX_WIDTH, max(1, int(probe.height * ratio))))
            image = probe.convert("RGBA")
    except uploads.UploadError as exc:
        raise CertificateError(exc.message)
    except (OSError, SyntaxError, ValueError):
        raise CertificateError(_("The file is not a readable PNG or JPEG image."))
    rel = f"signatures/{event.id}/{secrets.token_hex(12)}.png"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    pdf.write_atomic(Path(current_app.config["STORAGE_DIR"], rel), buffer.getvalue())
    return rel


def add_signatory(
    session: OrmSession,
    event: Event,
    *,
    name: dict,
    title: dict,
    image: bytes | None = None,
    user=None,
) -> Signatory:
    from ...i18n import clean_i18n

    name = clean_i18n(name)
    if not name:
        raise CertificateError(_("Give the name in at least one language."))
    position = len(
        session.scalars(select(Signatory.id).where(Signatory.event_id == event.id)).all()
    )
    row = Signatory(
        event_id=event.id,
        name=name,
        title=clean_i18n(title),
        signature_path=save_signature_image(event, image) if image else None,
        position=position,
    )
    session.add(row)
    audit.record(session, "certificates.signatory.add", user=user, event=event, details=name)
    session.flush()
    return row


def delete_signatory(session: OrmSession, signatory: Signatory, *, user=None) -> None:
    if signatory.signature_path:
        path = Path(current_app.config["STORAGE_DIR"], signatory.signature_path)
        path.unlink(missing_ok=True)
    audit.record(
        session,
        "certificates.signatory.delete",
        user=user,
        event=signatory.event,
        details=signatory.name,
    )
    session.delete(signatory)
    session.flush()


def signatories(session: OrmSession, event: Event) -> list[Signatory]:
    return list(
        session.scalars(
            select(Signatory)
            .where(Signatory.event_id == event.id)
            .order_by(Signatory.position, Signatory.id)
        )
    )
