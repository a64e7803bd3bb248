"""The outbox: mail written in the transaction, delivered after commit, never before."""

from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import event as sa_event

from symposium.extensions import db
from symposium.models import OutboxEmail
from symposium.services import mail


def _outbox_files(app):
    folder = Path(app.instance_path) / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_mail_is_delivered_after_commit_in_the_recipients_language(app):
    with app.app_context():
        message = mail.build_message(
            to="amal@example.org",
            subject="تأكيد التسجيل",
            text="مرحبا",
            html="<p>مرحبا</p>",
            lang="ar",
        )
        mail.queue_email(db.session, message, kind="test")
        assert _outbox_files(app) == []  # nothing leaves before the commit
        db.session.commit()
        row = db.session.scalar(db.select(OutboxEmail))
        assert row.status == "sent" and row.attempts == 1
    files = _outbox_files(app)
    assert len(files) == 1
    parsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "تأكيد التسجيل"
    assert parsed["Content-Language"] == "ar"
    assert parsed.get_body(("plain",)).get_content().strip() == "مرحبا"


def test_rolled_back_mail_is_never_sent(app):
    with app.app_context():
        mail.queue_email(db.session, mail.build_message(to="x@example.org", subject="s", text="t"))
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(OutboxEmail.id))) == 0
    assert _outbox_files(app) == []


def test_failed_delivery_is_retried_then_marked_failed(app, monkeypatch):
    calls = []

    def flaky(raw, recipient):
        calls.append(recipient)
        if len(calls) == 1:
            raise OSError("connection refused")

    monkeypatch.setattr(mail, "_transport_send", flaky)
    with app.app_context():
        mail.queue_email(db.session, mail.build_message(to="y@example.org", subject="s", text="t"))
        db.session.commit()
        row = db.session.scalar(db.select(OutboxEmail))
        assert row.status == "sent" and row.attempts == 2 and len(calls) == 2

    def broken(raw, recipient):
        raise OSError("still down")

    monkeypatch.setattr(mail, "_transport_send", broken)
    with app.app_context():
        mail.queue_email(db.session, mail.build_message(to="z@example.org", subject="s", text="t"))
        db.session.commit()
        row = db.session.scalar(
            db.select(OutboxEmail).where(OutboxEmail.recipient == "z@example.org")
        )
        assert row.status == "failed"
        assert row.attempts == app.config["MAIL_MAX_ATTEMPTS"]
        assert "still down" in row.last_error


def test_a_released_savepoint_does_not_deliver_before_the_commit(app):
    with app.app_context():
        with db.session.begin_nested():
            mail.queue_email(
                db.session, mail.build_message(to="s@example.org", subject="s", text="t")
            )
        assert _outbox_files(app) == []
        db.session.commit()
    assert len(_outbox_files(app)) == 1


def test_stored_messages_use_crlf_line_endings(app):
    with app.app_context():
        row = mail.queue_email(
            db.session, mail.build_message(to="c@example.org", subject="s", text="a\nb")
        )
        assert b"\r\n" in row.message
        assert b"\n" not in row.message.replace(b"\r\n", b"")
        db.session.rollback()


def test_an_email_claimed_by_a_run_that_died_is_sent_after_its_lease(app, monkeypatch):
    """A run claims its batch as "sending" for SENDING_LEASE: if the process dies before
    recording the result, the email is due again afterwards, never lost."""
    from datetime import timedelta

    from symposium.models.types import utcnow

    calls = []
    monkeypatch.setattr(mail, "_transport_send", lambda raw, rcpt: calls.append(rcpt))
    with app.app_context():
        mail.queue_email(db.session, mail.build_message(to="w@example.org", subject="s", text="t"))
        db.session.info.pop("outbox_dirty")  # no delivery run after this commit
        db.session.commit()
        row = db.session.scalar(db.select(OutboxEmail))
        row.status, row.attempts = "sending", 1
        row.next_attempt_at = utcnow() + timedelta(minutes=5)  # a live run holds it
        db.session.commit()
        assert mail.deliver_pending() == 0 and calls == []
        row.next_attempt_at = utcnow() - timedelta(seconds=1)  # that run died
        db.session.commit()
        assert mail.deliver_pending() == 1 and calls == ["w@example.org"]
        db.session.refresh(row)
        assert row.status == "sent" and row.attempts == 2 and row.next_attempt_at is None


def test_one_run_sends_a_batch_with_a_few_transactions(app, monkeypatch):
    calls = []
    monkeypatch.setattr(mail, "_transport_send", lambda raw, rcpt: calls.append(rcpt))
    with app.app_context():
        for i in range(30):
            mail.queue_email(
                db.session, mail.build_message(to=f"b{i}@example.org", subject="s", text="t")
            )
        db.session.info.pop("outbox_dirty")
        db.session.commit()
        commits = []

        def count(session):
            commits.append(1)

        sa_event.listen(db.session, "after_commit", count)
        try:
            assert mail.deliver_pending(limit=20) == 30
        finally:
            sa_event.remove(db.session, "after_commit", count)
        assert sorted(calls) == sorted(f"b{i}@example.org" for i in range(30))
        assert len(commits) <= 8  # two batches: list+claim, read, record (not two per email)
        statuses = db.session.scalars(db.select(OutboxEmail.status)).all()
        assert set(statuses) == {"sent"}
