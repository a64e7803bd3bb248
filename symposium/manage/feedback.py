"""Workspace: the event's feedback questionnaire (editor, settings, invitation email),
its results (SVG charts, free texts escaped) and the CSV/XLSX export. Organisers only."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..auth.access import roles_required
from ..extensions import db
from ..i18n import local_to_utc, utc_to_local
from ..models import Event, FeedbackQuestion
from ..services import feedback as service
from ..services.event_time import has_ended
from ..services.feedback import invites, results
from . import bp
from .common import int_arg, managed_event, owned
from .feedback_forms import FeedbackActionForm, FeedbackSettingsForm, MoveForm, QuestionForm
from .forms import fill_i18n, i18n_value


def _question(event: Event, question_id: int) -> FeedbackQuestion:
    return owned(db.session.get(FeedbackQuestion, question_id), event)


def _settings_form(event: Event) -> FeedbackSettingsForm:
    settings = service.get_settings(event)
    return FeedbackSettingsForm(
        formdata=None,
        data={
            "opens": _local(settings.opens, event),
            "closes_at": _local(settings.closes_at, event),
            "required_for_certificate": settings.required_for_certificate,
            "auto_invite": settings.auto_invite,
        },
    )


def _local(value, event: Event):
    return utc_to_local(value, event.timezone).replace(tzinfo=None) if value else None


def _page(event: Event, *, status: int = 200, question_form=None, settings_form=None, problems=()):
    return (
        render_template(
            "manage/feedback.html",
            event=event,
            questions=service.questions(db.session, event),
            question_form=question_form or QuestionForm(formdata=None),
            settings_form=settings_form or _settings_form(event),
            action_form=FeedbackActionForm(formdata=None),
            move_form=MoveForm(formdata=None),
            question_text=service.question_text,
            choice_label=service.choice_label,
            kind_label=results.kind_label,
            opens=service.when(service.opens_at(event), event),
            closes=service.when(service.closes_at(event), event),
            phase=service.phase(event),
            ended=has_ended(event),
            problems=list(problems),
        ),
        status,
    )


def _data(form: QuestionForm) -> service.QuestionData:
    choices = {
        code: (text or "").splitlines() for code, text in i18n_value(form, "choices").items()
    }
    return service.QuestionData(
        kind=form.kind.data,
        text=i18n_value(form, "text"),
        required=bool(form.required.data),
        choices=choices,
    )


def _show(form, exc: service.FeedbackError) -> None:
    for key, message in exc.fields.items():
        if key in form:
            form[key].errors = [*form[key].errors, message]


@bp.get("/events/<slug>/feedback")
@roles_required("organiser")
def feedback(slug: str):
    """The questionnaire page; ``?edit=<question id>``: the form that edits that question."""
    event = managed_event(slug)
    edit = int_arg("edit")
    if edit is None:
        return _page(event)
    question = _question(event, edit)
    form = QuestionForm(formdata=None, data={"kind": question.kind, "required": question.required})
    fill_i18n(form, "text", question.text)
    fill_i18n(form, "choices", service.choice_lines(question))
    return _edit_page(event, question, form)


def _edit_page(event: Event, question: FeedbackQuestion, form, problems=(), status=200):
    return (
        render_template(
            "manage/feedback_question.html",
            event=event,
            question=question,
            form=form,
            problems=list(problems),
        ),
        status,
    )


@bp.post("/events/<slug>/feedback/questions")
@roles_required("organiser")
def feedback_add(slug: str):
    event = managed_event(slug)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _page(event, status=400, question_form=form)
    try:
        service.add_question(db.session, event, _data(form), user=current_user)
    except service.FeedbackError as exc:
        db.session.rollback()
        _show(form, exc)
        return _page(event, status=400, question_form=form, problems=exc.messages)
    db.session.commit()
    flash(_("Question added."), "success")
    return redirect(url_for(".feedback", slug=slug), 303)


@bp.post("/events/<slug>/feedback/questions/<int:question_id>")
@roles_required("organiser")
def feedback_edit(slug: str, question_id: int):
    event = managed_event(slug)
    question = _question(event, question_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _edit_page(event, question, form, status=400)
    try:
        service.edit_question(db.session, question, _data(form), user=current_user)
    except service.FeedbackError as exc:
        db.session.rollback()
        _show(form, exc)
        return _edit_page(event, question, form, exc.messages, status=400)
    db.session.commit()
    flash(_("Question saved."), "success")
    return redirect(url_for(".feedback", slug=slug), 303)


@bp.post("/events/<slug>/feedback/questions/<int:question_id>/delete")
@roles_required("organiser")
def feedback_delete(slug: str, question_id: int):
    event = managed_event(slug)
    question = _question(event, question_id)
    if not FeedbackActionForm().validate_on_submit():
        abort(400)
    service.delete_question(db.session, question, user=current_user)
    db.session.commit()
    flash(_("Question deleted, with its answers."), "success")
    return redirect(url_for(".feedback", slug=slug), 303)


@bp.post("/events/<slug>/feedback/questions/<int:question_id>/move")
@roles_required("organiser")
def feedback_move(slug: str, question_id: int):
    event = managed_event(slug)
    question = _question(event, question_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    service.move_question(db.session, question, form.direction.data)
    db.session.commit()
    return redirect(url_for(".feedback", slug=slug), 303)


@bp.post("/events/<slug>/feedback/settings")
@roles_required("organiser")
def feedback_settings(slug: str):
    event = managed_event(slug)
    form = FeedbackSettingsForm()
    if not form.validate_on_submit():
        return _page(event, status=400, settings_form=form)
    settings = service.FeedbackSettings(
        opens=local_to_utc(form.opens.data, event.timezone) if form.opens.data else None,
        closes_at=local_to_utc(form.closes_at.data, event.timezone)
        if form.closes_at.data
        else None,
        required_for_certificate=bool(form.required_for_certificate.data),
        auto_invite=bool(form.auto_invite.data),
    )
    try:
        service.update_settings(db.session, event, settings, user=current_user)
    except service.FeedbackError as exc:
        db.session.rollback()
        _show(form, exc)
        return _page(event, status=400, settings_form=form)
    db.session.commit()
    flash(_("Questionnaire settings saved."), "success")
    return redirect(url_for(".feedback", slug=slug), 303)


@bp.post("/events/<slug>/feedback/invite")
@roles_required("organiser")
def feedback_invite(slug: str):
    event = managed_event(slug)
    if not FeedbackActionForm().validate_on_submit():
        abort(400)
    try:
        outcome = invites.send_invites(db.session, event, user=current_user)
    except service.FeedbackError as exc:
        db.session.rollback()
        return _page(event, status=409, problems=exc.messages)
    db.session.commit()
    if outcome.queued:
        flash(
            ngettext(
                "The questionnaire link was emailed to %(num)d registrant.",
                "The questionnaire link was emailed to %(num)d registrants.",
                outcome.queued,
            ),
            "success",
        )
    else:
        flash(_("Every confirmed registrant has already received the link."), "info")
    if outcome.failed:
        flash(
            ngettext(
                "%(num)d email could not be written: see the mail queue.",
                "%(num)d emails could not be written: see the mail queue.",
                outcome.failed,
            ),
            "error",
        )
    return redirect(url_for(".feedback", slug=slug), 303)


@bp.get("/events/<slug>/feedback/results")
@roles_required("organiser")
def feedback_results(slug: str):
    event = managed_event(slug)
    found = results.results(db.session, event, g.lang)
    return render_template(
        "manage/feedback_results.html",
        event=event,
        found=found,
        bar_chart=results.bar_chart,
        average_text=results.average_text,
        question_text=service.question_text,
    )


@bp.get("/events/<slug>/feedback/answers.<fmt>")
@roles_required("organiser")
def feedback_export(slug: str, fmt: str):
    event = managed_event(slug)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    body, content_type = results.export(db.session, event, g.lang, fmt)
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{event.slug}-feedback-{g.lang}.{fmt}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
