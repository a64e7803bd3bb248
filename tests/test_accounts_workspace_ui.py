"""The workspace around an account: one top-navigation entry per place with sign-out last,
multi-checkbox fields (an account's events, an event's languages) one checkbox with its label
per line, and /favicon.ico served as a real icon."""

from __future__ import annotations

from lxml import html

from tests.manage_helpers import build_world, login


def _top_nav(page: str) -> list[tuple[str, str]]:
    """(text, href or 'form:<action>') of each entry of the header's main navigation."""
    tree = html.fromstring(page)
    entries = []
    for li in tree.xpath('//header//ul[@class="nav"]/li'):
        link = li.xpath(".//a")
        if link:
            entries.append((link[0].text_content().strip(), link[0].get("href")))
        else:
            form = li.xpath(".//form")[0]
            entries.append((li.text_content().strip(), "form:" + form.get("action")))
    return entries


def test_workspace_nav_has_one_entry_per_place_and_sign_out_last(app, client):
    build_world(app)
    login(client, "admin@example.org")
    for url in ("/en/manage/", "/en/manage/events/ws-event/agenda", "/en/manage/users"):
        entries = _top_nav(client.get(url).get_data(as_text=True))
        hrefs = [href for _text, href in entries]
        assert len(hrefs) == len(set(hrefs)), entries
        assert entries[-1] == ("Sign out", "form:/en/logout"), entries
        assert [text for text, _ in entries] == [
            "Events",
            "Accounts",
            "Audit log",
            "API tokens",
            "Password",
            "Sign out",
        ]
    # the public pages still lead a signed-in user to the workspace
    public = _top_nav(client.get("/en/events/ws-event/").get_data(as_text=True))
    assert ("Workspace", "/en/manage/") in public


def test_multi_checkbox_fields_render_one_checkbox_and_label_per_line(app, client):
    world = build_world(app)
    login(client, "admin@example.org")
    for url, legend in (
        (f"/en/manage/users/{world.organiser_id}/edit", "Events (organisers)"),
        ("/en/manage/events/ws-event/edit", "Languages offered"),
    ):
        tree = html.fromstring(client.get(url).get_data(as_text=True))
        fieldset = tree.xpath(f'//fieldset[legend[normalize-space()="{legend}"]]')
        assert len(fieldset) == 1, url
        items = fieldset[0].xpath("./ul/li")
        assert items
        for li in items:
            labels = li.xpath("./label")
            assert len(labels) == 1 and "checkbox" in labels[0].get("class").split()
            boxes = labels[0].xpath('./input[@type="checkbox"]')
            assert len(boxes) == 1 and labels[0].text_content().strip()
        assert not tree.xpath(f'//label[normalize-space()="{legend}"]')  # a legend, not a label


def test_favicon_is_served(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert response.data[:4] == b"\x00\x00\x01\x00"  # ICO header
    page = client.get("/en/").get_data(as_text=True)
    assert html.fromstring(page).xpath('//link[@rel="icon"]/@href') == ["/favicon.ico"]
