"""The public pages fit a 360 px phone: nothing is wider than the viewport (Arabic and English).

Runs headless Chromium through Playwright; requests are answered by the Flask test client
(no server). Skipped when Playwright or Chromium is missing.
"""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.e2e

PAGES = [
    "/{lang}/",
    "/{lang}/events/ide-2026/",
    "/{lang}/events/ide-2026/agenda",
    "/{lang}/events/ide-2026/sessions/workshop-planning",
    "/{lang}/events/ide-2026/speakers",
    "/{lang}/events/ide-2026/speakers/mayor-new-city-latam",
    "/{lang}/events/ide-2026/changes",
    "/{lang}/events/ide-2027-sample/agenda",
]

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > width + 1 || r.left < -1)) {
      if (el.closest('.visually-hidden, .hp')) continue;
      wide.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


def _browser_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_pages_fit_a_360px_phone(runner, client):
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _browser_path()
    if executable is None:
        pytest.skip("Chromium is not installed")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0

    def serve(route, request):
        path = request.url.removeprefix("http://symposium.test")
        response = client.get(path)
        route.fulfill(
            status=response.status_code,
            headers={"content-type": response.headers["Content-Type"]},
            body=response.data,
        )
        response.close()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.route("http://symposium.test/**", serve)
            for lang in ("ar", "en"):
                for template in PAGES:
                    url = "http://symposium.test" + template.format(lang=lang)
                    page.goto(url)
                    result = page.evaluate(OVERFLOW_JS)
                    assert result["scroll"] <= 360, (url, result)
                    assert not result["wide"], (url, result)
        finally:
            browser.close()
