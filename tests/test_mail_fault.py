"""Fault test: a delivery run killed (SIGKILL) in the middle of sending. Every owed email is
sent within a minute of the kill by the next runs (the dead run's short lease ends), and none
reaches the SMTP server twice (counted by Message-ID at the sink)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from symposium.extensions import db
from symposium.models import OutboxEmail
from symposium.services import mail
from tests.mail_helpers import start_sink

ROOT = Path(__file__).resolve().parents[1]
LEASE = 2  # seconds: the run renews it before each email


@pytest.fixture
def sink():
    controller, sink = start_sink()
    yield controller, sink
    controller.stop()


def test_a_killed_delivery_run_loses_nothing_and_sends_nothing_twice(app, sink, tmp_path):
    controller, recorder = sink
    total = 30
    with app.app_context():
        for i in range(total):
            mail.queue_email(
                db.session,
                mail.build_message(to=f"p{i}@example.org", subject=f"n{i}", text="t"),
                kind="test",
            )
        db.session.info.pop("outbox_dirty")  # no delivery in this process yet
        db.session.commit()
        owed = set(db.session.scalars(db.select(OutboxEmail.message_id)))
    assert len(owed) == total

    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "fault-test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(controller.port),
        "MAIL_LEASE_SECONDS": str(LEASE),
        "SCHEDULER_ENABLED": "false",
        "JOBS_EAGER": "false",
        "STORAGE_DIR": str(tmp_path / "worker-storage"),
    }
    recorder.kill_at = 13  # in the first claim of 20: 12 sent, the 13th in flight
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "symposium", "mail", "send-pending"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    recorder.victim_pid = worker.pid
    try:
        killed = recorder.killed.wait(60)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert killed, f"the worker finished without being killed: {out!r} {err!r}"
    assert worker.returncode == -9
    killed_at = time.monotonic()
    assert len(recorder.accepted) == 12

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_LEASE_SECONDS=LEASE)
    with app.app_context():
        # The next runs (the sweep, cron) take what is due: the unclaimed emails at once, the
        # dead run's when its lease ends
        while time.monotonic() - killed_at < 60:
            mail.deliver_pending()
            left = db.session.scalar(
                db.select(db.func.count(OutboxEmail.id)).where(OutboxEmail.status != "sent")
            )
            if not left:
                break
            time.sleep(0.2)
        statuses = Counter(db.session.scalars(db.select(OutboxEmail.status)))
    assert statuses == {"sent": total}, "every owed email is sent within a minute of the kill"
    at_sink = Counter(recorder.message_ids)
    assert set(at_sink) == owed
    assert max(at_sink.values()) == 1, "no email reached the server twice"
