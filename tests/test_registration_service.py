"""The rules of registration, tested on the service functions (no HTTP)."""

from datetime import timedelta

import pytest

from symposium.models import Event, Registration
from symposium.models.types import utcnow
from symposium.services import registration as reg
from tests.factories import make_event, make_session
from tests.registration_helpers import data, outbox


def _count(session, status):
    return session.scalar(
        reg.select(reg.func.count(Registration.id)).where(Registration.status == status)
    )


def test_capacity_then_waiting_list_in_order(ctx):
    event = make_event(ctx, capacity=2)
    results = [reg.register(ctx, event, data(f"P{i}", f"p{i}@example.org")) for i in range(5)]
    ctx.commit()
    assert [r.status for r in results] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [reg.waitlist_position(ctx, r.registration) for r in results] == [None, None, 1, 2, 3]
    assert ctx.get(Event, event.id).confirmed_count == 2
    assert {e.kind for e in outbox(ctx)} == {"confirmation", "waitlist"}


def test_same_email_is_not_registered_twice(ctx):
    event = make_event(ctx)
    first = reg.register(ctx, event, data(email="Sara@Example.org"))
    ctx.commit()
    again = reg.register(ctx, event, data(name="Other", email="  sara@example.ORG "))
    ctx.commit()
    assert again.created is False
    assert again.registration.id == first.registration.id
    assert ctx.scalar(reg.select(reg.func.count(Registration.id))) == 1
    assert [e.kind for e in outbox(ctx)] == ["confirmation", "already_registered"]
    assert ctx.get(Event, event.id).confirmed_count == 1


def test_a_duplicate_takes_no_seat_and_no_waiting_list_number(ctx):
    from symposium.models import Counter

    event = make_event(ctx, capacity=1)
    reg.register(ctx, event, data("A", "a@example.org"))
    b = reg.register(ctx, event, data("B", "b@example.org")).registration
    for email in ("a@example.org", "B@example.org"):
        again = reg.register(ctx, event, data("Again", email))
        assert again.created is False
    c = reg.register(ctx, event, data("C", "c@example.org")).registration
    ctx.commit()
    assert (b.waitlist_seq, c.waitlist_seq) == (1, 2)
    assert ctx.get(Counter, f"waitlist:event:{event.id}").value == 2
    assert reg.waitlist_position(ctx, c) == 2
    assert ctx.get(Event, event.id).confirmed_count == 1


def test_cancel_promotes_first_waiting_and_emails_them(ctx):
    event = make_event(ctx, capacity=1)
    a = reg.register(ctx, event, data("A", "a@example.org")).registration
    b = reg.register(ctx, event, data("B", "b@example.org")).registration
    c = reg.register(ctx, event, data("C", "c@example.org")).registration
    ctx.commit()
    promoted = reg.cancel(ctx, a)
    ctx.commit()
    assert promoted == [b]
    assert (a.status, b.status, c.status) == ("cancelled", "confirmed", "waitlisted")
    assert reg.waitlist_position(ctx, c) == 1
    assert ctx.get(Event, event.id).confirmed_count == 1
    assert [e.recipient for e in outbox(ctx, "promotion")] == ["b@example.org"]
    assert [e.recipient for e in outbox(ctx, "cancellation")] == ["a@example.org"]
    # cancelling twice changes nothing
    assert reg.cancel(ctx, a) == []
    ctx.commit()
    assert ctx.get(Event, event.id).confirmed_count == 1


def test_cancelling_a_waitlisted_person_keeps_the_seats(ctx):
    event = make_event(ctx, capacity=1)
    reg.register(ctx, event, data("A", "a@example.org"))
    b = reg.register(ctx, event, data("B", "b@example.org")).registration
    c = reg.register(ctx, event, data("C", "c@example.org")).registration
    ctx.commit()
    assert reg.cancel(ctx, b) == []
    ctx.commit()
    assert reg.waitlist_position(ctx, c) == 1
    assert ctx.get(Event, event.id).confirmed_count == 1


def test_organiser_promotion_needs_a_free_seat(ctx):
    event = make_event(ctx, capacity=1)
    reg.register(ctx, event, data("A", "a@example.org"))
    b = reg.register(ctx, event, data("B", "b@example.org")).registration
    ctx.commit()
    with pytest.raises(reg.RegistrationError):
        reg.promote(ctx, b)
    ctx.rollback()
    event = ctx.get(Event, event.id)
    event.capacity = 2
    ctx.commit()
    reg.promote(ctx, b)
    ctx.commit()
    assert b.status == "confirmed" and ctx.get(Event, event.id).confirmed_count == 2
    with pytest.raises(reg.RegistrationError):
        reg.promote(ctx, b)


def test_session_capacity_and_its_waiting_list(ctx):
    event = make_event(ctx, capacity=10)
    ws = make_session(ctx, event, "ws", "2027-01-24T09:00", "2027-01-24T10:00", capacity=1)
    a = reg.register(ctx, event, data("A", "a@example.org", sessions=["ws"])).registration
    b = reg.register(ctx, event, data("B", "b@example.org", sessions=["ws"])).registration
    ctx.commit()
    assert a.session_signups[0].status == "confirmed"
    assert b.session_signups[0].status == "waitlisted"
    assert reg.session_waitlist_position(ctx, b.session_signups[0]) == 1
    reg.change_sessions(ctx, a, [])
    ctx.commit()
    ctx.refresh(b)
    assert b.session_signups[0].status == "confirmed"
    assert ctx.get(type(ws), ws.id).confirmed_count == 1
    assert [e.recipient for e in outbox(ctx, "session_promotion")] == ["b@example.org"]


def test_waitlisted_registrants_hold_their_sessions_until_promoted(ctx):
    event = make_event(ctx, capacity=1)
    ws = make_session(ctx, event, "ws", "2027-01-24T09:00", "2027-01-24T10:00", capacity=5)
    a = reg.register(ctx, event, data("A", "a@example.org")).registration
    b = reg.register(ctx, event, data("B", "b@example.org", sessions=["ws"])).registration
    ctx.commit()
    assert b.session_signups[0].status == "pending"
    assert ctx.get(type(ws), ws.id).confirmed_count == 0
    reg.cancel(ctx, a)
    ctx.commit()
    assert b.status == "confirmed" and b.session_signups[0].status == "confirmed"
    assert ctx.get(type(ws), ws.id).confirmed_count == 1


def test_unknown_session_key_is_refused(ctx):
    event = make_event(ctx)
    make_session(ctx, event, "open", "2027-01-24T09:00", "2027-01-24T10:00")  # no sign-up
    with pytest.raises(reg.RegistrationError) as info:
        reg.register(ctx, event, data(sessions=["open"]))
    assert info.value.field == "sessions"
    with pytest.raises(reg.RegistrationError):
        reg.register(ctx, event, data(sessions=["nope"]))


@pytest.mark.parametrize(
    "fields",
    [
        {"registration_open": False},
        {"registration_opens_at": utcnow() + timedelta(days=1)},
        {"registration_closes_at": utcnow() - timedelta(minutes=1)},
        {"status": "draft"},
    ],
)
def test_closed_registration(ctx, fields):
    event = make_event(ctx, **fields)
    with pytest.raises(reg.RegistrationError):
        reg.register(ctx, event, data())
    # an organiser adding someone by hand is not bound by the registration period
    result = reg.register(ctx, event, data(), source="manual")
    assert result.created and result.registration.source == "manual"


def test_anonymise_frees_the_seat_and_erases_the_person(ctx):
    event = make_event(ctx, capacity=1)
    a = reg.register(ctx, event, data("Amina", "a@example.org", organisation="X")).registration
    b = reg.register(ctx, event, data("B", "b@example.org")).registration
    ctx.commit()
    old_token = a.token
    promoted = reg.anonymise(ctx, a)
    ctx.commit()
    assert promoted == [b]
    assert a.status == "cancelled" and a.token != old_token and a.anonymised_at
    assert "Amina" not in a.full_name and "a@example.org" not in a.email
    assert a.organisation is None and a.search_text == ""
    assert reg.by_token(ctx, old_token) is None
    assert ctx.get(Event, event.id).confirmed_count == 1


def test_export_data(ctx):
    event = make_event(ctx, capacity=0)
    make_session(ctx, event, "ws", "2027-01-24T09:00", "2027-01-24T10:00", capacity=3)
    r = reg.register(ctx, event, data("Zaid", "z@example.org", sessions=["ws"])).registration
    ctx.commit()
    exported = reg.export_data(ctx, r)
    assert exported["status"] == "waitlisted" and exported["waitlist_position"] == 1
    assert exported["full_name"] == "Zaid" and exported["email"] == "z@example.org"
    assert exported["sessions"][0]["session"] == "ws"
    assert exported["sessions"][0]["status"] == "pending"
    assert reg.personal_url(r, "fr") == f"http://symposium.test/fr/r/{r.token}"
