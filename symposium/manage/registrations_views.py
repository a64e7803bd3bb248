"""Workspace: the registrations of an event — list, detail, add, cancel, promote, export, email."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..i18n import country_choices, current_language
from ..jobs import enqueue as jobs_enqueue
from ..models import Job, Registration, Session
from ..services import audit, bulk_email, exports
from . import bp
from .common import form_page, int_arg, managed_event, owned, require_staff, submit_form
from .forms import ActionForm, BulkEmailForm, ManualRegistrationForm, i18n_value

PER_PAGE = 50


def _filters():
    filters = exports.filters_from_args(request.args)
    sort = request.args.get("sort", "newest")
    if sort not in exports.SORTS:
        sort = "newest"
    return filters, sort


@bp.get("/events/<slug>/registrations")
def registrations(slug):
    event = managed_event(slug)
    filters, sort = _filters()
    pagination = db.paginate(
        exports.filtered_query(event, filters, sort=sort),
        page=int_arg("page", 1),
        per_page=PER_PAGE,
        error_out=False,
    )
    countries = sorted(
        c
        for c in db.session.scalars(
            select(Registration.country)
            .where(Registration.event_id == event.id, Registration.country.is_not(None))
            .distinct()
        )
        if c
    )
    sessions = db.session.scalars(
        select(Session)
        .where(Session.event_id == event.id, Session.capacity.is_not(None))
        .order_by(Session.starts_at)
    ).all()
    return render_template(
        "manage/registrations.html",
        event=event,
        pagination=pagination,
        filters=filters,
        sort=sort,
        countries=countries,
        sessions=sessions,
        status_label=exports.status_label,
    )


def _query_args(filters, sort, **extra):
    args = dict(filters)
    if sort and sort != "newest":
        args["sort"] = sort
    args.update(extra)
    return args


@bp.get("/events/<slug>/registrations/export.<fmt>")
def registrations_export(slug, fmt):
    event = managed_event(slug)
    if fmt not in ("csv", "xlsx", "json"):
        abort(404)
    filters, sort = _filters()
    regs = db.session.scalars(exports.filtered_query(event, filters, sort=sort)).all()
    body, content_type = exports.export(event, regs, current_language(), fmt)
    audit.record(
        db.session,
        "registrations.export",
        user=current_user,
        event=event,
        target=fmt,
        details={"filters": filters, "rows": len(regs)},
    )
    db.session.commit()
    name = f"{event.slug}-registrations.{fmt}"
    return Response(
        body,
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/events/<slug>/registrations/<int:registration_id>")
def registration(slug, registration_id):
    event = managed_event(slug)
    reg = owned(db.session.get(Registration, registration_id), event)
    position = None
    if reg.status == "waitlisted":
        try:
            from ..services.registration import waitlist_position

            position = waitlist_position(db.session, reg)
        except ImportError:
            position = None
    return render_template(
        "manage/registration.html",
        event=event,
        reg=reg,
        position=position,
        action_form=ActionForm(),
        status_label=exports.status_label,
        mode_label=exports.mode_label,
    )


@bp.route("/events/<slug>/registrations/new", methods=["GET", "POST"])
def registration_new(slug):
    event = managed_event(slug)
    from ..services import registration as reg_service

    form = ManualRegistrationForm()
    form.country.choices = [("", "—")] + country_choices(current_language())
    form.sessions.choices = [
        (s.key, s.t("title")) for s in reg_service.signup_sessions(db.session, event)
    ]
    if request.method == "GET":
        form.preferred_language.data = event.default_language
    overlap_refused = []

    def save():
        data = reg_service.RegistrationData(
            full_name=form.full_name.data.strip(),
            email=form.email.data.strip(),
            organisation=form.organisation.data or None,
            job_title=form.job_title.data or None,
            country=form.country.data or None,
            city=form.city.data or None,
            attendance_mode=form.attendance_mode.data,
            preferred_language=form.preferred_language.data,
            sessions=tuple(form.sessions.data or ()),
            accessibility_needs=form.accessibility_needs.data or None,
            consent=True,
        )
        # Two sessions at the same time are refused unless the organiser ticks the override
        # (then recorded in the audit log by the service)
        try:
            result = reg_service.register(
                db.session,
                event,
                data,
                source="manual",
                by=current_user,
                allow_overlap=bool(form.allow_overlap.data),
            )
        except reg_service.SessionOverlapError:
            overlap_refused.append(True)
            raise
        audit.record(
            db.session,
            "registration.manual",
            user=current_user,
            event=event,
            target=result.registration.email,
        )
        return result

    problems, done = submit_form(
        form,
        save,
        reg_service.RegistrationError,
        success=_("The registration is added."),
        redirect_to=lambda result: url_for(
            ".registration", slug=event.slug, registration_id=result.registration.id
        ),
    )
    if done:
        return done
    return form_page(
        "manage/registration_form.html",
        event=event,
        form=form,
        problems=problems,
        show_override=bool(overlap_refused or form.allow_overlap.data),
    )


@bp.post("/events/<slug>/registrations/<int:registration_id>/cancel")
def registration_cancel(slug, registration_id):
    event = managed_event(slug)
    reg = owned(db.session.get(Registration, registration_id), event)
    if ActionForm().validate_on_submit():
        from ..services import registration as reg_service

        try:
            promoted = reg_service.cancel(db.session, reg, by=current_user)
        except reg_service.RegistrationError as exc:
            db.session.rollback()
            flash(getattr(exc, "message", None) or str(exc), "error")
        else:
            audit.record(
                db.session, "registration.cancel", user=current_user, event=event, target=reg.email
            )
            db.session.commit()
            flash(_("The registration is cancelled."), "success")
            if promoted:
                flash(
                    _(
                        "%(count)s people were moved up from the waiting list.",
                        count=len(promoted),
                    ),
                    "info",
                )
    return redirect(url_for(".registration", slug=event.slug, registration_id=reg.id))


@bp.post("/events/<slug>/registrations/<int:registration_id>/promote")
def registration_promote(slug, registration_id):
    event = managed_event(slug)
    reg = owned(db.session.get(Registration, registration_id), event)
    if ActionForm().validate_on_submit():
        from ..services import registration as reg_service

        try:
            reg_service.promote(db.session, reg, by=current_user)
        except reg_service.RegistrationError as exc:
            db.session.rollback()
            flash(getattr(exc, "message", None) or str(exc), "error")
        else:
            audit.record(
                db.session,
                "registration.promote",
                user=current_user,
                event=event,
                target=reg.email,
            )
            db.session.commit()
            flash(_("The registration is confirmed."), "success")
    return redirect(url_for(".registration", slug=event.slug, registration_id=reg.id))


@bp.route("/events/<slug>/registrations/email", methods=["GET", "POST"])
def registrations_email(slug):
    event = managed_event(slug)
    filters, _sort = _filters()
    form = BulkEmailForm()
    problems: list[str] = []
    count = db.session.scalar(
        select(func.count()).select_from(
            exports.filtered_query(event, filters).order_by(None).subquery()
        )
    )
    if form.validate_on_submit():
        try:
            job = bulk_email.start_bulk_email(
                db.session,
                event,
                filters,
                subjects=i18n_value(form, "subject"),
                bodies=i18n_value(form, "body"),
                by=current_user,
            )
        except bulk_email.BulkEmailError as exc:
            db.session.rollback()
            problems = exc.messages
        else:
            db.session.commit()
            jobs_enqueue("symposium.services.bulk_email:run", job.id)
            return redirect(url_for(".job", job_id=job.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "manage/registrations_email.html",
        event=event,
        form=form,
        filters=filters,
        count=count,
        problems=problems,
        status_label=exports.status_label,
    ), status


@bp.get("/jobs/<int:job_id>")
def job(job_id):
    require_staff()
    item = db.session.get(Job, job_id)
    if item is None:
        abort(404)
    event = None
    if item.event_id is not None:
        from ..models import Event

        event = db.session.get(Event, item.event_id)
        if not current_user.can_manage(event):
            abort(403)
    elif current_user.role != "admin":
        abort(403)
    return render_template("manage/job.html", job=item, event=event)
