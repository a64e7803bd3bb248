"""Webhooks with a real local receiver: signed deliveries, retries with back-off until a 2xx,
no redirects, private addresses refused unless allowed, automatic disabling, the workspace."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from symposium.extensions import db
from symposium.models import OutboxEmail, WebhookDelivery, WebhookEndpoint
from symposium.models.types import utcnow
from symposium.services import webhooks
from symposium.services.events import find_event
from symposium.services.webhooks.delivery import deliver_due
from tests.conftest import make_user
from tests.factories import make_event, make_room, make_session
from tests.registration_helpers import post_registration


class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers from a script."""

    def __init__(self, answers=(200,)):
        self.answers = list(answers)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = (
                    receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                )
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header(
                        "Location", f"http://127.0.0.1:{self.server.server_port}/elsewhere"
                    )
                self.end_headers()
                self.wfile.write(b"x" * 200_000)  # a long answer: read only up to the cap

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, kind):
        return [r for r in self.requests if r["headers"]["Symposium-Webhook-Event"] == kind]


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_PRIVATE": True, "WEBHOOK_RETRY_SECONDS": 10}


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _endpoint(app, url, types=("registration.created", "registration.confirmed")):
    with app.app_context():
        event = find_event(db.session, "test-event") or make_event(db.session, capacity=1)
        endpoint = webhooks.create_endpoint(db.session, event, url, list(types))
        db.session.commit()
        return endpoint.id, endpoint.secret


def _deliveries(app):
    with app.app_context():
        return db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def test_signed_deliveries_verify(app, client, receiver):
    _id, secret = _endpoint(app, receiver.url)
    assert post_registration(client).status_code == 303
    assert [r["headers"]["Symposium-Webhook-Event"] for r in receiver.requests] == [
        "registration.created",
        "registration.confirmed",
    ]
    for request in receiver.requests:
        headers, body = request["headers"], request["body"]
        timestamp = headers["Symposium-Webhook-Timestamp"]
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        assert headers["Symposium-Webhook-Signature"] == "v1=" + expected.hexdigest()
        payload = json.loads(body)
        assert payload["id"] == headers["Symposium-Webhook-Id"]
        assert payload["data"]["registration"]["email"] == "amina@example.org"
        assert "token" not in json.dumps(payload)
    assert len({r["headers"]["Symposium-Webhook-Id"] for r in receiver.requests}) == 2


def test_retries_until_accepted_exactly_once(app, client):
    receiver = Receiver(answers=[500, 500, 200])
    try:
        _endpoint(app, receiver.url, types=["registration.created"])
        post_registration(client)  # first attempt right after the commit: 500
        with app.app_context():
            later = utcnow() + timedelta(seconds=11)
            deliver_due(now=later)  # second: 500
            assert deliver_due(now=later) == 0  # not due yet: back-off doubled
            deliver_due(now=later + timedelta(seconds=21))  # third: 200
            deliver_due(now=later + timedelta(hours=7))  # nothing more to send
        (delivery,) = _deliveries(app)
        assert delivery.status == "delivered" and delivery.attempts == 3
        assert delivery.last_status_code == 200
        assert [r["headers"]["Symposium-Webhook-Id"] for r in receiver.requests] == [
            delivery.delivery_id
        ] * 3
    finally:
        receiver.close()


def test_redirects_are_not_followed(app, client):
    receiver = Receiver(answers=[302])
    try:
        _endpoint(app, receiver.url, types=["registration.created"])
        post_registration(client)
        assert [r["path"] for r in receiver.requests] == ["/hook"]  # never /elsewhere
        (delivery,) = _deliveries(app)
        assert delivery.status == "pending" and delivery.last_status_code == 302
    finally:
        receiver.close()


class TestPrivateAddresses:
    @pytest.fixture
    def app_config(self):
        return {}

    def test_loopback_refused_when_not_allowed(self, app, auth, client, receiver):
        with app.app_context():
            event = make_event(db.session)
            db.session.commit()
            for url in (
                receiver.url,
                "http://localhost/x",
                "http://169.254.169.254/latest",
                "http://10.0.0.8/x",
                "ftp://example.org/x",
                "http://user:pw@example.org/",
            ):
                with pytest.raises(webhooks.WebhookError):
                    webhooks.create_endpoint(db.session, event, url, ["agenda.changed"])
        make_user(app, "org@example.org", "organiser", events=[event])
        auth.login("org@example.org")
        page = client.post(
            "/en/manage/events/test-event/webhooks",
            data={"url": receiver.url, "event_types": ["agenda.changed"]},
        )
        assert page.status_code == 400 and b"private, loopback or link-local" in page.data
        with app.app_context():
            assert db.session.scalar(db.select(db.func.count()).select_from(WebhookEndpoint)) == 0

    def test_checked_again_at_delivery(self, app, client, receiver):
        app.config["WEBHOOK_ALLOW_PRIVATE"] = True
        _endpoint(app, receiver.url, types=["registration.created"])
        app.config["WEBHOOK_ALLOW_PRIVATE"] = False
        post_registration(client)
        assert receiver.requests == []
        (delivery,) = _deliveries(app)
        assert delivery.status == "pending" and "private" in delivery.last_error

    def test_the_delivery_connects_to_the_address_it_checked(self, app, monkeypatch):
        """DNS rebinding: the name answers a public address to the check and a private one a
        moment later. The delivery connects to the checked address, never looks it up again."""
        from symposium.services.webhooks import delivery

        answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])

        def lookup(host, port, *args, **kwargs):
            return [(2, 1, 6, "", (next(answers), port))]

        connected = []

        def connect(address, *args, **kwargs):
            connected.append(address)
            raise OSError("test: no network")

        monkeypatch.setattr(webhooks.socket, "getaddrinfo", lookup)
        monkeypatch.setattr(delivery.socket, "create_connection", connect)
        with app.app_context():
            status, error = delivery.post(
                "https://hooks.example.org/in", b"{}", {"Content-Type": "application/json"}, 2
            )
        assert status is None and "no network" in error
        assert connected == [("93.184.216.34", 443)]


class TestDisabling:
    @pytest.fixture
    def app_config(self):
        return {"WEBHOOK_ALLOW_PRIVATE": True, "WEBHOOK_DISABLE_AFTER": 2}

    def test_disabled_after_repeated_failures_and_organisers_told(self, app, client):
        receiver = Receiver(answers=[503])
        try:
            endpoint_id, _secret = _endpoint(app, receiver.url)
            with app.app_context():
                event = find_event(db.session, "test-event")
                db.session.commit()
            make_user(app, "org@example.org", "organiser", events=[event])
            post_registration(client)  # created: 503, confirmed: 503 -> disabled
            with app.app_context():
                endpoint = db.session.get(WebhookEndpoint, endpoint_id)
                assert endpoint.active is False and endpoint.disabled_at is not None
                told = db.session.scalars(
                    db.select(OutboxEmail).where(OutboxEmail.kind == "webhook_disabled")
                ).all()
                assert [m.recipient for m in told] == ["org@example.org"]
            post_registration(client, email="second@example.org")
            assert len(receiver.requests) == 2  # nothing owed to a disabled endpoint
        finally:
            receiver.close()


def test_other_event_types(app, client, receiver):
    types = [
        "registration.cancelled",
        "registration.promoted",
        "agenda.changed",
        "registration.waitlisted",
    ]
    _endpoint(app, receiver.url, types=types)
    post_registration(client)  # capacity 1: confirmed
    post_registration(client, email="second@example.org")  # waitlisted
    with app.app_context():
        from symposium.models import Registration
        from symposium.services.registration import cancel

        first = db.session.scalar(
            db.select(Registration).where(Registration.email == "amina@example.org")
        )
        cancel(db.session, first)
        event = find_event(db.session, "test-event")
        make_session(
            db.session,
            event,
            "new",
            "2027-01-24T09:00",
            "2027-01-24T10:00",
            room=make_room(db.session, event),
        )
        from symposium.services.events import bump_agenda_version

        bump_agenda_version(event)
        db.session.commit()
    kinds = [r["headers"]["Symposium-Webhook-Event"] for r in receiver.requests]
    assert kinds == [
        "registration.waitlisted",
        "registration.cancelled",
        "registration.promoted",
        "agenda.changed",
    ]
    promoted = json.loads(receiver.of_type("registration.promoted")[0]["body"])
    assert promoted["data"]["registration"]["email"] == "second@example.org"


def test_workspace_secret_once_log_and_redelivery(app, auth, client, receiver):
    with app.app_context():
        event = make_event(db.session)
        db.session.commit()
    make_user(app, "org@example.org", "organiser", events=[event])
    auth.login("org@example.org")
    created = client.post(
        "/en/manage/events/test-event/webhooks",
        data={"url": receiver.url, "event_types": ["registration.created"]},
    )
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    secret = created.data.decode().split('class="webhook-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("whsec_")
    assert secret not in client.get("/en/manage/events/test-event/webhooks").data.decode()
    post_registration(app.test_client())
    (delivery,) = _deliveries(app)
    log = client.get(f"/en/manage/events/test-event/webhooks/{delivery.endpoint_id}").data.decode()
    assert delivery.delivery_id in log and "200" in log
    again = client.post(
        f"/en/manage/events/test-event/webhooks/{delivery.endpoint_id}/deliveries/{delivery.id}/redeliver"
    )
    assert again.status_code == 302
    ids = [r["headers"]["Symposium-Webhook-Id"] for r in receiver.requests]
    assert len(ids) == 2 and ids[0] != ids[1]
    assert (
        json.loads(receiver.requests[1]["body"])["data"]
        == json.loads(receiver.requests[0]["body"])["data"]
    )
    # another organiser's event: 403/404
    make_user(app, "other@example.org", "organiser")
    auth.logout()
    auth.login("other@example.org")
    assert client.get(
        f"/en/manage/events/test-event/webhooks/{delivery.endpoint_id}"
    ).status_code in (403, 404)
