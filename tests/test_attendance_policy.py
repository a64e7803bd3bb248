"""Attendance that counts: the per-event policy (sources, minimum sessions), the feedback gate,
the certificates page's attendance list, marks by hand, and the personal page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import (
    AuditLog,
    Certificate,
    FeedbackQuestion,
    FeedbackResponse,
    Registration,
    SessionJoin,
    SessionRegistration,
)
from symposium.models.types import utcnow
from symposium.services import attendance
from symposium.services import attendance_policy as policies
from symposium.services import certificates as certs
from tests.conftest import make_user
from tests.factories import make_event, make_session
from tests.pdf_helpers import make_registration

DAY = date(2026, 1, 24)  # over: attendance may be recorded, certificates issued
SLUG = "att-policy"


def _event(session, slug=SLUG, day=DAY):
    event = make_event(session, slug, day=day)
    d = day.isoformat()
    items = {
        "s1": make_session(session, event, "s1", f"{d}T09:00", f"{d}T10:00"),
        "s2": make_session(session, event, "s2", f"{d}T10:30", f"{d}T11:30"),
        "brk": make_session(session, event, "brk", f"{d}T10:00", f"{d}T10:30", kind="break"),
        "s3": make_session(session, event, "s3", f"{d}T12:00", f"{d}T13:00"),
    }
    return event, items


def _reg(session, event, name, *, source=None):
    """A confirmed registration; ``source`` sets its event-level mark (door/import/manual)."""
    email = name.lower().replace(" ", ".") + "@example.org"
    registration = make_registration(session, event, name, email, attended=source is not None)
    registration.attendance_source = source
    return registration


def _door(session, registration, *items):
    for item in items:
        session.add(
            SessionRegistration(
                registration=registration, session=item, status="confirmed", attended_at=utcnow()
            )
        )
    if registration.checked_in_at is None:  # as services/checkin.py does
        registration.checked_in_at, registration.attendance_source = utcnow(), "door"
    session.flush()


def _online(session, registration, *items):
    for item in items:
        session.add(SessionJoin(registration=registration, session=item))
    session.flush()


def _policy(session, event, sources=policies.SOURCES, min_sessions=None):
    policies.update_policy(session, event, policies.AttendancePolicy(tuple(sources), min_sessions))
    session.flush()


def _eligible(session, event) -> set[str]:
    return {r.full_name for r in certs.eligible_registrations(session, event)}


def _single(session, event) -> set[str]:
    """The same, one registration at a time (the rule of the personal page and downloads)."""
    regs = session.scalars(select(Registration).where(Registration.event_id == event.id)).all()
    return {r.full_name for r in regs if certs.registration_eligible(r, session)}


# --------------------------------------------------------------------------- sources


def _one_per_source(session):
    event, items = _event(session)
    _reg(session, event, "Door Person", source="door")
    _reg(session, event, "Import Person", source="import")
    _reg(session, event, "Manual Person", source="manual")
    _online(session, _reg(session, event, "Online Person"), items["s1"])
    legacy = _reg(session, event, "Legacy Person", source="door")
    legacy.attendance_source = None  # checked in before sources were recorded: the door
    _reg(session, event, "Absent Person")
    waiting = _reg(session, event, "Waiting Person", source="door")
    waiting.status = "waitlisted"
    session.commit()
    return event, items


def test_default_policy_counts_every_source(ctx):
    event, _items = _one_per_source(ctx)
    assert policies.get_policy(event) == policies.AttendancePolicy(policies.SOURCES, None)
    expected = {"Door Person", "Import Person", "Manual Person", "Online Person", "Legacy Person"}
    assert _eligible(ctx, event) == expected
    assert _single(ctx, event) == expected
    assert certs.summary(ctx, event)["eligible_attendees"] == 5


@pytest.mark.parametrize(
    ("off", "person"),
    [
        ("door", "Door Person"),
        ("online", "Online Person"),
        ("import", "Import Person"),
        ("manual", "Manual Person"),
    ],
)
def test_each_source_can_be_turned_off(ctx, off, person):
    event, _items = _one_per_source(ctx)
    _policy(ctx, event, [s for s in policies.SOURCES if s != off])
    ctx.commit()
    everyone = {"Door Person", "Import Person", "Manual Person", "Online Person", "Legacy Person"}
    expected = everyone - {person} - ({"Legacy Person"} if off == "door" else set())
    assert _eligible(ctx, event) == expected
    assert _single(ctx, event) == expected


def test_only_one_source(ctx):
    event, _items = _one_per_source(ctx)
    _policy(ctx, event, ["online"])
    assert _eligible(ctx, event) == {"Online Person"}
    _policy(ctx, event, ["import", "manual"])
    assert _eligible(ctx, event) == {"Import Person", "Manual Person"}


def test_imported_registrant_counts_under_import(ctx):
    event, _items = _event(ctx)
    _reg(ctx, event, "Ana")
    _reg(ctx, event, "Bo", source="door")
    ctx.commit()
    result = attendance.import_attendance(ctx, event, "email\nana@example.org\nbo@example.org\n")
    assert result.marked == ["ana@example.org"] and result.already == ["bo@example.org"]
    _policy(ctx, event, ["import"])
    assert _eligible(ctx, event) == {"Ana"}  # Bo was checked in at the door first


# --------------------------------------------------------------------------- minimum sessions


def test_minimum_sessions_door_and_online(ctx):
    event, it = _event(ctx)
    _reg(ctx, event, "Entrance Only", source="door")
    _door(ctx, _reg(ctx, event, "Two Rooms"), it["s1"], it["s2"])
    _online(ctx, _reg(ctx, event, "Two Online"), it["s1"], it["s2"])
    mixed = _reg(ctx, event, "Room And Online")
    _door(ctx, mixed, it["s1"])
    _online(ctx, mixed, it["s2"])
    same = _reg(ctx, event, "Same Session Twice")
    _door(ctx, same, it["s1"])
    _online(ctx, same, it["s1"])
    with_break = _reg(ctx, event, "Break Counter")
    _door(ctx, with_break, it["s1"], it["brk"])
    _online(ctx, with_break, it["brk"])
    _reg(ctx, event, "Imported", source="import")
    _reg(ctx, event, "By Hand", source="manual")
    ctx.commit()

    _policy(ctx, event, min_sessions=2)
    expected = {"Two Rooms", "Two Online", "Room And Online", "Imported", "By Hand"}
    assert _eligible(ctx, event) == expected
    assert _single(ctx, event) == expected
    state = policies.certificate_state(
        ctx.scalar(select(Registration).where(Registration.full_name == "Break Counter"))
    )
    assert state.reason == policies.TOO_FEW_SESSIONS and state.facts.any_sessions == 1

    _policy(ctx, event, ["online", "import", "manual"], min_sessions=2)
    assert _eligible(ctx, event) == {"Two Online", "Imported", "By Hand"}
    _policy(ctx, event, ["door"], min_sessions=2)
    assert _eligible(ctx, event) == {"Two Rooms"}
    _policy(ctx, event, ["door", "online"], min_sessions=3)
    assert _eligible(ctx, event) == set()
    _policy(ctx, event, ["door", "online"], min_sessions=1)
    assert "Entrance Only" not in _eligible(ctx, event)
    assert "Same Session Twice" in _eligible(ctx, event)


def test_breaks_are_not_sessions(ctx):
    event, _it = _event(ctx)
    assert policies.countable_sessions(ctx, event) == 3
    with pytest.raises(policies.PolicyError) as exc:
        _policy(ctx, event, min_sessions=4)
    assert exc.value.field == "min_sessions" and "3" in exc.value.message
    with pytest.raises(policies.PolicyError):
        _policy(ctx, event, ["import", "manual"], min_sessions=1)
    with pytest.raises(policies.PolicyError):
        _policy(ctx, event, [])


# --------------------------------------------------------------------------- feedback gate


def _gate(session, event, *, questions=True):
    event.settings = {**(event.settings or {}), "feedback": {"required_for_certificate": True}}
    if questions:
        session.add(FeedbackQuestion(event=event, kind="rating", text={"en": "How was it?"}))
    session.flush()


def test_feedback_gate(ctx):
    event, _it = _event(ctx)
    ana = _reg(ctx, event, "Ana", source="door")
    bo = _reg(ctx, event, "Bo", source="door")
    _gate(ctx, event, questions=False)
    assert _eligible(ctx, event) == {"Ana", "Bo"}  # no questionnaire: nothing to answer
    _gate(ctx, event)
    assert _eligible(ctx, event) == set()
    assert policies.certificate_state(ana).reason == policies.FEEDBACK
    ctx.add(FeedbackResponse(event_id=event.id, registration=ana))
    ctx.flush()
    assert _eligible(ctx, event) == {"Ana"} == _single(ctx, event)
    with pytest.raises(certs.NotEligible) as exc:
        certs.issue_for_registration(ctx, bo, render_pdf=False)
    assert "questionnaire" in exc.value.message


def test_personal_page_and_download_follow_the_policy(client, ctx):
    event, it = _event(ctx)
    ana = _reg(ctx, event, "Ana", source="door")
    cy = _reg(ctx, event, "Cy")
    _online(ctx, cy, it["s1"])
    absent = _reg(ctx, event, "Absent")
    _gate(ctx, event)
    ctx.commit()

    page = client.get(f"/en/r/{ana.token}").get_data(as_text=True)
    assert "Answer the feedback questionnaire to receive your certificate." in page
    assert "Download my certificate" not in page
    assert f'href="/en/r/{ana.token}/feedback"' in page  # the way to the questionnaire
    refused = client.get(f"/fr/r/{ana.token}/certificate.pdf")
    assert refused.status_code == 403 and refused.headers["Cache-Control"] == "no-store"
    assert "questionnaire" in refused.get_data(as_text=True)
    assert "Répondez" in refused.get_data(as_text=True)
    assert f'href="/fr/r/{ana.token}/feedback"' in refused.get_data(as_text=True)

    page = client.get(f"/en/r/{absent.token}").get_data(as_text=True)
    assert "Your attendance has not been recorded." in page
    assert client.get(f"/en/r/{absent.token}/certificate.pdf").status_code == 403

    ctx.add(FeedbackResponse(event_id=event.id, registration_id=cy.id))
    ctx.commit()
    page = client.get(f"/en/r/{cy.token}").get_data(as_text=True)  # joined online only
    assert "Download my certificate" in page
    ok = client.get(f"/en/r/{cy.token}/certificate.pdf")
    assert ok.status_code == 200 and ok.data.startswith(b"%PDF")
    assert ctx.scalar(select(Certificate.registration_id)) == cy.id


def test_personal_page_before_the_event_says_nothing(client, ctx):
    event, _it = _event(ctx, slug="future", day=date.today() + timedelta(days=30))
    registration = _reg(ctx, event, "Early Bird")
    ctx.commit()
    page = client.get(f"/en/r/{registration.token}").get_data(as_text=True)
    assert "Certificate of attendance" not in page


# --------------------------------------------------------------------------- the workspace


def _organiser(app, auth, event):
    make_user(app, "org@example.org", "organiser", events=[event])
    auth.login("org@example.org")


def test_certificates_page_shows_where_attendance_came_from(app, client, auth, ctx):
    event, it = _event(ctx)
    _reg(ctx, event, "Door Dana", source="door")
    _online(ctx, _reg(ctx, event, "Online Omar"), it["s1"], it["s2"], it["s3"])
    _reg(ctx, event, "Imported Ines", source="import")
    _reg(ctx, event, "Manual Mona", source="manual")
    _door(ctx, _reg(ctx, event, "Rooms Rami"), it["s1"])
    _reg(ctx, event, "Absent Adam")
    _policy(ctx, event, ["door", "online", "import"], min_sessions=2)
    ctx.commit()
    _organiser(app, auth, event)

    page = client.get(f"/en/manage/events/{SLUG}/certificates").get_data(as_text=True)
    rows = {
        name: page.split(name, 1)[1].split("</tr>", 1)[0]
        for name in (
            "Door Dana",
            "Online Omar",
            "Imported Ines",
            "Manual Mona",
            "Rooms Rami",
            "Absent Adam",
        )
    }
    assert "Door: " in rows["Door Dana"] and "Too few sessions" in rows["Door Dana"]
    assert "Online: 3 sessions" in rows["Online Omar"] and "Meets the policy" in rows["Online Omar"]
    assert "Imported" in rows["Imported Ines"] and "Meets the policy" in rows["Imported Ines"]
    assert "Marked by hand" in rows["Manual Mona"] and "not counted" in rows["Manual Mona"]
    assert "Not attended" in rows["Manual Mona"]
    assert "Session rooms: 1 session" in rows["Rooms Rami"]
    assert "No attendance recorded" in rows["Absent Adam"]
    assert "Mark attended by hand" not in rows["Absent Adam"]  # marks by hand do not count
    assert "Remove the mark by hand" in rows["Manual Mona"]
    assert "An imported report or a mark by hand is taken as meeting the minimum." in page

    arabic = client.get(f"/ar/manage/events/{SLUG}/certificates")
    assert arabic.status_code == 200 and "يستوفي" in arabic.get_data(as_text=True)


def test_policy_form_saves_and_rejects_bad_input(app, client, auth, ctx):
    event, _it = _event(ctx)
    ctx.commit()
    _organiser(app, auth, event)
    url = f"/fr/manage/events/{SLUG}/certificates/attendance-policy"

    bad = client.post(url, data={"sources": ["door", "online"], "min_sessions": "deux"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Saisissez un nombre entier entre 1 et 500." in body and 'value="deux"' in body

    bad = client.post(url, data={"min_sessions": ""})
    assert bad.status_code == 400
    assert "Choisissez au moins une façon d’enregistrer la présence." in bad.get_data(as_text=True)

    bad = client.post(url, data={"sources": ["door"], "min_sessions": "4"})
    assert bad.status_code == 400
    assert "que 3 séances" in bad.get_data(as_text=True)

    bad = client.post(url, data={"sources": ["import", "manual"], "min_sessions": "2"})
    assert bad.status_code == 400 and "minimum" in bad.get_data(as_text=True)

    bad = client.post(url, data={"sources": ["door", "teleport"]})
    assert bad.status_code == 400
    assert "Choisissez parmi les façons d’enregistrer la présence" in bad.get_data(as_text=True)
    ctx.expire_all()
    assert "attendance" not in (ctx.get(type(event), event.id).settings or {})

    ok = client.post(url, data={"sources": ["online", "door"], "min_sessions": "٢"})
    assert ok.status_code == 302
    ctx.expire_all()
    saved = ctx.get(type(event), event.id)
    assert saved.settings["attendance"] == {"sources": ["door", "online"], "min_sessions": 2}
    assert ctx.scalar(select(AuditLog.action).where(AuditLog.action == "attendance.policy"))
    page = client.get(f"/en/manage/events/{SLUG}/certificates").get_data(as_text=True)
    assert 'value="2"' in page


def test_mark_by_hand_and_remove(app, client, auth, ctx):
    event, _it = _event(ctx)
    absent = _reg(ctx, event, "Absent")
    door = _reg(ctx, event, "At The Door", source="door")
    imported = _reg(ctx, event, "Imported", source="import")
    waiting = _reg(ctx, event, "Waiting")
    waiting.status = "waitlisted"
    _policy(ctx, event, ["manual"])
    ctx.commit()
    door_time = door.checked_in_at
    ctx.commit()  # end the reading transaction before the requests write
    _organiser(app, auth, event)
    base = f"/en/manage/events/{SLUG}/attendance"

    page = client.get(f"/en/manage/events/{SLUG}/certificates").get_data(as_text=True)
    assert f'{base}/{absent.id}/manual"' in page and "Mark attended by hand" in page
    assert client.post(f"{base}/{absent.id}/manual").status_code == 302
    assert client.post(f"{base}/{door.id}/manual").status_code == 302
    response = client.post(f"{base}/{imported.id}/manual", follow_redirects=True)
    assert "already marked attended by an import" in response.get_data(as_text=True)
    response = client.post(f"{base}/{waiting.id}/manual", follow_redirects=True)
    assert "Only a confirmed registration" in response.get_data(as_text=True)
    ctx.expire_all()
    assert _eligible(ctx, event) == {"Absent", "At The Door"}
    assert ctx.get(Registration, door.id).checked_in_at == door_time
    actions = ctx.scalars(select(AuditLog.target).where(AuditLog.action == "attendance.manual"))
    assert sorted(actions) == [f"registration:{absent.id}", f"registration:{door.id}"]

    assert client.post(f"{base}/{absent.id}/manual/remove").status_code == 302
    assert client.post(f"{base}/{door.id}/manual/remove").status_code == 302
    ctx.expire_all()
    restored = ctx.get(Registration, door.id)
    assert (restored.attendance_source, restored.checked_in_at) == ("door", door_time)
    cleared = ctx.get(Registration, absent.id)
    assert cleared.checked_in_at is None and cleared.attendance_source is None
    assert _eligible(ctx, event) == set()

    other = make_event(ctx, "other-event", day=DAY)
    stranger = _reg(ctx, other, "Stranger")
    ctx.commit()
    assert client.post(f"{base}/{stranger.id}/manual").status_code == 404


def test_mark_by_hand_refused_before_the_event(ctx):
    event, _it = _event(ctx, slug="future", day=date.today() + timedelta(days=30))
    registration = _reg(ctx, event, "Too Soon")
    with pytest.raises(attendance.AttendanceMarkError) as exc:
        attendance.mark_by_hand(ctx, registration)
    assert "before the event starts" in exc.value.message
    assert registration.checked_in_at is None


# --------------------------------------------------------------------------- efficiency


def test_eligibility_query_count_does_not_grow(ctx):
    event, it = _event(ctx)
    ctx.commit()

    def add(n, start):
        for i in range(start, start + n):
            registration = _reg(ctx, event, f"Person {i:04d}", source="door" if i % 3 else None)
            if i % 2:
                _online(ctx, registration, it["s1"], it["s2"])
        ctx.commit()

    def count_queries():
        seen = []

        def before(conn, cursor, statement, *args):
            seen.append(statement)

        engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", before)
        try:
            found = certs.eligible_registrations(ctx, event)
            [r.full_name for r in found]
        finally:
            sa_event.remove(engine, "before_cursor_execute", before)
        return len(seen), len(found)

    add(5, 0)
    _gate(ctx, event)
    _policy(ctx, event, min_sessions=2)
    ctx.commit()
    few, n_few = count_queries()
    add(60, 5)
    many, n_many = count_queries()
    assert n_few == 0 and n_many == 0  # gated: no feedback yet
    for registration in ctx.scalars(select(Registration).where(Registration.event_id == event.id)):
        ctx.add(FeedbackResponse(event_id=event.id, registration_id=registration.id))
    ctx.commit()
    most, n_most = count_queries()
    assert n_most == 32  # the 32 odd ones joined two sessions online
    assert few == many == most


def test_marks_by_hand_need_the_csrf_token(app, client, auth, ctx):
    import re

    event, _it = _event(ctx)
    absent = _reg(ctx, event, "Absent")
    ctx.commit()
    registration_id = absent.id
    ctx.commit()
    _organiser(app, auth, event)
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/en/manage/events/{SLUG}/attendance/{registration_id}/manual"
    assert client.post(url).status_code == 400
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 400
    ctx.expire_all()
    assert ctx.get(Registration, registration_id).checked_in_at is None
    page = client.get(f"/en/manage/events/{SLUG}/certificates").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    ctx.expire_all()
    assert ctx.get(Registration, registration_id).attendance_source == "manual"


@pytest.mark.postgres
def test_eligibility_query_on_postgresql(pg_app):
    with pg_app.app_context():
        session = db.session
        event, it = _event(session)
        _door(session, _reg(session, event, "Two Rooms"), it["s1"], it["s2"])
        mixed = _reg(session, event, "Room And Online")
        _door(session, mixed, it["s1"])
        _online(session, mixed, it["s1"], it["brk"])
        _reg(session, event, "Imported", source="import")
        _policy(session, event, min_sessions=2)
        session.commit()
        assert _eligible(session, event) == {"Two Rooms", "Imported"} == _single(session, event)
        rows = {r.registration.full_name: r for r in policies.attendance_rows(session, event)}
        assert (rows["Room And Online"].facts.any_sessions, rows["Room And Online"].reason) == (
            1,
            policies.TOO_FEW_SESSIONS,
        )
