"""The outbox: mail written in the transaction, delivered after commit, never before."""

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import event as sa_event

from symposium.extensions import db
from symposium.models import OutboxEmail
from symposium.models.types import utcnow
from symposium.services import mail
from symposium.services.mail import delivery


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

    monkeypatch.setattr(delivery, "_transport_send", flaky)
    with app.app_context():
        mail.queue_email(db.session, mail.build_message(to="y@example.org", subject="s", text="t"))
        db.session.commit()
        row = db.session.scalar(db.select(OutboxEmail))
        assert row.status == "sent" and row.attempts == 2 and len(calls) == 2

    def broken(raw, recipient):
        raise OSError("still down")

    monkeypatch.setattr(delivery, "_transport_send", broken)
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
    """A run claims its batch as "sending" for its lease (MAIL_LEASE_SECONDS): if the process
    dies before recording the result, the email is due again afterwards, never lost."""
    calls = []
    monkeypatch.setattr(delivery, "_transport_send", lambda raw, rcpt: calls.append(rcpt))
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


def test_one_run_records_each_email_in_one_transaction(app, monkeypatch):
    """Each result is recorded before the next email goes (a killed run loses at most the one
    in flight), in the same transaction that renews the lease: one commit per email."""
    calls = []
    monkeypatch.setattr(delivery, "_transport_send", lambda raw, rcpt: calls.append(rcpt))
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
        # one per email, plus the claims, their last records (and the commit mode on PostgreSQL)
        assert len(commits) <= 30 + 7
        statuses = db.session.scalars(db.select(OutboxEmail.status)).all()
        assert set(statuses) == {"sent"}


def test_a_run_that_dies_keeps_only_its_unsent_emails_until_its_lease_ends(app, monkeypatch):
    """What a run sent is recorded email by email; the emails it still held when it died are
    due again when its lease ends, and a run whose emails were taken over sends none of them."""
    calls = []

    def crash_on_25th(raw, rcpt):
        calls.append(rcpt)
        if len(calls) == 25:
            raise KeyboardInterrupt  # the process is stopped while sending

    monkeypatch.setattr(delivery, "_transport_send", crash_on_25th)
    with app.app_context():
        _queue_undelivered(30, "c")
        try:
            mail.deliver_pending()
        except KeyboardInterrupt:
            pass
        statuses = db.session.scalars(db.select(OutboxEmail.status).order_by(OutboxEmail.id))
        assert list(statuses) == ["sent"] * 24 + ["sending"] * 6
        assert mail.claim_batch(mail.CLAIM_SIZE) is None  # held until their lease runs out

        db.session.execute(
            db.update(OutboxEmail)
            .where(OutboxEmail.status == "sending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        stalled = mail.claim_batch(mail.CLAIM_SIZE)  # a run that will stall
        assert len(stalled.rows) == 6
        db.session.execute(
            db.update(OutboxEmail)
            .where(OutboxEmail.status == "sending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        taker = mail.claim_batch(mail.CLAIM_SIZE)  # its lease ran out: another run takes over
        assert [row[0] for row in taker.rows] == [row[0] for row in stalled.rows]
        sent_late = []
        monkeypatch.setattr(delivery, "_transport_send", lambda raw, rcpt: sent_late.append(rcpt))
        assert mail.send_claim(stalled) == (0, None)  # the stalled run sends none of them
        assert sent_late == []
        assert mail.send_claim(taker) == (6, None)
        assert sorted(sent_late) == sorted(f"c{i}@example.org" for i in range(24, 30))


def test_a_slow_run_renews_its_lease_so_no_other_run_takes_its_emails(app, monkeypatch):
    app.config["MAIL_LEASE_SECONDS"] = 60
    real_now = delivery.utcnow
    shift = {"by": timedelta(0)}
    monkeypatch.setattr(delivery, "utcnow", lambda: real_now() + shift["by"])

    with app.app_context():
        _queue_undelivered(3, "s")
        claim = mail.claim_batch(mail.CLAIM_SIZE)
        ids = [row[0] for row in claim.rows]
        shift["by"] = timedelta(seconds=50)  # a slow server: 50 s for the first email
        assert delivery.step(claim, delivery.Outcome(ids[0], 1), ids[1]) == (2 - 1, None)
        shift["by"] = timedelta(seconds=90)  # past the first lease, within the renewed one
        assert mail.claim_batch(mail.CLAIM_SIZE) is None
        shift["by"] = timedelta(seconds=111)  # the run is gone: its lease ended
        assert [row[0] for row in mail.claim_batch(mail.CLAIM_SIZE).rows] == ids[1:]


def test_eager_retries_end_with_every_email_failed(app, monkeypatch):
    """Tests deliver eagerly and retry at once: an SMTP server that refuses everything ends in
    "failed" after MAIL_MAX_ATTEMPTS for every email, in a loop (no recursion per claim)."""

    def refuse(raw, rcpt):
        raise OSError("refused")

    monkeypatch.setattr(delivery, "_transport_send", refuse)
    with app.app_context():
        _queue_undelivered(45, "f")
        assert mail.deliver_pending() == 0
        rows = db.session.execute(db.select(OutboxEmail.status, OutboxEmail.attempts)).all()
        assert set(rows) == {("failed", app.config["MAIL_MAX_ATTEMPTS"])}
