"""No N+1 on the registration path: a registration POST, the honeypot POST and the form GET
run a fixed, small number of SQL statements, whatever the size of the event."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import g
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import event as sa_event
from wtforms.fields import Label as WtformsLabel
from wtforms.widgets import Select as WtformsSelect
from wtforms.widgets import html_params as wtforms_html_params

from symposium.extensions import db
from symposium.models import Event, Registration
from symposium.models.registration import RegistrationNotice
from symposium.public import widgets
from symposium.public.forms import RegistrationForm
from tests.factories import make_event, make_session
from tests.registration_helpers import form_data, row_counts

WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements(app):
    """Every SQL statement sent to the database inside the block (BEGIN/COMMIT excluded)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", *WRITES, "WITH")):
            seen.append(" ".join(statement.split()))

    sa_event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", before)


def _event(app, slug: str, *, sessions: int, registrations: int) -> list[str]:
    """An event with ``sessions`` sign-up sessions and ``registrations`` people registered;
    returns the session keys."""
    with app.app_context():
        ev = make_event(db.session, slug, capacity=None)
        keys = []
        for i in range(sessions):
            hour = 8 + i % 10
            day = 24 + i // 10
            make_session(
                db.session,
                ev,
                f"s{i}",
                f"2027-01-{day:02d}T{hour:02d}:00",
                f"2027-01-{day:02d}T{hour:02d}:45",
                capacity=50,
            )
            keys.append(f"s{i}")
        for i in range(registrations):
            db.session.add(
                Registration(
                    event=ev,
                    full_name=f"Person {i}",
                    email=f"p{i}@example.org",
                    email_normalized=f"p{i}@example.org",
                    token=f"token-{slug}-{i}",
                    status="confirmed",
                )
            )
        db.session.commit()
        return keys


def _post(client, slug, **overrides):
    return client.post(f"/en/events/{slug}/register", data=form_data(**overrides))


@pytest.fixture
def after_commit_jobs(monkeypatch):
    """The jobs started after a commit (the email rendering), recorded instead of run inline:
    their statements are not the request's (they run after the response, elsewhere)."""
    started: list[str] = []
    monkeypatch.setattr(
        "symposium.jobs.run_job", lambda app, path, *args, **kwargs: started.append(path)
    )
    return started


def _counts(app, client, slug, **overrides) -> tuple[int, int]:
    """(statements, writes) of one registration POST."""
    with statements(app) as seen:
        response = _post(client, slug, **overrides)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return len(seen), sum(s.upper().startswith((*WRITES, "WITH")) for s in seen)


# A registration: the event (with its sign-up sessions and whether it has webhooks) in one
# SELECT, then the INSERT of the registration, the INSERT of the owed email and, under a
# capacity, the seat UPDATE: two or three statements on SQLite, one on PostgreSQL
# (data-modifying CTEs). These events have no capacity.
REGISTRATION_WRITES = {"sqlite": 2, "postgresql": 1}
# Each chosen session: its seat UPDATE and the INSERT of the sign-up
PER_CHOSEN_SESSION = 2


def _writes(app) -> int:
    with app.app_context():
        return REGISTRATION_WRITES[db.engine.dialect.name]


def test_a_registration_runs_a_fixed_number_of_statements(app, client, after_commit_jobs):
    small_keys = _event(app, "small", sessions=2, registrations=0)
    large_keys = _event(app, "large", sessions=40, registrations=300)
    writes = _writes(app)

    counts = {slug: _counts(app, client, slug) for slug in ("small", "large")}
    assert counts["small"] == counts["large"] == (1 + writes, writes), counts

    with_sessions = {
        slug: _counts(app, client, slug, email="two@example.org", sessions=keys[:2])
        for slug, keys in (("small", small_keys), ("large", large_keys[:2]))
    }
    expected = 1 + writes + 2 * PER_CHOSEN_SESSION
    assert with_sessions["small"] == with_sessions["large"] == (expected, expected - 1)

    # Really registered, seats taken, the emails owed (rendered by the job after the commit)
    with app.app_context():
        people = db.session.scalars(
            db.select(Registration).where(Registration.email == "two@example.org")
        ).all()
        assert len(people) == 2
        assert all(
            sorted(s.status for s in person.session_signups) == ["confirmed", "confirmed"]
            for person in people
        )
    assert after_commit_jobs.count("symposium.services.notifications:process_pending") == 4


def test_under_a_capacity_the_seat_is_one_more_write_on_sqlite(app, client, after_commit_jobs):
    with app.app_context():
        make_event(db.session, "limited", capacity=10)
        db.session.commit()
        dialect = db.engine.dialect.name
    counts = _counts(app, client, "limited")
    assert counts == ((4, 3) if dialect == "sqlite" else (2, 1)), counts
    with app.app_context():
        assert db.session.scalar(db.select(Event.confirmed_count)) == 1


def test_an_already_registered_email_adds_no_statement_per_registration(
    app, client, after_commit_jobs
):
    _event(app, "small", sessions=0, registrations=1)
    _event(app, "large", sessions=30, registrations=300)
    counts = {
        slug: _counts(app, client, slug, email="p0@example.org") for slug in ("small", "large")
    }
    assert counts["small"] == counts["large"], counts
    # The event, the INSERT that finds the email taken, the registration, the owed email
    assert counts["small"] == (4, 2), counts


def test_the_honeypot_stores_nothing_in_one_statement(app, client, after_commit_jobs):
    _event(app, "large", sessions=30, registrations=50)
    before = row_counts(app)
    with statements(app) as seen:
        response = _post(client, "large", email="bot@example.org", website="https://spam.example")
    assert response.status_code == 303
    assert len(seen) == 1 and seen[0].startswith("SELECT"), seen
    assert row_counts(app) == before
    assert after_commit_jobs == []


def test_the_form_page_runs_one_statement(app, client):
    _event(app, "small", sessions=0, registrations=0)
    _event(app, "large", sessions=40, registrations=300)
    for slug in ("small", "large"):
        with statements(app) as seen:
            response = client.get(f"/en/events/{slug}/register")
        assert response.status_code == 200
        assert len(seen) == 1, seen
    page = response.get_data(as_text=True)
    assert page.count('name="sessions"') == 40
    assert "50 seats left" in page


# The registration form's cheaper widgets render exactly what WTForms' own render


@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": "x", "name": "full_name", "value": 'a "quoted" <b> & c', "maxlength": 200},
        {"checked": True, "disabled": False, "class_": "c", "for_": "f", "data_x_y": "1"},
        {"aria_invalid": "true", "value": Markup('<i>safe "markup"</i>'), "autocomplete": "off"},
        {},
    ],
)
def test_fast_html_params_is_wtforms_html_params(kwargs):
    assert widgets.html_params(**kwargs) == wtforms_html_params(**kwargs)


@pytest.mark.parametrize("lang", ["ar", "en", "fr"])
@pytest.mark.parametrize("country", [None, "", "SA", "ma", "<x>"])
def test_the_cached_country_select_is_wtforms_select(app, lang, country):
    data = {} if country is None else {"country": country, "preferred_language": "fr"}
    with app.test_request_context(method="POST", data=data), force_locale(lang):
        g.lang = lang
        form = RegistrationForm(lang=lang)
        for field in (form.country, form.preferred_language):
            fast = str(field(**{"aria-invalid": "true"}))
            assert fast.count("<option") > 2
            field.choices = list(field.choices)  # a list: WTForms' own widget renders it
            assert fast == str(WtformsSelect()(field, **{"aria-invalid": "true"}))
        for field in form:
            label = field.label
            assert isinstance(label, widgets.Label)
            assert str(label(class_="x")) == str(
                WtformsLabel(label.field_id, label.text)(class_="x")
            )


def test_a_full_event_owes_the_waiting_list_email_not_the_confirmation(
    app, client, after_commit_jobs
):
    # The notice is written before the seat is taken (the hot event row stays locked for the
    # shortest time): when no seat is left, it must say "waiting list", once
    with app.app_context():
        make_event(db.session, "tiny", capacity=1)
        db.session.commit()
    assert _post(client, "tiny", email="first@example.org").status_code == 303
    assert _post(client, "tiny", email="second@example.org").status_code == 303
    with app.app_context():
        notices = db.session.execute(
            db.select(Registration.email, Registration.status, RegistrationNotice.kind)
            .join(RegistrationNotice, RegistrationNotice.registration_id == Registration.id)
            .order_by(RegistrationNotice.id)
        ).all()
    assert [tuple(row) for row in notices] == [
        ("first@example.org", "confirmed", "confirmed"),
        ("second@example.org", "waitlisted", "waitlisted"),
    ]
