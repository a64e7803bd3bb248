"""Browser tests of the hybrid symposium in Debian's Chromium (Playwright), CSRF on:

- a personal join link before it opens: the countdown page fills in the visitor's own time
  (their browser in another time zone than the event's) and counts down, in Arabic;
- the feedback questionnaire answered in Arabic: a missing required answer keeps what was
  typed, then the answers are saved and shown again.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import make_app, served

pytestmark = pytest.mark.e2e


def test_the_countdown_shows_the_visitors_own_time(browser, tmp_path):
    from symposium.extensions import db
    from symposium.services import registration as reg
    from tests.factories import make_event, make_session
    from tests.registration_helpers import data

    app = make_app(tmp_path)
    with app.app_context():
        event = make_event(
            db.session, "hybrid-e2e", hybrid=True, online_url="https://meet.example.org/x"
        )
        make_session(db.session, event, "talk", "2027-01-24T09:00", "2027-01-24T10:00")
        token = reg.register(
            db.session, event, data("Layla", "layla@example.org", attendance_mode="online")
        ).registration.token
        db.session.commit()

    with served(app) as base:
        page = browser.new_page(locale="ar", timezone_id="Europe/Paris")
        try:
            response = page.goto(f"{base}/ar/r/{token}/join/talk")
            assert response.status == 200
            assert response.headers["cache-control"] == "no-store"
            local = page.locator("dd.join-local time[data-local-time]")
            local.wait_for(state="visible")
            # 08:45 in Riyadh (UTC+3) is 06:45 in Paris (UTC+1): the browser's own time
            assert "6:45" in local.inner_text() or "٦:٤٥" in local.inner_text()
            countdown = page.locator(".join-countdown")
            first = countdown.inner_text()
            assert first.strip()
            assert "meet.example.org" not in page.content()
        finally:
            page.close()


def test_the_questionnaire_answered_in_arabic(browser, tmp_path):
    from tests.feedback_helpers import build

    app = make_app(tmp_path)
    world = build(app, organiser=False)
    token = world.tokens["omar"]
    q = world.questions
    with served(app) as base:
        page = browser.new_page(locale="ar")
        try:
            page.goto(f"{base}/ar/r/{token}/feedback")
            assert page.get_attribute("html", "dir") == "rtl"
            text = page.locator(f"textarea[name=q{q['text']}]")
            text.fill("تنظيم ممتاز")
            # the required choice question left unanswered: refused, the text kept
            page.check(f"input[name=q{q['rating']}_s{world.sessions['s1']}][value='5']")
            page.locator("form button[type=submit]").click()
            page.wait_for_load_state()
            assert page.locator("ul.errors li").count() >= 1  # said next to the question
            assert page.locator(f"textarea[name=q{q['text']}]").input_value() == "تنظيم ممتاز"
            assert page.locator(
                f"input[name=q{q['rating']}_s{world.sessions['s1']}][value='5']"
            ).is_checked()
            page.check(f"input[name=q{q['choice']}][value='c2']")
            page.locator("form button[type=submit]").click()
            page.wait_for_load_state()
            assert page.locator("ul.errors li").count() == 0
            page.goto(f"{base}/ar/r/{token}/feedback")
            assert page.locator(f"input[name=q{q['choice']}][value='c2']").is_checked()
            assert page.locator(f"textarea[name=q{q['text']}]").input_value() == "تنظيم ممتاز"
        finally:
            page.close()
