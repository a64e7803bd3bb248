"""Screenshots for the README and docs: the public Arabic agenda, the Arabic agenda builder,
the Arabic page of a personal join link before it opens (docs/online.md) and the Arabic feedback
results (with sample answers made here: the demo has no registrations).

Starts the demo app (a temporary SQLite database seeded with ``seed-demo``) on a free local
port and photographs it with Playwright and Debian's Chromium.

    .venv/bin/python scripts/screenshots.py [--output docs/screenshots]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import ARGS as CHROMIUM_ARGS  # noqa: E402 - after the path setup
from tests.e2e.conftest import CHROMIUM  # noqa: E402

EVENT = "ide-2026"


def build_app(workdir: Path, password: str):
    from symposium import create_app
    from symposium.auth.services import create_user
    from symposium.extensions import db

    app = create_app(
        {
            "SECRET_KEY": secrets.token_hex(32),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'demo.sqlite3'}",
            "STORAGE_DIR": str(workdir / "storage"),
            "RATELIMIT_ENABLED": False,
            "JOBS_EAGER": True,
            "SYMPOSIUM_BASE_URL": "http://127.0.0.1",
        }
    )
    app.instance_path = str(workdir / "instance")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    if result.exit_code != 0:
        raise SystemExit(f"seed-demo failed: {result.output}")
    with app.app_context():
        create_user(db.session, "screenshots@example.org", password, "admin")
        db.session.commit()
    add_sample_feedback(app)
    return app


def prepare_join(app) -> str:
    """An online registrant of the demo (made here, not in the demo data) and the path of their
    personal join link to the next session that has not started: its page is a countdown."""
    from sqlalchemy import select

    from symposium.extensions import db
    from symposium.models import Event, Registration, Session
    from symposium.models.types import utcnow

    with app.app_context():
        item = db.session.scalar(
            select(Session)
            .join(Event)
            .where(
                Event.status == "published", Session.starts_at > utcnow(), Session.kind != "break"
            )
            .order_by(Session.starts_at)
        )
        if item is None:
            raise SystemExit("no session of the demo starts in the future: no countdown to show")
        event = item.event
        event.hybrid = True
        event.online_url = event.online_url or "https://meet.example.org/demo"
        person = Registration(
            event=event,
            token=secrets.token_urlsafe(32),
            full_name="ليلى الأحمد",
            email="layla.online@example.org",
            email_normalized="layla.online@example.org",
            attendance_mode="online",
            preferred_language="ar",
            status="confirmed",
        )
        db.session.add(person)
        db.session.commit()
        return f"/ar/r/{person.token}/join/{item.key}"


def add_sample_feedback(app, count: int = 12) -> None:
    """Sample registrants (example.org addresses) of the demo event, with sample answers to
    its sample questionnaire, for the results screenshot. Only in this throw-away database."""
    from symposium.extensions import db
    from symposium.models import Registration
    from symposium.services.events import find_event
    from symposium.services.feedback.demo import seed_demo_feedback

    with app.app_context():
        event = find_event(db.session, EVENT)
        languages = ("ar", "ar", "en", "fr")
        for n in range(1, count + 1):
            email = f"sample-{n}@example.org"
            db.session.add(
                Registration(
                    event=event,
                    token=secrets.token_urlsafe(32),
                    full_name=f"Sample attendee {n}",
                    email=email,
                    email_normalized=email,
                    preferred_language=languages[n % len(languages)],
                    status="confirmed",
                )
            )
        db.session.flush()
        seed_demo_feedback(db.session, event)
        db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium package", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp), password)
        join_path = prepare_join(app)
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(
                    viewport={"width": 1280, "height": 900}, locale="ar", device_scale_factor=1
                )
                response = page.goto(f"{base}/ar/events/{EVENT}/agenda")
                if response is None or response.status != 200:
                    raise SystemExit(f"public agenda answered {response and response.status}")
                page.screenshot(path=str(out / "agenda-ar.png"), full_page=True)
                page.goto(f"{base}/ar/login")
                page.fill("#email", "screenshots@example.org")
                page.fill("#password", password)
                page.click("form button[type=submit]")
                page.wait_for_url("**/ar/manage/**")
                page.goto(f"{base}/ar/manage/events/{EVENT}/agenda")
                page.screenshot(path=str(out / "agenda-builder-ar.png"), full_page=True)
                # the attendee's browser elsewhere than the event: both times on the page
                paris = browser.new_page(
                    viewport={"width": 1000, "height": 760},
                    locale="ar",
                    timezone_id="Europe/Paris",
                    device_scale_factor=1,
                )
                paris.goto(f"{base}{join_path}")
                paris.wait_for_selector(".join-local:not([hidden])")
                paris.screenshot(path=str(out / "join-ar.png"), full_page=True)
                page.goto(f"{base}/ar/manage/events/{EVENT}/feedback/results")
                page.screenshot(path=str(out / "feedback-results-ar.png"), full_page=True)
                browser.close()
        finally:
            server.shutdown()
            thread.join(5)
    for name in (
        "agenda-ar.png",
        "agenda-builder-ar.png",
        "join-ar.png",
        "feedback-results-ar.png",
    ):
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
