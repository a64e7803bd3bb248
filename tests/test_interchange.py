"""The interchange format: validation by path, all or nothing, exact round trips, updates."""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import select

from symposium.i18n import language
from symposium.models import AgendaChange, Registration, Session, SessionRegistration
from symposium.services.events import find_event
from symposium.services.interchange import (
    InterchangeError,
    dumps,
    export_event,
    import_event,
    import_event_result,
)
from tests.interchange_helpers import doc, row_counts


def _import(session, data, **kwargs):
    with language("en"):
        return import_event(session, data, **kwargs)


def _problems(session, data, **kwargs) -> list[str]:
    with language("en"), pytest.raises(InterchangeError) as info:
        import_event(session, data, **kwargs)
    return info.value.problems


def test_import_then_export_gives_the_same_document(ctx):
    data = doc()
    event = _import(ctx, data)
    ctx.commit()
    assert export_event(event) == data
    assert dumps(export_event(event)) == dumps(data)


def test_round_trip_is_exact_across_a_dst_change(ctx):
    # Europe/Paris moves to summer time in the night of 27 to 28 March 2027
    data = doc(
        slug="paris-dst",
        timezone="Europe/Paris",
        default_language="en",
        starts_on="2027-03-27",
        ends_on="2027-03-28",
        registration_closes_at="2027-03-26T23:30",
    )
    data["sessions"][0].update(starts_at="2027-03-27T09:00", ends_at="2027-03-27T10:00")
    data["sessions"][1].update(starts_at="2027-03-28T09:00", ends_at="2027-03-28T10:30")
    data["sessions"][2].update(starts_at="2027-03-28T15:00", ends_at="2027-03-28T15:30")
    event = _import(ctx, data)
    ctx.commit()
    first = dumps(export_event(event))
    assert json.loads(first) == data
    by_key = {s.key: s for s in event.sessions}
    # 09:00 local is 08:00 UTC in winter and 07:00 UTC in summer
    assert by_key["opening"].starts_at.hour == 8
    assert by_key["lab-1"].starts_at.hour == 7
    # export -> import (into a fresh slug) -> export is identical
    again = json.loads(first)
    again["slug"] = "paris-dst-copy"
    copy = _import(ctx, again)
    ctx.commit()
    second = export_event(copy)
    second["slug"] = "paris-dst"
    assert dumps(second) == first


def test_every_problem_is_listed_by_its_path_and_nothing_is_written(ctx):
    existing = _import(ctx, doc())
    ctx.commit()
    before_counts = row_counts(ctx)
    before_export = dumps(export_event(existing))

    bad = doc(languages=["ar", "de"], capacity=-1, extra="x")
    bad["title"] = {"en": "No Arabic title"}
    bad["rooms"].append({"key": "main", "name": {"en": "Again"}})
    bad["speakers"][0]["email"] = "not-an-email"
    bad["speakers"][0]["country"] = "XY"
    bad["sessions"][0]["starts_at"] = "tomorrow morning"
    bad["sessions"][1]["room"] = "hall-b"
    bad["sessions"][1]["kind"] = "concert"
    bad["sessions"][1]["speakers"].append({"key": "ghost", "role": "speaker"})
    bad["sessions"][1]["speakers"][0]["role"] = "singer"
    bad["sessions"][2]["ends_at"] = "2027-02-02T14:00"
    bad["sessions"][2]["capacity"] = "ten"
    bad["sessions"].append(
        dict(
            bad["sessions"][2], key="late", starts_at="2027-02-05T10:00", ends_at="2027-02-05T11:00"
        )
    )
    problems = _problems(ctx, bad)
    expected = [
        "extra: unknown key",
        "languages: must be a non-empty list of ar, en, fr",
        "capacity: must be a non-negative whole number or null",
        "title: a text in the default language (ar) is required",
        'rooms[2].key: duplicate key "main"',
        'speakers[0].email: "not-an-email" is not a valid email address',
        'speakers[0].country: unknown country code "XY" (ISO 3166 alpha-2)',
        "sessions[0].starts_at: not an ISO date-time (YYYY-MM-DDTHH:MM)",
        'sessions[1].room: unknown room "hall-b"',
        'sessions[1].kind: unknown kind "concert"',
        'sessions[1].speakers[0].role: unknown role "singer"',
        'sessions[1].speakers[2].key: unknown speaker "ghost"',
        "sessions[2]: ends before it starts",
        "sessions[2].capacity: must be a non-negative whole number or null",
        "sessions[3]: outside the event's dates",
    ]
    for message in expected:
        assert any(p.startswith(message) for p in problems), (message, problems)
    ctx.rollback()
    assert row_counts(ctx) == before_counts
    assert dumps(export_event(find_event(ctx, "learning-days"))) == before_export


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"slug": "Bad Slug!"}, "slug: use lowercase letters"),
        ({"timezone": "Mars/Olympus"}, 'timezone: unknown IANA timezone "Mars/Olympus"'),
        (
            {"default_language": "fr", "languages": ["ar", "en"]},
            "default_language: must be one of the event's languages",
        ),
        ({"starts_on": "01/02/2027"}, "starts_on: not an ISO date"),
        ({"ends_on": "2027-01-01"}, "ends_on: the event ends before it starts"),
        ({"registration_open": "yes"}, "registration_open: must be true or false"),
        ({"sessions": {"a": 1}}, "sessions: must be a list"),
        ({"version": 9}, "version: unsupported version"),
    ],
)
def test_single_problems(ctx, changes, problem):
    problems = _problems(ctx, doc(**changes))
    assert any(p.startswith(problem) for p in problems), problems


def test_missing_keys_and_wrong_document(ctx):
    problems = _problems(ctx, {"slug": "x"})
    for key in ("timezone", "languages", "default_language", "title", "starts_on", "ends_on"):
        assert any(p.startswith(f"{key}: ") for p in problems), (key, problems)
    assert _problems(ctx, ["not", "an", "object"]) == ["$: the document must be a JSON object"]


def test_local_time_that_does_not_exist_is_a_problem(ctx):
    data = doc(timezone="America/New_York", starts_on="2027-03-14", ends_on="2027-03-14")
    data["sessions"] = [
        dict(data["sessions"][0], starts_at="2027-03-14T02:30", ends_at="2027-03-14T04:00")
    ]
    problems = _problems(ctx, data)
    assert any(
        p.startswith("sessions[0].starts_at: 2027-03-14T02:30 does not exist") for p in problems
    )


def test_bios_are_sanitised_on_import(ctx):
    data = doc()
    data["speakers"][0]["bio"] = {
        "en": '<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>'
    }
    event = _import(ctx, data)
    bio = event.people[0].bio["en"]
    assert "script" not in bio and "onclick" not in bio and "<b>there</b>" in bio


def _sign_up(ctx, event, session_key):
    item = ctx.scalar(
        select(Session).where(Session.event_id == event.id, Session.key == session_key)
    )
    reg = Registration(
        event=event,
        token=secrets.token_urlsafe(16),
        full_name="Test Person",
        email="t@example.org",
        email_normalized="t@example.org",
    )
    ctx.add(reg)
    ctx.flush()
    ctx.add(SessionRegistration(registration=reg, session_id=item.id, status="confirmed"))
    item.confirmed_count = 1
    ctx.flush()
    return reg, item


def test_update_in_place_keeps_registrations_and_records_changes(ctx):
    event = _import(ctx, doc())
    reg, lab = _sign_up(ctx, event, "lab-1")
    ctx.commit()
    version = event.agenda_version
    opening_id = next(s.id for s in event.sessions if s.key == "opening")

    data = doc()
    data["title"]["en"] = "Learning days 2027"
    data["sessions"][0]["starts_at"] = "2027-02-01T09:15"  # moved
    data["sessions"][1]["title"]["en"] = "Hands-on workshop"  # updated, keeps its sign-ups
    data["sessions"][1]["speakers"] = [{"key": "expert", "role": "speaker"}]
    del data["sessions"][2]  # deleted (no sign-ups)
    data["sessions"].append(
        dict(doc()["sessions"][2], key="farewell", title={"ar": "الوداع", "en": "Farewell"})
    )
    data["speakers"][1]["name"] = {"en": "The expert", "fr": "L'experte"}
    result = import_event_result(ctx, data)
    ctx.commit()
    assert result.status == "updated"
    assert result.event.id == event.id
    assert event.agenda_version == version + 1
    assert export_event(event) == data
    assert next(s.id for s in event.sessions if s.key == "opening") == opening_id
    assert ctx.get(Registration, reg.id) is not None
    assert ctx.scalar(select(SessionRegistration).where(SessionRegistration.session_id == lab.id))
    actions = {c.session_key: c.action for c in ctx.scalars(select(AgendaChange))}
    assert actions == {
        "opening": "moved",
        "lab-1": "updated",
        "closing": "deleted",
        "farewell": "created",
    }
    moved = ctx.scalar(select(AgendaChange).where(AgendaChange.session_key == "opening"))
    assert moved.summary["starts_at"] == ["2027-02-01T09:00", "2027-02-01T09:15"]


def test_removing_a_session_with_sign_ups_is_refused(ctx):
    event = _import(ctx, doc())
    _sign_up(ctx, event, "lab-1")
    ctx.commit()
    before = dumps(export_event(event))
    counts = row_counts(ctx)
    data = doc()
    del data["sessions"][1]
    data["sessions"][0]["capacity"] = 0
    problems = _problems(ctx, data)
    assert any('session "lab-1" has 1 sign-up and' in p for p in problems), problems
    data = doc()
    data["sessions"][1]["capacity"] = 0
    problems = _problems(ctx, data)
    assert problems == ["sessions[1].capacity: 0 is below the 1 confirmed sign-up"]
    ctx.rollback()
    assert row_counts(ctx) == counts
    assert dumps(export_event(find_event(ctx, "learning-days"))) == before


def test_same_document_twice_changes_nothing(ctx):
    event = _import(ctx, doc())
    ctx.commit()
    updated_at, version = event.updated_at, event.agenda_version
    result = import_event_result(ctx, doc())
    ctx.commit()
    assert result.status == "unchanged"
    assert (event.updated_at, event.agenda_version) == (updated_at, version)
    assert ctx.scalars(select(AgendaChange)).all() == []


def test_removing_a_speaker_and_a_room(ctx):
    event = _import(ctx, doc())
    ctx.commit()
    data = doc()
    del data["speakers"][1]
    data["sessions"][1]["speakers"] = [{"key": "mayor", "role": "chair"}]
    del data["rooms"][1]
    data["sessions"][1]["room"] = "main"
    _import(ctx, data)
    ctx.commit()
    ctx.expire_all()
    assert export_event(event) == data


def test_import_into_a_given_event_refuses_a_taken_slug(ctx):
    first = _import(ctx, doc())
    _import(ctx, doc(slug="other"))
    ctx.commit()
    problems = _problems(ctx, doc(slug="other"), event=first)
    assert problems == ['slug: "other" is already used by another event']
    renamed = _import(ctx, doc(slug="renamed"), event=first)
    assert renamed.id == first.id and renamed.slug == "renamed"


def test_problems_are_translated(ctx):
    with language("fr"), pytest.raises(InterchangeError) as info:
        import_event(ctx, doc(sessions=[dict(doc()["sessions"][0], room="nowhere")]))
    # the path stays as is; the message follows the language (once the catalogs are compiled)
    assert info.value.problems[0].startswith("sessions[0].room: ")


# -- CLI -----------------------------------------------------------------------------------


def test_cli_import_export_and_exit_codes(app, runner, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc(), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["event", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "created event learning-days" in result.output
    result = runner.invoke(args=["event", "import", str(good)])
    assert result.exit_code == 0 and "already up to date" in result.output

    out = tmp_path / "out.json"
    result = runner.invoke(args=["event", "export", "learning-days", "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8") == dumps(doc())
    result = runner.invoke(args=["event", "export", "learning-days"])
    assert result.output == dumps(doc())
    assert "أيام التعلم" in result.output  # ensure_ascii=False

    bad_doc = doc(slug="broken")
    bad_doc["sessions"][1]["room"] = "hall-b"
    bad_doc["sessions"][2]["starts_at"] = "soon"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc), encoding="utf-8")
    result = runner.invoke(args=["event", "import", str(bad)])
    assert result.exit_code != 0
    assert 'sessions[1].room: unknown room "hall-b"' in result.output
    assert "sessions[2].starts_at: not an ISO date-time" in result.output
    with app.app_context():
        from symposium.extensions import db

        assert find_event(db.session, "broken") is None

    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["event", "import", str(broken)])
    assert result.exit_code != 0 and "not valid JSON" in result.output
    assert runner.invoke(args=["event", "export", "nope"]).exit_code != 0
