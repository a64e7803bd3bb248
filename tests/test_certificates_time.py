"""Certificates are not issued before the event starts: single issue, bulk generation, the
workspace and the CLI refuse (the start in the event's timezone); an administrator may
override with a confirmation that is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from symposium.extensions import db
from symposium.i18n import fmt_datetime
from symposium.models import AuditLog, Certificate, Job, User
from symposium.models.types import utcnow
from symposium.services import certificates as certs
from symposium.services.event_time import event_starts_at
from tests.conftest import make_user
from tests.factories import make_event
from tests.pdf_helpers import make_registration

EARLY_ACTION = "certificates.issue_before_start"


def _future_event(ctx, slug="future-2027"):
    day = (utcnow() + timedelta(days=40)).date()
    event = make_event(ctx, slug, day=day, timezone="Asia/Riyadh")
    registration = make_registration(ctx, event, "Layla Haddad", "l@example.org", lang="en")
    return event, registration


def _start_text(event) -> str:
    return fmt_datetime(event_starts_at(event), event.timezone, fmt="long")


def _audits(ctx, event):
    return ctx.scalars(
        db.select(AuditLog).where(AuditLog.action == EARLY_ACTION, AuditLog.event_id == event.id)
    ).all()


def test_single_issue_and_bulk_refused_before_start_with_the_local_date(ctx):
    event, registration = _future_event(ctx)
    with pytest.raises(certs.TooEarly) as caught:
        certs.issue_for_registration(ctx, registration, render_pdf=False)
    assert _start_text(event) in caught.value.message
    assert "Asia/Riyadh" in caught.value.message
    with pytest.raises(certs.TooEarly):
        certs.generate_all(ctx, event)
    with pytest.raises(certs.TooEarly):
        certs.start_job(ctx, event, "certificates.generate")
    assert ctx.scalars(db.select(Certificate)).all() == []


def test_started_event_issues_as_before(ctx):
    event = make_event(ctx, "past-2026", day=(utcnow() - timedelta(days=3)).date())
    registration = make_registration(ctx, event, "Omar Said", "o@example.org")
    cert = certs.issue_for_registration(ctx, registration, render_pdf=False)
    assert cert.id is not None and _audits(ctx, event) == []


def test_only_an_admin_may_override_and_it_is_audited(app, ctx):
    event, registration = _future_event(ctx)
    ctx.commit()
    organiser = make_user(app, "org@example.org", "organiser", events=[event])
    admin = make_user(app, "admin@example.org", "admin")
    with pytest.raises(certs.CertificateError) as caught:
        certs.issue_for_registration(
            ctx, registration, user=ctx.get(User, organiser), allow_early=True, render_pdf=False
        )
    assert not isinstance(caught.value, certs.TooEarly)
    assert _audits(ctx, event) == []
    cert = certs.issue_for_registration(
        ctx, registration, user=ctx.get(User, admin), allow_early=True, render_pdf=False
    )
    assert cert.id is not None
    (entry,) = _audits(ctx, event)
    assert entry.user_id == admin


def test_workspace_explains_and_admin_confirms(app, client, auth, ctx):
    event, _registration = _future_event(ctx, "ws-future")
    ctx.commit()
    make_user(app, "org@example.org", "organiser", events=[event])
    make_user(app, "admin@example.org", "admin")
    url = "/en/manage/events/ws-future/certificates"

    auth.login("org@example.org")
    page = client.get(url).get_data(as_text=True)
    assert _start_text(event) in page  # organisers see why, before they try
    assert 'name="allow_early"' not in page  # no override for organisers
    response = client.post(url + "/generate", data={"allow_early": "y"})
    assert response.status_code == 302
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _start_text(event) in after
    assert ctx.scalars(db.select(Job)).all() == [] and _audits(ctx, event) == []
    auth.logout()

    auth.login("admin@example.org")
    assert 'name="allow_early"' in client.get(url).get_data(as_text=True)
    refused = client.post(url + "/generate")  # no confirmation ticked: still refused
    assert refused.status_code == 302 and ctx.scalars(db.select(Job)).all() == []
    response = client.post(url + "/generate", data={"allow_early": "y"})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    ctx.expire_all()
    assert len(ctx.scalars(db.select(Certificate)).all()) == 1
    assert len(_audits(ctx, event)) == 1


def test_cli_refuses_then_confirms_with_before_start(runner, ctx):
    event, _registration = _future_event(ctx, "cli-future")
    ctx.commit()
    result = runner.invoke(args=["certificates", "generate", "cli-future"])
    assert result.exit_code != 0
    assert _start_text(event) in result.output and "--before-start" in result.output
    declined = runner.invoke(
        args=["certificates", "generate", "cli-future", "--before-start"], input="n\n"
    )
    assert declined.exit_code != 0
    ctx.expire_all()
    assert ctx.scalars(db.select(Certificate)).all() == []
    result = runner.invoke(
        args=["certificates", "generate", "cli-future", "--before-start"], input="y\n"
    )
    assert result.exit_code == 0, result.output
    ctx.expire_all()
    assert len(ctx.scalars(db.select(Certificate)).all()) == 1
    assert len(_audits(ctx, event)) == 1
