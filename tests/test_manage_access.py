"""Every workspace URL: anonymous -> login, check-in staff -> 403, outsiders -> 403."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tests.manage_helpers import build_world, login

# The only workspace screen check-in staff may open
CHECKIN_ALLOWED = {"manage.checkin"}


def workspace_urls(app, world):
    """(endpoint, url, methods) for every rule under /<lang>/manage, with real arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/<lang>/manage"):
            continue
        values = {"lang": "en"}
        for arg in rule.arguments:
            if arg == "lang":
                continue
            converter = rule._converters.get(arg)
            if isinstance(converter, IntegerConverter):
                # a fresh database: the one row of each table has id 1
                values[arg] = 1
            elif arg == "slug":
                values[arg] = world.slug
            elif arg == "fmt":
                values[arg] = "csv"
            else:
                values[arg] = "opening"
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        urls.append((rule.endpoint, url, rule.methods - {"HEAD", "OPTIONS"}))
    return urls


@pytest.fixture
def world(app):
    return build_world(app)


def test_world_ids_are_one(world):
    # workspace_urls relies on it
    assert {world.room_id, world.session_id, world.person_id, world.registration_id} == {1}
    assert world.job_id == 1 and world.event_id == 1


def test_anonymous_is_sent_to_login_everywhere(app, client, world):
    urls = workspace_urls(app, world)
    assert len(urls) > 20
    for endpoint, url, methods in urls:
        for method in sorted(methods):
            response = client.open(url, method=method)
            assert response.status_code == 302, (endpoint, method, response.status_code)
            location = response.headers["Location"]
            assert "/en/login?next=" in location, (endpoint, location)


def test_checkin_staff_get_403_except_checkin_screen(app, client, world):
    login(client, "checkin@example.org")
    for endpoint, url, methods in workspace_urls(app, world):
        for method in sorted(methods):
            response = client.open(url, method=method)
            if endpoint == "manage.home" or (endpoint in CHECKIN_ALLOWED and method == "GET"):
                assert response.status_code == 200, (endpoint, method, response.status_code)
            elif endpoint in CHECKIN_ALLOWED:
                assert response.status_code < 500, (endpoint, method, response.status_code)
            else:
                assert response.status_code == 403, (endpoint, method, response.status_code)


def test_organiser_of_another_event_gets_403(app, client, world):
    from tests.conftest import make_user
    from tests.manage_helpers import PASSWORD

    make_user(app, "other@example.org", "organiser", PASSWORD)
    login(client, "other@example.org")
    for endpoint, url, methods in workspace_urls(app, world):
        if "<slug>" not in app.url_map._rules_by_endpoint[endpoint][0].rule:
            continue
        for method in sorted(methods):
            response = client.open(url, method=method)
            assert response.status_code == 403, (endpoint, method, response.status_code)


OTHER_AREAS = ("symposium.manage.checkin", "symposium.manage.certificates")


def test_organiser_and_admin_can_open_every_get_page(app, client, world):
    login(client, "organiser@example.org")
    admin_only = {"manage.users", "manage.user_edit", "manage.audit"}
    for endpoint, url, methods in workspace_urls(app, world):
        if "GET" not in methods or app.view_functions[endpoint].__module__ in OTHER_AREAS:
            continue
        response = client.get(url)
        expected = 403 if endpoint in admin_only else 200
        assert response.status_code == expected, (endpoint, url, response.status_code)
    client.post("/en/logout")
    login(client, "admin@example.org")
    for endpoint, url, methods in workspace_urls(app, world):
        if "GET" in methods and app.view_functions[endpoint].__module__ not in OTHER_AREAS:
            assert client.get(url).status_code == 200, endpoint


def test_403_page_is_translated(client, world):
    login(client, "checkin@example.org", lang="fr")
    response = client.get(f"/fr/manage/events/{world.slug}/agenda")
    assert response.status_code == 403
    assert 'lang="fr"' in response.get_data(as_text=True)
