"""The agenda rules: refused with a clear message, nothing saved (service and form)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import AgendaChange, Event, Session, SessionPerson
from symposium.services.agenda import AgendaConflict, SessionData, move_session, save_session
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.manage_helpers import login, make_organiser


def dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


@pytest.fixture
def setup(ctx):
    event = make_event(ctx, "conf", capacity=100)
    hall = make_room(ctx, event, "hall")
    side = make_room(ctx, event, "side")
    first = make_session(ctx, event, "first", "2027-01-24T09:00", "2027-01-24T10:00", room=hall)
    person = make_person(ctx, event, "amina", name={"en": "Amina", "ar": "أمينة"})
    add_speaker(ctx, first, person)
    ctx.commit()
    return event, hall, side, first, person


def state(session):
    return (
        session.scalar(select(func.count()).select_from(Session)),
        session.scalar(select(func.count()).select_from(SessionPerson)),
        session.scalar(select(func.count()).select_from(AgendaChange)),
        session.scalar(select(Event.agenda_version)),
    )


def data(**kw) -> SessionData:
    base = dict(
        title={"ar": "جلسة جديدة", "en": "New session"},
        starts_local=dt("2027-01-24T11:00"),
        ends_local=dt("2027-01-24T12:00"),
    )
    base.update(kw)
    return SessionData(**base)


def refused(session, event, d, *, item=None, expect: str):
    before = state(session)
    with pytest.raises(AgendaConflict) as info:
        save_session(session, event, d, item=item)
    session.rollback()
    assert any(expect in m for m in info.value.messages), info.value.messages
    assert state(session) == before
    return info.value.messages


def test_room_overlap_refused(ctx, setup):
    event, hall, *_ = setup
    d = data(
        starts_local=dt("2027-01-24T09:30"), ends_local=dt("2027-01-24T10:30"), room_id=hall.id
    )
    refused(ctx, event, d, expect="already used by")


def test_back_to_back_in_one_room_is_fine(ctx, setup):
    event, hall, *_ = setup
    d = data(
        starts_local=dt("2027-01-24T10:00"), ends_local=dt("2027-01-24T11:00"), room_id=hall.id
    )
    item = save_session(ctx, event, d)
    ctx.commit()
    assert item.room_id == hall.id


def test_person_in_two_overlapping_sessions_refused(ctx, setup):
    event, hall, side, first, person = setup
    d = data(
        starts_local=dt("2027-01-24T09:45"),
        ends_local=dt("2027-01-24T10:15"),
        room_id=side.id,
        speakers=[(person.id, "moderator")],
    )
    messages = refused(ctx, event, d, expect="at the same time")
    assert any("Amina" in m or "أمينة" in m for m in messages)


def test_outside_event_dates_refused(ctx, setup):
    event, *_ = setup
    d = data(starts_local=dt("2027-01-25T09:00"), ends_local=dt("2027-01-25T10:00"))
    refused(ctx, event, d, expect="outside the dates")


def test_ends_before_start_refused(ctx, setup):
    event, *_ = setup
    d = data(starts_local=dt("2027-01-24T11:00"), ends_local=dt("2027-01-24T10:00"))
    refused(ctx, event, d, expect="end after it starts")


def test_capacity_below_confirmed_signups_refused(ctx, setup):
    event, hall, side, first, person = setup
    first.capacity = 30
    first.confirmed_count = 12
    ctx.commit()
    d = data(
        title=dict(first.title),
        starts_local=dt("2027-01-24T09:00"),
        ends_local=dt("2027-01-24T10:00"),
        room_id=hall.id,
        capacity=10,
        speakers=[(person.id, "speaker")],
    )
    refused(ctx, event, d, item=first, expect="cannot be below the 12 confirmed")
    assert ctx.get(Session, first.id).capacity == 30


def test_move_onto_occupied_room_refused_and_free_slot_recorded(ctx, setup):
    event, hall, side, first, person = setup
    other = make_session(ctx, event, "other", "2027-01-24T11:00", "2027-01-24T12:00", room=side)
    ctx.commit()
    before = state(ctx)
    with pytest.raises(AgendaConflict):
        move_session(ctx, event, other, starts_local=dt("2027-01-24T09:30"), room_id=hall.id)
    ctx.rollback()
    assert state(ctx) == before
    move_session(ctx, event, other, starts_local=dt("2027-01-24T14:00"), room_id=hall.id)
    ctx.commit()
    change = ctx.scalars(select(AgendaChange).order_by(AgendaChange.id.desc())).first()
    assert change.action == "moved" and change.session_key == "other"
    assert change.summary["starts_at"] == ["2027-01-24 11:00", "2027-01-24 14:00"]
    assert change.summary["ends_at"][1] == "2027-01-24 15:00"
    assert ctx.scalar(select(Event.agenda_version)) == before[3] + 1


def test_draft_event_changes_are_not_listed_publicly(ctx):
    event = make_event(ctx, "draft-ev", status="draft")
    ctx.commit()
    save_session(ctx, event, data())
    ctx.commit()
    assert ctx.scalar(select(func.count()).select_from(AgendaChange)) == 0
    assert ctx.scalar(select(Event.agenda_version)) == 2


# --- through the form --------------------------------------------------------------------


def form_payload(**kw):
    payload = {
        "title_ar": "جلسة جديدة",
        "title_en": "New session",
        "kind": "panel",
        "starts_at": "2027-01-24T09:30",
        "ends_at": "2027-01-24T10:30",
        "room": "",
        "speakers-0-person": "",
        "speakers-0-role": "speaker",
    }
    payload.update(kw)
    return payload


@pytest.fixture
def form_setup(app):
    with app.app_context():
        event = make_event(db.session, "conf")
        hall = make_room(db.session, event, "hall")
        first = make_session(
            db.session, event, "first", "2027-01-24T09:00", "2027-01-24T10:00", room=hall
        )
        person = make_person(db.session, event, "amina", name={"en": "Amina"})
        add_speaker(db.session, first, person)
        first.capacity, first.confirmed_count = 20, 5
        db.session.commit()
        ids = event.id, hall.id, first.id, person.id
    make_organiser(app, "organiser@example.org", ids[0])
    return ids


@pytest.mark.parametrize(
    "change, expect",
    [
        ({"room": "HALL"}, "already used by"),
        ({"speakers-0-person": "PERSON"}, "at the same time"),
        ({"starts_at": "2027-01-23T09:00", "ends_at": "2027-01-23T10:00"}, "outside the dates"),
        ({"ends_at": "2027-01-24T09:00"}, "end after it starts"),
    ],
)
def test_new_session_form_refuses(app, client, form_setup, change, expect):
    event_id, hall_id, first_id, person_id = form_setup
    login(client, "organiser@example.org")
    change = {k: str({"HALL": hall_id, "PERSON": person_id}.get(v, v)) for k, v in change.items()}
    with app.app_context():
        before = state(db.session)
    response = client.post("/en/manage/events/conf/sessions/new", data=form_payload(**change))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert expect in body.replace("&#34;", '"')
    assert 'value="New session"' in body  # the form keeps what was typed
    with app.app_context():
        assert state(db.session) == before


def test_edit_form_refuses_capacity_below_signups(app, client, form_setup):
    event_id, hall_id, first_id, person_id = form_setup
    login(client, "organiser@example.org")
    payload = form_payload(
        title_en="Session first",
        starts_at="2027-01-24T09:00",
        ends_at="2027-01-24T10:00",
        room=str(hall_id),
        capacity="3",
        **{"speakers-0-person": str(person_id)},
    )
    response = client.post(f"/en/manage/events/conf/sessions/{first_id}/edit", data=payload)
    assert response.status_code == 400
    assert "cannot be below the 5 confirmed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Session, first_id).capacity == 20


def test_arabic_messages(app, client, form_setup):
    login(client, "organiser@example.org", lang="ar")
    response = client.post(
        "/ar/manage/events/conf/sessions/new",
        data=form_payload(ends_at="2027-01-24T09:00"),
    )
    assert response.status_code == 400
    assert 'dir="rtl"' in response.get_data(as_text=True)


def test_create_then_move_through_forms(app, client, form_setup):
    event_id, hall_id, first_id, person_id = form_setup
    login(client, "organiser@example.org")
    response = client.post(
        "/en/manage/events/conf/sessions/new",
        data=form_payload(
            starts_at="2027-01-24T11:00", ends_at="2027-01-24T12:30", room=str(hall_id)
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(Session).where(Session.key == "new-session"))
        assert item is not None and item.room_id == hall_id
        new_id = item.id
    # JSON move (the drag and drop script) onto the occupied slot: 400 with messages
    response = client.post(
        f"/en/manage/events/conf/sessions/{new_id}/move",
        data={"starts_at": "2027-01-24T09:30", "room": str(hall_id)},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["ok"] is False and response.get_json()["messages"]
    # plain form move to a free slot
    response = client.post(
        f"/en/manage/events/conf/sessions/{new_id}/move",
        data={"starts_at": "2027-01-24T15:00", "room": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(Session, new_id)
        assert item.room_id is None
        assert (item.ends_at - item.starts_at).total_seconds() == 90 * 60
        page = client.get("/en/manage/events/conf/agenda?day=2027-01-24").get_data(as_text=True)
        assert "No room" in page and "New session" in page
        actions = [c.action for c in db.session.scalars(select(AgendaChange))]
        assert actions == ["created", "moved"]


def test_duplicate_and_delete(app, client, form_setup):
    event_id, hall_id, first_id, person_id = form_setup
    login(client, "organiser@example.org")
    page = client.get(f"/en/manage/events/conf/sessions/{first_id}/duplicate")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'value="2027-01-24T10:00"' in body  # placed right after the original
    response = client.post(f"/en/manage/events/conf/sessions/{first_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Session, first_id) is None
        change = db.session.scalars(select(AgendaChange)).one()
        assert change.action == "deleted" and change.session_key == "first"
