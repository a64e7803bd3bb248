"""Registration emails through a real SMTP server (aiosmtpd), and jobs through Celery/Redis."""

from __future__ import annotations

import email
import json
import os
import socket
from email import policy

import icalendar
import pytest
from aiosmtpd.controller import Controller

from symposium.extensions import db
from symposium.models import OutboxEmail, Registration
from tests.factories import make_event, make_session
from tests.registration_helpers import post_registration


class Recorder:
    def __init__(self):
        self.messages: list[bytes] = []
        self.fail_next = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        if self.fail_next:
            self.fail_next -= 1
            return "451 Requested action aborted: try again later"
        self.messages.append(envelope.original_content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, recorder
    controller.stop()


@pytest.fixture
def app_config(smtp):
    controller, _recorder = smtp
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port}


@pytest.fixture
def event(app):
    with app.app_context():
        e = make_event(db.session, capacity=1, timezone="Africa/Casablanca")
        make_session(db.session, e, "opening", "2027-01-24T09:30", "2027-01-24T10:00")
        make_session(db.session, e, "close", "2027-01-24T17:00", "2027-01-24T18:00")
        db.session.commit()
        return e.slug


def _parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def test_confirmation_in_the_preferred_language_with_calendar(client, smtp, event):
    _controller, recorder = smtp
    response = post_registration(client, event, "en", preferred_language="fr")
    assert response.status_code == 303
    assert len(recorder.messages) == 1
    message = _parse(recorder.messages[0])
    assert (
        message["Subject"].replace("\u202f", " ")
        == "Votre inscription est confirmée : Symposium de test"
    )
    assert message["To"] == "amina@example.org"
    text = message.get_body(("plain",)).get_content()
    assert "Votre inscription à Symposium de test est confirmée." in text
    assert "http://symposium.test/fr/r/" in text
    html = message.get_body(("html",)).get_content()
    assert 'lang="fr"' in html and "http://symposium.test/fr/r/" in html
    [ics] = [p for p in message.iter_attachments() if p.get_filename() == "event.ics"]
    cal = icalendar.Calendar.from_ical(ics.get_content())
    [vevent] = list(cal.walk("VEVENT"))
    start = vevent["DTSTART"]
    assert start.params["TZID"] == "Africa/Casablanca"
    assert (start.dt.hour, start.dt.minute) == (9, 30)
    assert str(start.dt.tzinfo) == "Africa/Casablanca"
    assert vevent["DTEND"].dt.hour == 18
    assert [c["TZID"] for c in cal.walk("VTIMEZONE")] == ["Africa/Casablanca"]


def test_arabic_subject_is_rfc2047_encoded(client, smtp, event):
    _controller, recorder = smtp
    post_registration(client, event, "ar", preferred_language="ar", full_name="فاطمة الزهراء")
    raw = recorder.messages[0]
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    subject_line = [line for line in header_block.split(b"\r\n") if line.startswith(b"Subject:")]
    assert subject_line and b"=?utf-8?" in subject_line[0].lower()
    header_block.decode("ascii")  # headers are pure ASCII on the wire
    message = _parse(raw)
    assert message["Subject"] == "تأكّد تسجيلك: ندوة الاختبار"
    body = message.get_body(("plain",)).get_content()
    assert "عزيزي" in body and "فاطمة الزهراء" in body
    assert 'dir="rtl"' in message.get_body(("html",)).get_content()


def test_waiting_list_and_promotion_emails(client, app, smtp, event):
    _controller, recorder = smtp
    post_registration(client, event, "en", preferred_language="en")
    post_registration(client, event, "en", email="next@example.org", preferred_language="en")
    assert _parse(recorder.messages[1])["Subject"].startswith("You are on the waiting list")
    assert "in position 1" in _parse(recorder.messages[1]).get_body(("plain",)).get_content()
    with app.app_context():
        token = db.session.scalar(db.select(Registration.token).where(Registration.id == 1))
    client.post(f"/en/r/{token}/cancel")
    subjects = sorted(_parse(m)["Subject"] for m in recorder.messages[2:])
    assert subjects == [
        "A seat is yours: Test symposium",
        "Your registration is cancelled: Test symposium",
    ]


def test_failed_send_is_retried_and_the_registration_stays(client, app, smtp, event):
    _controller, recorder = smtp
    recorder.fail_next = 1  # the server answers 451 the first time
    response = post_registration(client, event, "en")
    assert response.status_code == 303
    assert len(recorder.messages) == 1
    with app.app_context():
        row = db.session.scalar(db.select(OutboxEmail))
        assert row.status == "sent" and row.attempts == 2
        assert db.session.scalar(db.select(db.func.count(Registration.id))) == 1


def test_celery_broker_receives_the_job(app, monkeypatch):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis broker for this test (.ci/run sets it)")
    import redis

    from symposium import celery_app, jobs

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at TEST_REDIS_URL is not reachable: {exc}")
    client.delete("celery")
    monkeypatch.setattr(celery_app, "_celery", None)
    app.config.update(JOBS_EAGER=False, CELERY_BROKER_URL=url)
    try:
        with app.app_context():
            jobs.enqueue("symposium.services.notifications:process_pending")
        raw = client.lpop("celery")
        assert raw is not None, "no task message in the Redis queue"
        envelope = json.loads(raw)
        assert envelope["headers"]["task"] == "symposium.run_job"
        import base64

        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        assert args[0] == "symposium.services.notifications:process_pending"
    finally:
        client.delete("celery")
        if celery_app._celery is not None:
            celery_app._celery.close()
        monkeypatch.setattr(celery_app, "_celery", None)


def test_a_real_celery_worker_sends_the_confirmation(app, client, smtp, event, tmp_path):
    """CELERY_BROKER_URL set: the web process only queues jobs in Redis; a real
    ``celery -A symposium.celery_app worker`` renders the email and delivers it over SMTP."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis broker for this test (.ci/run sets it)")
    import subprocess
    import sys
    import time

    import redis

    from symposium import celery_app

    # A Redis database of its own, so that the queue-inspecting test above never races it
    broker = url.rsplit("/", 1)[0] + "/14"
    try:
        redis.Redis.from_url(broker).flushdb()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at TEST_REDIS_URL is not reachable: {exc}")
    controller, recorder = smtp
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "CELERY_BROKER_URL": broker,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(controller.port),
        "STORAGE_DIR": app.config["STORAGE_DIR"],
        "SYMPOSIUM_BASE_URL": app.config["SYMPOSIUM_BASE_URL"],
    }
    worker = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [
            *(sys.executable, "-m", "celery", "-A", "symposium.celery_app", "worker"),
            *("--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("--loglevel", "warning"),
        ],
        env=env,
        cwd=os.path.dirname(os.path.dirname(__file__)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    app.config.update(JOBS_EAGER=False, CELERY_BROKER_URL=broker, REGISTRATION_EMAIL_DELAY=0)
    celery_app._celery = None
    try:
        response = post_registration(client, event, "en", preferred_language="fr")
        assert response.status_code == 303
        assert recorder.messages == []  # nothing is sent by the web process itself
        deadline = time.monotonic() + 60
        while not recorder.messages and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read().decode(errors="replace")
            time.sleep(0.2)
        assert recorder.messages, "the worker delivered no email within 60 s"
        message = email.message_from_bytes(recorder.messages[0], policy=policy.default)
        assert (
            message["Subject"].replace("\u202f", " ")
            == "Votre inscription est confirmée : Symposium de test"
        )
        with app.app_context():
            row = db.session.scalar(db.select(OutboxEmail))
            assert row is not None and row.status == "sent"
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        worker.stdout.close()
        if celery_app._celery is not None:
            celery_app._celery.close()
        celery_app._celery = None
        redis.Redis.from_url(broker).flushdb()


def test_rendering_emails_leaves_the_pages_language_alone(client, smtp, event):
    """Emails are rendered with a catalog installed in an environment of their own: an Arabic
    email must not turn the app's English pages Arabic, nor the next French email."""
    _controller, recorder = smtp
    post_registration(client, event, "en", preferred_language="ar", email="ar@example.org")
    page = client.get(f"/en/events/{event}/register").get_data(as_text=True)
    assert "Full name" in page and "الاسم الكامل" not in page
    post_registration(client, event, "en", preferred_language="fr", email="fr@example.org")
    subjects = [_parse(raw)["Subject"] for raw in recorder.messages]
    assert subjects[0] == "تأكّد تسجيلك: ندوة الاختبار"
    assert (
        subjects[1].replace("\u202f", " ") == "Vous êtes sur la liste d’attente : Symposium de test"
    )
