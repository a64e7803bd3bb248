"""Arabic names keep their letters in every PDF's extracted text (no "الله" ligature reversal)."""

from datetime import date

from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.pdf_helpers import pdf_text


def test_programme_keeps_names_with_allah_exact(client, ctx, tmp_path):
    event = make_event(ctx, "lig", day=date(2026, 1, 26))
    room = make_room(ctx, event, "hall")
    item = make_session(
        ctx,
        event,
        "open",
        "2026-01-26T09:00",
        "2026-01-26T10:00",
        room=room,
        title={"ar": "كلمة عبدالله", "en": "Opening"},
    )
    person = make_person(ctx, event, "abd", name={"ar": "عبدالله بن عبدالرحمن", "en": "Abdullah"})
    add_speaker(ctx, item, person).confirmation = "confirmed"
    ctx.commit()
    response = client.get("/ar/events/lig/programme.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    assert "عبدالله بن عبدالرحمن" in text
    assert "عبداهلل" not in text
