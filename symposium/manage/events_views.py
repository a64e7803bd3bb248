"""Workspace: create, edit, publish events; open and close registration; JSON import/export."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..i18n import event_numbering, local_to_utc, utc_to_local
from ..services import event_admin, online
from ..services.events import find_event
from ..services.registration import confirmed_total
from . import bp
from .common import form_page, managed_event, require_staff, submit_form
from .forms import ActionForm, EventForm, ImportForm, fill_i18n, i18n_value

I18N = event_admin.I18N_FIELDS


def _form_data(form: EventForm) -> event_admin.EventData:
    tzname = form.timezone.data.strip()
    tz_ok = event_admin.valid_timezone(tzname)

    def utc(value):
        return local_to_utc(value, tzname) if (value and tz_ok) else None

    return event_admin.EventData(
        slug=(form.slug.data or "").strip().lower(),
        timezone=tzname,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        default_language=form.default_language.data,
        languages=form.languages.data or [],
        capacity=form.capacity.data,
        hybrid=bool(form.hybrid.data),
        online_url=form.online_url.data,
        registration_opens_at=utc(form.registration_opens_at.data),
        registration_closes_at=utc(form.registration_closes_at.data),
        digits=form.digits.data or "latn",
        online_opens_minutes=form.online_opens_minutes.data,
        online_in_person_links=bool(form.online_in_person_links.data),
        **{name: i18n_value(form, name) for name in I18N},
    )


def _fill(form: EventForm, event) -> None:
    form.slug.data = event.slug
    form.timezone.data = event.timezone
    form.starts_on.data = event.starts_on
    form.ends_on.data = event.ends_on
    form.default_language.data = event.default_language
    form.languages.data = list(event.languages or [])
    form.capacity.data = event.capacity
    form.hybrid.data = event.hybrid
    form.online_url.data = event.online_url
    form.digits.data = event_numbering(event)
    online_settings = online.get_settings(event)
    form.online_opens_minutes.data = online_settings.opens_minutes
    form.online_in_person_links.data = online_settings.in_person_links
    for name, attr in (
        ("registration_opens_at", event.registration_opens_at),
        ("registration_closes_at", event.registration_closes_at),
    ):
        form[name].data = utc_to_local(attr, event.timezone).replace(tzinfo=None) if attr else None
    for name in I18N:
        fill_i18n(form, name, getattr(event, name))


@bp.route("/events/new", methods=["GET", "POST"])
def event_new():
    require_staff()
    form = EventForm()
    problems, done = submit_form(
        form,
        lambda: event_admin.save_event(db.session, _form_data(form), by=current_user),
        event_admin.EventError,
        success=_("The event is created (as a draft)."),
        redirect_to=lambda event: url_for(".event_overview", slug=event.slug),
    )
    return done or form_page("manage/event_form.html", form=form, event=None, problems=problems)


@bp.get("/events/<slug>/")
def event_overview(slug):
    event = managed_event(slug)
    return render_template(
        "manage/event.html",
        event=event,
        confirmed=confirmed_total(db.session, event),
        action_form=ActionForm(),
    )


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
def event_edit(slug):
    event = managed_event(slug)
    form = EventForm()
    if request.method == "GET":
        _fill(form, event)
    problems, done = submit_form(
        form,
        lambda: event_admin.save_event(db.session, _form_data(form), event=event, by=current_user),
        event_admin.EventError,
        success=_("The event is saved."),
        redirect_to=lambda saved: url_for(".event_overview", slug=saved.slug),
    )
    return done or form_page("manage/event_form.html", form=form, event=event, problems=problems)


@bp.post("/events/<slug>/publish")
def event_publish(slug):
    event = managed_event(slug)
    if ActionForm().validate_on_submit():
        publish = request.form.get("status", "published") == "published"
        event_admin.set_status(
            db.session, event, "published" if publish else "draft", by=current_user
        )
        db.session.commit()
        flash(
            _("The event is published.") if publish else _("The event is back to draft."),
            "success",
        )
    return redirect(url_for(".event_overview", slug=event.slug))


@bp.post("/events/<slug>/registration")
def event_registration(slug):
    event = managed_event(slug)
    if ActionForm().validate_on_submit():
        is_open = request.form.get("open") == "1"
        event_admin.set_registration_open(db.session, event, is_open, by=current_user)
        db.session.commit()
        flash(_("Registration is open.") if is_open else _("Registration is closed."), "success")
    return redirect(url_for(".event_overview", slug=event.slug))


@bp.get("/events/<slug>/export.json")
def event_export(slug):
    event = managed_event(slug)
    from ..services.interchange import dumps, export_event

    # The same text as ``flask event export SLUG``, byte for byte
    body = dumps(export_event(event)).encode("utf-8")
    return Response(
        body,
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}.json"'},
    )


def _read_upload(form: ImportForm) -> tuple[dict | None, list[str]]:
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        return None, [_("Choose a JSON file to import.")]
    from ..services.textcheck import JSON_MAX_BYTES, JsonProblems, load_json

    try:
        data = load_json(upload.read(JSON_MAX_BYTES + 1))
    except JsonProblems as exc:
        return None, exc.problems
    if not isinstance(data, dict):
        return None, [_("The file must contain one JSON object (an event).")]
    return data, []


def _import(form: ImportForm, event=None):
    from ..services import audit
    from ..services.interchange import InterchangeError, import_event

    data, problems = _read_upload(form)
    if problems:
        return None, problems
    if event is None:
        # a new import must not overwrite an event that this user may not manage
        existing = find_event(db.session, str(data.get("slug") or ""))
        if existing is not None and not current_user.can_manage(existing):
            return None, [
                "slug: "
                + _("Another event already uses the short name %(slug)s.", slug=existing.slug)
            ]
    from ..services.import_guard import removal_problems

    target = event or find_event(db.session, str(data.get("slug") or ""))
    if guarded := removal_problems(db.session, target, data):
        return None, guarded
    try:
        imported = import_event(db.session, data, event=event, user=current_user)
        if event is None and current_user.role == "organiser":
            current_user.events.append(imported)
        audit.record(
            db.session, "event.import", user=current_user, event=imported, target=imported.slug
        )
        db.session.flush()
    except InterchangeError as exc:
        db.session.rollback()
        return None, list(exc.problems)
    return imported, []


@bp.route("/events/import", methods=["GET", "POST"])
def event_import():
    require_staff()
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        imported, problems = _import(form)
        if imported is not None:
            db.session.commit()
            flash(_("The event is imported."), "success")
            return redirect(url_for(".event_overview", slug=imported.slug))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "manage/event_import.html", form=form, event=None, problems=problems
    ), status


@bp.route("/events/<slug>/import", methods=["GET", "POST"])
def event_import_into(slug):
    event = managed_event(slug)
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        imported, problems = _import(form, event=event)
        if imported is not None:
            db.session.commit()
            flash(_("The event is updated from the file."), "success")
            return redirect(url_for(".event_overview", slug=imported.slug))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "manage/event_import.html", form=form, event=event, problems=problems
    ), status
