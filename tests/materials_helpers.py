"""Speakers' materials for tests: a small PDF and a stored slides row."""

from __future__ import annotations

import io

import pikepdf

from symposium.models import Session, SessionMaterial
from symposium.services.materials import storage


def small_pdf(pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def make_slides(session, item: Session, *, title: str = "Slides", published=None):
    """A slides row of ``item`` with its file stored (no audit entry, no agenda change)."""
    data = small_pdf()
    key = storage.new_key(item.event_id)
    storage.write(session, key, data, item.event_id)
    material = SessionMaterial(
        session_id=item.id,
        kind="slides",
        title=title,
        storage_key=key,
        filename="slides.pdf",
        size=len(data),
        published_at=published,
    )
    session.add(material)
    session.flush()
    return material
