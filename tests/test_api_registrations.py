"""API v1 registrations: list with filters and cursor, create (201, Location), duplicates (409),
validation problems with paths (422), Idempotency-Key, cancel, promote, check-in; capacity and
FIFO hold when the API and the form register at the same time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from symposium.extensions import db
from symposium.models import Event, Registration
from symposium.services import registration as reg
from tests.api_helpers import bearer, build_api_world, token_for
from tests.registration_helpers import form_data

LIST = "/api/v1/events/mine/registrations"


@pytest.fixture
def world(app):
    return build_api_world(app)


@pytest.fixture
def auth_headers(app, world):
    return bearer(token_for(app, world.organiser_id))


def _create(client, headers, i, **extra):
    body = {"full_name": f"Person {i}", "email": f"p{i}@example.org", **extra}
    return client.post(LIST, json=body, headers=headers)


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Registration))


def test_create_then_read(client, auth_headers):
    response = _create(
        client, auth_headers, 1, preferred_language="fr", sessions=["w1"], organisation="UIL"
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "confirmed" and body["source"] == "manual"
    assert body["sessions"] == [{"session": "w1", "status": "confirmed", "attended_at": None}]
    assert "token" not in body  # the personal link stays personal
    assert response.headers["Location"].endswith(f"{LIST}/{body['id']}")
    again = client.get(f"{LIST}/{body['id']}", headers=auth_headers)
    assert again.status_code == 200 and again.json == body


def test_duplicate_email_is_409(app, client, auth_headers):
    assert _create(client, auth_headers, 1).status_code == 201
    duplicate = _create(client, auth_headers, 1)
    assert duplicate.status_code == 409
    assert duplicate.mimetype == "application/problem+json"
    assert _count(app) == 1


def test_validation_problems_carry_field_paths(app, client, auth_headers):
    response = client.post(
        LIST,
        json={"email": "x@example.org", "sessions": ["w1", ""], "surprise": 1},
        headers={**auth_headers, "Accept-Language": "fr"},
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    paths = {e["path"]: e["message"] for e in response.json["errors"]}
    assert set(paths) == {"full_name", "sessions[1]", "surprise"}
    assert paths["full_name"] == "Ce champ est obligatoire."
    unknown_session = _create(client, auth_headers, 2, sessions=["nope"])
    assert unknown_session.status_code in (409, 422)
    assert "Traceback" not in unknown_session.get_data(as_text=True)
    assert _count(app) == 0


def test_body_that_is_not_json_is_a_problem(client, auth_headers):
    response = client.post(
        LIST, data="{not json", headers={**auth_headers, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_list_filters_and_cursor_pagination(app, client, auth_headers):
    for i in range(5):
        assert _create(client, auth_headers, i, attendance_mode="in_person").status_code == 201
    # capacity 2: two confirmed, three waiting
    confirmed = client.get(f"{LIST}?status=confirmed", headers=auth_headers).json
    assert [r["email"] for r in confirmed["items"]] == ["p0@example.org", "p1@example.org"]
    seen, cursor = [], None
    while True:
        url = f"{LIST}?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=auth_headers).json
        seen += [r["email"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"p{i}@example.org" for i in range(5)]
    found = client.get(f"{LIST}?q=person%203", headers=auth_headers).json["items"]
    assert [r["email"] for r in found] == ["p3@example.org"]
    bad = client.get(f"{LIST}?cursor=garbage!!", headers=auth_headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["path"] == "cursor"


def test_idempotency_key_makes_one_registration(app, client, auth_headers):
    headers = {**auth_headers, "Idempotency-Key": "crm-42"}
    first = _create(client, headers, 7)
    retry = _create(client, headers, 7)
    assert first.status_code == retry.status_code == 201
    assert retry.json == first.json and retry.headers["Idempotency-Replayed"] == "true"
    assert _count(app) == 1
    other_body = _create(client, headers, 8)
    assert other_body.status_code == 422
    assert _count(app) == 1


def test_concurrent_retries_with_one_key_make_one_registration(app, client, auth_headers):
    headers = {**auth_headers, "Idempotency-Key": "same-key"}
    barrier = threading.Barrier(4)

    def attempt(_):
        barrier.wait()
        return _create(app.test_client(), headers, 9).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(attempt, range(4)))
    assert codes == [201] * 4
    assert _count(app) == 1


def test_cancel_promote_and_checkin(app, client, auth_headers, world):
    ids = [_create(client, auth_headers, i).json["id"] for i in range(3)]
    waiting = client.get(f"{LIST}/{ids[2]}", headers=auth_headers).json
    assert waiting["status"] == "waitlisted"
    refused = client.post(f"{LIST}/{ids[2]}/promote", headers=auth_headers)
    assert refused.status_code == 409  # no free seat
    cancelled = client.post(f"{LIST}/{ids[0]}/cancel", headers=auth_headers)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    # the freed seat went to the next person waiting
    assert client.get(f"{LIST}/{ids[2]}", headers=auth_headers).json["status"] == "confirmed"
    assert client.post(f"{LIST}/{ids[0]}/cancel", headers=auth_headers).status_code == 200
    assert client.post(f"{LIST}/{ids[2]}/promote", headers=auth_headers).status_code == 409

    # before the event starts, check-in is refused with the start time
    early = client.post(f"{LIST}/{ids[1]}/checkin", headers=auth_headers)
    assert early.status_code == 409 and early.mimetype == "application/problem+json"
    # an organiser's override is not enough; the event starts
    overridden = client.post(f"{LIST}/{ids[1]}/checkin?override=true", headers=auth_headers)
    assert overridden.status_code == 409
    _start_now(app)
    checked = client.post(f"{LIST}/{ids[1]}/checkin", headers=auth_headers)
    assert checked.status_code == 200 and checked.json["status"] == "ok"
    assert checked.json["registration"]["checked_in_at"]
    twice = client.post(f"{LIST}/{ids[1]}/checkin", headers=auth_headers)
    assert twice.json["status"] == "already"
    assert client.post(f"{LIST}/{ids[0]}/checkin", headers=auth_headers).status_code == 409
    unknown = client.post(
        "/api/v1/events/mine/checkin", json={"code": "not-a-ticket"}, headers=auth_headers
    )
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"


def _start_now(app) -> None:
    """Move the event's sessions so that it started an hour ago."""
    from datetime import timedelta

    from symposium.models import Session
    from symposium.models.types import utcnow

    with app.app_context():
        for item in db.session.scalars(db.select(Session)):
            shift = utcnow() - timedelta(hours=1) - item.starts_at
            item.starts_at += shift
            item.ends_at += shift
        db.session.commit()


def test_admin_override_checks_in_before_the_start_and_is_audited(app, client, world):
    from symposium.models import AuditLog

    admin = bearer(token_for(app, world.admin_id))
    created = client.post(
        LIST, json={"full_name": "Early Bird", "email": "e@example.org"}, headers=admin
    )
    rid = created.json["id"]
    assert client.post(f"{LIST}/{rid}/checkin", headers=admin).status_code == 409
    done = client.post(f"{LIST}/{rid}/checkin?override=true", headers=admin)
    assert done.status_code == 200 and done.json["status"] == "ok"
    with app.app_context():
        assert (
            db.session.scalar(db.select(AuditLog).where(AuditLog.action == "checkin.override"))
            is not None
        )


def test_api_and_form_together_keep_capacity_and_fifo(app, world):
    """Twenty people through the API and twenty through the form, at once, for 2 seats."""
    headers = bearer(token_for(app, world.organiser_id))
    lock = threading.Lock()
    codes: list[int] = []

    def attempt(i: int):
        client = app.test_client()
        if i % 2:
            response = client.post(
                LIST,
                json={"full_name": f"Api {i}", "email": f"api{i}@example.org"},
                headers=headers,
            )
        else:
            response = client.post(
                "/en/events/mine/register",
                data=form_data(full_name=f"Form {i}", email=f"form{i}@example.org"),
            )
        with lock:
            codes.append(response.status_code)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(attempt, range(40)))
    assert all(code < 500 for code in codes), codes
    with app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == "mine"))
        regs = db.session.scalars(
            db.select(Registration).where(Registration.event_id == event.id)
        ).all()
        confirmed = [r for r in regs if r.status == "confirmed"]
        waiting = sorted(
            (r for r in regs if r.status == "waitlisted"), key=lambda r: r.waitlist_seq
        )
        assert len(regs) == 40 and len(confirmed) == 2 == event.confirmed_count
        positions = [reg.waitlist_position(db.session, r) for r in waiting]
        assert positions == list(range(1, 39))


@pytest.fixture
def app_config():
    # threads of the mixed test each hold a request and the eager email jobs' connections
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 30, "max_overflow": 10}}
