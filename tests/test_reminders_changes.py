"""Emails "the programme changed": after a session of a published event moves (time or room),
its registrants get one email (debounced), in their language; none for a draft event."""

from __future__ import annotations

from datetime import datetime, timedelta

from symposium.extensions import db
from symposium.models import Event, Room, Session
from symposium.models.hybrid import ReminderLog
from symposium.models.types import utcnow
from symposium.services import agenda, reminders
from symposium.services.reminders.settings import ReminderSettings
from tests.reminder_helpers import by_recipient, emails, per_registration, text_of

KIND = "programme_changed"


def _session(ctx, event, key) -> Session:
    return ctx.scalar(db.select(Session).where(Session.event_id == event.id, Session.key == key))


def _room(ctx, event, key) -> Room:
    return ctx.scalar(db.select(Room).where(Room.event_id == event.id, Room.key == key))


def _move(ctx, event, key, start: str, room: str | None = None):
    event = ctx.get(Event, event.id)
    item = _session(ctx, event, key)
    room_id = _room(ctx, event, room).id if room else item.room_id
    agenda.move_session(
        ctx, event, item, starts_local=datetime.fromisoformat(start), room_id=room_id
    )
    ctx.commit()


def _later(minutes: float) -> datetime:
    return utcnow() + timedelta(minutes=minutes)


def test_a_moved_session_emails_its_registrants_once_in_their_language(ctx):
    from tests.reminder_helpers import build_event

    event = build_event(ctx)
    _move(ctx, event, "opening", "2027-01-24T11:00", room="annex")
    # debounced: nothing while the change is fresh
    assert reminders.send_due(ctx, _later(1))["programme_changed"] == 0
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 3
    assert reminders.send_due(ctx, _later(7))["programme_changed"] == 0
    assert set(per_registration(ctx, KIND).values()) == {1}

    mails = by_recipient(ctx, KIND)
    fr = mails["amina@example.org"]
    assert fr["Subject"].replace("\u202f", " ") == "Le programme a changé : Symposium de test"
    text = text_of(fr)
    assert "Séance opening" in text
    assert (
        "Horaire : dimanche 24 janvier 2027, 09:30–10:30 → dimanche 24 janvier 2027, 11:00–12:00"
        in text
    )
    assert "Salle : Grande salle → Annexe" in text
    assert "heure de Riyad" in text
    calendar = {p.get_filename(): p for p in fr.iter_attachments()}["event.ics"]
    content = calendar.get_content()
    assert "BEGIN:VCALENDAR" in (content if isinstance(content, str) else content.decode())

    ar = text_of(mails["omar@example.org"])
    assert "القاعة: القاعة الكبرى ← الملحق" in ar
    en = text_of(mails["jane@example.org"])
    assert "Room: Great hall → Annex" in en
    assert "9:30" in en and "11:00" in en


def test_only_the_signed_up_hear_of_a_session_with_seats(ctx):
    from tests.reminder_helpers import build_event

    event = build_event(ctx)
    _move(ctx, event, "workshop", "2027-01-24T16:00")
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 1
    (only,) = emails(ctx, KIND)
    assert only["To"] == "jane@example.org"
    text = text_of(only)
    assert "2:00" in text and "4:00" in text
    assert "Room:" not in text  # the room did not change


def test_a_burst_of_edits_makes_one_email_and_a_later_change_another(ctx):
    from tests.reminder_helpers import build_event

    event = build_event(ctx)
    _move(ctx, event, "opening", "2027-01-24T10:00")
    _move(ctx, event, "opening", "2027-01-24T11:00")
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 3
    text = text_of(by_recipient(ctx, KIND)["jane@example.org"])
    assert "9:30" in text and "11:00" in text and "10:00" not in text  # first old, last new
    # a change after that email is news: a second email, from the new old time
    _move(ctx, event, "opening", "2027-01-24T12:00")
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 3
    assert set(per_registration(ctx, KIND).values()) == {2}
    last = [m for m in emails(ctx, KIND) if m["To"] == "jane@example.org"][-1]
    assert "11:00" in text_of(last) and "12:00" in text_of(last)
    assert "9:30" not in text_of(last)
    keys = set(ctx.scalars(db.select(ReminderLog.key)))
    assert len(keys) == 2 and all(key.startswith("changed:") for key in keys)


def test_moved_and_moved_back_sends_nothing(ctx):
    from tests.reminder_helpers import build_event

    event = build_event(ctx)
    _move(ctx, event, "opening", "2027-01-24T11:00")
    _move(ctx, event, "opening", "2027-01-24T09:30")
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 0
    assert emails(ctx, KIND) == []


def test_no_email_for_a_draft_event_or_when_turned_off(ctx):
    from tests.reminder_helpers import build_event

    draft = build_event(ctx, status="draft", slug="draft-event")
    _move(ctx, draft, "opening", "2027-01-24T11:00")
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 0
    ctx.get(Event, draft.id).status = "published"
    ctx.commit()
    reminders.update_settings(
        ctx, ctx.get(Event, draft.id), ReminderSettings(programme_changed=False)
    )
    ctx.commit()
    _move(ctx, draft, "opening", "2027-01-24T12:00")
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 0
    assert emails(ctx, KIND) == []


def test_people_who_registered_after_the_change_are_not_told(ctx):
    from tests.reminder_helpers import build_event, registration

    event = build_event(ctx)
    _move(ctx, event, "opening", "2027-01-24T11:00")
    newcomer = registration(ctx, "omar@example.org")
    newcomer.created_at = newcomer.confirmed_at = utcnow() + timedelta(seconds=1)
    ctx.commit()
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 2
    assert "omar@example.org" not in by_recipient(ctx, KIND)


def test_deleting_a_room_tells_its_sessions_registrants(ctx):
    from tests.reminder_helpers import build_event

    event = build_event(ctx)
    agenda.delete_room(ctx, ctx.get(Event, event.id), _room(ctx, event, "hall"))
    ctx.commit()
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 3 + 1  # opening, workshop
    jane = [text_of(m) for m in emails(ctx, KIND) if m["To"] == "jane@example.org"]
    assert len(jane) == 2
    assert all("Room: Great hall → no room" in text for text in jane)


def test_changes_recorded_by_an_import_are_read_too(ctx):
    """The interchange import records local times as ISO text and rooms by key."""
    from symposium.models import AgendaChange
    from tests.reminder_helpers import build_event

    event = build_event(ctx)
    item = _session(ctx, event, "opening")
    item.room = _room(ctx, event, "annex")
    item.starts_at += timedelta(hours=1)
    item.ends_at += timedelta(hours=1)
    summary = {
        "starts_at": ["2027-01-24T09:30", "2027-01-24T10:30"],
        "ends_at": ["2027-01-24T10:30", "2027-01-24T11:30"],
        "room": ["hall", "annex"],
    }
    ctx.add(AgendaChange(event_id=event.id, session_key="opening", action="moved", summary=summary))
    ctx.commit()
    assert reminders.send_due(ctx, _later(6))["programme_changed"] == 3
    text = text_of(by_recipient(ctx, KIND)["amina@example.org"])
    assert (
        "Horaire : dimanche 24 janvier 2027, 09:30–10:30 → dimanche 24 janvier 2027, 10:30–11:30"
        in text
    )
    assert "Salle : Grande salle → Annexe" in text
