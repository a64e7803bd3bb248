"""The PDF renderer reads only the app's static files and stored uploads; never the network."""

from __future__ import annotations

import http.server
import os
import threading
from datetime import date

import pytest

from symposium import pdf
from symposium.services import certificates as certs
from symposium.services import programme
from tests.factories import add_speaker, make_event, make_person, make_session
from tests.pdf_helpers import make_registration, pdf_text


@pytest.fixture
def spy_server():
    """A tiny HTTP server on a free port that counts the requests it receives."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body{color:red}")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()
    thread.join()


def test_fetcher_refuses_outside_resources(app, tmp_path):
    with app.app_context():
        fetcher = pdf.fetcher()
        static = app.static_folder
        font = os.path.join(static, "fonts", "NotoSans-Regular.ttf")
        response = fetcher.fetch("file://" + font)
        assert response.read()[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")
        assert fetcher.fetch("data:image/png;base64,iVBORw0KGgo=").read().startswith(b"\x89PNG")
        refused = [
            "file:///etc/passwd",
            f"file://{static}/../../../../etc/passwd",
            f"file://{static}/css/%2e%2e/%2e%2e/config.py",
            "http://127.0.0.1/",
            "https://example.org/x.css",
            "ftp://127.0.0.1/x",
            "data:text/html,<b>x</b>",
            "data:text/css,body{}",
            "file://evil.example/etc/passwd",
        ]
        link = os.path.join(app.config["STORAGE_DIR"], "escape.png")
        os.symlink("/etc/passwd", link)
        refused.append("file://" + link)
        for url in refused:
            with pytest.raises(ValueError):
                fetcher.fetch(url)


def test_typed_text_cannot_read_files_or_reach_the_network(ctx, tmp_path, spy_server):
    port, hits = spy_server
    payloads = (
        '<img src="file:///etc/passwd">'
        f'<link rel=stylesheet href="http://127.0.0.1:{port}/a.css">'
        f'<style>@import url("http://127.0.0.1:{port}/b.css"); body{{background:url(file:///etc/passwd)}}</style>'
        f"<div style=\"background:url('http://127.0.0.1:{port}/c.png')\">x</div>"
        f'<object data="file:///etc/passwd"></object><iframe src="http://127.0.0.1:{port}/d"></iframe>'
        f'<svg><image href="http://127.0.0.1:{port}/e.png"/></svg>'
    )
    event = make_event(ctx, "sec", day=date(2026, 1, 26))
    item = make_session(ctx, event, "s", "2026-01-26T09:00", "2026-01-26T10:00")
    person = make_person(
        ctx,
        event,
        "p",
        name={"en": "Eve " + payloads},
        bio={"en": "<p>Bio</p>" + payloads},
    )
    add_speaker(ctx, item, person).confirmation = "confirmed"
    # A registration's name is at most 200 characters: the two tags that fit
    short = (
        f'<img src="file:///etc/passwd"><link rel=stylesheet href="http://127.0.0.1:{port}/a.css">'
    )
    registration = make_registration(ctx, event, "Mallory " + short, "m@example.org")
    attendance = certs.render_certificate(certs.issue_for_registration(ctx, registration))
    speaker = certs.render_certificate(certs.issue_for_person(ctx, person))
    book = programme.render_programme(ctx, event, "en", "single")
    for data in (attendance, speaker, book):
        text = pdf_text(data, tmp_path)
        assert "root:x:0:0" not in text and b"root:x:0:0" not in data
    # The names are printed as typed (escaped text), not interpreted
    assert "Mallory <img" in pdf_text(attendance, tmp_path)
    assert hits == []
