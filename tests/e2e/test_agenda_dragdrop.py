"""Browser test: drag and drop in the organiser's agenda grid (symposium/static/js/agenda.js).

Serves the real app on a live port (CSRF enabled) and drives Debian's Chromium with Playwright.
The cards are dragged with Playwright's ``Locator.drag_to`` (real mouse input, which Chromium
turns into the HTML5 dragstart/dragover/drop events); no event is synthesised by hand.

The day (Asia/Riyadh, 2027-01-24) holds two rooms and two sessions, both with the speaker Huda:
  hall: "opening" 09:00-10:00        side: "talk" 11:00-11:45
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import make_app, served

SLUG = "dnd-forum"
DAY = "2027-01-24"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations" / "src" / "workspace.json"

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_app(tmp_path):
    from symposium.extensions import db
    from tests.factories import add_speaker, make_event, make_person, make_room, make_session
    from tests.manage_helpers import make_organiser

    app = make_app(tmp_path)
    with app.app_context():
        event = make_event(db.session, SLUG)
        hall = make_room(db.session, event, "hall", en="Main hall", ar="القاعة الكبرى")
        side = make_room(db.session, event, "side", en="Side room", ar="القاعة الجانبية")
        huda = make_person(db.session, event, "huda", name={"ar": "هدى", "en": "Huda"})
        opening = make_session(
            db.session,
            event,
            "opening",
            f"{DAY}T09:00",
            f"{DAY}T10:00",
            room=hall,
            title={"ar": "الافتتاح", "en": "Opening"},
        )
        talk = make_session(
            db.session,
            event,
            "talk",
            f"{DAY}T11:00",
            f"{DAY}T11:45",
            room=side,
            title={"ar": "محاضرة", "en": "Talk"},
        )
        add_speaker(db.session, opening, huda)
        add_speaker(db.session, talk, huda)
        db.session.commit()
        ids = {"event": event.id, "hall": hall.id, "side": side.id}
        ids |= {"opening": opening.id, "talk": talk.id}
    make_organiser(app, "organiser@example.org", ids["event"])
    with served(app) as base:
        yield app, base, ids


def open_agenda(browser, base, lang):
    """A new page, signed in as the organiser, on the agenda grid in ``lang``."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=lang)
    page.set_default_timeout(5000)
    page.goto(f"{base}/{lang}/login")
    page.fill("#email", "organiser@example.org")
    page.fill("#password", "correct horse battery")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/{lang}/manage/events/{SLUG}/agenda?day={DAY}")
    assert page.url.endswith(f"/{lang}/manage/events/{SLUG}/agenda?day={DAY}")
    return page


def slot(page, room_id, hhmm):
    return page.locator(f'.ag-slot[data-room="{room_id}"][data-start="{DAY}T{hhmm}"]')


def drag(page, session_id, target):
    """Drag the card of ``session_id`` onto ``target``; return the move request's response."""
    card = page.locator(f"#session-{session_id}")
    with page.expect_response(lambda r: r.url.endswith(f"/sessions/{session_id}/move")) as info:
        # force: the target may lie under another card (cards let drops through while dragging)
        card.drag_to(target, source_position={"x": 12, "y": 8}, force=True)
    return info.value


def placements(app):
    """Every session as key -> (local start, local end, room key), and the number of changes."""
    from sqlalchemy import func, select

    from symposium.extensions import db
    from symposium.i18n import utc_to_local
    from symposium.models import AgendaChange, Session

    def local(dt, tz):
        return utc_to_local(dt, tz).replace(tzinfo=None)

    with app.app_context():
        rows = {
            s.key: (
                local(s.starts_at, s.event.timezone),
                local(s.ends_at, s.event.timezone),
                s.room.key if s.room else None,
            )
            for s in db.session.scalars(select(Session))
        }
        changes = db.session.scalar(select(func.count()).select_from(AgendaChange))
        db.session.remove()
    return rows, changes


def at(hhmm):
    return datetime.fromisoformat(f"{DAY}T{hhmm}")


def test_drag_session_to_another_room_and_time(live_app, browser):
    app, base, ids = live_app
    page = open_agenda(browser, base, "en")
    try:
        # "opening" (hall 09:00-10:00) to the side room at 10:00: it then ends just as "talk"
        # starts there (11:00), which is no overlap
        response = drag(page, ids["opening"], slot(page, ids["side"], "10:00"))
        assert response.status == 200  # its JSON body is gone: the script reloads at once
        card = page.locator(f"#session-{ids['opening']}")
        # the script reloads the page after a successful move; reload once more to be sure
        card.locator(".ag-when").filter(has_text="10:00–11:00").wait_for()
        assert "The session is moved." in page.locator("body").inner_text()  # flashed
        page.reload()
        assert card.locator(".ag-when").inner_text() == "10:00–11:00"
        box, target = card.bounding_box(), slot(page, ids["side"], "10:00").bounding_box()
        assert target["x"] <= box["x"] + box["width"] / 2 <= target["x"] + target["width"]
        assert 0 <= box["y"] - target["y"] <= 4  # the card's top sits on the 10:00 slot
    finally:
        page.close()

    rows, changes = placements(app)
    assert rows == {
        "opening": (at("10:00"), at("11:00"), "side"),
        "talk": (at("11:00"), at("11:45"), "side"),
    }
    assert changes == 1  # the event is published: the move is recorded


@pytest.mark.parametrize("target", ["08:30", "09:30"])
def test_conflicting_drop_is_refused_in_arabic(live_app, browser, target):
    app, base, ids = live_app
    before = placements(app)
    ar = {k: v["ar"] for k, v in json.loads(TRANSLATIONS.read_text("utf-8")).items()}
    clash = {"session": "الافتتاح", "start": "09:00", "end": "10:00"}
    expected = [
        ar["The room %(room)s is already used by “%(session)s” (%(start)s–%(end)s)."]
        % {**clash, "room": "القاعة الكبرى"},
        ar["%(person)s is already in “%(session)s” (%(start)s–%(end)s) at the same time."]
        % {**clash, "person": "هدى"},
    ]
    page = open_agenda(browser, base, "ar")
    try:
        assert page.get_attribute("html", "dir") == "rtl"
        # "talk" (45 min, Huda) to the hall at 08:30 (a free slot: 08:30-09:15 runs into
        # "opening", 09:00 in the hall with Huda) or at 09:30 (a slot under the "opening" card):
        # both the room rule and the speaker rule are broken
        response = drag(page, ids["talk"], slot(page, ids["hall"], target))
        assert response.status == 400
        status = page.locator("#agenda-status")
        status.locator("li").first.wait_for()
        assert status.is_visible()
        assert status.locator("li").all_inner_texts() == expected
        page.reload()
        assert page.locator(f"#session-{ids['talk']} .ag-when").inner_text() == "11:00–11:45"
    finally:
        page.close()

    assert placements(app) == before  # nothing moved, no change recorded
    assert before[0]["talk"] == (at("11:00"), at("11:45"), "side")
