"""No URL answers a 5xx: every GET route with hostile query strings, every POST with junk.

Walks the whole URL map (public, workspace, API, auth) as an admin, so that new routes are
covered without changing this test.
"""

from __future__ import annotations

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from tests.manage_helpers import build_world, login

HOSTILE_QUERIES = [
    "",
    "?page=-1&per_page=0&sort=zzz&order=sideways",
    "?page=abc&status=bogus&country=ZZ&session=nope&checked_in=maybe&lang=xx",
    "?page=99999999999999999999&room=%3Cscript%3E&kind=%00&variant=nope&format=exe",
    "?q=%27%20OR%201%3D1--&q=%E2%80%AE%D8%A7&date=2027-13-45&day=-3&fmt=zip",
]


def _urls(app, world, method: str):
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        values = {}
        for arg in rule.arguments:
            converter = rule._converters.get(arg)
            if arg == "lang":
                values[arg] = "ar"
            elif isinstance(converter, IntegerConverter):
                values[arg] = 1
            elif arg == "slug":
                values[arg] = world.slug
            else:
                values[arg] = "opening"
        with app.test_request_context():
            yield rule.endpoint, url_for(rule.endpoint, **values)


@pytest.fixture
def world(app):
    return build_world(app)


def test_no_get_route_answers_5xx(app, client, world):
    login(client, "admin@example.org")
    checked = 0
    for endpoint, url in _urls(app, world, "GET"):
        if endpoint in {"auth.logout"}:
            continue
        for query in HOSTILE_QUERIES:
            response = client.get(url + query)
            assert response.status_code < 500, (endpoint, url + query, response.status_code)
            checked += 1
    assert checked > 100


def test_no_post_route_answers_5xx_to_junk(app, client, world):
    login(client, "admin@example.org")
    junk = {
        "title_ar": "\u202e" * 3,
        "starts_at": "not a date",
        "capacity": "-5",
        "email": "<script>",
        "file": "",
        "sessions": "nope",
        "page": "x",
    }
    for endpoint, url in _urls(app, world, "POST"):
        if endpoint in {"auth.logout", "auth.login"}:
            continue
        for data in ({}, junk):
            response = client.post(url, data=data)
            assert response.status_code < 500, (endpoint, url, data, response.status_code)


def test_badges_pdf_with_no_match_redirects_once_to_the_filters(client, world):
    login(client, "admin@example.org")
    response = client.get(f"/en/manage/events/{world.slug}/badges?format=pdf&q=nobody-at-all")
    assert response.status_code == 302
    assert "format=pdf" not in response.headers["Location"]
    assert "q=nobody-at-all" in response.headers["Location"]
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff" * 500,
        b'\xef\xbb\xbf{"slug": [}',
        b"GIF89a" + b"\x00" * 64,
        'é,"\n=1+2'.encode("latin-1"),
    ],
)
def test_no_upload_answers_5xx(app, client, world, content):
    import io

    login(client, "admin@example.org")
    for endpoint, url in _urls(app, world, "POST"):
        if endpoint in {"auth.logout", "auth.login"}:
            continue
        data = {
            name: (io.BytesIO(content), "upload.bin") for name in ("file", "photo", "signature")
        }
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code < 500, (endpoint, url, response.status_code)
