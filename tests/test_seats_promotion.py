"""Promotions and the one-seat-per-time-slot rule, and what a cancellation reports back."""

from __future__ import annotations

from sqlalchemy import select

from symposium.models import Event, Session, SessionRegistration
from symposium.services import registration as reg
from tests.factories import make_event, make_session
from tests.registration_helpers import data, outbox


def _event(session, *, capacity=1, event_capacity=100):
    event = make_event(session, capacity=event_capacity)
    for key, start, end in (
        ("ws-a", "10:30", "12:00"),
        ("ws-b", "10:30", "12:00"),
        ("ws-c", "14:00", "15:00"),
    ):
        make_session(
            session, event, key, f"2027-01-24T{start}", f"2027-01-24T{end}", capacity=capacity
        )
    session.commit()
    return event


def _status(session, registration, key):
    return session.scalar(
        select(SessionRegistration.status)
        .join(Session, Session.id == SessionRegistration.session_id)
        .where(SessionRegistration.registration_id == registration.id, Session.key == key)
    )


def _seats(session, key):
    return session.scalar(select(Session.confirmed_count).where(Session.key == key))


def test_a_freed_seat_skips_someone_who_holds_a_seat_at_the_same_time(ctx):
    """Only an organiser's override lets a person wait for A while holding B at the same time;
    a seat freed in A then goes to the next person, and they keep their place."""
    event = _event(ctx)
    holder = reg.register(ctx, event, data("Holder", "h@example.org", sessions=["ws-a"]))
    both = reg.register(
        ctx,
        event,
        data("Both", "both@example.org", sessions=["ws-b", "ws-a"]),
        source="manual",
        allow_overlap=True,
    ).registration
    nxt = reg.register(ctx, event, data("Next", "next@example.org", sessions=["ws-a"]))
    ctx.commit()
    assert _status(ctx, both, "ws-b") == "confirmed" and _status(ctx, both, "ws-a") == "waitlisted"
    both_signup = next(s for s in both.session_signups if s.session.key == "ws-a")
    assert reg.session_waitlist_position(ctx, both_signup) == 1

    promotions = reg.cancel(ctx, holder.registration)
    ctx.commit()
    assert _status(ctx, nxt.registration, "ws-a") == "confirmed"
    assert _status(ctx, both, "ws-a") == "waitlisted"  # passed over, still first in line
    assert reg.session_waitlist_position(ctx, both_signup) == 1
    assert _seats(ctx, "ws-a") == 1
    ws_a = ctx.scalar(select(Session.id).where(Session.key == "ws-a"))
    assert [s.registration.email for s in promotions.sessions[ws_a]] == ["next@example.org"]
    assert [e.recipient for e in outbox(ctx, "session_promotion")] == ["next@example.org"]

    # once they give up B, the next seat freed in A is theirs
    reg.change_sessions(ctx, both, ["ws-a"])
    reg.cancel(ctx, nxt.registration)
    ctx.commit()
    assert _status(ctx, both, "ws-a") == "confirmed"


def test_confirming_a_waitlisted_registration_never_gives_two_seats_at_once(ctx):
    """Pending choices overlap only by an organiser's override; when the registration is
    confirmed the later one waits instead of taking a second seat at the same time."""
    event = _event(ctx, capacity=5, event_capacity=1)
    first = reg.register(ctx, event, data("First", "first@example.org")).registration
    waiting = reg.register(
        ctx,
        event,
        data("W", "w@example.org", sessions=["ws-a", "ws-b", "ws-c"]),
        source="manual",
        allow_overlap=True,
    ).registration
    ctx.commit()
    assert {s.status for s in waiting.session_signups} == {"pending"}
    promotions = reg.cancel(ctx, first)
    ctx.commit()
    assert list(promotions) == [waiting] and waiting.status == "confirmed"
    statuses = {key: _status(ctx, waiting, key) for key in ("ws-a", "ws-b", "ws-c")}
    assert sorted(statuses.values()) == ["confirmed", "confirmed", "waitlisted"]
    assert statuses["ws-c"] == "confirmed"
    assert statuses["ws-a"] != statuses["ws-b"]
    assert _seats(ctx, "ws-a") + _seats(ctx, "ws-b") == 1


def test_cancel_reports_nobody_promoted_when_nobody_waits(ctx):
    event = _event(ctx, capacity=5, event_capacity=5)
    a = reg.register(ctx, event, data("A", "a@example.org", sessions=["ws-a"])).registration
    ctx.commit()
    promotions = reg.cancel(ctx, a)
    ctx.commit()
    assert list(promotions) == [] and promotions.sessions == {} and not promotions.anyone
    assert ctx.get(Event, event.id).confirmed_count == 0


def test_cancel_reports_who_was_promoted_per_session(ctx):
    """Event seats are free (nobody waits for the event) but the workshop was full."""
    event = _event(ctx, capacity=1, event_capacity=10)
    a = reg.register(ctx, event, data("A", "a@example.org", sessions=["ws-a", "ws-c"]))
    b = reg.register(ctx, event, data("B", "b@example.org", sessions=["ws-a"]))
    ctx.commit()
    promotions = reg.cancel(ctx, a.registration)
    ctx.commit()
    assert list(promotions) == []  # nobody moved up on the event's waiting list
    assert promotions.anyone
    ws_a = ctx.scalar(select(Session.id).where(Session.key == "ws-a"))
    assert list(promotions.sessions) == [ws_a]  # ws-c had nobody waiting
    assert [s.registration_id for s in promotions.sessions[ws_a]] == [b.id]


def test_cancel_reports_event_promotions(ctx):
    event = _event(ctx, capacity=5, event_capacity=1)
    a = reg.register(ctx, event, data("A", "a@example.org")).registration
    b = reg.register(ctx, event, data("B", "b@example.org")).registration
    ctx.commit()
    promotions = reg.cancel(ctx, a)
    ctx.commit()
    assert list(promotions) == [b] and promotions.anyone and promotions.sessions == {}
    # anonymising reports the same way
    c = reg.register(ctx, event, data("C", "c@example.org")).registration
    ctx.commit()
    assert list(reg.anonymise(ctx, b)) == [c]
