"""Fixtures: a fresh app and database for every test.

- By default each test gets its own SQLite file.
- With SYMPOSIUM_TEST_DATABASE_URL set (CI's PostgreSQL run) every test runs against that
  database, with the schema created before and dropped after the test.
- TEST_POSTGRES_URL names the PostgreSQL server for the tests that need one in any run.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from symposium import create_app
from symposium.extensions import db

_created_databases: set[str] = set()


def _database_url(tmp_path) -> str:
    url = os.environ.get("SYMPOSIUM_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and url.startswith("postgres"):
        # One database per xdist worker, so that parallel workers never share tables
        base, name = url.rsplit("/", 1)
        url = f"{base}/{name}_{worker}"
        if url not in _created_databases:
            _ensure_postgres_database(base, f"{name}_{worker}")
            _created_databases.add(url)
    return url


def _ensure_postgres_database(base: str, name: str) -> None:
    from sqlalchemy import create_engine

    from symposium.config import normalise_database_url

    engine = create_engine(normalise_database_url(f"{base}/postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


@pytest.fixture
def app_config(tmp_path) -> dict:
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def app(tmp_path, app_config):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
        "STORAGE_DIR": str(tmp_path / "storage"),
        **app_config,
    }
    app = create_app(config)
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for tests of the services."""
    with app.app_context():
        yield db.session


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip(
            "TEST_POSTGRES_URL is not set: no PostgreSQL server for this test (.ci/run sets it)"
        )
    return url


@pytest.fixture
def scratch_postgres(postgres_url):
    """The URL of a new, empty database on the test server, dropped after the test."""
    import urllib.parse
    import uuid

    import psycopg

    name = f"symposium_scratch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(postgres_url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_app(scratch_postgres, tmp_path, app_config):
    """An app on a scratch PostgreSQL database (for tests that need one in every run), with
    the test module's ``app_config``."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": scratch_postgres,
            "STORAGE_DIR": str(tmp_path / "storage"),
            **app_config,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def make_user(
    app,
    email="organiser@example.org",
    role="organiser",
    password="correct horse battery",
    events=(),
):
    from symposium.auth.services import create_user

    with app.app_context():
        user = create_user(db.session, email, password, role)
        for event in events:
            user.events.append(db.session.merge(event))
        db.session.commit()
        return user.id


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email="organiser@example.org", password="correct horse battery", lang="en"):
        return self.client.post(f"/{lang}/login", data={"email": email, "password": password})

    def logout(self, lang="en"):
        return self.client.post(f"/{lang}/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def db_is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


__all__ = ["AuthActions", "make_user", "text"]
