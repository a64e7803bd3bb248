from tests.factories import add_speaker, make_event, make_person, make_room, make_session


def test_factories_build_an_event(ctx):
    event = make_event(ctx)
    room = make_room(ctx, event)
    item = make_session(ctx, event, "opening", "2027-01-24T09:00", "2027-01-24T09:30", room=room)
    person = make_person(ctx, event, "mayor")
    add_speaker(ctx, item, person)
    ctx.commit()
    assert item.starts_at.hour == 6  # 09:00 in Riyadh (UTC+3)
    assert item.t("title", "fr") == "Séance opening"
    assert item.t("title", "de") == "جلسة opening"  # falls back to the event's default language
