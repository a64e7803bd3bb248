"""Rate limits: Redis unreachable degrades to per-process limits (logged), never a 500;
several processes on the ``memory://`` store are warned about at start."""

from __future__ import annotations

import logging
import socket

import pytest

from symposium.config import serving_processes
from symposium.extensions import db, limiter, warn_memory_store_with_processes
from tests.factories import make_event
from tests.registration_helpers import form_data, row_counts


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nobody listens


@pytest.fixture
def app_config():
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_closed_port()}/3",
        "LOGIN_RATE_LIMIT": "3 per minute",
        "REGISTRATION_RATE_LIMIT": "3 per minute",
    }


@pytest.fixture
def dead_redis_app(app):
    with app.app_context():
        make_event(db.session)
        db.session.commit()
    yield app
    limiter._storage_dead = False  # the shared extension object: leave it as found


def test_sign_in_with_redis_down_falls_back_to_per_process_limit(dead_redis_app, caplog):
    client = dead_redis_app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [
            client.post(
                "/en/login", data={"email": "x@example.org", "password": "wrong password"}
            ).status_code
            for _ in range(4)
        ]
    assert codes == [400, 400, 400, 429]  # no 500, and the limit still holds in this process
    assert "falling back to in-memory storage" in caplog.text


def test_registration_with_redis_down_falls_back_to_per_process_limit(dead_redis_app, caplog):
    client = dead_redis_app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [
            client.post(
                "/en/events/test-event/register", data=form_data(email=f"r{i}@example.org")
            ).status_code
            for i in range(4)
        ]
    assert codes == [303, 303, 303, 429]
    assert row_counts(dead_redis_app)["Registration"] == 3
    assert "falling back to in-memory storage" in caplog.text


@pytest.mark.parametrize(
    ("environ", "argv", "expected"),
    [
        ({}, ["/usr/bin/flask"], 1),
        ({"WEB_CONCURRENCY": "4"}, [], 4),
        ({"SYMPOSIUM_PROCESSES": "3", "WEB_CONCURRENCY": "4"}, [], 3),
        ({"GUNICORN_CMD_ARGS": "--bind 127.0.0.1:8000 --workers 4"}, [], 4),
        ({"GUNICORN_CMD_ARGS": "-w2"}, [], 2),
        ({}, [".venv/bin/gunicorn", "--workers", "4", "wsgi:app"], 4),
        ({}, [".venv/bin/gunicorn", "--workers=5", "wsgi:app"], 5),
        ({}, [".venv/bin/gunicorn", "wsgi:app"], 1),
        ({}, ["/usr/bin/flask", "--workers", "4"], 1),  # not gunicorn's command line
    ],
)
def test_serving_processes(environ, argv, expected):
    assert serving_processes(environ, argv) == expected


def test_warning_for_memory_store_with_several_processes(app, caplog):
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    with caplog.at_level(logging.WARNING, logger="symposium"):
        assert warn_memory_store_with_processes(app, {"WEB_CONCURRENCY": "4"}, [])
    assert "4 processes" in caplog.text and "RATELIMIT_STORAGE_URI" in caplog.text
    caplog.clear()
    assert not warn_memory_store_with_processes(app, {}, ["wsgi"])  # one process: fine
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/3"
    assert not warn_memory_store_with_processes(app, {"WEB_CONCURRENCY": "4"}, [])
    assert caplog.text == ""


def test_app_start_warns_with_gunicorn_workers(tmp_path, monkeypatch, caplog):
    from symposium import create_app

    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    with caplog.at_level(logging.WARNING, logger="symposium"):
        create_app(
            {
                "TESTING": True,
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": "memory://",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.sqlite3'}",
                "STORAGE_DIR": str(tmp_path / "storage"),
            }
        )
    assert "each limit is effectively 4 times higher" in caplog.text


def test_sign_in_limit_is_shared_through_redis(tmp_path):
    """With Redis reachable the counters live there: no fallback, the limit holds."""
    import os

    from symposium import create_app

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no Redis for this test (.ci/run sets it)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at TEST_REDIS_URL is not reachable: {exc}")
    config = {
        "TESTING": True,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": url,
        "LOGIN_RATE_LIMIT": "3 per minute",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.sqlite3'}",
        "STORAGE_DIR": str(tmp_path / "storage"),
    }
    app = create_app(config)
    with app.app_context():
        db.create_all()
    limiter.reset()
    try:
        client = app.test_client()
        codes = [
            client.post(
                "/en/login", data={"email": "x@example.org", "password": "nope"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [400, 400, 400, 429]
        assert not limiter._storage_dead
    finally:
        limiter.reset()
        with app.app_context():
            db.engine.dispose()
