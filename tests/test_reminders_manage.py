"""The reminder settings page (organisers: bad input refused with a message, what was typed
kept, nothing saved) and ``flask --app symposium jobs run-due`` for cron."""

from __future__ import annotations

from datetime import timedelta

import pytest

from symposium.extensions import db
from symposium.models import Event, OutboxEmail
from symposium.services import reminders
from tests.manage_helpers import PASSWORD, make_organiser
from tests.reminder_helpers import before_start, build_event


@pytest.fixture
def event_id(app):
    with app.app_context():
        event = build_event(db.session)
        return event.id


@pytest.fixture
def organiser(app, client, event_id, auth):
    make_organiser(app, "organiser@example.org", event_id)
    auth.login("organiser@example.org", PASSWORD, lang="en")
    return client


def _form(enabled=True, rows=(("1", "days"), ("1", "hours")), changed=True) -> dict:
    form = {}
    if enabled:
        form["enabled"] = "y"
    if changed:
        form["programme_changed"] = "y"
    rows = list(rows) + [("", "hours")] * (reminders.MAX_OFFSETS - len(rows))
    for i, (amount, unit) in enumerate(rows):
        form[f"offsets-{i}-amount"] = amount
        form[f"offsets-{i}-unit"] = unit
    return form


def _settings(app, event_id):
    with app.app_context():
        return reminders.get_settings(db.session.get(Event, event_id))


def test_the_page_shows_the_defaults_in_words(organiser):
    page = organiser.get("/en/manage/events/test-event/reminders")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Reminders before the start: 1 day and 1 hour." in html
    assert 'name="offsets-0-amount" type="number" value="1"' in html
    fr = organiser.get("/fr/manage/events/test-event/reminders").get_data(as_text=True)
    assert "1\xa0jour et 1\xa0heure" in fr or "1 jour et 1 heure" in fr


def test_saving_new_offsets(app, organiser, event_id):
    response = organiser.post(
        "/en/manage/events/test-event/reminders",
        data=_form(rows=(("2", "days"), ("90", "minutes")), changed=False),
    )
    assert response.status_code == 302
    saved = _settings(app, event_id)
    assert saved.offsets == (2880, 90)
    assert saved.enabled and not saved.programme_changed
    page = organiser.get("/en/manage/events/test-event/reminders").get_data(as_text=True)
    assert "2 days and 90 minutes" in page


@pytest.mark.parametrize(
    ("rows", "enabled", "message"),
    [
        ((("31", "days"),), True, "at most 30 days"),
        ((("0", "hours"),), True, "Enter a whole number of at least 1."),
        ((("abc", "hours"),), True, "integer"),
        ((), True, "Give at least one reminder time, or turn reminders off."),
    ],
)
def test_bad_input_is_refused_and_kept(app, organiser, event_id, rows, enabled, message):
    response = organiser.post(
        "/en/manage/events/test-event/reminders", data=_form(enabled=enabled, rows=rows)
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    if rows:
        assert f'value="{rows[0][0]}"' in html  # what was typed is still there
    assert _settings(app, event_id).offsets == (1440, 60)  # nothing saved


def test_turning_reminders_off_with_no_offsets_is_fine(app, organiser, event_id):
    response = organiser.post(
        "/en/manage/events/test-event/reminders", data=_form(enabled=False, rows=())
    )
    assert response.status_code == 302
    assert not _settings(app, event_id).enabled


def test_another_organiser_cannot_see_the_page(app, client, event_id, auth):
    from tests.conftest import make_user

    make_user(app, "other@example.org", "organiser", PASSWORD)
    auth.login("other@example.org", PASSWORD)
    assert client.get("/en/manage/events/test-event/reminders").status_code == 403
    assert client.post("/en/manage/events/test-event/reminders", data=_form()).status_code == 403


def test_jobs_run_due_runs_every_periodic_job_once(app, runner, event_id, monkeypatch):
    import symposium.services.reminders as package

    with app.app_context():
        now = before_start(db.session, db.session.get(Event, event_id), minutes=45)
    monkeypatch.setattr(package, "utcnow", lambda: now)
    result = runner.invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "reminders: reminders 3, programme_changed 0" in lines
    names = [line.split(":")[0] for line in lines]
    assert set(names) >= {"mail-sweep", "reminders", "retention", "webhooks"}
    assert names[-1] == "mail-sweep"  # last: it delivers what the others queued
    assert lines[-1].startswith("mail-sweep: rendered ") and ", sent " in lines[-1]
    with app.app_context():
        rows = db.session.scalars(
            db.select(OutboxEmail).where(OutboxEmail.kind == "reminder")
        ).all()
        assert len(rows) == 3 and {row.status for row in rows} == {"sent"}
    again = runner.invoke(args=["jobs", "run-due"])
    assert "reminders: reminders 0, programme_changed 0" in again.output.splitlines()
    monkeypatch.setattr(package, "utcnow", lambda: now + timedelta(hours=2))
    listing = runner.invoke(args=["jobs", "list"])
    assert "reminders\t60s\tsymposium.services.reminders:run" in listing.output


def test_the_in_process_scheduler_runs_the_sweep(app, client, event_id, monkeypatch):
    """Default mode: the first request starts the scheduler thread, which runs the reminder
    sweep at once (and the mail sweep delivers what it queued)."""
    import time

    import symposium.services.reminders as package
    from symposium import scheduler

    with app.app_context():
        now = before_start(db.session, db.session.get(Event, event_id), minutes=45)
    monkeypatch.setattr(package, "utcnow", lambda: now)
    monkeypatch.setattr(scheduler, "_jobs", dict(scheduler._jobs))
    app.config.update(SCHEDULER_ENABLED=True)
    try:
        client.get("/healthz")
        deadline = time.monotonic() + 20
        rows = []
        while time.monotonic() < deadline:
            with app.app_context():
                rows = db.session.scalars(
                    db.select(OutboxEmail.status).where(OutboxEmail.kind == "reminder")
                ).all()
                db.session.remove()
            if len(rows) == 3:
                break
            time.sleep(0.1)
        assert len(rows) == 3
    finally:
        scheduler.stop(app)
