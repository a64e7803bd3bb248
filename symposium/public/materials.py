"""Speakers' materials on the public side: the slides download of a session page, and the
speaker portal's page where a speaker adds and removes slides and links of their sessions."""

from __future__ import annotations

import io
from types import SimpleNamespace

from flask import (
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Session, SessionMaterial, SessionPerson
from ..models.types import utcnow
from ..services import materials
from ..services import speakers as speakers_service
from ..services.events import get_published_or_404
from . import bp
from .material_forms import MaterialActionForm, SlidesForm, link_form, slides_form


def save_from_form(form, item: Session, **who) -> bool:
    """Store what a checked slides or link form holds as a material of ``item`` (``who``: the
    speaker ``person``, or the organiser ``user`` with ``publish``). On a refusal the session
    is rolled back, the messages go on the file or address field, and the answer is False."""
    slides = isinstance(form, SlidesForm)
    try:
        if slides:
            upload = form.file.data
            materials.add_slides(
                db.session,
                item,
                materials.read_upload(upload.stream if upload else None),
                filename=getattr(upload, "filename", None),
                title=form.title.data,
                **who,
            )
        else:
            materials.add_link(
                db.session,
                item,
                kind=form.kind.data,
                url=form.url.data,
                title=form.title.data,
                **who,
            )
    except materials.MaterialError as exc:
        db.session.rollback()
        (form.file if slides else form.url).errors = list(exc.messages)
        return False
    return True


def send_material(material: SessionMaterial, *, public: bool) -> Response:
    """The stored PDF of ``material`` as a download: never rendered by the browser as a page
    of this site (attachment, nosniff, sandboxed, no resources), the name in RFC 5987 form."""
    path = materials.file_path(material)
    if path is None:
        abort(404)
    response = send_file(
        # public downloads stream from the file; private ones (rare) are read at once
        path if public else io.BytesIO(path.read_bytes()),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=material.filename or "slides.pdf",
        conditional=public,
        etag=public,
        max_age=300 if public else None,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if public:
        response.cache_control.public = True
    else:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/events/<slug>/sessions/<key>/materials/<int:material_id>")
def material_file(slug, key, material_id):
    """Slides shown on a public session page: only this session's, of this event, visible."""
    event = get_published_or_404(slug)
    item = db.session.scalar(
        select(Session).where(Session.event_id == event.id, Session.key == key)
    )
    material = materials.find(db.session, item, material_id) if item is not None else None
    if material is None or not materials.visible(material):
        abort(404)
    return send_material(material, public=True)


# --- the speaker portal ---------------------------------------------------------------------


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _speaker_link(token: str, link_id: int):
    g.noindex = True
    person = speakers_service.find_by_token(db.session, token)
    if person is None:
        abort(404)
    link = db.session.get(SessionPerson, link_id)
    if link is None or link.person_id != person.id:
        abort(404)
    return person, link


def _portal_page(person, link, token, *, slides=None, links=None, problems=(), status=200):
    item = link.session
    html = render_template(
        "public/portal_materials.html",
        person=person,
        event=person.event,
        item=item,
        link=link,
        token=token,
        materials=materials.for_session(db.session, item),
        now=utcnow(),
        slides_form=slides or slides_form(False, formdata=None),
        link_form=links or link_form(False, formdata=None),
        action_form=MaterialActionForm(formdata=None),
        problems=list(problems),
        max_size=materials.size_label(materials.max_bytes()),
        noindex=True,
    )
    return _no_store(make_response(html, status))


def _back(token, link):
    return _no_store(redirect(url_for(".portal_materials", token=token, link_id=link.id)))


@bp.get("/speaker/<token>/sessions/<int:link_id>/materials")
def portal_materials(token, link_id):
    person, link = _speaker_link(token, link_id)
    return _portal_page(person, link, token)


@bp.post("/speaker/<token>/sessions/<int:link_id>/materials/slides")
def portal_add_slides(token, link_id):
    person, link = _speaker_link(token, link_id)
    form = slides_form(False)
    if not form.validate_on_submit() or not save_from_form(form, link.session, person=person):
        return _portal_page(person, link, token, slides=form, status=400)
    db.session.commit()
    flash(_("Your slides are saved."), "success")
    return _back(token, link)


@bp.post("/speaker/<token>/sessions/<int:link_id>/materials/link")
def portal_add_link(token, link_id):
    person, link = _speaker_link(token, link_id)
    form = link_form(False)
    if not form.validate_on_submit() or not save_from_form(form, link.session, person=person):
        return _portal_page(person, link, token, links=form, status=400)
    db.session.commit()
    flash(_("The link is saved."), "success")
    return _back(token, link)


@bp.post("/speaker/<token>/sessions/<int:link_id>/materials/<int:material_id>/remove")
def portal_remove_material(token, link_id, material_id):
    person, link = _speaker_link(token, link_id)
    if not MaterialActionForm().validate_on_submit():
        abort(400)
    material = materials.find(db.session, link.session, material_id)
    if material is None:
        abort(404)
    try:
        materials.remove(db.session, material, person=person)
    except materials.MaterialError as exc:
        db.session.rollback()
        return _portal_page(person, link, token, problems=exc.messages, status=403)
    db.session.commit()
    flash(_("The material is removed."), "success")
    return _back(token, link)


@bp.get("/speaker/<token>/sessions/<int:link_id>/materials/<int:material_id>")
def portal_material_file(token, link_id, material_id):
    """Any slides of the speaker's session, shown or not yet (a private download)."""
    _person, link = _speaker_link(token, link_id)
    material = materials.find(db.session, link.session, material_id)
    if material is None:
        abort(404)
    return send_material(material, public=False)


# --- the programme changes page -------------------------------------------------------------


def _material_actions() -> dict[str, str]:
    return {
        "slides": _("Slides added"),
        "recording": _("Recording added"),
        "article": _("Article added"),
        "link": _("Link added"),
    }


def with_material_changes(event, entries: list[dict]) -> list[dict]:
    """The agenda changes of the changes page with the materials shown since, newest first."""
    labels = _material_actions()
    added = [
        {
            "row": SimpleNamespace(at=change.at),
            "action": labels.get(change.material.kind, labels["link"]),
            "action_key": "material",
            "title": change.session.t("title") or change.session.key,
            "session": change.session,
            "details": [],
            "material": change.material,
        }
        for change in materials.change_entries(db.session, event)
    ]
    if not added:
        return entries
    return sorted(entries + added, key=lambda entry: entry["row"].at, reverse=True)
