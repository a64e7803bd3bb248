"""Browser test: on the public agenda the time range never runs into the session title, in
Arabic, English and French, from a phone (360 px) to a wide screen.

The demo symposium is seeded as `make run` does; for every agenda item the boxes of the time
text (both <time> elements and the dash) and of the title (<h3>) must not intersect.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import make_app, served

pytestmark = pytest.mark.e2e

WIDTHS = (360, 641, 768, 1280, 1920)
LANGS = ("ar", "en", "fr")

# For each item: the union of the time's text boxes and the title's box, in CSS pixels
BOXES_JS = """
() => Array.from(document.querySelectorAll('.agenda-item')).map((item) => {
  const parts = item.querySelectorAll('.time time, .time [aria-hidden]');
  let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
  parts.forEach((el) => Array.from(el.getClientRects()).forEach((r) => {
    left = Math.min(left, r.left); top = Math.min(top, r.top);
    right = Math.max(right, r.right); bottom = Math.max(bottom, r.bottom);
  }));
  const t = item.querySelector('h3').getBoundingClientRect();
  return {
    id: item.id,
    time: item.querySelector('.time').textContent.replace(/\\s+/g, ' ').trim(),
    title: item.querySelector('h3').textContent.trim(),
    timeBox: [left, top, right, bottom],
    titleBox: [t.left, t.top, t.right, t.bottom],
    pageWidth: document.documentElement.scrollWidth,
  };
})
"""


def _intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("agenda-layout"))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with served(app) as base:
        yield base


@pytest.mark.parametrize("lang", LANGS)
def test_agenda_time_never_overlaps_the_title(demo_site, browser, lang):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=lang)
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{demo_site}/{lang}/events/ide-2026/agenda")
            page.evaluate("document.fonts.ready")
            items = page.evaluate(BOXES_JS)
            assert len(items) >= 10
            for item in items:
                assert item["time"] and item["title"]
                assert not _intersect(item["timeBox"], item["titleBox"]), (lang, width, item)
                assert item["pageWidth"] <= width, (lang, width, "the page scrolls sideways")
    finally:
        page.close()
