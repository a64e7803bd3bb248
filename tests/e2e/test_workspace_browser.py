"""Browser test: an organiser adds a session in Arabic and finds it on the public Arabic agenda.

Serves the real app on a live port (CSRF enabled) and drives Debian's Chromium with Playwright.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import make_app, served

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_app(tmp_path):
    from symposium.extensions import db
    from tests.factories import add_speaker, make_event, make_person, make_room, make_session
    from tests.manage_helpers import make_organiser

    app = make_app(tmp_path)
    with app.app_context():
        event = make_event(db.session, "e2e-forum")
        hall = make_room(db.session, event, "hall", en="Main hall", ar="القاعة الكبرى")
        make_room(db.session, event, "side", en="Side room", ar="القاعة الجانبية")
        opening = make_session(
            db.session,
            event,
            "opening",
            "2027-01-24T09:00",
            "2027-01-24T10:00",
            room=hall,
            kind="opening",
            title={"ar": "الافتتاح", "en": "Opening"},
        )
        person = make_person(db.session, event, "huda", name={"ar": "هدى", "en": "Huda"})
        add_speaker(db.session, opening, person)
        db.session.commit()
        event_id = event.id
    make_organiser(app, "organiser@example.org", event_id)
    with served(app) as base:
        yield app, base


def test_organiser_adds_session_in_arabic(live_app, browser, tmp_path):
    app, base = live_app
    title = "جلسة حوارية عن التراث"
    out = Path(os.environ.get("E2E_OUTPUT", tmp_path))
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ar")
    try:
        page.goto(f"{base}/ar/manage/events/e2e-forum/agenda")
        assert "/ar/login" in page.url  # anonymous: to the login page
        page.fill("#email", "organiser@example.org")
        page.fill("#password", "correct horse battery")
        page.click("form button[type=submit]")
        page.wait_for_url("**/ar/manage/events/e2e-forum/agenda")
        assert page.get_attribute("html", "dir") == "rtl"

        page.goto(f"{base}/ar/manage/events/e2e-forum/sessions/new")
        page.fill("#title_ar", title)
        page.fill("#starts_at", "2027-01-24T10:30")
        page.fill("#ends_at", "2027-01-24T11:30")
        page.select_option("#room", label="القاعة الجانبية")
        page.select_option("#speakers-0-person", label="هدى")
        page.click("form.card button[type=submit]")
        page.wait_for_url("**/ar/manage/events/e2e-forum/agenda**")
        assert page.locator(".ag-session", has_text=title).count() == 1
        page.screenshot(path=str(out / "agenda-builder-ar.png"), full_page=True)

        # a conflicting session (same room and time) is refused with a message
        page.goto(f"{base}/ar/manage/events/e2e-forum/sessions/new")
        page.fill("#title_ar", "جلسة متعارضة")
        page.fill("#starts_at", "2027-01-24T10:45")
        page.fill("#ends_at", "2027-01-24T11:15")
        page.select_option("#room", label="القاعة الجانبية")
        page.click("form.card button[type=submit]")
        assert page.locator(".flash.error").count() == 1

        response = page.goto(f"{base}/ar/events/e2e-forum/agenda")
        assert response.status == 200
        assert title in page.content()
    finally:
        page.close()
    assert (out / "agenda-builder-ar.png").stat().st_size > 10_000
    from sqlalchemy import select

    from symposium.extensions import db
    from symposium.models import Session

    with app.app_context():
        titles = [s.title.get("ar") for s in db.session.scalars(select(Session))]
        assert title in titles and "جلسة متعارضة" not in titles
