"""Session languages and interpretation: the rules, the session form (with the two links), the
agenda and its ?language= filter, the session page, the programme PDF, the feeds, the API and the
interchange."""

from __future__ import annotations

import json
import re
from datetime import datetime
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import AgendaChange, AuditLog, Event, Session
from symposium.services import session_languages as sl
from symposium.services.agenda import AgendaConflict, SessionData, save_session
from symposium.services.interchange import dumps, export_event, import_event
from tests.api_helpers import bearer, build_api_world, token_for
from tests.factories import make_event, make_room, make_session
from tests.manage_helpers import login, make_organiser
from tests.pdf_helpers import pdf_text
from tests.test_schedule_feeds import _assert_valid_json, _assert_valid_xml, json_validator, xsd

__all__ = ["json_validator", "xsd"]  # fixtures shared with the feed tests


def _set(item: Session, languages, interpretation=()):
    item.languages = list(languages)
    item.interpretation = list(interpretation)


@pytest.fixture
def agenda(app):
    """A published event: an Arabic session interpreted into English and French, an English
    session interpreted into Arabic, a French session without interpretation, a break."""
    with app.app_context():
        s = db.session
        event = make_event(s, "langs")
        hall = make_room(s, event, "hall")
        side = make_room(s, event, "side")
        ar = make_session(s, event, "arabic", "2027-01-24T09:00", "2027-01-24T10:00", room=hall)
        _set(ar, ["ar"], ["ar-en", "ar-fr"])
        en = make_session(s, event, "english", "2027-01-24T10:00", "2027-01-24T11:00", room=hall)
        _set(en, ["en"], ["en-ar"])
        fr = make_session(s, event, "french", "2027-01-24T10:00", "2027-01-24T11:00", room=side)
        _set(fr, ["fr"])
        make_session(
            s, event, "pause", "2027-01-24T11:00", "2027-01-24T11:15", room=hall, kind="break"
        )
        ar.online_url = "https://meet.example.org/secret-room-4711"
        s.commit()
    return "langs"


# --- the rules ------------------------------------------------------------------------------


def test_rules(ctx):
    event = make_event(ctx, "rules")
    assert sl.allowed_codes(event)[:3] == ("ar", "en", "fr")
    assert {"es", "ru", "zh"} <= set(sl.allowed_codes(event))
    assert sl.problems(event, ["ar"], ["ar-en", "ar-fr"]) == []
    # relay: ar→en then en→fr is fine although nobody speaks English on stage
    assert sl.problems(event, ["ar"], ["ar-en", "en-fr"]) == []
    assert sl.problems(event, ["xx"], []) == ["Unknown language: xx"]
    assert any("cannot go from" in p for p in sl.problems(event, ["ar"], ["ar-ar"]))
    assert any("needs French" in p for p in sl.problems(event, ["ar"], ["fr-en"]))
    assert any("State the language" in p for p in sl.problems(event, [], ["ar-en"]))
    assert any("Unknown interpretation channel" in p for p in sl.problems(event, ["ar"], ["ar"]))
    assert sl.normalise(["AR", "ar", " en "], ["ar-en", "ar-en"]) == (["ar", "en"], ["ar-en"])
    assert sl.url_problem("javascript:alert(1)", "Link")
    assert sl.url_problem("https://exa mple.org", "Link")
    assert sl.url_problem("https://", "Link")
    assert sl.url_problem("https://meet.example.org/x?pwd=1", "Link") is None
    assert sl.url_problem("", "Link") is None


def test_followable_in_and_labels(app, ctx):
    event = make_event(ctx, "follow")
    item = make_session(ctx, event, "s", "2027-01-24T09:00", "2027-01-24T10:00")
    _set(item, ["ar"], ["ar-en", "ar-fr"])
    assert sl.followable_in(item, "ar") and sl.followable_in(item, "fr")
    assert not sl.followable_in(item, "es")
    with app.test_request_context():
        from symposium.i18n import language

        with language("en"):
            assert sl.describe(item, "en") == "Arabic · Interpretation: English and French"
        with language("fr"):
            assert sl.describe(item, "fr") == "arabe · Interprétation\u202f: anglais et français"
        with language("ar"):
            assert sl.describe(item, "ar") == "العربية · الترجمة الفورية: الإنجليزية والفرنسية"


def test_service_refuses_and_writes_nothing(ctx):
    event = make_event(ctx, "svc", status="published")
    ctx.commit()
    data = SessionData(
        title={"ar": "جلسة", "en": "Session"},
        starts_local=datetime(2027, 1, 24, 9),
        ends_local=datetime(2027, 1, 24, 10),
        languages=["ar"],
        interpretation=["fr-en"],
        recording_url="ftp://files.example.org/rec",
    )
    with pytest.raises(AgendaConflict) as info:
        save_session(ctx, event, data)
    ctx.rollback()
    messages = " ".join(info.value.messages)
    assert "needs French" in messages and "https://" in messages
    assert ctx.scalar(select(func.count()).select_from(Session)) == 0


# --- the session form -----------------------------------------------------------------------


@pytest.fixture
def form_event(app):
    with app.app_context():
        event = make_event(db.session, "conf")
        make_room(db.session, event, "hall")
        item = make_session(db.session, event, "first", "2027-01-24T09:00", "2027-01-24T10:00")
        db.session.commit()
        ids = event.id, item.id
    make_organiser(app, "organiser@example.org", ids[0])
    return ids


def _payload(**changes) -> dict:
    base = {
        "title_ar": "جلسة جديدة",
        "title_en": "New session",
        "kind": "panel",
        "starts_at": "2027-01-24T11:00",
        "ends_at": "2027-01-24T12:00",
        "room": "",
    }
    base.update(changes)
    return base


def test_form_saves_languages_channels_and_links(app, client, form_event):
    event_id, first_id = form_event
    login(client, "organiser@example.org")
    page = client.get(f"/en/manage/events/conf/sessions/{first_id}/edit").get_data(as_text=True)
    assert 'name="languages"' in page and 'name="interpretation-0-source"' in page
    assert 'name="online_url"' in page and "Never shown publicly" in page
    response = client.post(
        f"/en/manage/events/conf/sessions/{first_id}/edit",
        data=_payload(
            title_en="Session first",
            starts_at="2027-01-24T09:00",
            ends_at="2027-01-24T10:00",
            languages=["ar", "en"],
            **{
                "interpretation-0-source": "ar",
                "interpretation-0-target": "fr",
                "interpretation-1-source": "",
                "interpretation-1-target": "",
            },
            online_url="https://meet.example.org/first?pwd=secret",
            recording_url="https://video.example.org/first",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        item = db.session.get(Session, first_id)
        assert item.languages == ["ar", "en"]
        assert item.interpretation == ["ar-fr"]
        assert item.online_url == "https://meet.example.org/first?pwd=secret"
        assert item.recording_url == "https://video.example.org/first"
        # the public record of changes has the languages, never the meeting link
        changes = db.session.scalars(select(AgendaChange)).all()
        assert changes and all("online_url" not in c.summary for c in changes)
        assert any("languages" in c.summary for c in changes)
        assert "secret" not in json.dumps([c.summary for c in changes])
        logged = db.session.scalars(select(AuditLog).where(AuditLog.action == "session.update"))
        assert any((row.details or {}).get("online_url") == "changed" for row in logged)
        assert "secret" not in json.dumps([row.details for row in logged])
    # the form shows what is saved
    page = client.get(f"/en/manage/events/conf/sessions/{first_id}/edit").get_data(as_text=True)
    assert 'value="https://meet.example.org/first?pwd=secret"' in page
    checked = set(
        re.findall(r'<input checked id="languages-\d+" name="languages"[^>]*value="(\w+)"', page)
    )
    assert checked == {"ar", "en"}
    assert re.search(
        r'name="interpretation-0-source"><option value="">—</option><option selected value="ar"',
        page,
    )
    changes_page = client.get("/en/events/conf/changes").get_data(as_text=True)
    assert "meet.example.org" not in changes_page
    assert "Arabic" in changes_page and "English" in changes_page


@pytest.mark.parametrize(
    "change, expect",
    [
        ({"recording_url": "javascript:alert(1)"}, "starts with https://"),
        ({"online_url": "meet.example.org/room"}, "starts with https://"),
        ({"languages": ["xx"]}, "Unknown language: xx"),
        (
            {"languages": ["ar"], "interpretation-0-source": "fr", "interpretation-0-target": "en"},
            "needs French",
        ),
        (
            {"languages": ["ar"], "interpretation-0-source": "ar", "interpretation-0-target": ""},
            "Choose both languages",
        ),
        (
            {"languages": ["ar"], "interpretation-0-source": "ar", "interpretation-0-target": "ar"},
            "cannot go from Arabic into Arabic",
        ),
    ],
)
def test_form_refuses_with_a_message_and_keeps_the_input(app, client, form_event, change, expect):
    login(client, "organiser@example.org")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Session))
    response = client.post("/en/manage/events/conf/sessions/new", data=_payload(**change))
    assert response.status_code == 400
    body = response.get_data(as_text=True).replace("&#34;", '"')
    assert expect in body, body[:3000]
    assert 'value="New session"' in body
    for name, value in change.items():
        if isinstance(value, str) and value and name.endswith("_url"):
            assert f'value="{value}"' in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Session)) == before


def test_form_messages_are_translated(app, client, form_event):
    login(client, "organiser@example.org", lang="fr")
    response = client.post(
        "/fr/manage/events/conf/sessions/new",
        data=_payload(recording_url="ftp://x.example.org/r", languages=["xx"]),
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "commence par https://" in body and "Langue inconnue\u202f: xx" in body
    login(client, "organiser@example.org", lang="ar")
    body = client.post(
        "/ar/manage/events/conf/sessions/new", data=_payload(languages=["xx"])
    ).get_data(as_text=True)
    assert "لغة غير معروفة: xx" in body


# --- public pages ---------------------------------------------------------------------------


def test_agenda_shows_languages_in_each_language(client, agenda):
    en = client.get("/en/events/langs/agenda").get_data(as_text=True)
    assert "Language: Arabic" in en and "Interpretation: English and French" in en
    fr = client.get("/fr/events/langs/agenda").get_data(as_text=True)
    assert "Langue\u202f: arabe" in fr and "Interprétation\u202f: anglais et français" in fr
    ar = client.get("/ar/events/langs/agenda").get_data(as_text=True)
    assert "اللغة: العربية" in ar and "الترجمة الفورية: الإنجليزية والفرنسية" in ar
    # the filter control, every language in the viewer's language and its own
    assert 'name="language"' in en and "French (français)" in en
    # the meeting link is never public
    for page in (en, fr, ar):
        assert "secret-room-4711" not in page


def test_language_filter(client, agenda):
    page = client.get("/en/events/langs/agenda?language=fr").get_data(as_text=True)
    assert "s-arabic" in page  # interpreted into French
    assert "s-french" in page  # spoken in French
    assert "s-english" not in page  # English, interpreted into Arabic only
    assert "s-pause" not in page
    assert 'value="fr" selected' in page
    page = client.get("/en/events/langs/agenda?language=ar").get_data(as_text=True)
    assert "s-arabic" in page and "s-english" in page and "s-french" not in page
    # a language no session offers: a clear message
    page = client.get("/en/events/langs/agenda?language=es").get_data(as_text=True)
    assert "No session can be followed in Spanish." in page
    page = client.get("/fr/events/langs/agenda?language=es").get_data(as_text=True)
    assert "Aucune séance ne peut être suivie en espagnol." in page
    # nonsense is ignored, never an error
    for value in ("xx", "<script>", "a" * 300, "fr-en"):
        response = client.get("/en/events/langs/agenda", query_string={"language": value})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "s-english" in body and "s-french" in body and "<script>" not in body


def test_filtered_agenda_has_its_own_etag(client, agenda):
    everything = client.get("/en/events/langs/agenda")
    french = client.get("/en/events/langs/agenda?language=fr")
    assert everything.headers["ETag"] != french.headers["ETag"]
    again = client.get(
        "/en/events/langs/agenda?language=fr", headers={"If-None-Match": everything.headers["ETag"]}
    )
    assert again.status_code == 200


def test_session_page(client, agenda):
    page = client.get("/en/events/langs/sessions/arabic").get_data(as_text=True)
    assert "<dt>Languages</dt>" in page and "<dt>Interpretation</dt>" in page
    assert "from Arabic into English" in page and "from Arabic into French" in page
    assert 'data-channel="ar-fr"' in page
    assert "secret-room-4711" not in page
    ar = client.get("/ar/events/langs/sessions/arabic").get_data(as_text=True)
    assert "من العربية إلى الإنجليزية" in ar
    fr = client.get("/fr/events/langs/sessions/arabic").get_data(as_text=True)
    assert "arabe vers anglais" in fr


def test_programme_pdf_has_the_language_line(client, agenda, tmp_path):
    text = pdf_text(client.get("/en/events/langs/programme.pdf").data, tmp_path)
    assert "Arabic · Interpretation: English and French" in text
    assert "secret-room-4711" not in text
    text = pdf_text(client.get("/ar/events/langs/programme.pdf").data, tmp_path)
    assert "الترجمة الفورية: الإنجليزية والفرنسية" in text


def test_feeds_carry_the_language_and_stay_valid(client, agenda, xsd, json_validator):
    xml = client.get("/en/events/langs/schedule.xml")
    _assert_valid_xml(xsd, xml.data)
    events = {e.find("slug").text: e for e in ET.fromstring(xml.data).iter("event")}
    assert events["langs-english"].find("language").text == "en"
    assert events["langs-french"].find("language").text == "fr"
    assert events["langs-arabic"].find("language").text == "ar"
    assert "Interpretation: English and French" in events["langs-arabic"].find("description").text
    js = client.get("/fr/events/langs/schedule.json")
    _assert_valid_json(json_validator, js.data)
    conference = json.loads(js.data)["schedule"]["conference"]
    records = [ev for day in conference["days"] for room in day["rooms"].values() for ev in room]
    arabic = next(ev for ev in records if ev["slug"] == "langs-arabic")
    assert arabic["language"] == "ar"
    assert "Interprétation" in arabic["description"]
    assert b"secret-room-4711" not in xml.data + js.data


# --- API ------------------------------------------------------------------------------------


def test_api_sessions_have_languages_and_channels(app, client, agenda):
    body = client.get("/api/v1/events/langs/sessions/arabic").get_json()
    assert body["languages"] == ["ar"]
    assert body["interpretation"] == [{"from": "ar", "to": "en"}, {"from": "ar", "to": "fr"}]
    assert "online_url" not in body and "recording_url" not in body
    listed = client.get("/api/v1/events/langs/sessions?language=fr").get_json()
    assert {s["key"] for s in listed} == {"arabic", "french"}
    assert "secret-room-4711" not in client.get("/api/v1/events/langs/sessions").get_data(
        as_text=True
    )
    bad = client.get("/api/v1/events/langs/sessions?language=%3Cx%3E")
    assert bad.status_code == 422


def test_api_writes_languages(app, client):
    world = build_api_world(app)
    token = token_for(app, world.organiser_id)
    response = client.patch(
        "/api/v1/events/mine/sessions/plenary",
        json={"languages": ["ar"], "interpretation": [{"from": "ar", "to": "en"}]},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["interpretation"] == [{"from": "ar", "to": "en"}]
    # a PATCH of something else keeps them
    response = client.patch(
        "/api/v1/events/mine/sessions/plenary", json={"track": "Main"}, headers=bearer(token)
    )
    assert response.get_json()["languages"] == ["ar"]
    refused = client.patch(
        "/api/v1/events/mine/sessions/plenary",
        json={"interpretation": [{"from": "fr", "to": "en"}]},
        headers=bearer(token),
    )
    assert refused.status_code == 409
    with app.app_context():
        item = db.session.scalar(select(Session).where(Session.key == "plenary"))
        assert item.interpretation == ["ar-en"]


# --- interchange ----------------------------------------------------------------------------


def test_interchange_round_trip(app, ctx, agenda):
    event = ctx.scalar(select(Event).where(Event.slug == "langs"))
    data = export_event(event)
    arabic = next(s for s in data["sessions"] if s["key"] == "arabic")
    assert arabic["languages"] == ["ar"] and arabic["interpretation"] == ["ar-en", "ar-fr"]
    assert arabic["online_url"] == "https://meet.example.org/secret-room-4711"
    data["slug"] = "langs-copy"
    copy = import_event(ctx, json.loads(dumps(data)))
    ctx.commit()
    again = export_event(copy)
    again["slug"] = "langs"
    data["slug"] = "langs"
    assert again == data


@pytest.mark.parametrize(
    "field, value, expect",
    [
        ("languages", "ar", "must be a list"),
        ("languages", ["xx"], "Unknown language: xx"),
        ("interpretation", ["fr-en"], "needs French"),
        ("online_url", "javascript:alert(1)", "http or https"),
        ("recording_url", "ftp://x.example.org", "http or https"),
    ],
)
def test_interchange_refuses_bad_values(ctx, agenda, field, value, expect):
    from symposium.services.interchange import InterchangeError

    event = ctx.scalar(select(Event).where(Event.slug == "langs"))
    data = export_event(event)
    data["sessions"][0][field] = value
    with pytest.raises(InterchangeError) as info:
        import_event(ctx, data, event=event)
    assert any(expect in p and p.startswith("sessions[0].") for p in info.value.problems), (
        info.value.problems
    )


def test_demo_data(app, runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        sessions = db.session.scalars(
            select(Session).join(Event).where(Event.slug == "ide-2026")
        ).all()
        talks = [s for s in sessions if s.kind != "break"]
        assert all(s.languages for s in talks)
        assert sum(1 for s in sessions if s.interpretation) >= 4
        assert sum(1 for s in sessions if s.online_url) >= 3
        assert any(s.recording_url for s in sessions)
        assert find_online(db.session)
    page = client.get("/fr/events/ide-2026/agenda?language=fr").get_data(as_text=True)
    assert "Interprétation" in page
    assert "meet.example.org" not in page


def find_online(session) -> bool:
    event = session.scalar(select(Event).where(Event.slug == "ide-2026"))
    return bool(event.online_url and event.hybrid)
