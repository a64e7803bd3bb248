"""Browser test: the workspace agenda builder on a phone (375 px wide). A 15-minute session
shows its title in full, and every action link of every session is at least 24 x 24 px and
not cut off by its card."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import make_app, served

pytestmark = pytest.mark.e2e

BOXES_JS = """
() => Array.from(document.querySelectorAll('.ag-session')).map((card) => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {
    id: card.id,
    card: box(card),
    title: box(card.querySelector('h3 a')),
    links: Array.from(card.querySelectorAll('.ag-links a')).map((a) => [a.textContent.trim(), box(a)]),
  };
})
"""


def _inside(inner, outer) -> bool:
    return (
        inner[0] >= outer[0] - 0.5
        and inner[1] >= outer[1] - 0.5
        and inner[2] <= outer[2] + 0.5
        and inner[3] <= outer[3] + 0.5
    )


@pytest.fixture
def builder(tmp_path):
    from symposium.extensions import db
    from tests.factories import make_event, make_room, make_session
    from tests.manage_helpers import make_organiser

    app = make_app(tmp_path)
    with app.app_context():
        event = make_event(db.session, "phone-forum")
        hall = make_room(db.session, event, "hall", en="Main hall", ar="القاعة الكبرى")
        side = make_room(db.session, event, "side", en="Side room", ar="القاعة الجانبية")
        make_session(
            db.session,
            event,
            "opening",
            "2027-01-24T09:00",
            "2027-01-24T10:00",
            room=hall,
            kind="opening",
            title={"en": "Opening and welcome", "ar": "الافتتاح والترحيب"},
        )
        make_session(
            db.session,
            event,
            "coffee",
            "2027-01-24T10:00",
            "2027-01-24T10:15",
            room=hall,
            kind="break",
            title={"en": "Coffee break", "ar": "استراحة قهوة"},
        )
        make_session(
            db.session,
            event,
            "flash-talk",
            "2027-01-24T10:00",
            "2027-01-24T10:15",
            room=side,
            title={"en": "Flash talk: cities that learn", "ar": "كلمة قصيرة: مدن تتعلم"},
        )
        db.session.commit()
        event_id = event.id
    make_organiser(app, "organiser@example.org", event_id)
    with served(app) as base:
        yield base


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_short_sessions_show_their_title_and_links_are_touch_sized(builder, browser, lang):
    page = browser.new_page(viewport={"width": 375, "height": 800}, locale=lang)
    try:
        page.goto(f"{builder}/{lang}/login")
        page.fill("#email", "organiser@example.org")
        page.fill("#password", "correct horse battery")
        page.click("form button[type=submit]")
        page.wait_for_url(f"**/{lang}/manage/**")
        page.goto(f"{builder}/{lang}/manage/events/phone-forum/agenda")
        page.evaluate("document.fonts.ready")
        cards = page.evaluate(BOXES_JS)
        assert len(cards) == 3
        for card in cards:
            assert card["title"][2] - card["title"][0] > 0, card
            assert _inside(card["title"], card["card"]), ("title cut off", card)
            assert len(card["links"]) == 4
            for text, box in card["links"]:
                assert box[2] - box[0] >= 24 and box[3] - box[1] >= 24, (text, box, card["id"])
                assert _inside(box, card["card"]), ("link cut off", text, card)
    finally:
        page.close()
