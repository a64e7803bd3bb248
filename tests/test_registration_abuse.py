"""CSRF and the rate limit on registration POSTs (separate apps: these settings differ)."""

import pytest

from symposium import create_app
from symposium.extensions import db
from tests.factories import make_event
from tests.registration_helpers import form_data, row_counts


def _app(tmp_path, **config):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'abuse.sqlite3'}",
            "STORAGE_DIR": str(tmp_path / "storage"),
            **config,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.create_all()
        make_event(db.session)
        db.session.commit()
    return app


@pytest.fixture
def csrf_app(tmp_path):
    app = _app(tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_missing_or_forged_csrf_token_is_refused_in_the_page_language(csrf_app, token):
    client = csrf_app.test_client()
    client.get("/fr/events/test-event/register")  # a session exists, but the token is wrong
    data = form_data()
    if token:
        data["csrf_token"] = token
    before = row_counts(csrf_app)
    response = client.post("/fr/events/test-event/register", data=data)
    assert response.status_code == 400
    assert "Votre formulaire a expiré" in response.get_data(as_text=True)
    assert row_counts(csrf_app) == before


def test_valid_csrf_token_registers(csrf_app):
    import re

    client = csrf_app.test_client()
    page = client.get("/en/events/test-event/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/en/events/test-event/register", data=form_data(csrf_token=token))
    assert response.status_code == 303


def test_rate_limit_per_address(tmp_path):
    from symposium.extensions import limiter

    app = _app(tmp_path, RATELIMIT_ENABLED=True, REGISTRATION_RATE_LIMIT="3 per minute")
    try:
        client = app.test_client()
        codes = [
            client.post(
                "/ar/events/test-event/register", data=form_data(email=f"r{i}@example.org")
            ).status_code
            for i in range(4)
        ]
        assert codes == [303, 303, 303, 429]
        page = client.post("/ar/events/test-event/register", data=form_data(email="x@example.org"))
        assert page.status_code == 429 and 'lang="ar"' in page.get_data(as_text=True)
        assert row_counts(app)["Registration"] == 3
        # another address is not limited; GET is never limited
        other = app.test_client()
        assert other.get("/ar/events/test-event/register").status_code == 200
        assert (
            other.post(
                "/ar/events/test-event/register",
                data=form_data(email="other@example.org"),
                environ_base={"REMOTE_ADDR": "10.0.0.9"},
            ).status_code
            == 303
        )
    finally:
        limiter.reset()
        with app.app_context():
            db.engine.dispose()
