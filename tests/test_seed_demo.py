"""`make run` re-runs `flask db upgrade` and `flask seed-demo` every time: the demo is created
once, and an organiser's edits, added sessions and registrations survive every later run.
`seed-demo --reset SLUG` brings a demo event back to the bundled file, on request only."""

from __future__ import annotations

import json
import os

import pytest

from symposium import create_app
from symposium.extensions import db
from symposium.models import Certificate, Person, Registration, SessionRegistration, User
from symposium.services.events import find_event
from symposium.services.interchange import dumps, export_event
from symposium.services.registration import register
from tests.factories import make_session
from tests.registration_helpers import data

SAMPLE = "ide-2027-sample"


@pytest.fixture
def migrated_app(tmp_path):
    """An app on an empty SQLite file, as `make run` finds it: the schema comes from migrations."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'run.sqlite3'}",
            "STORAGE_DIR": str(tmp_path / "storage"),
        }
    )
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def make_run_steps(app) -> str:
    """The database steps of `make run`; both must succeed for the server to start."""
    runner = app.test_cli_runner()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    seed = runner.invoke(args=["seed-demo"])
    assert seed.exit_code == 0, seed.output
    return seed.output


def organiser_day_two(app) -> None:
    """A speaker renamed, a session added and an attendee signed up for it."""
    with app.app_context():
        event = find_event(db.session, SAMPLE)
        host = db.session.scalar(db.select(Person).where(Person.key == "sample-host"))
        host.name = {**host.name, "en": "Dr Huda Renamed"}
        make_session(
            db.session,
            event,
            "field-visit",
            "2027-01-24T14:30",
            "2027-01-24T16:00",
            kind="workshop",
            capacity=12,
            title={"en": "Field visit", "ar": "زيارة ميدانية", "fr": "Visite de terrain"},
        )
        db.session.commit()
        result = register(
            db.session, event, data(sessions=["field-visit"], preferred_language="en"), notify=False
        )
        assert result.status == "confirmed"
        db.session.commit()


def test_make_run_twice_keeps_edits_sessions_and_registrations(migrated_app):
    first = make_run_steps(migrated_app)
    assert f"{SAMPLE}: created" in first and "ide-2026: created" in first
    organiser_day_two(migrated_app)
    for _run in range(2):
        output = make_run_steps(migrated_app)
        assert f"{SAMPLE}: exists and was changed since it was seeded; left as it is" in output
        assert f"seed-demo --reset {SAMPLE}" in output
        assert "ide-2026: already up to date" in output
    with migrated_app.app_context():
        host = db.session.scalar(db.select(Person).where(Person.key == "sample-host"))
        assert host.name["en"] == "Dr Huda Renamed"
        signup = db.session.scalar(db.select(SessionRegistration))
        assert (
            signup.session.key == "field-visit" and signup.registration.email == "amina@example.org"
        )
    page = migrated_app.test_client().get(f"/en/events/{SAMPLE}/agenda")
    assert page.status_code == 200
    assert "Field visit" in page.get_data(as_text=True)


def test_reset_refuses_while_registered_then_force_restores_the_bundle(migrated_app):
    make_run_steps(migrated_app)
    organiser_day_two(migrated_app)
    runner = migrated_app.test_cli_runner()
    refused = runner.invoke(args=["seed-demo", "--reset", SAMPLE])
    assert refused.exit_code == 1
    assert "has 1 registration;" in refused.output
    assert "8 sessions" in refused.output and "1 sign-up" in refused.output
    assert "Nothing changed. Add --force" in refused.output
    with migrated_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Registration.id))) == 1

    done = runner.invoke(args=["seed-demo", "--reset", SAMPLE, "--force"])
    assert done.exit_code == 0, done.output
    assert f"{SAMPLE}: deleting the event and 1 registration, 8 sessions" in done.output
    assert f"{SAMPLE}: restored from {SAMPLE}.json" in done.output
    with migrated_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0
        event = find_event(db.session, SAMPLE)
        bundled = migrated_app.root_path + f"/demo/{SAMPLE}.json"
        with open(bundled, encoding="utf-8") as fh:
            assert dumps(export_event(event)) == fh.read()
    assert "already up to date" in make_run_steps(migrated_app)


def test_reset_without_registrations_keeps_the_organisers_access(app, runner):
    from symposium.auth.services import create_user

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        event = find_event(db.session, SAMPLE)
        user = create_user(db.session, "org@example.org", "correct horse battery", "organiser")
        user.events.append(event)
        event.title = {**event.title, "en": "Edited title"}
        db.session.commit()
    result = runner.invoke(args=["seed-demo", "--reset", SAMPLE])
    assert result.exit_code == 0, result.output
    with app.app_context():
        event = find_event(db.session, SAMPLE)
        assert event.title["en"] != "Edited title"
        user = db.session.scalar(db.select(User).where(User.email == "org@example.org"))
        assert [e.slug for e in user.events] == [SAMPLE]


def test_reset_names_the_bundled_events(runner):
    result = runner.invoke(args=["seed-demo", "--reset", "nope"])
    assert result.exit_code == 1
    assert "no bundled demo event 'nope' (bundled: ide-2026, ide-2027-sample)" in result.output
    assert runner.invoke(args=["seed-demo", "--force"]).exit_code != 0


def _export_without(app, tmp_path, collection: str, key: str):
    with app.app_context():
        doc = export_event(find_event(db.session, SAMPLE))
    doc[collection] = [item for item in doc[collection] if item["key"] != key]
    if collection == "speakers":
        for item in doc["sessions"]:
            item["speakers"] = [link for link in item["speakers"] if link["key"] != key]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_import_never_deletes_a_session_with_sign_ups(app, runner, tmp_path):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    organiser_day_two(app)
    with app.app_context():
        before = dumps(export_event(find_event(db.session, SAMPLE)))
    path = _export_without(app, tmp_path, "sessions", "field-visit")
    result = runner.invoke(args=["event", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}: 1 problem(s), nothing imported:" in result.output
    assert 'sessions: session "field-visit" has 1 sign-up and cannot be removed' in result.output
    with app.app_context():
        assert dumps(export_event(find_event(db.session, SAMPLE))) == before


def test_import_never_deletes_a_speaker_with_a_certificate(app, runner, tmp_path):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        event = find_event(db.session, SAMPLE)
        host = db.session.scalar(db.select(Person).where(Person.key == "sample-host"))
        db.session.add(
            Certificate(
                code="c" * 24,
                number="IDE27-TEST-0001",
                kind="appreciation",
                event=event,
                person=host,
                holder_name="Host",
                language="en",
            )
        )
        db.session.commit()
        before = dumps(export_event(event))
    path = _export_without(app, tmp_path, "speakers", "sample-host")
    result = runner.invoke(args=["event", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert (
        'speakers: speaker "sample-host" has 1 certificate and cannot be removed' in result.output
    )
    with app.app_context():
        assert dumps(export_event(find_event(db.session, SAMPLE))) == before
        certificate = db.session.scalar(db.select(Certificate))
        assert certificate.person.key == "sample-host"


def test_workspace_import_never_deletes_a_speaker_with_a_certificate(app, client, runner, tmp_path):
    from tests.manage_helpers import login, make_organiser

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        event = find_event(db.session, SAMPLE)
        host = db.session.scalar(db.select(Person).where(Person.key == "sample-host"))
        db.session.add(
            Certificate(
                code="d" * 24,
                number="IDE27-TEST-0002",
                kind="appreciation",
                event=event,
                person=host,
                holder_name="Host",
                language="fr",
            )
        )
        db.session.commit()
        event_id = event.id
    make_organiser(app, "organiser@example.org", event_id)
    login(client, "organiser@example.org", lang="fr")
    path = _export_without(app, tmp_path, "speakers", "sample-host")
    response = client.post(
        f"/fr/manage/events/{SAMPLE}/import",
        data={"file": (path.open("rb"), "edited.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "sample-host" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Person).where(Person.key == "sample-host")) is not None
