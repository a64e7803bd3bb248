"""Workspace: the speakers' materials of the event (an overview) and of one session (add
slides or links, publish, unpublish, remove, download)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Session, SessionMaterial
from ..models.types import utcnow
from ..public.material_forms import MaterialActionForm, link_form, slides_form
from ..public.materials import save_from_form, send_material
from ..services import materials
from . import bp
from .common import managed_event, owned


def _session(slug: str, session_id: int):
    event = managed_event(slug)
    return event, owned(db.session.get(Session, session_id), event)


def _material(item, material_id: int) -> SessionMaterial:
    material = materials.find(db.session, item, material_id)
    if material is None:
        abort(404)
    return material


def _page(event, item, *, slides=None, links=None, status=200):
    return render_template(
        "manage/session_materials.html",
        event=event,
        item=item,
        materials=materials.for_session(db.session, item),
        now=utcnow(),
        slides_form=slides or slides_form(True, formdata=None),
        link_form=links or link_form(True, formdata=None),
        action_form=MaterialActionForm(formdata=None),
        max_size=materials.size_label(materials.max_bytes()),
    ), status


def _back(event, item):
    return redirect(url_for(".session_materials", slug=event.slug, session_id=item.id))


@bp.get("/events/<slug>/materials")
def materials_overview(slug):
    """Every session with its materials: what speakers sent, what is shown."""
    event = managed_event(slug)
    sessions = list(
        db.session.scalars(
            select(Session).where(Session.event_id == event.id).order_by(Session.starts_at)
        )
    )
    rows = db.session.scalars(
        select(SessionMaterial)
        .where(SessionMaterial.session_id.in_([s.id for s in sessions]))
        .options(selectinload(SessionMaterial.session))
        .order_by(SessionMaterial.position, SessionMaterial.id)
    )
    by_session: dict[int, list[SessionMaterial]] = {}
    for row in rows:
        by_session.setdefault(row.session_id, []).append(row)
    return render_template(
        "manage/materials.html",
        event=event,
        sessions=sessions,
        by_session=by_session,
        now=utcnow(),
    )


@bp.get("/events/<slug>/sessions/<int:session_id>/materials")
def session_materials(slug, session_id):
    event, item = _session(slug, session_id)
    return _page(event, item)


def _save(form, item: Session) -> bool:
    return save_from_form(form, item, user=current_user, publish=form.publish.data)


@bp.post("/events/<slug>/sessions/<int:session_id>/materials/slides")
def session_add_slides(slug, session_id):
    event, item = _session(slug, session_id)
    form = slides_form(True)
    if not form.validate_on_submit() or not _save(form, item):
        return _page(event, item, slides=form, status=400)
    db.session.commit()
    flash(_("The slides are saved."), "success")
    return _back(event, item)


@bp.post("/events/<slug>/sessions/<int:session_id>/materials/link")
def session_add_link(slug, session_id):
    event, item = _session(slug, session_id)
    form = link_form(True)
    if not form.validate_on_submit() or not _save(form, item):
        return _page(event, item, links=form, status=400)
    db.session.commit()
    flash(_("The link is saved."), "success")
    return _back(event, item)


_ACTIONS = {
    "publish": (materials.publish, lambda: _("The material is shown on the session page.")),
    "unpublish": (materials.unpublish, lambda: _("The material is hidden until the session ends.")),
    "remove": (materials.remove, lambda: _("The material is removed.")),
}


@bp.post("/events/<slug>/sessions/<int:session_id>/materials/<int:material_id>/<action>")
def session_material_action(slug, session_id, material_id, action):
    event, item = _session(slug, session_id)
    if action not in _ACTIONS:
        abort(404)
    material = _material(item, material_id)
    if not MaterialActionForm().validate_on_submit():
        abort(400)
    change, message = _ACTIONS[action]
    change(db.session, material, user=current_user)
    db.session.commit()
    flash(message(), "success")
    return _back(event, item)


@bp.get("/events/<slug>/sessions/<int:session_id>/materials/<int:material_id>/file")
def session_material_file(slug, session_id, material_id):
    _event, item = _session(slug, session_id)
    return send_material(_material(item, material_id), public=False)
