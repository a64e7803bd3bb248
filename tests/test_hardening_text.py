"""Text is checked once, at every entry: the interchange import (service, CLI, workspace), the
workspace, portal and registration forms, the ``user create`` command; and malformed URLs."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import Event, Person, Registration, Room
from symposium.models import Session as AgendaSession
from symposium.services.interchange import InterchangeError, import_event
from symposium.services.textcheck import JsonProblems, load_json, text_problem
from tests.interchange_helpers import doc
from tests.manage_helpers import build_world, login
from tests.registration_helpers import post_registration

INVISIBLE = ["\u200b\u200b", "\u3164", "\U000e0041\U000e0042", "\u115f\u1160", " \u200d "]


def _problems(ctx, data) -> list[str]:
    with pytest.raises(InterchangeError) as info:
        import_event(ctx, data)
    ctx.rollback()
    return info.value.problems


def _set(data, path: str, value):
    """Set ``value`` at a dotted path like ``sessions.0.title.en``."""
    target = data
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    target[int(last) if last.isdigit() else last] = value
    return data


# (path in the document, bad value, path reported) -- every finding of the import
IMPORT_CASES = [
    ("title.en", "Learning\ndays", "title.en"),
    ("sessions.0.title.en", "Opening\r\nBcc: x@example.org", "sessions[0].title.en"),
    ("title.en", "Learning\x00days", "title.en"),
    ("title.en", "Learning \ud800 days", "title.en"),
    ("speakers.0.name.en", "\u202eevil", "speakers[0].name.en"),
    ("speakers.0.name.en", "a\u2066b", "speakers[0].name.en"),
    ("rooms.0.name.en", "Hall\tA", "rooms[0].name.en"),
    ("speakers.0.organisation.en", "Org\x1b[31m", "speakers[0].organisation.en"),
    ("capacity", 2**40, "capacity"),
    ("rooms.0.capacity", 2**31, "rooms[0].capacity"),
    ("sessions.0.position", -(2**31) - 1, "sessions[0].position"),
    ("timezone", "localtime", "timezone"),
    ("timezone", "posix/Asia/Riyadh", "timezone"),
    ("ends_on", "2126-02-01", "ends_on"),
    ("ends_on", "2027-03-15", "ends_on"),
    ("description.en", "x" * 20001, "description.en"),
    ("title.en", "x" * 301, "title.en"),
    ("speakers.0.email", "élise@example.org", "speakers[0].email"),
    ("speakers.0.email", "mayor@exämple.org", "speakers[0].email"),
    ("settings", {"a": {"b": {"c": {"d": {"e": {"f": {"g": {}}}}}}}}, "settings.a.b.c.d.e.f.g"),
    ("settings", {"k": "v\x00"}, "settings.k"),
]


@pytest.mark.parametrize(("path", "value", "where"), IMPORT_CASES)
def test_import_refuses_bad_values_with_their_path(ctx, path, value, where):
    problems = _problems(ctx, _set(doc(), path, value))
    assert any(p.startswith(f"{where}: ") for p in problems), problems
    assert ctx.scalar(select(func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("name", INVISIBLE)
def test_import_refuses_invisible_names(ctx, name):
    data = doc()
    data["speakers"][1]["name"] = {"en": name}
    data["title"]["fr"] = name
    problems = _problems(ctx, data)
    assert any(p.startswith("speakers[1].name.en: ") for p in problems), problems
    assert any(p.startswith("title.fr: ") for p in problems), problems


def test_multiline_texts_keep_paragraphs_and_non_ascii_email_with_smtputf8(app, ctx):
    data = doc()
    data["description"]["en"] = "First paragraph.\n\n\tSecond paragraph."
    data["speakers"][0]["email"] = "élise@exämple.org"
    with pytest.raises(InterchangeError):
        import_event(ctx, data)
    ctx.rollback()
    app.config["MAIL_SMTPUTF8"] = True
    event = import_event(ctx, data)
    assert event.description["en"].startswith("First paragraph.\n\n\tSecond")
    assert any(p.email and not p.email.isascii() for p in event.people)


def test_ordinary_texts_still_pass():
    for value in ("عبدالرحمن بن سعيد", "Ève d’Arc", "李小龙", "Zoë 👩🏽‍🔬", "به‌روز", "O’Brien"):
        assert text_problem(value) is None, value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"slug": "a", "slug": "b"}', "slug: duplicate key"),
        ('{"rooms": [{"key": "a", "key": "b"}]}', "rooms[0].key: duplicate key"),
        ("[" * 100_000 + "]" * 100_000, "$: nested deeper than 8 levels"),
        ('{"capacity": ' + "9" * 5000 + "}", "capacity: number out of range"),
        ('{"capacity": 1e999}', "capacity: number out of range"),
        ('{"capacity": NaN}', "capacity: number out of range"),
        ('{"capacity": 3000000000}', "capacity: Must be between"),
        ('{"title": {"en": "a\\u0000b"}}', "title.en: The text contains an invalid character"),
        ('{"title": {"en": "\\ud800"}}', "title.en: The text contains an invalid character"),
        ("{not json", "$: not valid JSON"),
    ],
)
def test_load_json_refuses_with_the_path(app, text, expected):
    with app.test_request_context(), pytest.raises(JsonProblems) as info:
        load_json(text.encode("utf-8", "surrogatepass"))
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems


def test_load_json_refuses_a_body_over_the_limit(app):
    body = json.dumps({"description": {"en": "x" * (9 * 1024 * 1024)}}).encode()
    with app.test_request_context(), pytest.raises(JsonProblems) as info:
        load_json(body)
    assert info.value.problems == ["$: the document is larger than 8 MB"]
    with app.test_request_context(), pytest.raises(JsonProblems) as info:
        load_json(b"\xff\xfe{}")
    assert info.value.problems == ["$: the file is not UTF-8 text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"slug": "a", "slug": "b"}', "slug: duplicate key"),
        ("[" * 50_000 + "]" * 50_000, "$: nested deeper than 8 levels"),
        ('{"capacity": ' + "9" * 5000 + "}", "capacity: number out of range"),
        (None, "title.en: Line breaks are not allowed here"),
    ],
)
def test_cli_import_lists_problems_and_exits_1(app, runner, tmp_path, text, expected):
    if text is None:
        text = json.dumps(_set(doc(), "title.en", "Learning\ndays"))
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["event", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"slug": "a", "slug": "b"}', "slug: duplicate key"),
        (b"[" * 50_000 + b"]" * 50_000, "nested deeper than 8 levels"),
        (b'{"capacity": ' + b"9" * 5000 + b"}", "capacity: number out of range"),
        (json.dumps(_set(doc(), "title.en", "a\ud800b")).encode(), "title.en: "),
        (json.dumps(_set(doc(), "capacity", 2**40)).encode(), "capacity: "),
        (json.dumps(_set(doc(), "timezone", "localtime")).encode(), "timezone: "),
    ],
)
def test_workspace_import_answers_400_with_the_path(app, client, world, body, expected):
    login(client, "organiser@example.org")
    response = client.post(
        "/en/manage/events/import",
        data={"file": (io.BytesIO(body), "e.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1


# --------------------------------------------------------------------------- forms


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "\u200b\u3164", "The text has no visible character."),
        ("full_name", "\U000e0041\U000e0042", "The text has no visible character."),
        ("email", "élise@example.org", "non-Latin characters"),
        ("city", "\u115f", "The text has no visible character."),
    ],
)
def test_registration_form_refuses(app, client, field, value, message):
    from tests.factories import make_event

    with app.app_context():
        make_event(db.session)
        db.session.commit()
    response = post_registration(client, **{field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, Registration) == 0


def test_workspace_forms_refuse_bad_text_and_numbers(app, client, world):
    login(client, "organiser@example.org")
    base = f"/en/manage/events/{world.slug}"
    session_form = {
        "kind": "panel",
        "starts_at": "2027-01-24T11:00",
        "ends_at": "2027-01-24T12:00",
        "title_ar": "جلسة\nثانية",
        "title_en": "Second",
    }
    sessions_before = _count(app, AgendaSession)
    response = client.post(f"{base}/sessions/new", data=session_form)
    assert response.status_code == 400
    assert "Line breaks are not allowed here" in response.get_data(as_text=True)
    response = client.post(
        f"{base}/sessions/new", data=dict(session_form, title_ar="جلسة", capacity=str(2**40))
    )
    assert response.status_code == 400 and "Must be between" in response.get_data(as_text=True)
    assert _count(app, AgendaSession) == sessions_before

    rooms_before = _count(app, Room)
    response = client.post(f"{base}/rooms", data={"name_ar": "قاعة", "capacity": "99999999999"})
    assert response.status_code == 400 and "Must be between" in response.get_data(as_text=True)
    response = client.post(f"{base}/rooms", data={"name_ar": "\u202eقاعة"})
    assert response.status_code == 400
    assert _count(app, Room) == rooms_before

    people_before = _count(app, Person)
    response = client.post(f"{base}/people/new", data={"name_ar": "\u200b\u200c"})
    assert response.status_code == 400
    assert "The text has no visible character." in response.get_data(as_text=True)
    response = client.post(
        f"{base}/people/new", data={"name_ar": "سارة", "email": "sára@example.org"}
    )
    assert response.status_code == 400 and "non-Latin" in response.get_data(as_text=True)
    assert _count(app, Person) == people_before


def test_event_form_refuses_long_events_and_localtime(app, client, world):
    login(client, "organiser@example.org")
    form = {
        "slug": "long-forum",
        "timezone": "Asia/Riyadh",
        "starts_on": "2027-03-01",
        "ends_on": "2127-03-01",
        "default_language": "ar",
        "languages": ["ar"],
        "title_ar": "منتدى",
    }
    response = client.post("/en/manage/events/new", data=form)
    assert response.status_code == 400
    assert "An event lasts at most 31 days." in response.get_data(as_text=True)
    response = client.post(
        "/en/manage/events/new", data=dict(form, ends_on="2027-03-02", timezone="localtime")
    )
    assert response.status_code == 400 and "Unknown timezone" in response.get_data(as_text=True)
    assert _count(app, Event) == 1


def test_portal_and_signatory_forms_refuse_bad_text(app, client, world):
    login(client, "organiser@example.org")
    client.post(
        f"/en/manage/events/{world.slug}/people/{world.person_id}/invite", data={"language": "en"}
    )
    with app.app_context():
        token = db.session.get(Person, world.person_id).portal_token
    response = app.test_client().post(
        f"/en/speaker/{token}/profile", data={"title_en": "Dean\nBcc: x@example.org"}
    )
    assert response.status_code == 400
    response = app.test_client().post(
        f"/en/speaker/{token}/profile", data={"bio_en": "Line one\nLine two \x00"}
    )
    assert response.status_code == 400
    with app.app_context():
        person = db.session.get(Person, world.person_id)
        assert "Dean" not in (person.title or {}).get("en", "")
    response = client.post(
        f"/en/manage/events/{world.slug}/certificates/signatories",
        data={"name_en": "\u2067Dr Who"},
    )
    assert response.status_code in (400, 302)
    with app.app_context():
        from symposium.models import Signatory

        assert db.session.scalar(select(func.count()).select_from(Signatory)) == 0


def test_user_create_refuses_non_ascii_email(app, runner):
    result = runner.invoke(
        args=["user", "create", "rené@example.org", "--password-stdin"],
        input="correct horse battery\n",
    )
    assert result.exit_code == 1
    assert "non-Latin characters" in result.output and "Traceback" not in result.output
    result = runner.invoke(
        args=["user", "create", "ok@example.org", "--name", "\u200b", "--password-stdin"],
        input="correct horse battery\n",
    )
    assert result.exit_code == 1 and "visible" in result.output


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/en/events/test%00event", 404),
        ("/en/events/test-event/sessions/a%00b", 404),
        ("/en/events/%ff%fe", 404),
        ("/en/events/test-event/programme.pdf?variant=%00", 400),
        ("/en/events/test-event/?q=%ff", 400),
        ("/en/verify/abc%00def", 404),
        ("/en/r/tok%00en", 404),
        ("/en/speaker/x%00y", 404),
        ("/en/manage/events/test%00event", 404),
    ],
)
def test_nul_and_bad_utf8_in_urls(app, client, url, status):
    from tests.factories import make_event

    with app.app_context():
        make_event(db.session)
        db.session.commit()
    assert client.get(url).status_code == status


def test_nul_in_form_fields_is_never_a_server_error(app, client, world):
    response = client.post("/en/login", data={"email": "a\x00b@example.org", "password": "x"})
    assert response.status_code < 500
    response = post_registration(client, slug=world.slug, full_name="Ali\x00Baba")
    assert response.status_code == 400
    assert "Control characters are not allowed." in response.get_data(as_text=True)


def test_cli_import_refuses_a_file_over_the_limit(runner, tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"description": {"en": "x" * (9 * 1024 * 1024)}}))
    result = runner.invoke(args=["event", "import", str(path)])
    assert result.exit_code == 1
    assert "$: the document is larger than 8 MB" in result.output
