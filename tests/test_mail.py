"""The outbox: mail written in the transaction, delivered after commit, never before."""

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import event as sa_event

from symposium.extensions import db
from symposium.models import OutboxEmail
from symposium.models.types import utcnow
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


def _queue_undelivered(count: int, prefix: str) -> None:
    """Put ``count`` emails in the outbox without starting a delivery run."""
    for i in range(count):
        mail.queue_email(
            db.session, mail.build_message(to=f"{prefix}{i}@example.org", subject="s", text="t")
        )
    db.session.info.pop("outbox_dirty")
    db.session.commit()


def test_one_run_sends_a_batch_with_a_few_transactions(app, monkeypatch):
    calls = []
    monkeypatch.setattr(mail, "_transport_send", lambda raw, rcpt: calls.append(rcpt))
    with app.app_context():
        _queue_undelivered(30, "b")
        commits = []

        def count(session):
            commits.append(1)

        sa_event.listen(db.session, "after_commit", count)
        try:
            assert mail.deliver_pending() == 30
        finally:
            sa_event.remove(db.session, "after_commit", count)
        assert sorted(calls) == sorted(f"b{i}@example.org" for i in range(30))
        assert len(commits) <= 6  # two claims and their records (not two per email)
        statuses = db.session.scalars(db.select(OutboxEmail.status)).all()
        assert set(statuses) == {"sent"}


def test_a_run_records_what_it_sent_claim_by_claim_and_never_overwrites_a_takeover(
    app, monkeypatch
):
    """Emails are claimed CLAIM_SIZE at a time and recorded after each claim, so a run that
    dies loses at most the email in flight; a run whose lease ran out (another run took the
    emails over) records nothing over the other run's state."""
    calls = []

    def crash_on_25th(raw, rcpt):
        calls.append(rcpt)
        if len(calls) == 25:
            raise KeyboardInterrupt  # the process is stopped while sending

    monkeypatch.setattr(mail, "_transport_send", crash_on_25th)
    with app.app_context():
        _queue_undelivered(30, "c")
        try:
            mail.deliver_pending()
        except KeyboardInterrupt:
            pass
        statuses = db.session.scalars(db.select(OutboxEmail.status).order_by(OutboxEmail.id))
        # the first claim (20) is recorded; of the second (10), the 4 sent before the crash
        assert list(statuses) == ["sent"] * 24 + ["sending"] * 6
        assert mail._claim_batch(mail.CLAIM_SIZE) is None  # held until their lease runs out

        db.session.execute(
            db.update(OutboxEmail)
            .where(OutboxEmail.status == "sending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        lease, rows = mail._claim_batch(mail.CLAIM_SIZE)  # the next run takes them over
        assert len(rows) == 6
        ids = [row[0] for row in rows]
        taken_over = lease + timedelta(minutes=1)
        db.session.execute(
            db.update(OutboxEmail).where(OutboxEmail.id.in_(ids)).values(next_attempt_at=taken_over)
        )
        db.session.commit()
        monkeypatch.setattr(mail, "_transport_send", lambda raw, rcpt: None)
        assert mail._send_batch(lease, rows) == (6, None)  # sent, but no longer this run's
        assert mail._record_failure(ids[0], lease, OSError("late")) is None
        db.session.expire_all()
        rows_now = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.id.in_(ids)))
        assert {(r.status, r.next_attempt_at) for r in rows_now} == {("sending", taken_over)}


def test_a_slow_run_gives_back_what_it_cannot_send_before_its_lease_ends(app, monkeypatch):
    """A minute before the lease runs out the run stops and puts the unsent emails back in the
    queue (no attempt counted), instead of racing the run that would take them over."""
    real_now = mail.utcnow
    late = {"on": False}
    calls = []

    def transport(raw, rcpt):
        calls.append(rcpt)
        if len(calls) == 3:
            late["on"] = True  # the server was slow: the lease is nearly over

    monkeypatch.setattr(mail, "_transport_send", transport)
    monkeypatch.setattr(
        mail, "utcnow", lambda: real_now() + (mail.SENDING_LEASE if late["on"] else timedelta(0))
    )
    with app.app_context():
        _queue_undelivered(5, "s")
        lease, rows = mail._claim_batch(mail.CLAIM_SIZE)
        assert mail._send_batch(lease, rows) == (3, None)
        emails = db.session.scalars(db.select(OutboxEmail).order_by(OutboxEmail.id)).all()
        assert [(e.status, e.attempts) for e in emails] == [("sent", 1)] * 3 + [("pending", 0)] * 2
        assert emails[3].next_attempt_at is None


def test_eager_retries_end_with_every_email_failed(app, monkeypatch):
    """Tests deliver eagerly and retry at once: an SMTP server that refuses everything ends in
    "failed" after MAIL_MAX_ATTEMPTS for every email, in a loop (no recursion per claim)."""

    def refuse(raw, rcpt):
        raise OSError("refused")

    monkeypatch.setattr(mail, "_transport_send", refuse)
    with app.app_context():
        _queue_undelivered(45, "f")
        assert mail.deliver_pending() == 0
        rows = db.session.execute(db.select(OutboxEmail.status, OutboxEmail.attempts)).all()
        assert set(rows) == {("failed", app.config["MAIL_MAX_ATTEMPTS"])}
