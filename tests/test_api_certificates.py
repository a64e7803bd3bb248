"""API v1 attendance and certificates: the door's and the workspace's rules through a token."""

from __future__ import annotations

import pytest

from tests.api_helpers import bearer, build_api_world, token_for
from tests.test_api_registrations import _start_now

EVENT = "/api/v1/events/mine"


@pytest.fixture
def world(app):
    return build_api_world(app)


@pytest.fixture
def headers(app, world):
    return bearer(token_for(app, world.organiser_id))


def _register(client, headers, email):
    response = client.post(
        f"{EVENT}/registrations",
        json={"full_name": "Amina Haddad", "email": email},
        headers=headers,
    )
    assert response.status_code == 201
    return response.json["id"]


def test_attendance_then_certificate_then_revocation(app, client, headers, world):
    rid = _register(client, headers, "amina@example.org")
    other = _register(client, headers, "bo@example.org")
    early = client.post(
        f"{EVENT}/attendance", json={"emails": ["amina@example.org"]}, headers=headers
    )
    assert early.status_code == 409 and early.mimetype == "application/problem+json"
    _start_now(app)
    marked = client.post(
        f"{EVENT}/attendance",
        json={"emails": ["AMINA@example.org", "nobody@example.org"]},
        headers=headers,
    )
    assert marked.status_code == 200
    assert marked.json["marked"] == 1 and marked.json["unknown"] == ["nobody@example.org"]

    not_attended = client.post(f"{EVENT}/registrations/{other}/certificate", headers=headers)
    assert not_attended.status_code == 409
    issued = client.post(f"{EVENT}/registrations/{rid}/certificate", headers=headers)
    assert issued.status_code == 200, issued.json
    cert = issued.json
    assert cert["holder_name"] == "Amina Haddad" and cert["revoked_at"] is None
    assert "/verify/" in cert["verify_url"]
    again = client.post(f"{EVENT}/registrations/{rid}/certificate", headers=headers)
    assert again.json["number"] == cert["number"]  # issued once
    listed = client.get(f"{EVENT}/certificates", headers=headers).json
    assert [c["number"] for c in listed] == [cert["number"]]
    pdf = client.get(f"{EVENT}/certificates/{cert['number']}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert client.get(f"{EVENT}/certificates/{cert['number']}/pdf").status_code == 401

    revoked = client.post(
        f"{EVENT}/certificates/{cert['number']}/revoke",
        json={"reason": "Issued by mistake"},
        headers=headers,
    )
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    twice = client.post(
        f"{EVENT}/certificates/{cert['number']}/revoke", json={"reason": "again"}, headers=headers
    )
    assert twice.status_code == 409
    empty = client.post(f"{EVENT}/certificates/{cert['number']}/revoke", json={}, headers=headers)
    assert empty.status_code == 422 and empty.json["errors"][0]["path"] == "reason"
    verify = client.get(cert["verify_url"].split("localhost", 1)[-1])
    assert verify.status_code in (200, 410)


def test_other_events_certificates_are_not_there(app, client, world, headers):
    rid = _register(client, headers, "amina@example.org")
    theirs = bearer(token_for(app, world.other_id))
    assert client.get(f"{EVENT}/certificates", headers=theirs).status_code == 404
    assert (
        client.post(f"{EVENT}/registrations/{rid}/certificate", headers=theirs).status_code == 404
    )
    read = bearer(token_for(app, world.organiser_id, "read"))
    assert client.post(f"{EVENT}/registrations/{rid}/certificate", headers=read).status_code == 403
    assert client.get(f"{EVENT}/certificates/NOPE-1/pdf", headers=headers).status_code == 404
