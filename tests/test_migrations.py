"""The migrations build the schema from empty, and agree with the models."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

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
def test_postgres_upgrade_from_empty_matches_models(postgres_url):
    name = f"symposium_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        base = postgres_url.rsplit("/", 1)[0]
        assert _diff_after_upgrade(f"{base}/{name}") == []
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
