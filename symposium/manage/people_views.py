"""Workspace: the people of an event (speakers, moderators), invitations to the portal."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..i18n import country_choices, current_language
from ..models import Person
from ..services import search, speakers
from . import bp
from .common import form_page, managed_event, owned, submit_form
from .forms import ActionForm, InviteForm, PersonForm, fill_i18n, i18n_value

I18N = ("name", "title", "organisation", "city", "bio")


def _prepare(form: PersonForm) -> None:
    form.country.choices = [("", "—")] + country_choices(current_language())


def _data(form: PersonForm) -> speakers.PersonData:
    return speakers.PersonData(
        key=(form.key.data or "").strip().lower() or None,
        email=form.email.data,
        country=form.country.data or None,
        **{name: i18n_value(form, name) for name in I18N},
    )


def _photo_bytes(form: PersonForm) -> bytes | None:
    upload = form.photo.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return upload.read(speakers.MAX_PHOTO_BYTES + 1)


@bp.get("/events/<slug>/people")
def people(slug):
    event = managed_event(slug)
    query = (request.args.get("q") or "").strip()[:200]
    stmt = select(Person).where(Person.event_id == event.id)
    if query:  # Arabic-aware, any word order (services/search.py)
        stmt = stmt.where(search.matches(Person.search_key, query))
    rows = db.session.scalars(stmt.order_by(Person.position, Person.id)).all()
    return render_template(
        "manage/people.html",
        event=event,
        people=rows,
        query=query,
        invite_form=InviteForm(formdata=None, language=event.default_language),
        action_form=ActionForm(),
    )


def _save(event, form, person=None):
    def save():
        saved = speakers.save_person(db.session, event, _data(form), person=person, by=current_user)
        raw = _photo_bytes(form)
        if raw is not None:
            speakers.set_photo(db.session, saved, raw, by=current_user)

    return submit_form(
        form,
        save,
        speakers.SpeakerError,
        success=_("The person is saved."),
        redirect_to=lambda _saved: url_for(".people", slug=event.slug),
    )


@bp.route("/events/<slug>/people/new", methods=["GET", "POST"])
def person_new(slug):
    event = managed_event(slug)
    form = PersonForm()
    _prepare(form)
    problems, done = _save(event, form)
    return done or form_page(
        "manage/person_form.html", event=event, form=form, person=None, problems=problems
    )


@bp.route("/events/<slug>/people/<int:person_id>/edit", methods=["GET", "POST"])
def person_edit(slug, person_id):
    event = managed_event(slug)
    person = owned(db.session.get(Person, person_id), event)
    form = PersonForm()
    _prepare(form)
    if request.method == "GET":
        form.key.data = person.key
        form.email.data = person.email
        form.country.data = person.country or ""
        for name in I18N:
            fill_i18n(form, name, getattr(person, name))
    problems, done = _save(event, form, person)
    return done or form_page(
        "manage/person_form.html", event=event, form=form, person=person, problems=problems
    )


@bp.post("/events/<slug>/people/<int:person_id>/invite")
def person_invite(slug, person_id):
    event = managed_event(slug)
    person = owned(db.session.get(Person, person_id), event)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            speakers.invite(db.session, event, person, lang=form.language.data, by=current_user)
        except speakers.SpeakerError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
        else:
            db.session.commit()
            flash(_("The invitation is on its way to %(email)s.", email=person.email), "success")
    else:
        flash(_("Choose the language of the email."), "error")
    return redirect(url_for(".people", slug=event.slug))


@bp.post("/events/<slug>/people/<int:person_id>/delete")
def person_delete(slug, person_id):
    event = managed_event(slug)
    person = owned(db.session.get(Person, person_id), event)
    if ActionForm().validate_on_submit():
        speakers.delete_person(db.session, event, person, by=current_user)
        db.session.commit()
        flash(_("The person is deleted."), "success")
    return redirect(url_for(".people", slug=event.slug))
