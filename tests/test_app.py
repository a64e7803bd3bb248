import pytest

from symposium import create_app
from symposium.config import normalise_database_url


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"]) == ("ok", "reachable")


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_secret_key_required_outside_testing(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    from symposium.config import Config

    monkeypatch.setattr(Config, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgresql://u@h:5432/n") == "postgresql+psycopg://u@h:5432/n"
    assert normalise_database_url("postgres://u@h/n") == "postgresql+psycopg://u@h/n"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_root_redirects_by_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/fr/")


def test_unknown_language_is_404(client):
    assert client.get("/de/").status_code == 404
