"""An event without a capacity takes no seat: its registrations never wait for each other on
its row (PostgreSQL would serialise them there), its confirmed registrations are counted when
shown, and giving it a capacity counts them so that the capacity holds from then on."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session

from symposium.extensions import db
from symposium.models import Event, Registration
from symposium.services import event_admin
from symposium.services import registration as reg
from tests.factories import make_event
from tests.registration_helpers import data


def _statuses(session, event_id):
    return sorted(
        session.scalars(
            db.select(Registration.status).where(Registration.event_id == event_id)
        ).all()
    )


def _event_data(event, capacity):
    """The event's own settings as the edit form would send them, with ``capacity``."""
    return event_admin.EventData(
        slug=event.slug,
        timezone=event.timezone,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        languages=list(event.languages),
        default_language=event.default_language,
        title=dict(event.title),
        capacity=capacity,
    )


def test_no_capacity_no_seat_counter_but_the_count_is_right(ctx):
    event = make_event(ctx, capacity=None)
    results = [reg.register(ctx, event, data(f"P{i}", f"p{i}@example.org")) for i in range(3)]
    ctx.commit()
    assert [r.status for r in results] == ["confirmed"] * 3
    assert ctx.get(Event, event.id).confirmed_count == 0  # no seat taken on the event row
    assert reg.confirmed_total(ctx, event) == 3
    reg.cancel(ctx, results[0].registration)
    ctx.commit()
    assert ctx.get(Event, event.id).confirmed_count == 0
    assert reg.confirmed_total(ctx, event) == 2


def test_giving_an_event_a_capacity_counts_its_registrations(ctx):
    event = make_event(ctx, capacity=None)
    for i in range(3):
        reg.register(ctx, event, data(f"P{i}", f"p{i}@example.org"))
    ctx.commit()
    event_admin.save_event(ctx, _event_data(event, 4), event=event)
    ctx.commit()
    assert ctx.get(Event, event.id).confirmed_count == 3
    fourth = reg.register(ctx, event, data("Four", "four@example.org"))
    fifth = reg.register(ctx, event, data("Five", "five@example.org"))
    ctx.commit()
    assert (fourth.status, fifth.status) == ("confirmed", "waitlisted")
    assert ctx.get(Event, event.id).confirmed_count == 4 == reg.confirmed_total(ctx, event)


def test_a_capacity_set_directly_is_counted_too(ctx):
    """Any writer (an import, a script): the flush that sets the capacity counts."""
    event = make_event(ctx, capacity=None)
    for i in range(2):
        reg.register(ctx, event, data(f"P{i}", f"p{i}@example.org"))
    ctx.commit()
    ctx.expire_all()  # the old capacity is not loaded: counted anyway
    ctx.get(Event, event.id).capacity = 2
    ctx.commit()
    assert ctx.get(Event, event.id).confirmed_count == 2
    assert reg.register(ctx, event, data("Late", "late@example.org")).status == "waitlisted"


def test_a_capacity_below_the_registrations_of_an_unlimited_event_is_refused(ctx):
    event = make_event(ctx, capacity=None)
    for i in range(3):
        reg.register(ctx, event, data(f"P{i}", f"p{i}@example.org"))
    ctx.commit()
    with pytest.raises(event_admin.EventError) as refused:
        event_admin.save_event(ctx, _event_data(event, 2), event=event)
    assert "below the 3 confirmed registrations" in str(refused.value.args)


def test_removing_the_capacity_stops_counting_and_confirms(ctx):
    event = make_event(ctx, capacity=1)
    first = reg.register(ctx, event, data("One", "one@example.org"))
    ctx.commit()
    event_admin.save_event(ctx, _event_data(event, None), event=event)
    ctx.commit()
    second = reg.register(ctx, event, data("Two", "two@example.org"))
    ctx.commit()
    assert (first.status, second.status) == ("confirmed", "confirmed")
    assert reg.confirmed_total(ctx, event) == 2


def test_the_organiser_page_and_the_api_show_the_count(app, client):
    from tests.manage_helpers import login, make_organiser

    with app.app_context():
        event = make_event(db.session, capacity=None)
        for i in range(3):
            reg.register(db.session, event, data(f"P{i}", f"p{i}@example.org"))
        db.session.commit()
        event_id = event.id
    assert client.get("/api/v1/events/test-event").get_json()["confirmed_count"] == 3
    make_organiser(app, "org@example.org", event_id)
    login(client, "org@example.org")
    page = client.get("/en/manage/events/test-event/").get_data(as_text=True)
    assert "No limit · 3 confirmed" in page, page[
        page.find("Capacity") - 50 : page.find("Capacity") + 300
    ]


# ---------------------------------------------------------------------------- PostgreSQL


def _register_in_session(app, i: int, event_id: int, *, commit: bool = True) -> Session:
    """Register person ``i`` in a session of its own; returns the session (left open, in its
    transaction, when not ``commit``)."""
    with app.app_context():
        session = Session(db.engine)
        event = session.get(Event, event_id)
        reg.register(session, event, data(f"P{i}", f"p{i}@example.org"), notify=False)
        if commit:
            session.commit()
            session.close()
        return session


@pytest.mark.postgres
@pytest.mark.parametrize("capacity", [None, 100])
def test_registrations_without_a_capacity_do_not_wait_for_each_other(pg_app, capacity):
    """One registration is not committed yet; another one of the same event completes at
    once when the event has no capacity, and waits on the event row when it has one."""
    with pg_app.app_context():
        event_id = make_event(db.session, "open", capacity=capacity).id
        db.session.commit()
    first = _register_in_session(pg_app, 1, event_id, commit=False)
    second = threading.Thread(target=_register_in_session, args=(pg_app, 2, event_id))
    try:
        second.start()
        second.join(2 if capacity is None else 1)
        assert second.is_alive() is (capacity is not None)  # waiting for the first's COMMIT
    finally:
        first.commit()
        first.close()
        second.join(10)
    assert not second.is_alive()
    with pg_app.app_context():
        event = db.session.get(Event, event_id)
        assert _statuses(db.session, event_id) == ["confirmed", "confirmed"]
        assert event.confirmed_count == (0 if capacity is None else 2)


@pytest.mark.postgres
def test_a_capacity_set_while_people_register_holds(pg_app):
    """80 people register in 8 threads; in the middle the organiser gives the event a
    capacity of (confirmed so far + 5), while 50 of them are registering. Afterwards exactly
    that many are confirmed, the seat counter says so, and the others are on the waiting
    list."""
    with pg_app.app_context():
        event = make_event(db.session, "surge", capacity=None)
        event_id = event.id
        # The first one in this thread: every module is imported before the threads start
        reg.register(db.session, event, data("P0", "p0@example.org"), notify=False)
        db.session.commit()
    registered = threading.Semaphore(0)
    locked = threading.Event()
    capacity: list[int] = []

    def person(i: int) -> None:
        if i >= 30:
            locked.wait(30)  # these race with the organiser's transaction
        with pg_app.app_context():
            event = db.session.get(Event, event_id)
            reg.register(db.session, event, data(f"P{i}", f"p{i}@example.org"), notify=False)
            db.session.commit()
        registered.release()

    def organiser() -> None:
        for _ in range(20):
            registered.acquire(timeout=30)
        with pg_app.app_context():
            event = db.session.get(Event, event_id)
            reg.lock_event(db.session, event, capacity=True)  # as save_event does
            locked.set()
            time.sleep(0.3)  # the others start registering, and wait for this transaction
            event.capacity = reg.confirmed_total(db.session, event) + 5
            capacity.append(event.capacity)
            db.session.commit()

    with ThreadPoolExecutor(9) as pool:
        done = pool.submit(organiser)
        list(pool.map(person, range(1, 80)))
        done.result()

    with pg_app.app_context():
        statuses = _statuses(db.session, event_id)
        event = db.session.get(Event, event_id)
        assert 25 <= capacity[0] <= 35, capacity
        assert statuses.count("confirmed") == capacity[0] == event.capacity
        assert event.confirmed_count == capacity[0]
        assert statuses.count("waitlisted") == 80 - capacity[0]


def test_sqlite_skips_the_seat_update_only_on_what_this_transaction_read(ctx):
    from symposium.services.registration.seats import _no_capacity_in_this_transaction

    if ctx.get_bind().dialect.name != "sqlite":
        pytest.skip("the SQLite shortcut (BEGIN IMMEDIATE holds the write lock)")
    event = make_event(ctx, capacity=None)
    ctx.commit()  # expired: what a later transaction reads is not known yet
    assert not _no_capacity_in_this_transaction(ctx, event)
    assert event.capacity is None  # read in this transaction
    assert _no_capacity_in_this_transaction(ctx, event)
    limited = make_event(ctx, "limited", capacity=5)
    assert not _no_capacity_in_this_transaction(ctx, limited)


def test_an_import_that_gives_a_capacity_counts_the_registrations(ctx):
    from symposium.services import interchange

    event = make_event(ctx, capacity=None)
    for i in range(3):
        reg.register(ctx, event, data(f"P{i}", f"p{i}@example.org"))
    ctx.commit()
    document = interchange.export_event(event)
    document["capacity"] = 3
    interchange.import_event(ctx, document, event=event)
    ctx.commit()
    assert ctx.get(Event, event.id).confirmed_count == 3
    assert reg.register(ctx, event, data("Late", "late@example.org")).status == "waitlisted"
    document["capacity"] = 2  # below the confirmed registrations: refused
    with pytest.raises(interchange.InterchangeError):
        interchange.import_event(ctx, document, event=event)
