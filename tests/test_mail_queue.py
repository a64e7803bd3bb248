"""The mail queue never stops for one message; ``mail status``, ``/healthz`` and the periodic
sweep show and clear the backlog; Message-ID and Date headers."""

from __future__ import annotations

import ast
import time
from datetime import timedelta
from pathlib import Path

import pytest

from symposium import scheduler
from symposium.extensions import db
from symposium.models import OutboxEmail
from symposium.models.registration import RegistrationNotice
from symposium.models.types import utcnow
from symposium.services import mail, notifications
from symposium.services import registration as reg
from symposium.services.mail import delivery
from tests.factories import make_event
from tests.mail_helpers import parse, start_sink
from tests.registration_helpers import data

ROOT = Path(__file__).resolve().parents[1]


def _register_without_emails(session, event, *emails):
    """Registrations whose emails are owed (notices) but not rendered yet."""
    for address in emails:
        reg.register(session, event, data(name=address.split("@")[0], email=address))
    session.info.pop("registration_notices", None)
    session.commit()


def _statuses_by_recipient(session) -> dict:
    rows = session.execute(db.select(OutboxEmail.recipient, OutboxEmail.status)).all()
    return dict(rows)


# ----------------------------------------------------------------- one message never blocks


def test_a_notice_that_cannot_be_rendered_is_failed_and_the_others_go(app, monkeypatch):
    real_build = notifications.build_email

    def build(session, registration, what, **kwargs):
        if registration.email == "bad@example.org":
            raise ValueError("header value contains a line break")
        return real_build(session, registration, what, **kwargs)

    monkeypatch.setattr(notifications, "build_email", build)
    with app.app_context():
        event = make_event(db.session)
        db.session.commit()
        _register_without_emails(
            db.session, event, "a@example.org", "bad@example.org", "c@example.org"
        )
        assert notifications.process_pending() == 2
        assert _statuses_by_recipient(db.session) == {
            "a@example.org": "sent",
            "bad@example.org": "failed",
            "c@example.org": "sent",
        }
        failed = db.session.scalar(db.select(OutboxEmail).where(OutboxEmail.status == "failed"))
        assert failed.kind == "confirmation"
        assert "line break" in failed.last_error
        owed = db.session.scalar(
            db.select(db.func.count(RegistrationNotice.id)).where(
                RegistrationNotice.processed_at.is_(None)
            )
        )
        assert owed == 0  # the bad notice is not retried for ever


def test_an_email_the_database_refuses_is_failed_and_the_others_are_stored(app, monkeypatch):
    real_queue = mail.queue_email

    def queue(session, message, **kwargs):
        row = real_queue(session, message, **kwargs)
        if message.recipient == "bad@example.org":
            row.recipient = None  # NOT NULL: the database refuses this row
        return row

    monkeypatch.setattr(mail, "queue_email", queue)
    with app.app_context():
        event = make_event(db.session)
        db.session.commit()
        _register_without_emails(
            db.session, event, "a@example.org", "bad@example.org", "c@example.org"
        )
        assert notifications.process_pending() == 2
        assert _statuses_by_recipient(db.session) == {
            "a@example.org": "sent",
            "bad@example.org": "failed",
            "c@example.org": "sent",
        }
        failed = db.session.scalar(db.select(OutboxEmail).where(OutboxEmail.status == "failed"))
        assert "IntegrityError" in failed.last_error


@pytest.mark.parametrize("bad", ["\n", "\x00"], ids=["line-break", "nul"])
def test_an_event_title_with_a_line_break_does_not_stop_other_events_emails(app, runner, bad):
    """The finding: such a title (a NUL on PostgreSQL) broke rendering on every run, for
    every event."""
    with app.app_context():
        broken = make_event(
            db.session, "broken", title={"en": f"Bad{bad}title", "ar": f"سطر{bad}جديد"}
        )
        fine = make_event(db.session, "fine")
        db.session.commit()
        _register_without_emails(db.session, broken, "x@example.org")
        _register_without_emails(db.session, fine, "y@example.org")
    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        statuses = _statuses_by_recipient(db.session)
        assert statuses["y@example.org"] == "sent"
        assert statuses["x@example.org"] in {"sent", "failed"}  # failed: with its reason
        if statuses["x@example.org"] == "failed":
            row = db.session.scalar(
                db.select(OutboxEmail).where(OutboxEmail.recipient == "x@example.org")
            )
            assert row.last_error.startswith("could not build the email")
            assert "\n" not in row.subject


def test_a_recipient_refused_for_good_is_failed_with_the_reason_and_the_others_sent(app):
    controller, sink = start_sink()
    sink.refuse.add("gone@example.org")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        with app.app_context():
            for to in ("one@example.org", "gone@example.org", "two@example.org"):
                mail.queue_email(db.session, mail.build_message(to=to, subject="s", text="t"))
            db.session.commit()
            rows = {r.recipient: r for r in db.session.scalars(db.select(OutboxEmail))}
    finally:
        controller.stop()
    assert rows["gone@example.org"].status == "failed"
    assert rows["gone@example.org"].attempts == 1  # 550 is final: no retries
    assert "550" in rows["gone@example.org"].last_error
    assert {rows[r].status for r in ("one@example.org", "two@example.org")} == {"sent"}
    assert len(sink.accepted) == 2


def test_transient_failures_end_failed_with_the_reason_after_the_attempts(app, monkeypatch):
    def busy(raw, rcpt):
        if rcpt == "busy@example.org":
            raise OSError("451 try again later")

    monkeypatch.setattr(delivery, "_transport_send", busy)
    with app.app_context():
        for to in ("busy@example.org", "ok@example.org"):
            mail.queue_email(db.session, mail.build_message(to=to, subject="s", text="t"))
        db.session.commit()
        rows = {r.recipient: r for r in db.session.scalars(db.select(OutboxEmail))}
        assert rows["ok@example.org"].status == "sent"
        busy_row = rows["busy@example.org"]
        assert busy_row.status == "failed"
        assert busy_row.attempts == app.config["MAIL_MAX_ATTEMPTS"]
        assert "451 try again later" in busy_row.last_error


def test_an_email_whose_runs_keep_dying_is_failed_after_the_attempts(app):
    with app.app_context():
        row = mail.queue_email(
            db.session, mail.build_message(to="k@example.org", subject="s", text="t")
        )
        db.session.info.pop("outbox_dirty")
        db.session.commit()
        row.status, row.claimed_by = "sending", "dead-run"
        row.attempts = app.config["MAIL_MAX_ATTEMPTS"]
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert mail.deliver_pending() == 0
        db.session.refresh(row)
        assert row.status == "failed" and "interrupted" in row.last_error


# --------------------------------------------------------------------- status and health


def _outbox_row(session, status, age, **values):
    now = utcnow()
    row = OutboxEmail(
        recipient="r@example.org",
        subject="s",
        message=b"m",
        status=status,
        created_at=now - age,
        next_attempt_at=now + timedelta(hours=1) if status in ("pending", "sending") else None,
        **values,
    )
    session.add(row)
    return row


def _fill_queue(session):
    _outbox_row(session, "pending", timedelta(hours=2, minutes=5))
    _outbox_row(session, "pending", timedelta(minutes=1))
    _outbox_row(session, "sending", timedelta(minutes=3))
    _outbox_row(session, "failed", timedelta(days=1), last_error="SMTPDataError: 554 rejected")
    _outbox_row(session, "sent", timedelta(days=2))
    _outbox_row(session, "sent", timedelta(days=2))
    session.commit()


def test_mail_status_counts_every_status_with_the_oldest_pending_age(app, runner):
    with app.app_context():
        _fill_queue(db.session)
    result = runner.invoke(args=["mail", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == ["pending\t2", "sending\t1", "failed\t1", "sent\t2"]
    assert lines[4].startswith("oldest pending\t2h05m")
    assert "to render\t0" in lines
    assert any("554 rejected" in line for line in lines)  # the failed one, with its reason


def test_mail_status_on_an_empty_queue(app, runner):
    result = runner.invoke(args=["mail", "status"])
    assert result.exit_code == 0
    assert result.output.splitlines()[:5] == [
        "pending\t0",
        "sending\t0",
        "failed\t0",
        "sent\t0",
        "oldest pending\t-",
    ]


def test_healthz_reports_the_queue_age_and_stays_200_when_it_is_late(app, client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["mail_queue"]["oldest_pending_age_seconds"] is None
    with app.app_context():
        _fill_queue(db.session)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"  # an email has waited more than 15 minutes
    queue = body["mail_queue"]
    assert queue["status"] == "late"
    assert queue["counts"] == {"pending": 2, "sending": 1, "failed": 1}
    assert 2 * 3600 < queue["oldest_pending_age_seconds"] < 3 * 3600
    app.config["MAIL_QUEUE_MAX_AGE_SECONDS"] = 4 * 3600
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["mail_queue"]["status"] == "ok"


# ------------------------------------------------------------------------- periodic sweep


TICKS: list[int] = []


def count_tick() -> None:
    TICKS.append(1)


@pytest.fixture
def periodic(app, monkeypatch):
    monkeypatch.setattr(scheduler, "_jobs", dict(scheduler._jobs))
    app.config.update(SCHEDULER_ENABLED=True)
    yield app
    scheduler.stop(app)


def test_no_scheduler_runs_in_tests_unless_turned_on(app, client):
    client.get("/healthz")
    assert app.extensions.get(scheduler.STATE_KEY) is None


def test_the_sweep_delivers_owed_email_without_a_commit(periodic, client):
    app = periodic
    with app.app_context():
        event = make_event(db.session)
        db.session.commit()
        _register_without_emails(db.session, event, "owed@example.org")  # not rendered yet
        mail.queue_email(db.session, mail.build_message(to="w@example.org", subject="s", text="t"))
        db.session.info.pop("outbox_dirty")  # nor delivered
        db.session.commit()
    scheduler.register_periodic("mail-sweep", 0.2, "symposium.services.mail.sweep:run")
    scheduler.register_periodic("test-tick", 0.2, count_tick)  # a second periodic job
    TICKS.clear()
    client.get("/healthz")  # the first request starts the scheduler
    deadline = time.monotonic() + 20
    statuses = {}
    while time.monotonic() < deadline:
        with app.app_context():
            statuses = _statuses_by_recipient(db.session)
            db.session.remove()
        if statuses == {"owed@example.org": "sent", "w@example.org": "sent"} and len(TICKS) > 1:
            break
        time.sleep(0.1)
    assert statuses == {"owed@example.org": "sent", "w@example.org": "sent"}
    assert len(TICKS) > 1
    thread = app.extensions[scheduler.STATE_KEY]
    client.get("/healthz")
    assert app.extensions[scheduler.STATE_KEY] is thread  # one scheduler per process


def test_the_scheduler_starts_with_the_first_request_once_per_process(periodic, monkeypatch):
    """The reloader's watcher process creates the app but serves nothing: no thread there. A
    process forked after the start (gunicorn) starts its own."""
    app = periodic
    assert app.extensions.get(scheduler.STATE_KEY) is None  # created, nothing served yet
    app.test_client().get("/healthz")
    first = app.extensions[scheduler.STATE_KEY]
    assert first.is_alive()
    app.test_client().get("/healthz")
    assert app.extensions[scheduler.STATE_KEY] is first
    monkeypatch.setattr(scheduler.os, "getpid", lambda: first.pid + 1)  # a forked worker
    app.test_client().get("/healthz")
    assert app.extensions[scheduler.STATE_KEY] is not first
    first.stopping.set()
    first.join(5)


def test_celery_beat_runs_the_periodic_jobs_and_the_web_process_does_not(app):
    from symposium.celery_app import make_celery

    app.config.update(CELERY_BROKER_URL="memory://", SCHEDULER_ENABLED=True)
    beat = make_celery(app).conf.beat_schedule
    assert beat["mail-sweep"] == {
        "task": "symposium.run_job",
        "schedule": app.config["MAIL_SWEEP_SECONDS"],
        "args": ["symposium.services.mail.sweep:run", [], {}],
    }
    assert not scheduler.ensure_started(app)


# ------------------------------------------------------------------------------- headers


@pytest.mark.parametrize("builder", ["build_message", "build_raw"])
def test_date_is_utc_plus_0000_and_message_id_on_the_sender_domain(app, builder):
    app.config["MAIL_DEFAULT_SENDER"] = "Symposium <events@uni.example>"
    with app.app_context():
        built = getattr(mail, builder)(to="a@example.org", subject="s", text="t")
        row = mail.queue_email(db.session, built)
        message = parse(row.message)
    assert message["Date"].endswith("+0000")
    assert message["Date"].datetime.utcoffset() == timedelta(0)
    assert message["Message-ID"].endswith("@uni.example>")
    assert row.message_id == message["Message-ID"]


def test_message_id_on_the_site_domain_when_the_sender_is_local(app):
    app.config.update(
        MAIL_DEFAULT_SENDER="symposium@localhost", SYMPOSIUM_BASE_URL="https://events.example.org"
    )
    with app.app_context():
        message = parse(
            mail.queue_email(
                db.session, mail.build_raw(to="a@b.org", subject="s", text="t")
            ).message
        )
    assert message["Message-ID"].endswith("@events.example.org>")


def test_every_attempt_sends_the_same_stored_message_id(app, monkeypatch):
    sent = []

    def flaky(raw, rcpt):
        sent.append(parse(raw)["Message-ID"])
        if len(sent) < 3:
            raise OSError("try later")

    monkeypatch.setattr(delivery, "_transport_send", flaky)
    with app.app_context():
        mail.queue_email(db.session, mail.build_message(to="m@example.org", subject="s", text="t"))
        db.session.commit()
        row = db.session.scalar(db.select(OutboxEmail))
        assert row.status == "sent" and row.attempts == 3
    assert len(sent) == 3 and set(sent) == {row.message_id}


def test_a_subject_with_a_line_break_or_nul_is_one_clean_line(app):
    with app.app_context():
        for builder in (mail.build_message, mail.build_raw):
            message = parse(
                builder(to="a@example.org", subject="one\ntwo\x00three", text="t").raw
                if builder is mail.build_raw
                else builder(to="a@example.org", subject="one\ntwo\x00three", text="t").as_bytes()
            )
            assert message["Subject"] == "one two three"


# -------------------------------------------------------------------------- import circles


def _imports(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found |= {f"{base}.{alias.name}" if not node.module else base for alias in node.names}
    return found


def test_no_import_circles_between_notifications_registration_jobs_and_celery():
    """registration -> notices (never notifications, which renders with registration's
    helpers); jobs -> celery_app -> job_runner (never back)."""
    assert {".registration", ".notifications"}.isdisjoint(_imports("symposium/services/notices.py"))
    for module in sorted((ROOT / "symposium/services/registration").glob("*.py")):
        # in the package, ".." is symposium.services
        assert "..notifications" not in _imports(str(module.relative_to(ROOT))), module.name
    assert ".jobs" not in _imports("symposium/celery_app.py")
    assert {".jobs", ".celery_app"}.isdisjoint(_imports("symposium/job_runner.py"))
