"""schedule.xml / schedule.json: valid against the frab XSD and the voc JSON Schema, in every
language, for the demo events and an event across a daylight-saving change; GUIDs shared with the
calendar; conditional GETs."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from icalendar import Calendar

from symposium.extensions import db
from symposium.services.events import bump_agenda_version, find_event
from tests.factories import add_speaker, make_event, make_person, make_room, make_session

LANGS = ("ar", "en", "fr")


def _schemas_dir() -> Path:
    configured = os.environ.get("SCHEDULE_SCHEMAS_DIR")
    here = Path(__file__).resolve().parent.parent
    for candidate in filter(None, (configured, here.parent / "shared" / "schemas")):
        path = Path(candidate)
        if (path / "frab-schedule.xsd").is_file():
            return path
    pytest.skip(
        "the frab/voc schemas are not here: ../shared/schemas beside the checkout (as in CI) "
        "or SCHEDULE_SCHEMAS_DIR"
    )


@pytest.fixture
def xsd():
    lxml_etree = pytest.importorskip("lxml.etree")
    return lxml_etree.XMLSchema(lxml_etree.parse(str(_schemas_dir() / "frab-schedule.xsd")))


@pytest.fixture
def json_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((_schemas_dir() / "schedule-json.schema.json").read_text("utf-8"))
    cls = jsonschema.Draft6Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _assert_valid_xml(xsd, body: bytes):
    from lxml import etree

    doc = etree.fromstring(body)
    assert xsd.validate(doc), [str(e) for e in xsd.error_log]


def _assert_valid_json(validator, body: bytes):
    errors = sorted(validator.iter_errors(json.loads(body)), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


@pytest.fixture
def dst_event(app):
    """Paris, 27-29 March 2027: clocks go forward in the night of the 27th to the 28th."""
    with app.app_context():
        event = make_event(
            db.session,
            "paris-dst",
            timezone="Europe/Paris",
            starts_on=date(2027, 3, 27),
            ends_on=date(2027, 3, 29),
            title={"ar": "ملتقى مدن التعلّم (RCQE)", "en": "Learning cities", "fr": "Villes"},
        )
        hall = make_room(db.session, event, "hall", en="Hall A", ar="القاعة أ", fr="Salle A")
        before = make_session(
            db.session, event, "before", "2027-03-27T09:30", "2027-03-27T10:30", room=hall
        )
        after = make_session(
            db.session,
            event,
            "after",
            "2027-03-28T09:30",
            "2027-03-28T10:45",
            room=hall,
            kind="workshop",
            title={"ar": "هل التعلّم للجميع؟", "en": "Learning for all?", "fr": "Pour tous ?"},
        )
        make_session(db.session, event, "no-room", "2027-03-29T14:00", "2027-03-29T15:00")
        person = make_person(db.session, event, "amina", name={"ar": "أمينة", "en": "Amina"})
        add_speaker(db.session, before, person)
        add_speaker(db.session, after, person, role="moderator")
        db.session.commit()
    return "paris-dst"


@pytest.mark.parametrize("lang", LANGS)
def test_demo_feeds_are_valid(app, client, runner, xsd, json_validator, lang):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    for slug in ("ide-2026", "ide-2027-sample"):
        xml = client.get(f"/{lang}/events/{slug}/schedule.xml")
        assert xml.status_code == 200 and xml.mimetype == "application/xml"
        _assert_valid_xml(xsd, xml.data)
        js = client.get(f"/{lang}/events/{slug}/schedule.json")
        assert js.status_code == 200 and js.mimetype == "application/json"
        _assert_valid_json(json_validator, js.data)


@pytest.mark.parametrize("lang", LANGS)
def test_dst_event_feeds_are_valid_with_local_offsets(client, dst_event, xsd, json_validator, lang):
    xml = client.get(f"/{lang}/events/{dst_event}/schedule.xml")
    _assert_valid_xml(xsd, xml.data)
    root = ET.fromstring(xml.data)
    dates = {
        e.find("slug").text: (e.find("date").text, e.find("start").text) for e in root.iter("event")
    }
    assert dates["paris-dst-before"] == ("2027-03-27T09:30:00+01:00", "09:30")
    assert dates["paris-dst-after"] == ("2027-03-28T09:30:00+02:00", "09:30")
    durations = {e.find("slug").text: e.find("duration").text for e in root.iter("event")}
    assert durations["paris-dst-after"] == "01:15"
    days = root.findall("day")
    assert [d.get("date") for d in days] == ["2027-03-27", "2027-03-28", "2027-03-29"]
    assert [d.get("index") for d in days] == ["1", "2", "3"]

    js = client.get(f"/{lang}/events/{dst_event}/schedule.json")
    _assert_valid_json(json_validator, js.data)
    conference = json.loads(js.data)["schedule"]["conference"]
    assert conference["time_zone_name"] == "Europe/Paris"
    events = [ev for day in conference["days"] for room in day["rooms"].values() for ev in room]
    after = next(ev for ev in events if ev["slug"] == "paris-dst-after")
    assert after["date"] == "2027-03-28T09:30:00+02:00"
    assert after["end"] == "2027-03-28T10:45:00+02:00"
    assert after["url"].endswith(f"/{lang}/events/paris-dst/sessions/after")
    # French falls back to the event's default language (ar), as the pages do
    assert [p["name"] for p in after["persons"]] == ["Amina" if lang == "en" else "أمينة"]


def test_arabic_text_is_intact_and_lang_variants(client, dst_event):
    ar = json.loads(client.get("/ar/events/paris-dst/schedule.json").data)
    conference = ar["schedule"]["conference"]
    assert conference["title"] == "ملتقى مدن التعلّم (RCQE)"
    titles = {
        ev["slug"]: ev["title"]
        for day in conference["days"]
        for room in day["rooms"].values()
        for ev in room
    }
    assert titles["paris-dst-after"] == "هل التعلّم للجميع؟"
    assert "القاعة أ" in conference["days"][0]["rooms"]
    # ?lang= gives another language's variant on the same URL
    fr = json.loads(client.get("/ar/events/paris-dst/schedule.json?lang=fr").data)
    fr_titles = [
        ev["title"]
        for day in fr["schedule"]["conference"]["days"]
        for room in day["rooms"].values()
        for ev in room
    ]
    assert "Pour tous ?" in fr_titles
    xml = client.get("/en/events/paris-dst/schedule.xml?lang=ar").data.decode("utf-8")
    assert "هل التعلّم للجميع؟" in xml and "ملتقى مدن التعلّم (RCQE)" in xml


def test_guids_are_stable_and_shared_with_the_calendar(app, client, dst_event):
    first = json.loads(client.get("/en/events/paris-dst/schedule.json").data)
    second = json.loads(client.get("/fr/events/paris-dst/schedule.json").data)

    def guids(doc):
        return {
            ev["slug"]: ev["guid"]
            for day in doc["schedule"]["conference"]["days"]
            for room in day["rooms"].values()
            for ev in room
        }

    assert guids(first) == guids(second)
    xml_guids = {
        e.find("slug").text: e.get("guid")
        for e in ET.fromstring(client.get("/ar/events/paris-dst/schedule.xml").data).iter("event")
    }
    assert xml_guids == guids(first)
    calendar = Calendar.from_ical(client.get("/en/events/paris-dst/event.ics").data)
    # the calendar's UID is "<guid>@symposium" (RFC 5545)
    ics_uids = {str(c.get("uid")) for c in calendar.walk("VEVENT")}
    assert {f"{g}@symposium" for g in guids(first).values()} <= ics_uids
    # another host serves the same GUIDs
    other = app.test_client()
    moved = other.get("/en/events/paris-dst/schedule.json", base_url="https://other.example")
    assert guids(json.loads(moved.data)) == guids(first)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_conditional_get(app, client, dst_event, fmt):
    url = f"/en/events/paris-dst/schedule.{fmt}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]
    assert "Set-Cookie" not in first.headers
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    assert (
        client.get(url.replace("/en/", "/fr/"), headers={"If-None-Match": etag}).status_code == 200
    )
    with app.app_context():
        bump_agenda_version(find_event(db.session, "paris-dst"))
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_draft_and_unknown_events_have_no_feed(app, client):
    with app.app_context():
        make_event(db.session, "draft-one", status="draft")
        db.session.commit()
    for fmt in ("xml", "json"):
        assert client.get(f"/en/events/draft-one/schedule.{fmt}").status_code == 404
        assert client.get(f"/en/events/nope/schedule.{fmt}").status_code == 404


def test_agenda_links_the_feeds(client, dst_event):
    page = client.get("/ar/events/paris-dst/agenda").data.decode()
    assert "/ar/events/paris-dst/schedule.xml" in page
    assert "/ar/events/paris-dst/schedule.json" in page
