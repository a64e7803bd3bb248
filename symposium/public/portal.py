"""The speaker portal: a personal link (no password) where a speaker confirms or declines their
sessions, edits their title and biography, uploads a photo and downloads certificates.
Also serves speaker photos, through the person row that holds them."""

from __future__ import annotations

import re

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import or_, select
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..extensions import db
from ..i18n import LANGUAGES
from ..models import Person
from ..services import speakers
from ..services.textcheck import MultiLine, SingleLine
from . import bp

PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")


class ProfileForm(FlaskForm):
    pass


for _code in LANGUAGES:
    setattr(
        ProfileForm,
        f"title_{_code}",
        StringField(
            _l("Title or position"), validators=[Optional(), Length(max=300), SingleLine(300)]
        ),
    )
    setattr(
        ProfileForm,
        f"bio_{_code}",
        TextAreaField(
            _l("Biography"), validators=[Optional(), Length(max=10000), MultiLine(10000)]
        ),
    )


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG or PNG, up to 5 MB)"))


class RespondForm(FlaskForm):
    pass


def _person(token: str):
    g.noindex = True
    person = speakers.find_by_token(db.session, token)
    if person is None:
        abort(404)
    return person


def _certificates(person):
    if "public.portal_certificate" not in current_app.view_functions:
        return []
    from ..models import Certificate

    query = (
        select(Certificate)
        .where(
            Certificate.person_id == person.id,
            Certificate.revoked_at.is_(None),
            Certificate.superseded.is_(False),
        )
        .order_by(Certificate.issued_at)
    )
    return list(db.session.scalars(query))


def _render(person, token, profile_form=None, photo_form=None, status=200, problems=()):
    if profile_form is None:
        profile_form = ProfileForm(formdata=None)
        for code in LANGUAGES:
            profile_form[f"title_{code}"].data = (person.title or {}).get(code, "")
            profile_form[f"bio_{code}"].data = (person.bio or {}).get(code, "")
    links = sorted(person.sessions, key=lambda sp: sp.session.starts_at)
    return render_template(
        "public/portal.html",
        person=person,
        event=person.event,
        token=token,
        links=links,
        profile_form=profile_form,
        photo_form=photo_form or PhotoForm(formdata=None),
        respond_form=RespondForm(formdata=None),
        certificates=_certificates(person),
        problems=list(problems),
        noindex=True,
    ), status


@bp.get("/speaker/<token>")
def portal(token):
    person = _person(token)
    return _render(person, token)


@bp.post("/speaker/<token>/sessions/<int:link_id>")
def portal_respond(token, link_id):
    person = _person(token)
    if not RespondForm().validate_on_submit():
        abort(400)
    try:
        speakers.respond(db.session, person, link_id, request.form.get("answer", ""))
    except speakers.SpeakerError as exc:
        db.session.rollback()
        return _render(person, token, status=400, problems=exc.messages)
    db.session.commit()
    flash(_("Thank you, your answer is saved."), "success")
    return redirect(url_for(".portal", token=token))


@bp.post("/speaker/<token>/profile")
def portal_profile(token):
    person = _person(token)
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render(person, token, profile_form=form, status=400)
    speakers.update_profile(
        db.session,
        person,
        title={code: form[f"title_{code}"].data or "" for code in LANGUAGES},
        bio={code: form[f"bio_{code}"].data or "" for code in LANGUAGES},
    )
    db.session.commit()
    flash(_("Your profile is saved."), "success")
    return redirect(url_for(".portal", token=token))


@bp.post("/speaker/<token>/photo")
def portal_photo(token):
    person = _person(token)
    form = PhotoForm()
    upload = form.photo.data if form.validate_on_submit() else None
    raw = upload.read(speakers.MAX_PHOTO_BYTES + 1) if upload else b""
    try:
        speakers.set_photo(db.session, person, raw)
    except speakers.SpeakerError as exc:
        db.session.rollback()
        form.photo.errors = list(exc.messages)
        return _render(person, token, photo_form=form, status=400, problems=exc.messages)
    db.session.commit()
    flash(_("Your photo is saved."), "success")
    return redirect(url_for(".portal", token=token))


@bp.get("/photos/<name>")
def photo(name):
    """A speaker photo by the name the app gave it: served only through the person row that
    holds it, and only when that row's path is in the folder of the row's own event."""
    if not PHOTO_NAME.match(name):
        abort(404)
    rows = db.session.scalars(
        select(Person).where(
            or_(Person.photo_path.like(f"photos/%/{name}"), Person.photo_path == f"photos/{name}")
        )
    )
    paths = [p for p in (speakers.photo_file(row) for row in rows) if p is not None]
    if not paths or paths[0].name != name:
        abort(404)
    path = paths[0]
    response = send_file(path, max_age=86400)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
