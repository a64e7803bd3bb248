"""Migration 0004 fills the search keys of existing rows (and goes back down)."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from symposium import create_app
from symposium.extensions import db
from symposium.services.search import search_text


def test_migration_fills_search_keys_of_existing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO event (id, slug, timezone, starts_on, ends_on, default_language,"
                    " languages, title, description, venue_name, venue_address, organisers,"
                    " confirmed_count, status, registration_open, hybrid, is_sample, settings,"
                    " agenda_version, created_at, updated_at) VALUES (1, 'old', 'UTC',"
                    " '2027-01-24', '2027-01-24', 'ar', '[]', '{}', '{}', '{}', '{}', '{}', 0,"
                    " 'published', 1, 0, 0, '{}', 1, '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO registration (id, event_id, token, status, full_name, email,"
                    " email_normalized, attendance_mode, preferred_language, search_text,"
                    " source, created_at, updated_at) VALUES (1, 1, 'tok', 'confirmed',"
                    " 'عبد الله الأحمد', 'a@example.org', 'a@example.org', 'in_person', 'ar',"
                    " 'عبد الله الاحمد | a@example.org', 'online', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO person (id, event_id, key, name, title, organisation, city,"
                    " email, bio, position) VALUES (1, 1, 'p', :name, '{}', :org, '{}',"
                    " 'p@example.org', '{}', 0)"
                ),
                {
                    "name": '{"ar": "أبو بكر الصديق", "en": "Abu Bakr"}',
                    "org": '{"fr": "Université Hélène-Dupré"}',
                },
            )
        upgrade()
        with db.engine.connect() as conn:
            key = conn.execute(text("SELECT search_text FROM registration")).scalar()
            person_key = conn.execute(text("SELECT search_key FROM person")).scalar()
        assert key == search_text("عبد الله الأحمد", "a@example.org")
        assert key.startswith("عبدالله الاحمد")
        assert "ابوبكر الصديق" in person_key and "abu bakr" in person_key
        assert "universite helene dupre" in person_key and "p@example.org" in person_key
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("registration")}
        assert "ix_registration_event_search" in indexes
        downgrade(revision="0001")
        assert "user_session" not in inspect(db.engine).get_table_names()
        columns = {c["name"] for c in inspect(db.engine).get_columns("person")}
        assert "search_key" not in columns
        db.engine.dispose()
