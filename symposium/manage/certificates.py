"""Workspace: certificates (settings, signatories, generation, ZIP, email, revoke, re-issue),
attendance import and name badges. Organisers of the event (and admins) only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import jobs
from ..auth.access import roles_required
from ..extensions import db
from ..i18n import current_language
from ..models import Event, Job, Signatory
from ..models import Session as AgendaSession
from ..services import attendance
from ..services import badges as badge_service
from ..services import certificates as certs
from . import bp
from .attendance_views import attendance_context
from .certificate_forms import (
    ActionForm,
    AttendanceImportForm,
    BadgeFilterForm,
    CertificateSettingsForm,
    GenerateForm,
    RevokeForm,
    SignatoryForm,
)
from .common import managed_event

JOB_KINDS = ("certificates.generate", "certificates.email")


def _certificate(event: Event, code: str):
    certificate = certs.find_by_code(db.session, code)
    if certificate is None or certificate.event_id != event.id:
        abort(404)
    return certificate


def _page(event: Event, *, status: int = 200, **forms):
    settings = certs.get_settings(event)
    settings_form = forms.get("settings_form") or CertificateSettingsForm(
        data=settings.as_dict(), formdata=None
    )
    latest_jobs = db.session.scalars(
        select(Job)
        .where(Job.event_id == event.id, Job.kind.in_(JOB_KINDS))
        .order_by(Job.id.desc())
        .limit(5)
    ).all()
    return (
        render_template(
            "manage/certificates.html",
            event=event,
            summary=certs.summary(db.session, event),
            certificates=certs.event_certificates(db.session, event, include_superseded=True),
            signatories=certs.signatories(db.session, event),
            settings_form=settings_form,
            signatory_form=forms.get("signatory_form") or SignatoryForm(formdata=None),
            import_form=forms.get("import_form") or AttendanceImportForm(formdata=None),
            action_form=ActionForm(formdata=None),
            generate_form=GenerateForm(formdata=None),
            not_started_note=_not_started_note(event),
            revoke_form=RevokeForm(formdata=None),
            jobs=latest_jobs,
            kind_label=certs.kind_label,
            **attendance_context(event, forms.get("policy_form")),
        ),
        status,
    )


@bp.get("/events/<slug>/certificates")
@roles_required("organiser")
def certificates(slug: str):
    return _page(managed_event(slug))


@bp.post("/events/<slug>/certificates/settings")
@roles_required("organiser")
def certificates_settings(slug: str):
    event = managed_event(slug)
    form = CertificateSettingsForm()
    if not form.validate_on_submit():
        return _page(event, status=400, settings_form=form)
    certs.update_settings(
        db.session,
        event,
        certs.CertificateSettings(
            speaker_kind=form.speaker_kind.data,
            speaker_scope=form.speaker_scope.data,
            speaker_language=form.speaker_language.data or "",
            bilingual=bool(form.bilingual.data),
        ),
        user=current_user,
    )
    db.session.commit()
    flash(_("Certificate settings saved."), "success")
    return redirect(url_for(".certificates", slug=slug))


@bp.post("/events/<slug>/certificates/signatories")
@roles_required("organiser")
def certificates_signatory_add(slug: str):
    event = managed_event(slug)
    form = SignatoryForm()
    if not form.validate_on_submit():
        return _page(event, status=400, signatory_form=form)
    image = form.signature.data.read() if form.signature.data else None
    try:
        certs.add_signatory(
            db.session,
            event,
            name={"ar": form.name_ar.data, "en": form.name_en.data, "fr": form.name_fr.data},
            title={"ar": form.title_ar.data, "en": form.title_en.data, "fr": form.title_fr.data},
            image=image,
            user=current_user,
        )
    except certs.CertificateError as exc:
        db.session.rollback()
        form.signature.errors = [*form.signature.errors, exc.message]
        return _page(event, status=400, signatory_form=form)
    db.session.commit()
    flash(_("Signatory added."), "success")
    return redirect(url_for(".certificates", slug=slug))


@bp.post("/events/<slug>/certificates/signatories/<int:signatory_id>/delete")
@roles_required("organiser")
def certificates_signatory_delete(slug: str, signatory_id: int):
    event = managed_event(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    row = db.session.get(Signatory, signatory_id)
    if row is None or row.event_id != event.id:
        abort(404)
    certs.delete_signatory(db.session, row, user=current_user)
    db.session.commit()
    flash(_("Signatory removed."), "success")
    return redirect(url_for(".certificates", slug=slug))


def _not_started_note(event: Event) -> str:
    """Why generation is refused now (empty once the event has started)."""
    try:
        certs.ensure_started(db.session, event)
    except certs.TooEarly as exc:
        return exc.message
    return ""


def _start(event: Event, kind: str, target: str, *, allow_early: bool = False):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        job = certs.start_job(db.session, event, kind, user=current_user, allow_early=allow_early)
    except certs.CertificateError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".certificates", slug=event.slug))
    job_id, slug = job.id, event.slug  # read before commit: no new transaction afterwards
    db.session.commit()
    # (reading expired attributes after the commit would open a write transaction on
    # SQLite, blocking an eager job that runs in its own session)
    jobs.enqueue(target, job_id)
    return redirect(url_for(".certificates_job", slug=slug, job_id=job_id))


@bp.post("/events/<slug>/certificates/generate")
@roles_required("organiser")
def certificates_generate(slug: str):
    form = GenerateForm()
    return _start(
        managed_event(slug),
        "certificates.generate",
        "symposium.services.certificates:run_generate_job",
        allow_early=bool(form.allow_early.data),
    )


@bp.post("/events/<slug>/certificates/email")
@roles_required("organiser")
def certificates_email(slug: str):
    return _start(
        managed_event(slug), "certificates.email", "symposium.services.certificates:run_email_job"
    )


@bp.get("/events/<slug>/certificates/jobs/<int:job_id>")
@roles_required("organiser")
def certificates_job(slug: str, job_id: int):
    event = managed_event(slug)
    job = db.session.get(Job, job_id)
    if job is None or job.event_id != event.id or job.kind not in JOB_KINDS:
        abort(404)
    return render_template("manage/certificates_job.html", event=event, job=job)


@bp.get("/events/<slug>/certificates.zip")
@roles_required("organiser")
def certificates_zip(slug: str):
    event = managed_event(slug)
    path = Path(current_app.config["STORAGE_DIR"], "exports", str(event.id), "certificates.zip")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".certificates-{secrets.token_hex(8)}.zip")
    with tmp.open("wb") as fh:
        count = certs.write_zip(db.session, event, fh)
    db.session.commit()  # PDFs that had gone missing were rendered and stored again
    if not count:
        tmp.unlink(missing_ok=True)
        flash(_("No valid certificate has been issued yet."), "error")
        return redirect(url_for(".certificates", slug=slug))
    os.replace(tmp, path)
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"certificates-{event.slug}.zip",
        max_age=0,
    )


@bp.get("/events/<slug>/certificates/<code>.pdf")
@roles_required("organiser")
def certificate_download(slug: str, code: str):
    event = managed_event(slug)
    certificate = _certificate(event, code)
    data = certs.pdf_bytes(certificate)
    db.session.commit()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{certs.download_name(certificate)}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/events/<slug>/certificates/<code>/revoke")
@roles_required("organiser")
def certificate_revoke(slug: str, code: str):
    event = managed_event(slug)
    certificate = _certificate(event, code)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for the revocation."), "error")
        return redirect(url_for(".certificates", slug=slug))
    return _certificate_action(
        slug,
        lambda: certs.revoke(db.session, certificate, form.reason.data, user=current_user),
        lambda _result: _("Certificate %(number)s revoked.", number=certificate.number),
    )


@bp.post("/events/<slug>/certificates/<code>/reissue")
@roles_required("organiser")
def certificate_reissue(slug: str, code: str):
    event = managed_event(slug)
    certificate = _certificate(event, code)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _certificate_action(
        slug,
        lambda: certs.reissue(db.session, certificate, user=current_user),
        lambda new: _("Certificate re-issued with number %(number)s.", number=new.number),
    )


def _certificate_action(slug: str, action, success):
    """Run ``action`` (a service call), commit and flash ``success(result)``; a refused
    action rolls back and flashes its reason. Back to the certificates page either way."""
    try:
        result = action()
    except certs.CertificateError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(success(result), "success")
    return redirect(url_for(".certificates", slug=slug))


@bp.post("/events/<slug>/attendance/import")
@roles_required("organiser")
def attendance_import(slug: str):
    event = managed_event(slug)
    form = AttendanceImportForm()
    if not form.validate_on_submit():
        return _page(event, status=400, import_form=form)
    try:
        result = attendance.import_attendance(
            db.session, event, form.file.data.read(), user=current_user
        )
    except attendance.AttendanceImportError as exc:
        db.session.rollback()
        form.file.errors = [*form.file.errors, exc.message]
        return _page(event, status=400, import_form=form)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d registration marked as attended.",
            "%(num)d registrations marked as attended.",
            len(result.marked),
        ),
        "success",
    )
    return render_template("manage/certificates_attendance.html", event=event, result=result)


def _badge_form(event: Event) -> BadgeFilterForm:
    form = BadgeFilterForm(request.args)
    items = db.session.scalars(
        select(AgendaSession)
        .where(AgendaSession.event_id == event.id, AgendaSession.capacity.is_not(None))
        .order_by(AgendaSession.starts_at)
    ).all()
    form.session.choices = [SelectChoice("", _("All sessions"))] + [
        SelectChoice(s.key, s.t("title")) for s in items
    ]
    return form


@bp.get("/events/<slug>/badges")
@roles_required("organiser")
def badges(slug: str):
    event = managed_event(slug)
    form = _badge_form(event)
    if not form.validate():
        return render_template("manage/badges.html", event=event, form=form, people=[]), 400
    flt = badge_service.BadgeFilter(
        status=form.status.data or "", session_key=form.session.data or "", query=form.q.data or ""
    )
    people = badge_service.select_registrations(db.session, event, flt)
    # The filters, to build links with (never the URL's own arguments)
    filters = {
        k: v
        for k, v in request.args.to_dict(flat=True).items()
        if k not in {"format", "slug", "lang"}
    }
    if request.args.get("format") == "pdf":
        if not people:
            flash(_("No registration matches these filters."), "error")
            return redirect(url_for(".badges", slug=slug, **filters))
        data = badge_service.render_badges(event, people, current_language())
        response = Response(data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="badges-{event.slug}.pdf"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
    return render_template(
        "manage/badges.html",
        event=event,
        form=form,
        people=people,
        limit=badge_service.MAX_BADGES,
        args=filters,
    )
