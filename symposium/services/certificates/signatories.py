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
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ("PNG", "JPEG"):
                raise CertificateError(_("Upload a PNG or JPEG image."))
            if width * height > MAX_SIGNATURE_PIXELS:
                raise CertificateError(_("The image is too large."))
            probe.load()
            image = probe.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise CertificateError(_("The file is not a readable PNG or JPEG image."))
    if image.width > SIGNATURE_MAX_WIDTH:
        ratio = SIGNATURE_MAX_WIDTH / image.width
        image = image.resize((SIGNATURE_MAX_WIDTH, max(1, int(image.height * ratio))))
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
