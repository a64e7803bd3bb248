"""The migrations build the schema from empty, and agree with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from symposium import create_app
from symposium.extensions import db


def _diff_after_upgrade(url: str) -> list:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        tables = set(inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()
    assert {"event", "session", "registration", "certificate", "user"} <= tables
    return diff


def test_sqlite_upgrade_from_empty_matches_models(tmp_path):
    assert _diff_after_upgrade(f"sqlite:///{tmp_path / 'migrated.sqlite3'}") == []


def test_sqlite_downgrade_to_empty(tmp_path):
    url = f"sqlite:///{tmp_path / 'down.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()


@pytest.mark.postgres
def test_postgres_upgrade_from_empty_matches_models(scratch_postgres):
    assert _diff_after_upgrade(scratch_postgres) == []


# --- Every migration after the first: upgrade -> downgrade -> upgrade with data present ---------

_SEED_ROWS = [
    (
        "INSERT INTO event (id, slug, timezone, starts_on, ends_on, default_language, languages,"
        " title, description, venue_name, venue_address, organisers, confirmed_count, status,"
        " registration_open, hybrid, is_sample, settings, agenda_version, created_at, updated_at)"
        " VALUES (1, 'mig-event', 'Europe/Paris', '2027-03-28', '2027-03-28', 'ar', '[\"ar\"]',"
        " '{\"ar\": \"ملتقى مدن التعلّم\"}', '{}', '{}', '{}', '{}', 1, 'published', :t, :f, :f,"
        " '{}', 1, '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
    ),
    "INSERT INTO room (id, event_id, key, name, position) VALUES (1, 1, 'hall', '{\"ar\": \"القاعة\"}', 0)",
    (
        "INSERT INTO session (id, event_id, key, kind, title, abstract, starts_at, ends_at, room_id,"
        " capacity, confirmed_count, position) VALUES (1, 1, 's1', 'workshop',"
        " '{\"ar\": \"ورشة\"}', '{}', '2027-03-28 08:30:00', '2027-03-28 10:00:00', 1, 30, 1, 0)"
    ),
    (
        "INSERT INTO person (id, event_id, key, name, title, organisation, city, bio, position)"
        " VALUES (1, 1, 'p1', '{\"ar\": \"عبد الله الأحمد\"}', '{}', '{}', '{}', '{}', 0)"
    ),
    (
        "INSERT INTO session_person (id, session_id, person_id, role, position, confirmation)"
        " VALUES (1, 1, 1, 'speaker', 0, 'confirmed')"
    ),
    (
        "INSERT INTO registration (id, event_id, token, status, full_name, email, email_normalized,"
        " attendance_mode, preferred_language, search_text, source, created_at, updated_at)"
        " VALUES (1, 1, 'tok-mig-1', 'confirmed', 'Hélène Dupré', 'helene@example.org',"
        " 'helene@example.org', 'in_person', 'fr', 'helene dupre', 'online',"
        " '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
    ),
    (
        "INSERT INTO session_registration (id, registration_id, session_id, status, created_at)"
        " VALUES (1, 1, 1, 'confirmed', '2026-11-01 10:00:00')"
    ),
    (
        'INSERT INTO "user" (id, email, password_hash, role, active, session_nonce, created_at)'
        " VALUES (1, 'org@example.org', 'x', 'organiser', :t, 'nonce', '2026-11-01 10:00:00')"
    ),
    "INSERT INTO user_event (user_id, event_id) VALUES (1, 1)",
    (
        "INSERT INTO certificate (id, code, number, kind, event_id, registration_id, holder_name,"
        " language, bilingual, issued_at, superseded, version, details) VALUES (1, 'code-mig',"
        " 'MIG-0001', 'attendance', 1, 1, 'Hélène Dupré', 'fr', :f, '2026-11-01 10:00:00', :f, 1,"
        " '{}')"
    ),
    (
        "INSERT INTO outbox_email (id, created_at, recipient, subject, message, status, attempts)"
        " VALUES (1, '2026-11-01 10:00:00', 'helene@example.org', 'Confirmation', :msg, 'sent', 1)"
    ),
]

# What must survive every round trip: the organiser's and the attendees' data
_KEPT = {
    "event": "SELECT slug, title FROM event ORDER BY id",
    "session": "SELECT key, starts_at, capacity FROM session ORDER BY id",
    "person": "SELECT key, name FROM person ORDER BY id",
    "registration": "SELECT token, email, full_name, status FROM registration ORDER BY id",
    "session_registration": "SELECT registration_id, session_id, status FROM session_registration",
    "user": 'SELECT email, role FROM "user" ORDER BY id',
    "user_event": "SELECT user_id, event_id FROM user_event",
    "certificate": "SELECT code, number, holder_name FROM certificate ORDER BY id",
    "outbox_email": "SELECT recipient, subject, status FROM outbox_email ORDER BY id",
}


def _snapshot() -> dict:
    with db.engine.connect() as conn:
        return {
            name: [tuple(str(v) for v in row) for row in conn.execute(text(sql))]
            for name, sql in _KEPT.items()
        }


def _revision_chain(app) -> list[tuple[str, str]]:
    """(revision, down_revision) from the first migration after 0001 to the head, in order."""
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    heads = script.get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    chain = [
        (rev.revision, rev.down_revision)
        for rev in script.walk_revisions("base", heads[0])
        if rev.down_revision is not None
    ]
    return list(reversed(chain))


def _round_trip_every_migration(url: str) -> int:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            for sql in _SEED_ROWS:
                params = {"t": True, "f": False, "msg": b"Subject: x\r\n\r\nbody"}
                used = {k: v for k, v in params.items() if f":{k}" in sql}
                conn.execute(text(sql), used)
        before = _snapshot()
        chain = _revision_chain(app)
        for revision, down in chain:
            upgrade(revision=revision)
            after_up = _snapshot()
            assert after_up == before, f"upgrade to {revision} changed the data"
            downgrade(revision=down)
            assert _snapshot() == before, f"downgrade from {revision} to {down} lost data"
            upgrade(revision=revision)
            assert _snapshot() == before, f"upgrade to {revision} again lost data"
        if db.engine.dialect.name == "sqlite":
            # migrations turn foreign keys off for their table copies, and back on after
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.session.remove()
        db.engine.dispose()
    return len(chain)


def test_sqlite_every_migration_round_trips_with_data(tmp_path):
    assert _round_trip_every_migration(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}") >= 1


@pytest.mark.postgres
def test_postgres_every_migration_round_trips_with_data(scratch_postgres):
    assert _round_trip_every_migration(scratch_postgres) >= 1
