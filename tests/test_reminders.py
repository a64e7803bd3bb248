"""Reminders before an event, with a frozen clock: default offsets, each recipient's language,
join links or ticket, exactly once (also with two sweeps at once), the grace window."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from symposium.extensions import db
from symposium.models import Event
from symposium.models.hybrid import ReminderLog
from symposium.services import reminders
from symposium.services.reminders import before
from symposium.services.reminders.settings import ReminderSettings
from tests.reminder_helpers import (
    PEOPLE,
    before_start,
    build_event,
    by_recipient,
    emails,
    html_of,
    per_registration,
    registration,
    text_of,
)


def _set(ctx, event, **values):
    event = ctx.get(Event, event.id)
    reminders.update_settings(ctx, event, ReminderSettings(**values))
    ctx.commit()


def test_default_offsets_are_one_day_and_one_hour(ctx):
    event = build_event(ctx, people=())
    settings = reminders.get_settings(event)
    assert settings.offsets == (1440, 60)
    assert settings.enabled and settings.programme_changed
    labels = [reminders.offset_label(m, "en") for m in settings.offsets]
    assert labels == ["1 day", "1 hour"]
    assert reminders.offset_label(1440, "fr").replace("\xa0", " ") == "1 jour"
    assert reminders.offset_label(60, "ar") == "ساعة"


def test_the_one_day_reminder_in_each_language_with_links_or_ticket(ctx):
    event = build_event(ctx)
    assert reminders.send_due(ctx, before_start(ctx, event, hours=24, minutes=10)) == {
        "reminders": 0,
        "programme_changed": 0,
    }  # not yet
    now = before_start(ctx, event, hours=23, minutes=55)
    assert reminders.send_due(ctx, now)["reminders"] == 3
    mails = by_recipient(ctx)
    assert set(mails) == {email for _name, email, _mode, _lang in PEOPLE}

    fr = mails["amina@example.org"]
    assert fr["Subject"].replace("\u202f", " ") == "Rappel : Symposium de test commence dans 1 jour"
    text = text_of(fr)
    # the start in the event's timezone (Riyadh), in French
    assert "commence le dimanche 24 janvier 2027 à 09:30" in text
    assert "heure de Riyad" in text
    token = registration(ctx, "amina@example.org").token
    assert f"http://symposium.test/fr/r/{token}/ticket.svg" in text
    assert "/join/" not in text  # in person: the ticket, no join links
    attachments = {part.get_filename(): part for part in fr.iter_attachments()}
    assert attachments["ticket.png"].get_content_type() == "image/png"
    assert attachments["ticket.png"].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'dir="ltr"' in html_of(fr)

    ar = mails["omar@example.org"]
    assert ar["Subject"].startswith("تذكير")
    text = text_of(ar)
    omar = registration(ctx, "omar@example.org")
    assert f"http://symposium.test/ar/r/{omar.token}/join/opening" in text
    assert "/join/workshop" not in text  # a session with sign-up that Omar does not hold
    assert "ticket.svg" not in text
    assert not list(ar.iter_attachments())
    assert 'dir="rtl"' in html_of(ar)

    en = mails["jane@example.org"]
    assert en["Subject"] == "Reminder: Test symposium starts in 1 day"
    assert "starts on Sunday, January 24, 2027 at 9:30" in text_of(en).replace("\u202f", " ")


def test_each_reminder_goes_once_and_the_one_hour_one_later(ctx):
    event = build_event(ctx)
    now = before_start(ctx, event, hours=23, minutes=55)
    assert reminders.send_due(ctx, now)["reminders"] == 3
    assert reminders.send_due(ctx, now)["reminders"] == 0
    assert reminders.send_due(ctx, now + timedelta(hours=3))["reminders"] == 0
    assert reminders.send_due(ctx, before_start(ctx, event, minutes=40))["reminders"] == 3
    assert reminders.send_due(ctx, before_start(ctx, event, minutes=10))["reminders"] == 0
    assert set(per_registration(ctx).values()) == {2}
    keys = ctx.scalars(db.select(ReminderLog.key).order_by(ReminderLog.id)).all()
    assert sorted(set(keys)) == ["before:1440", "before:60"] and len(keys) == 6
    subjects = [str(m["Subject"]) for m in emails(ctx)]
    assert "Reminder: Test symposium starts in 40 minutes" in subjects


def test_late_reminders_are_skipped_and_none_after_the_start(ctx):
    event = build_event(ctx)
    # the 1-day reminder's grace window is 12 hours
    assert reminders.send_due(ctx, before_start(ctx, event, hours=11))["reminders"] == 0
    # the 1-hour one may be 30 minutes late, never after the start
    assert reminders.send_due(ctx, before_start(ctx, event, minutes=-1))["reminders"] == 0
    assert reminders.send_due(ctx, before_start(ctx, event, minutes=29))["reminders"] == 0
    assert reminders.send_due(ctx, before_start(ctx, event, minutes=31))["reminders"] == 3


def test_due_offsets_window():
    from datetime import UTC, datetime

    start = datetime(2027, 1, 24, 6, 30, tzinfo=UTC)
    due = before.due_offsets
    assert due((1440, 60), start, start - timedelta(hours=24, seconds=1)) == []
    assert due((1440, 60), start, start - timedelta(hours=24)) == [1440]
    assert due((1440, 60), start, start - timedelta(hours=12)) == [1440]
    assert due((1440, 60), start, start - timedelta(hours=12, seconds=-1)) == []
    assert due((1440, 60), start, start - timedelta(minutes=30)) == [60]
    assert due((1440, 60), start, start) == []
    assert due((10, 5), start, start - timedelta(minutes=5)) == [5, 10]


def test_registered_after_a_reminder_moment_gets_only_the_later_ones(ctx):
    event = build_event(ctx)
    late = registration(ctx, "omar@example.org")
    late.created_at = late.confirmed_at = before_start(ctx, event, hours=20)
    ctx.commit()
    assert reminders.send_due(ctx, before_start(ctx, event, hours=19))["reminders"] == 2
    assert "omar@example.org" not in by_recipient(ctx)
    assert reminders.send_due(ctx, before_start(ctx, event, minutes=50))["reminders"] == 3
    assert per_registration(ctx)["omar@example.org"] == 1


def test_when_several_are_due_only_the_nearest_goes(ctx):
    event = build_event(ctx)
    _set(ctx, event, offsets=(90, 60))
    assert reminders.send_due(ctx, before_start(ctx, event, minutes=50))["reminders"] == 3
    assert set(per_registration(ctx).values()) == {1}
    keys = set(ctx.scalars(db.select(ReminderLog.key)))
    assert keys == {"before:60", "before:90"}  # the 90-minute one is recorded as done
    assert reminders.send_due(ctx, before_start(ctx, event, minutes=46))["reminders"] == 0


def test_nothing_for_a_draft_event_turned_off_reminders_or_cancelled_people(ctx):
    draft = build_event(ctx, status="draft", slug="draft-event")
    assert reminders.send_due(ctx, before_start(ctx, draft, minutes=50))["reminders"] == 0
    ctx.get(Event, draft.id).status = "published"
    registration(ctx, "omar@example.org").status = "cancelled"
    ctx.commit()
    _set(ctx, draft, enabled=False, offsets=(1440, 60))
    assert reminders.send_due(ctx, before_start(ctx, draft, minutes=50))["reminders"] == 0
    _set(ctx, draft, enabled=True, offsets=(1440, 60))
    assert reminders.send_due(ctx, before_start(ctx, draft, minutes=50))["reminders"] == 2
    assert "omar@example.org" not in by_recipient(ctx)


def _many_people(n):
    return [(f"Person {i}", f"p{i}@example.org", "in_person", "en") for i in range(n)]


def _two_sweeps_at_once(app, now) -> list:
    """Run two sweeps in two threads (each its own app context, session and connection),
    started together; the exceptions they raised and how many emails each queued."""
    barrier = threading.Barrier(2)
    errors, sent = [], []

    def sweep():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                sent.append(before.send_reminders(db.session, now))  # raises, unlike send_due
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors, sent


def _check_two_sweeps(app, monkeypatch):
    monkeypatch.setattr(before, "BATCH", 4)  # several batches, interleaved
    with app.app_context():
        event = build_event(db.session, people=_many_people(25))
        now = before_start(db.session, event, minutes=45)
    errors, sent = _two_sweeps_at_once(app, now)
    assert errors == []
    assert len(sent) == 2 and sum(sent) == 25  # both ran; together they sent each one once
    with app.app_context():
        counts = per_registration(db.session)
        assert len(counts) == 25
        assert set(counts.values()) == {1}, counts
        assert db.session.scalar(db.select(db.func.count(ReminderLog.id))) == 25


def test_two_sweeps_at_once_send_no_duplicate_sqlite(app, monkeypatch):
    _check_two_sweeps(app, monkeypatch)


@pytest.mark.postgres
def test_two_sweeps_at_once_send_no_duplicate_postgres(pg_app, monkeypatch):
    _check_two_sweeps(pg_app, monkeypatch)


def test_the_sweep_is_a_periodic_job_next_to_the_mail_sweep(app):
    from symposium import scheduler
    from symposium.celery_app import beat_schedule

    jobs = scheduler.periodic_jobs()
    assert jobs["reminders"].path == "symposium.services.reminders:run"
    assert jobs["reminders"].seconds == 60
    assert "mail-sweep" in jobs
    assert beat_schedule()["reminders"]["args"] == ["symposium.services.reminders:run", [], {}]


def test_a_reminder_that_cannot_be_built_is_a_failed_row_and_the_others_go(ctx, monkeypatch):
    from symposium.models import OutboxEmail

    event = build_event(ctx)
    real = before.reminder_email

    def broken(registration, offset, now):
        if registration.email == "omar@example.org":
            raise ValueError("a broken template")
        return real(registration, offset, now)

    monkeypatch.setattr(before, "reminder_email", broken)
    now = before_start(ctx, event, minutes=45)
    assert reminders.send_due(ctx, now)["reminders"] == 2
    failed = ctx.scalars(db.select(OutboxEmail).where(OutboxEmail.status == "failed")).all()
    assert [(row.recipient, row.kind) for row in failed] == [("omar@example.org", "reminder")]
    assert "a broken template" in failed[0].last_error
    assert reminders.send_due(ctx, now)["reminders"] == 0  # not retried: it is in the log
