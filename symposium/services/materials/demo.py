"""The demo's materials: sample slides for the keynote of the bundled symposium."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ...models import Event, Session, SessionMaterial
from ...models.types import utcnow

DEMO_SLIDES = Path(__file__).resolve().parents[2] / "demo" / "ide-2026-keynote-slides.pdf"
DEMO_SESSION = {"ide-2026": "keynote-learning-cities"}


def seed_demo_materials(session: OrmSession, event: Event) -> SessionMaterial | None:
    """Attach the bundled sample slides, published, to the demo event's keynote; nothing when
    ``event`` is not the demo symposium, the session is missing or it already has materials.
    The caller commits."""
    from . import add_slides

    key = DEMO_SESSION.get(event.slug)
    if key is None or not DEMO_SLIDES.is_file():
        return None
    item = session.scalar(select(Session).where(Session.event_id == event.id, Session.key == key))
    if item is None:
        return None
    if session.scalar(select(SessionMaterial.id).where(SessionMaterial.session_id == item.id)):
        return None
    return add_slides(
        session,
        item,
        DEMO_SLIDES.read_bytes(),
        filename="learning-cities-keynote.pdf",
        title="مدن التعلّم: جعل التعلّم للجميع حقيقة واقعة",
        publish=True,
        now=min(utcnow(), item.ends_at),  # shown from the end of the keynote
    )
